package io.keelson.apiserver.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The discovery documents as kubectl 1.28–1.33 request and parse them. */
class DiscoveryControllerTest {

  static final String AGG = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
      + "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
  static final String AGG_128 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
      + "application/json";

  private final MockMvc mvc = MockMvcBuilders.standaloneSetup(new DiscoveryController()).build();
  private final JsonMapper json = JsonMapper.builder().build();

  private MvcResult call(String path, String accept) throws Exception {
    var req = get(path);
    if (accept != null) req.header("Accept", accept);
    return mvc.perform(req).andReturn();
  }

  private JsonNode body(MvcResult r) throws Exception {
    return json.readTree(r.getResponse().getContentAsByteArray());
  }

  @Test
  void versionReportsMinor32() throws Exception {
    MvcResult r = call("/version?timeout=5s", "application/json, */*");
    assertThat(r.getResponse().getStatus()).isEqualTo(200);
    JsonNode v = body(r);
    assertThat(v.get("major").asString()).isEqualTo("1");
    assertThat(v.get("minor").asString()).isEqualTo("32");
    assertThat(v.get("gitVersion").asString()).startsWith("v1.32.");
  }

  /** The paths of kube's OpenAPI, which generated clients call (client-java's VersionApi: GET /version/). */
  @Test
  void discoveryPathsAlsoAnswerWithATrailingSlash() throws Exception {
    for (String p : List.of("/version/", "/api/", "/apis/", "/api/v1/", "/apis/apps/", "/apis/apps/v1/")) {
      MvcResult r = call(p, "application/json");
      assertThat(r.getResponse().getStatus()).as(p).isEqualTo(200);
      assertThat(body(r).toString()).as(p).isEqualTo(body(call(p.substring(0, p.length() - 1), "application/json")).toString());
    }
  }

