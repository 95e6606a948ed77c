package io.keelson.apiserver.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keelson.apiserver.registry.DynamicAdmission.Attributes;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Which requests a webhook's rules and selectors match, and how a mutating webhook's JSONPatch applies. */
class WebhookRulesTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final ResourceType PODS = ResourceRegistry.find("", "v1", "pods").orElseThrow();
  private static final ResourceType NAMESPACES = ResourceRegistry.find("", "v1", "namespaces").orElseThrow();
  private static final ResourceType NODES = ResourceRegistry.find("", "v1", "nodes").orElseThrow();
  private static final ResourceType DEPLOYMENTS = ResourceRegistry.find("apps", "v1", "deployments").orElseThrow();

  private static JsonNode json(String s) {
    return JSON.readTree(s.replace('\'', '"'));
  }

  private static ObjectNode labelled(String labels) {
    return (ObjectNode) json("{'metadata':{'name':'x','labels':" + labels + "}}");
  }

  private static Attributes request(ResourceType type, String sub, String op, ObjectNode obj, ObjectNode old) {
    return new Attributes(type, sub, op, type.namespaced() ? "team" : null, "x", obj, old, false, null, null);
  }

  private static boolean rule(String rule, Attributes a) {
    return WebhookRules.ruleMatches(json(rule), a);
  }

  @Test
  void rulesMatchOperationGroupVersionAndScopeWithWildcards() {
    Attributes create = request(PODS, null, "CREATE", labelled("{}"), null);
    assertThat(rule("{'operations':['CREATE'],'apiGroups':[''],'apiVersions':['v1'],'resources':['pods']}", create)).isTrue();
    assertThat(rule("{'operations':['UPDATE'],'apiGroups':[''],'apiVersions':['v1'],'resources':['pods']}", create)).isFalse();
    assertThat(rule("{'operations':['*'],'apiGroups':['*'],'apiVersions':['*'],'resources':['*']}", create)).isTrue();
    assertThat(rule("{'operations':['*'],'apiGroups':['apps'],'apiVersions':['*'],'resources':['*']}", create)).isFalse();
    assertThat(rule("{'operations':['*'],'apiGroups':['apps'],'apiVersions':['v1'],'resources':['deployments']}",
        request(DEPLOYMENTS, null, "DELETE", null, labelled("{}")))).isTrue();
    assertThat(rule("{'operations':['*'],'apiGroups':['*'],'apiVersions':['*'],'resources':['*'],'scope':'Cluster'}", create)).isFalse();
    assertThat(rule("{'operations':['*'],'apiGroups':['*'],'apiVersions':['*'],'resources':['*'],'scope':'Namespaced'}", create)).isTrue();
    assertThat(rule("{'operations':['*'],'apiGroups':['*'],'apiVersions':['*'],'resources':['*'],'scope':'Cluster'}",
        request(NAMESPACES, null, "CREATE", labelled("{}"), null))).isTrue(); // namespaces are cluster-scoped
  }

  @Test
  void subresourcesAreMatchedOnlyWhenNamed() {
    Attributes status = request(PODS, "status", "UPDATE", labelled("{}"), labelled("{}"));
    String base = "{'operations':['UPDATE'],'apiGroups':[''],'apiVersions':['v1'],'resources':";
    assertThat(rule(base + "['pods']}", status)).isFalse();
    assertThat(rule(base + "['*']}", status)).isFalse();
    assertThat(rule(base + "['pods/status']}", status)).isTrue();
    assertThat(rule(base + "['pods/*']}", status)).isTrue();
    assertThat(rule(base + "['*/status']}", status)).isTrue();
    assertThat(rule(base + "['*/*']}", status)).isTrue();
    assertThat(rule(base + "['pods/ephemeralcontainers']}", status)).isFalse();
    assertThat(rule(base + "['pods/*']}", request(PODS, null, "UPDATE", labelled("{}"), labelled("{}")))).isTrue();
  }

  @Test
  void namespaceSelectorsLookAtTheNamespaceOrAtANamespaceItself() {
    JsonNode selector = json("{'matchLabels':{'hooks':'on'}}");
    ObjectNode on = labelled("{'hooks':'on'}");
    ObjectNode off = labelled("{}");
    assertThat(WebhookRules.namespaceMatches(selector, request(PODS, null, "CREATE", off, null), on)).isTrue();
    assertThat(WebhookRules.namespaceMatches(selector, request(PODS, null, "CREATE", on, null), off)).isFalse();
    assertThat(WebhookRules.namespaceMatches(json("{}"), request(PODS, null, "CREATE", off, null), off)).isTrue();
    assertThat(WebhookRules.namespaceMatches(selector, request(NAMESPACES, null, "CREATE", on, null), null)).isTrue();
    assertThat(WebhookRules.namespaceMatches(selector, request(NAMESPACES, null, "CREATE", off, null), null)).isFalse();
    assertThat(WebhookRules.namespaceMatches(selector, request(NODES, null, "CREATE", off, null), null)).isTrue(); // cluster-scoped: always
    assertThat(WebhookRules.namespaceMatches(json("{'matchExpressions':[{'key':'hooks','operator':'NotIn','values':['on']}]}"),
        request(PODS, null, "CREATE", off, null), off)).isTrue();
  }

  @Test
  void objectSelectorsMatchTheNewOrTheOldObject() {
    JsonNode selector = json("{'matchLabels':{'app':'web'}}");
    assertThat(WebhookRules.objectMatches(selector, request(PODS, null, "CREATE", labelled("{'app':'web'}"), null))).isTrue();
    assertThat(WebhookRules.objectMatches(selector, request(PODS, null, "CREATE", labelled("{'app':'db'}"), null))).isFalse();
    assertThat(WebhookRules.objectMatches(selector, request(PODS, null, "UPDATE", labelled("{}"), labelled("{'app':'web'}")))).isTrue();
    assertThat(WebhookRules.objectMatches(selector, request(PODS, null, "DELETE", null, labelled("{'app':'web'}")))).isTrue();
  }

  private static JsonNode patchResponse(String patchType, String patch) {
    ObjectNode r = JSON.createObjectNode().put("allowed", true).put("patch",
        Base64.getEncoder().encodeToString(patch.replace('\'', '"').getBytes(StandardCharsets.UTF_8)));
    if (patchType != null) r.put("patchType", patchType);
    return r;
  }

  @Test
  void aJsonPatchResponseChangesTheObject() {
    ObjectNode pod = labelled("{'app':'web'}");
    ObjectNode out = WebhookAdmission.patched("m.hooks.io", pod,
        patchResponse("JSONPatch", "[{'op':'add','path':'/metadata/labels/mutated','value':'yes'}]"), PODS);
    assertThat(out.path("metadata").path("labels").path("mutated").asString()).isEqualTo("yes");
    assertThat(out.path("metadata").path("labels").path("app").asString()).isEqualTo("web");
    assertThat(pod.path("metadata").path("labels").has("mutated")).as("the request's object is left alone").isFalse();
    assertThat(WebhookAdmission.patched("m.hooks.io", pod, patchResponse("JSONPatch", "[]"), PODS)).isSameAs(pod);
  }

  @Test
  void aPatchThatDoesNotApplyOrIsNoJsonPatchIsAnInternalError() {
    ObjectNode pod = labelled("{}");
    assertThatThrownBy(() -> WebhookAdmission.patched("m.hooks.io", pod,
        patchResponse("JSONPatch", "[{'op':'remove','path':'/spec/missing'}]"), PODS))
        .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.code()).isEqualTo(500))
        .hasMessageContaining("admission webhook \"m.hooks.io\" returned a patch that does not apply");
    assertThatThrownBy(() -> WebhookAdmission.patched("m.hooks.io", pod, patchResponse(null, "[]"), PODS))
        .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.code()).isEqualTo(500))
        .hasMessageContaining("returned response.patch but not response.patchType JSONPatch");
  }

  @Test
  void aDenialCarriesTheWebhooksCodeAndMessage() {
    StatusException e = WebhookAdmission.denial("v.hooks.io", json("{'code':403,'message':'no thanks'}"));
    assertThat(e.code()).isEqualTo(403);
    assertThat(e.getMessage()).isEqualTo("admission webhook \"v.hooks.io\" denied the request: no thanks");
    StatusException plain = WebhookAdmission.denial("v.hooks.io", json("{}"));
    assertThat(plain.code()).isEqualTo(400);
    assertThat(plain.getMessage()).isEqualTo("admission webhook \"v.hooks.io\" denied the request without explanation");
  }
}
