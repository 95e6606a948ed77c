package io.keelson.apiserver.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.rest.ApiPath;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import tools.jackson.databind.JsonNode;

/** The self reviews answer about the caller, validate like kube, and store nothing. */
class SelfReviewsTest {
  private static final ResourceType SSAR = ResourceRegistry.find("authorization.k8s.io", "v1", "selfsubjectaccessreviews").orElseThrow();
  private static final ResourceType SSRR = ResourceRegistry.find("authorization.k8s.io", "v1", "selfsubjectrulesreviews").orElseThrow();
  private static final ResourceType SSR = ResourceRegistry.find("authentication.k8s.io", "v1", "selfsubjectreviews").orElseThrow();

  /** A policy that allows only reading pods, to see its answers come through. */
  private static final Authorizer READ_PODS = new Authorizer() {
    @Override
    public Decision authorize(UserInfo user, Attributes r) {
      boolean ok = "pods".equals(r.resource()) && "get".equals(r.verb());
      return new Decision(ok, ok ? "" : user.username() + " may only get pods");
    }

    @Override
    public List<Rule> rulesFor(UserInfo user, String namespace) {
      return List.of(Rule.resources(List.of("get"), List.of(""), List.of("pods")));
    }
  };

  private static final ResourceType SAR = ResourceRegistry.find("authorization.k8s.io", "v1", "subjectaccessreviews").orElseThrow();
  private static final ResourceType LSAR = ResourceRegistry.find("authorization.k8s.io", "v1", "localsubjectaccessreviews").orElseThrow();

  private static JsonNode post(Authorizer a, ResourceType type, String body, UserInfo user) throws Exception {
    return post(a, type, null, body, user);
  }

  private static JsonNode post(Authorizer a, ResourceType type, String namespace, String body, UserInfo user) throws Exception {
    MockHttpServletRequest req = new MockHttpServletRequest("POST", type.collectionPath(namespace));
    req.setContentType("application/json");
    req.setContent(body.getBytes(StandardCharsets.UTF_8));
    if (user != null) req.setAttribute(UserInfo.ATTRIBUTE, user);
    MockHttpServletResponse resp = new MockHttpServletResponse();
    assertThat(new SelfReviews(a).handle(new ApiPath(type, namespace, null, null), req, resp)).isEqualTo(201);
    assertThat(resp.getStatus()).isEqualTo(201);
    return ObjectCodec.JSON.readTree(resp.getContentAsByteArray());
  }

  @Test
  void accessReviewsCarryTheAuthorizersDecision() throws Exception {
    JsonNode allowed = post(Authorizer.ALWAYS_ALLOW, SSAR,
        "{\"kind\":\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":{\"verb\":\"delete\",\"resource\":\"nodes\"}}}", null);
    assertThat(allowed.get("apiVersion").asString()).isEqualTo("authorization.k8s.io/v1");
    assertThat(allowed.at("/spec/resourceAttributes/verb").asString()).isEqualTo("delete"); // the question comes back
    assertThat(allowed.at("/status/allowed").asBoolean()).isTrue();
    UserInfo bob = new UserInfo("bob", "", List.of("system:authenticated"));
    JsonNode denied = post(READ_PODS, SSAR, "{\"spec\":{\"resourceAttributes\":{\"verb\":\"delete\",\"resource\":\"pods\"}}}", bob);
    assertThat(denied.at("/status/allowed").asBoolean()).isFalse();
    assertThat(denied.at("/status/reason").asString()).isEqualTo("bob may only get pods");
    JsonNode nonResource = post(READ_PODS, SSAR, "{\"spec\":{\"nonResourceAttributes\":{\"verb\":\"get\",\"path\":\"/healthz\"}}}", bob);
    assertThat(nonResource.at("/status/allowed").asBoolean()).isFalse();
  }

  @Test
  void rulesAndWhoamiDescribeTheCaller() throws Exception {
    JsonNode rules = post(Authorizer.ALWAYS_ALLOW, SSRR, "{\"spec\":{\"namespace\":\"default\"}}", null);
    assertThat(rules.at("/status/resourceRules/0/verbs/0").asString()).isEqualTo("*");
    assertThat(rules.at("/status/resourceRules/0/apiGroups/0").asString()).isEqualTo("*");
    assertThat(rules.at("/status/nonResourceRules/0/nonResourceURLs/0").asString()).isEqualTo("*");
    assertThat(rules.at("/status/incomplete").asBoolean()).isFalse();
    JsonNode podsOnly = post(READ_PODS, SSRR, "{\"spec\":{\"namespace\":\"default\"}}", null);
    assertThat(podsOnly.at("/status/resourceRules/0/resources/0").asString()).isEqualTo("pods");
    assertThat(podsOnly.at("/status/nonResourceRules").size()).isZero();

    JsonNode me = post(Authorizer.ALWAYS_ALLOW, SSR, "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}", UserInfo.ADMIN);
    assertThat(me.at("/status/userInfo/username").asString()).isEqualTo("keelson-admin");
    assertThat(me.at("/status/userInfo/groups").toString()).isEqualTo("[\"system:masters\",\"system:authenticated\"]");
  }

  private static StatusException rejected(ResourceType type, String method, String body) {
    MockHttpServletRequest req = new MockHttpServletRequest(method, type.collectionPath(null));
    req.setContentType("application/json");
    req.setContent(body.getBytes(StandardCharsets.UTF_8));
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() ->
        new SelfReviews(Authorizer.ALWAYS_ALLOW).handle(new ApiPath(type, null, null, null), req, new MockHttpServletResponse()));
    assertThat(t).isInstanceOf(StatusException.class);
    return (StatusException) t;
  }

