package io.keelson.apiserver.openapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The OpenAPI v3 documents, checked for what kubectl explain / apply / validation read from them. */
class OpenApiDocumentsTest {

  private static final String SCHEMAS = "#/components/schemas/";
  private final JsonMapper json = JsonMapper.builder().build();
  private final MockMvc mvc = MockMvcBuilders.standaloneSetup(new OpenApiController()).build();

  private JsonNode doc(String gv) {
    return OpenApiDocuments.get().tree(gv).orElseThrow();
  }

  private static JsonNode schema(JsonNode doc, String name) {
    JsonNode s = doc.get("components").get("schemas").get(name);
    assertThat(s).as(name).isNotNull();
    return s;
  }

  @Test
  void indexPointsAtEveryGroupVersionWithAHash() throws Exception {
    MvcResult r = mvc.perform(get("/openapi/v3")).andReturn();
    assertThat(r.getResponse().getStatus()).isEqualTo(200);
    JsonNode paths = json.readTree(r.getResponse().getContentAsByteArray()).get("paths");
    assertThat(paths.has("api/v1")).isTrue();
    String url = paths.get("apis/apps/v1").get("serverRelativeURL").asString();
    assertThat(url).startsWith("/openapi/v3/apis/apps/v1?hash=");
    String hash = url.substring(url.indexOf("hash=") + 5);
    assertThat(hash).isEqualTo(OpenApiDocuments.get().document("apis/apps/v1").orElseThrow().hash());

    MvcResult d = mvc.perform(get(url)).andReturn();
    assertThat(d.getResponse().getStatus()).isEqualTo(200);
    assertThat(d.getResponse().getHeader("Cache-Control")).contains("immutable");
    assertThat(json.readTree(d.getResponse().getContentAsByteArray()).get("openapi").asString()).isEqualTo("3.0.0");
  }

  @Test
  void conditionalGetIsNotModified() throws Exception {
    String etag = mvc.perform(get("/openapi/v3/apis/apps/v1")).andReturn().getResponse().getHeader("ETag");
    assertThat(etag).isNotBlank();
    MvcResult r = mvc.perform(get("/openapi/v3/apis/apps/v1").header("If-None-Match", etag)).andReturn();
    assertThat(r.getResponse().getStatus()).isEqualTo(304);
    assertThat(r.getResponse().getContentAsByteArray()).isEmpty();
  }

  @Test
  void hashChangesWithTheDocument() {
    var all = io.keelson.apiserver.resource.ResourceRegistry.all();
    var fewer = all.stream().filter(t -> !t.resource().equals("daemonsets")).toList();
    String h1 = new OpenApiDocuments(all).document("apis/apps/v1").orElseThrow().hash();
    String h2 = new OpenApiDocuments(fewer).document("apis/apps/v1").orElseThrow().hash();
    String h3 = new OpenApiDocuments(all).document("apis/apps/v1").orElseThrow().hash();
    assertThat(h1).isNotEqualTo(h2).isEqualTo(h3);
  }

  @Test
  void gzipWhenAccepted() throws Exception {
    MvcResult r = mvc.perform(get("/openapi/v3/api/v1").header("Accept-Encoding", "gzip")).andReturn();
    assertThat(r.getResponse().getHeader("Content-Encoding")).isEqualTo("gzip");
    byte[] plain = new GZIPInputStream(new ByteArrayInputStream(r.getResponse().getContentAsByteArray())).readAllBytes();
    assertThat(json.readTree(plain).get("components").get("schemas").has("io.k8s.api.core.v1.Pod")).isTrue();
  }

  @Test
  void openapiV2AndUnknownGroupsAre404Status() throws Exception {
    MvcResult r = mvc.perform(get("/openapi/v2")).andReturn();
    assertThat(r.getResponse().getStatus()).isEqualTo(404);
    assertThat(json.readTree(r.getResponse().getContentAsByteArray()).get("kind").asString()).isEqualTo("Status");
    assertThat(mvc.perform(get("/openapi/v3/apis/example.keelson.io/v1")).andReturn().getResponse().getStatus())
        .isEqualTo(404);
  }