  @Test
  void aggregatedV2WithExactContentType() throws Exception {
    MvcResult r = call("/apis", AGG);
    assertThat(r.getResponse().getHeader("Content-Type"))
        .isEqualTo("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    JsonNode list = body(r);
    assertThat(list.get("kind").asString()).isEqualTo("APIGroupDiscoveryList");
    assertThat(list.get("apiVersion").asString()).isEqualTo("apidiscovery.k8s.io/v2");
    JsonNode apps = find(list.get("items"), g -> g.get("metadata").get("name").asString().equals("apps"));
    JsonNode v1 = apps.get("versions").get(0);
    assertThat(v1.get("version").asString()).isEqualTo("v1");
    assertThat(v1.get("freshness").asString()).isEqualTo("Current");
    JsonNode deploy = find(v1.get("resources"), x -> x.get("resource").asString().equals("deployments"));
    assertThat(deploy.get("responseKind").get("kind").asString()).isEqualTo("Deployment");
    assertThat(deploy.get("scope").asString()).isEqualTo("Namespaced");
    assertThat(deploy.get("singularResource").asString()).isEqualTo("deployment");
    assertThat(strings(deploy.get("shortNames"))).containsExactly("deploy");
    assertThat(strings(deploy.get("categories"))).containsExactly("all");
    assertThat(strings(deploy.get("verbs"))).contains("create", "delete", "deletecollection", "get", "list",
        "patch", "update", "watch");
    JsonNode scale = find(deploy.get("subresources"), s -> s.get("subresource").asString().equals("scale"));
    assertThat(scale.get("responseKind").get("group").asString()).isEqualTo("autoscaling");
    assertThat(scale.get("responseKind").get("kind").asString()).isEqualTo("Scale");
    assertThat(strings(scale.get("verbs"))).containsExactly("get", "patch", "update");
  }

  @Test
  void aggregatedCoreListsPodSubresources() throws Exception {
    MvcResult r = call("/api", AGG);
    assertThat(r.getResponse().getHeader("Content-Type")).contains("v=v2;as=APIGroupDiscoveryList");
    JsonNode core = body(r).get("items").get(0);
    assertThat(core.get("metadata").has("name")).isFalse();
    JsonNode pods = find(core.get("versions").get(0).get("resources"),
        x -> x.get("resource").asString().equals("pods"));
    List<String> subs = new ArrayList<>();
    pods.get("subresources").forEach(s -> subs.add(s.get("subresource").asString()));
    assertThat(subs).contains("log", "exec", "portforward", "attach", "status", "eviction", "binding");
    JsonNode eviction = find(pods.get("subresources"), s -> s.get("subresource").asString().equals("eviction"));
    assertThat(eviction.get("responseKind").get("group").asString()).isEqualTo("policy");
    assertThat(eviction.get("responseKind").get("kind").asString()).isEqualTo("Eviction");
    assertThat(strings(eviction.get("verbs"))).containsExactly("create");
  }

  @Test
  void kubectl128GetsV2beta1() throws Exception {
    MvcResult r = call("/apis", AGG_128);
    assertThat(r.getResponse().getHeader("Content-Type"))
        .isEqualTo("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList");
    assertThat(body(r).get("apiVersion").asString()).isEqualTo("apidiscovery.k8s.io/v2beta1");
  }

  @Test
  void plainJsonGetsLegacyDocuments() throws Exception {
    MvcResult r = call("/apis", "application/json, */*");
    assertThat(r.getResponse().getHeader("Content-Type")).isEqualTo("application/json");
    JsonNode groups = body(r);
    assertThat(groups.get("kind").asString()).isEqualTo("APIGroupList");
    JsonNode apps = find(groups.get("groups"), g -> g.get("name").asString().equals("apps"));
    assertThat(apps.get("preferredVersion").get("groupVersion").asString()).isEqualTo("apps/v1");

    JsonNode api = body(call("/api", null));
    assertThat(api.get("kind").asString()).isEqualTo("APIVersions");
    assertThat(strings(api.get("versions"))).containsExactly("v1");
    assertThat(api.get("serverAddressByClientCIDRs").get(0).get("serverAddress").asString()).isEqualTo("localhost:80");
  }

  @Test
  void protobufFirstStillGetsJson() throws Exception {
    MvcResult r = call("/apis", "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;"
        + "as=APIGroupDiscoveryList," + AGG);
    assertThat(r.getResponse().getHeader("Content-Type")).contains("v=v2;as=APIGroupDiscoveryList");
  }

  @Test
  void legacyResourceListHasSubresourcesForDrainAndCanI() throws Exception {
    JsonNode list = body(call("/api/v1", "application/json"));
    assertThat(list.get("kind").asString()).isEqualTo("APIResourceList");
    assertThat(list.get("groupVersion").asString()).isEqualTo("v1");
    JsonNode pods = find(list.get("resources"), x -> x.get("name").asString().equals("pods"));
    assertThat(pods.get("namespaced").asBoolean()).isTrue();
    assertThat(pods.get("kind").asString()).isEqualTo("Pod");
    assertThat(pods.get("singularName").asString()).isEqualTo("pod");
    assertThat(strings(pods.get("shortNames"))).containsExactly("po");
    assertThat(pods.get("storageVersionHash").asString()).hasSize(12);
    JsonNode eviction = find(list.get("resources"), x -> x.get("name").asString().equals("pods/eviction"));
    assertThat(eviction.get("group").asString()).isEqualTo("policy");
    assertThat(eviction.get("version").asString()).isEqualTo("v1");
    assertThat(eviction.get("kind").asString()).isEqualTo("Eviction");
    assertThat(strings(eviction.get("verbs"))).containsExactly("create");
    JsonNode status = find(list.get("resources"), x -> x.get("name").asString().equals("pods/status"));
    assertThat(status.get("kind").asString()).isEqualTo("Pod");
    assertThat(status.has("group")).isFalse();

    JsonNode apps = body(call("/apis/apps/v1", "application/json"));
    JsonNode scale = find(apps.get("resources"), x -> x.get("name").asString().equals("deployments/scale"));
    assertThat(scale.get("group").asString()).isEqualTo("autoscaling");
    assertThat(scale.get("kind").asString()).isEqualTo("Scale");
  }

  @Test
  void unknownGroupIsNotFoundStatus() throws Exception {
    MvcResult r = call("/apis/example.keelson.io/v1", "application/json");
    assertThat(r.getResponse().getStatus()).isEqualTo(404);
    JsonNode s = body(r);
    assertThat(s.get("kind").asString()).isEqualTo("Status");
    assertThat(s.get("reason").asString()).isEqualTo("NotFound");
    // Groups the registry does not serve are absent from aggregated discovery too.
    JsonNode items = body(call("/apis", AGG)).get("items");
    List<String> names = new ArrayList<>();
    items.forEach(g -> names.add(g.get("metadata").get("name").asString()));
    assertThat(names).contains("apps", "coordination.k8s.io", "node.k8s.io", "scheduling.k8s.io", "events.k8s.io")
        .contains("metrics.k8s.io", "authorization.k8s.io", "authentication.k8s.io", "rbac.authorization.k8s.io")
        .doesNotContain("example.keelson.io");
  }

  private static JsonNode find(JsonNode array, java.util.function.Predicate<JsonNode> p) {
    for (JsonNode n : array) if (p.test(n)) return n;
    throw new AssertionError("not found in " + array);
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asString()));
    return out;
  }
}