  @Test
  void badReviewsGetKubesErrors() {
    StatusException none = rejected(SSAR, "POST", "{\"spec\":{}}");
    assertThat(none.code()).isEqualTo(422);
    assertThat(none.getMessage()).contains("spec.resourceAttributes", "exactly one of nonResourceAttributes or resourceAttributes");
    StatusException both = rejected(SSAR, "POST",
        "{\"spec\":{\"resourceAttributes\":{\"verb\":\"get\"},\"nonResourceAttributes\":{\"verb\":\"get\",\"path\":\"/\"}}}");
    assertThat(both.code()).isEqualTo(422);
    assertThat(both.getMessage()).contains("spec.nonResourceAttributes");
    StatusException named = rejected(SSAR, "POST", "{\"metadata\":{\"name\":\"x\"},\"spec\":{\"nonResourceAttributes\":{\"path\":\"/\"}}}");
    assertThat(named.code()).isEqualTo(422);
    assertThat(named.getMessage()).contains("metadata.name", "must be empty");
    assertThat(rejected(SSRR, "POST", "{\"spec\":{}}").code()).isEqualTo(400); // no namespace
    assertThat(rejected(SSAR, "GET", "").code()).isEqualTo(405);
    assertThat(rejected(SSR, "POST", "{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}").code()).isEqualTo(400);
    assertThat(rejected(SSAR, "POST", "{broken").code()).isEqualTo(400);
  }

  /** SubjectAccessReview asks about the user in its spec, exactly as given; the local one stays in its namespace. */
  @Test
  void subjectAccessReviewsAnswerForTheirSubject() throws Exception {
    JsonNode bob = post(READ_PODS, SAR, "{\"spec\":{\"user\":\"bob\",\"resourceAttributes\":{\"verb\":\"delete\",\"resource\":\"pods\"}}}",
        UserInfo.ADMIN);
    assertThat(bob.at("/status/allowed").asBoolean()).isFalse();
    assertThat(bob.at("/status/reason").asString()).isEqualTo("bob may only get pods"); // the subject, not the caller
    JsonNode local = post(READ_PODS, LSAR, "apps", "{\"metadata\":{\"namespace\":\"apps\"},\"spec\":{\"groups\":[\"devs\"],"
        + "\"resourceAttributes\":{\"namespace\":\"apps\",\"verb\":\"get\",\"resource\":\"pods\"}}}", UserInfo.ADMIN);
    assertThat(local.at("/status/allowed").asBoolean()).isTrue();
    assertThat(local.at("/metadata/namespace").asString()).isEqualTo("apps");
    assertThat(rejected(SAR, "POST", "{\"spec\":{\"resourceAttributes\":{\"verb\":\"get\"}}}").getMessage())
        .contains("spec.user", "at least one of user or group must be specified");
  }

  @Test
  void aLocalReviewIsAboutItsNamespaceOnly() {
    MockHttpServletRequest req = new MockHttpServletRequest("POST", LSAR.collectionPath("apps"));
    req.setContentType("application/json");
    req.setContent(("{\"spec\":{\"user\":\"bob\",\"resourceAttributes\":{\"namespace\":\"other\",\"verb\":\"get\"}}}")
        .getBytes(StandardCharsets.UTF_8));
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() ->
        new SelfReviews(READ_PODS).handle(new ApiPath(LSAR, "apps", null, null), req, new MockHttpServletResponse()));
    assertThat(((StatusException) t).code()).isEqualTo(422);
    assertThat(t.getMessage()).contains("spec.resourceAttributes.namespace", "must match metadata.namespace");
  }

  @Test
  void reviewsAreNotStored() {
    for (ResourceType t : List.of(SSAR, SSRR, SSR, SAR, LSAR)) {
      assertThat(t.stored()).as(t.qualifiedResource()).isFalse();
      assertThat(io.keelson.apiserver.discovery.ApiDiscovery.verbs(t)).containsExactly("create");
    }
  }
}