  @Test
  void podDisruptionBudgetSchemaServesExplain() {
    JsonNode d = doc("apis/policy/v1");
    JsonNode gvk = schema(d, "io.k8s.api.policy.v1.PodDisruptionBudget").get("x-kubernetes-group-version-kind").get(0);
    assertThat(gvk.get("kind").asString()).isEqualTo("PodDisruptionBudget");
    JsonNode spec = schema(d, "io.k8s.api.policy.v1.PodDisruptionBudgetSpec").get("properties");
    assertThat(spec.get("minAvailable").get("description").asString()).contains("Mutually exclusive with maxUnavailable");
    assertThat(schema(d, "io.k8s.api.policy.v1.PodDisruptionBudgetStatus").get("properties").get("disruptedPods")
        .get("description").asString()).contains("two minutes");
  }

  @Test
  void deploymentSchemaServesExplain() {
    JsonNode d = doc("apis/apps/v1");
    JsonNode deployment = schema(d, "io.k8s.api.apps.v1.Deployment");
    JsonNode gvk = deployment.get("x-kubernetes-group-version-kind").get(0);
    assertThat(gvk.get("group").asString()).isEqualTo("apps");
    assertThat(gvk.get("version").asString()).isEqualTo("v1");
    assertThat(gvk.get("kind").asString()).isEqualTo("Deployment");
    assertThat(deployment.get("description").asString()).isNotBlank();
    JsonNode spec = deployment.get("properties").get("spec");
    assertThat(spec.get("allOf").get(0).get("$ref").asString()).isEqualTo(SCHEMAS + "io.k8s.api.apps.v1.DeploymentSpec");
    JsonNode replicas = schema(d, "io.k8s.api.apps.v1.DeploymentSpec").get("properties").get("replicas");
    assertThat(replicas.get("type").asString()).isEqualTo("integer");
    assertThat(replicas.get("format").asString()).isEqualTo("int32");
    assertThat(replicas.get("description").asString()).contains("How many pods");
    assertThat(schema(d, "io.k8s.api.apps.v1.DeploymentSpec").get("required").toString()).contains("selector");
    // meta types carry Kubernetes' names
    schema(d, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    schema(d, "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector");
    JsonNode created = schema(d, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta").get("properties")
        .get("creationTimestamp");
    assertThat(created.get("allOf").get(0).get("$ref").asString()).endsWith("meta.v1.Time");
    assertThat(schema(d, "io.k8s.apimachinery.pkg.apis.meta.v1.Time").get("format").asString()).isEqualTo("date-time");
    // Every field anywhere has a description (explain never prints <no description>).
    d.get("components").get("schemas").properties().forEach(e -> {
      JsonNode props = e.getValue().get("properties");
      if (props != null) props.properties().forEach(p ->
          assertThat(p.getValue().has("description")).as(e.getKey() + "." + p.getKey()).isTrue());
    });
  }

  @Test
  void quantitiesIntOrStringAndStrategicMergeKeys() {
    JsonNode d = doc("api/v1");
    JsonNode quantity = schema(d, "io.k8s.apimachinery.pkg.api.resource.Quantity");
    assertThat(quantity.get("oneOf").toString()).contains("\"string\"", "\"number\"");
    assertThat(quantity.has("properties")).isFalse(); // not fabric8's {amount, format}
    JsonNode ios = schema(d, "io.k8s.apimachinery.pkg.util.intstr.IntOrString");
    assertThat(ios.get("x-kubernetes-int-or-string").asBoolean()).isTrue();
    JsonNode podSpec = schema(d, "io.k8s.api.core.v1.PodSpec").get("properties");
    assertThat(podSpec.get("containers").get("x-kubernetes-patch-merge-key").asString()).isEqualTo("name");
    assertThat(podSpec.get("containers").get("x-kubernetes-patch-strategy").asString()).isEqualTo("merge");
    assertThat(podSpec.get("containers").get("x-kubernetes-list-type").asString()).isEqualTo("map");
    assertThat(podSpec.get("volumes").get("x-kubernetes-patch-strategy").asString()).isEqualTo("merge,retainKeys");
    assertThat(podSpec.get("containers").get("items").get("allOf").get(0).get("$ref").asString())
        .isEqualTo(SCHEMAS + "io.k8s.api.core.v1.Container");
    JsonNode container = schema(d, "io.k8s.api.core.v1.Container").get("properties");
    assertThat(container.get("ports").get("x-kubernetes-patch-merge-key").asString()).isEqualTo("containerPort");
    assertThat(container.get("env").get("x-kubernetes-patch-merge-key").asString()).isEqualTo("name");
    assertThat(container.get("volumeMounts").get("x-kubernetes-patch-merge-key").asString()).isEqualTo("mountPath");
    JsonNode limits = schema(d, "io.k8s.api.core.v1.ResourceRequirements").get("properties").get("limits");
    assertThat(limits.get("additionalProperties").get("allOf").get(0).get("$ref").asString())
        .endsWith("resource.Quantity");
    JsonNode targetPort = schema(d, "io.k8s.api.core.v1.ServicePort").get("properties").get("targetPort");
    assertThat(targetPort.get("allOf").get(0).get("$ref").asString()).endsWith("intstr.IntOrString");
  }

  @Test
  void everyPatchOperationAdvertisesFieldValidation() {
    for (String gv : List.of("api/v1", "apis/apps/v1", "apis/coordination.k8s.io/v1", "apis/node.k8s.io/v1",
        "apis/scheduling.k8s.io/v1", "apis/events.k8s.io/v1")) {
      JsonNode d = doc(gv);
      int patches = 0;
      for (var e : d.get("paths").properties()) {
        JsonNode patch = e.getValue().get("patch");
        if (patch == null) continue;
        patches++;
        assertThat(patch.get("x-kubernetes-group-version-kind").get("kind").asString()).as(e.getKey()).isNotBlank();
        List<String> names = new ArrayList<>();
        patch.get("parameters").forEach(p -> names.add(p.get("name").asString()));
        assertThat(names).as(e.getKey()).contains("fieldValidation", "fieldManager", "dryRun", "force");
      }
      assertThat(patches).as(gv).isPositive();
    }
    JsonNode apps = doc("apis/apps/v1").get("paths");
    JsonNode patch = apps.get("/apis/apps/v1/namespaces/{namespace}/deployments/{name}").get("patch");
    assertThat(patch.get("x-kubernetes-group-version-kind").get("kind").asString()).isEqualTo("Deployment");
    assertThat(patch.get("requestBody").get("content").has("application/strategic-merge-patch+json")).isTrue();
    JsonNode scale = apps.get("/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale").get("patch");
    assertThat(scale.get("x-kubernetes-group-version-kind").get("group").asString()).isEqualTo("autoscaling");
    // explain finds the kind through the collection path
    JsonNode list = apps.get("/apis/apps/v1/namespaces/{namespace}/deployments").get("get");
    assertThat(list.get("x-kubernetes-group-version-kind").get("kind").asString()).isEqualTo("Deployment");
    assertThat(doc("api/v1").get("paths").has("/api/v1/nodes/{name}")).isTrue();
  }

  @Test
  void everyReferenceResolves() {
    for (String gv : List.of("api/v1", "apis/apps/v1", "apis/events.k8s.io/v1")) {
      JsonNode d = doc(gv);
      List<String> refs = new ArrayList<>();
      collectRefs(d, refs);
      assertThat(refs).isNotEmpty();
      for (String ref : refs) {
        assertThat(d.get("components").get("schemas").has(ref.substring(SCHEMAS.length()))).as(gv + " " + ref).isTrue();
      }
    }
  }

  @Test
  void optionalGroupsGetDocumentsWithTheirOperations() {
    var docs = new OpenApiDocuments(io.keelson.apiserver.discovery.OptionalGroupsTest.withOptionalGroups());
    JsonNode metrics = docs.tree("apis/metrics.k8s.io/v1beta1").orElseThrow();
    assertThat(schema(metrics, "io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics")
        .get("x-kubernetes-group-version-kind").get(0).get("kind").asString()).isEqualTo("NodeMetrics");
    JsonNode nodes = metrics.get("paths").get("/apis/metrics.k8s.io/v1beta1/nodes");
    assertThat(nodes.has("get")).isTrue();
    assertThat(nodes.has("post")).isFalse();
    JsonNode authz = docs.tree("apis/authorization.k8s.io/v1").orElseThrow();
    JsonNode reviews = authz.get("paths").get("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews");
    assertThat(reviews.has("post")).isTrue();
    assertThat(reviews.has("get")).isFalse();
    assertThat(authz.get("paths").has("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews/{name}")).isFalse();
  }

  private static void collectRefs(JsonNode n, List<String> out) {
    if (n.isObject()) {
      n.properties().forEach(e -> {
        if (e.getKey().equals("$ref")) out.add(e.getValue().asString());
        else collectRefs(e.getValue(), out);
      });
    } else if (n.isArray()) {
      n.forEach(c -> collectRefs(c, out));
    }
  }
}
