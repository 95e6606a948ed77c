package io.keelson.apiserver.it;

import static io.keelson.apiserver.it.TestCluster.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keelson.apiserver.it.TestCluster.ApiServer;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * CustomResourceDefinitions on two api-servers sharing one etcd: a definition created through A
 * is served at once by both (discovery, CRUD, watch, both versions), its schema validates, prunes
 * and defaults the objects, its status and scale subresources and printer columns work, and
 * deleting it deletes its objects first and then takes the resource out of discovery.
 */
class CustomResourcesIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
  private static final String WIDGETS = "/apis/example.com/v1/namespaces/default/widgets";
  private static TestCluster c;
  private static ApiServer a;
  private static ApiServer b;

  @BeforeAll
  static void up() throws Exception {
    c = TestCluster.start("custom-resources", 2);
    a = c.server(0);
    b = c.server(1);
  }

  @AfterAll
  static void down() throws Exception {
    if (c != null) c.close();
  }

  static String definition(String name, String group, String plural, String storage2) {
    return """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
         "metadata":{"name":"%s"},
         "spec":{"group":"%s","scope":"Namespaced",
          "names":{"plural":"%s","singular":"widget","kind":"Widget","shortNames":["wd"],"categories":["all"]},
          "versions":[
           {"name":"v1","served":true,"storage":true,
            "schema":{"openAPIV3Schema":{"type":"object","properties":{
              "spec":{"type":"object","required":["color"],"properties":{
                "replicas":{"type":"integer","minimum":0,"maximum":10},
                "color":{"type":"string","enum":["red","blue"]},
                "size":{"type":"string","default":"m"},
                "selector":{"type":"string"}}},
              "status":{"type":"object","properties":{"replicas":{"type":"integer"},"ready":{"type":"boolean"}}}}}},
            "subresources":{"status":{},"scale":{"specReplicasPath":".spec.replicas","statusReplicasPath":".status.replicas",
              "labelSelectorPath":".spec.selector"}},
            "additionalPrinterColumns":[{"name":"Replicas","type":"integer","jsonPath":".spec.replicas"},
              {"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}]},
           {"name":"v1beta1","served":true,"storage":%s,
            "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}
        """.formatted(name, group, plural, storage2);
  }

  private static String widget(String name, String spec) {
    return "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"" + name
        + "\",\"labels\":{\"app\":\"" + name + "\"}},\"spec\":" + spec + "}";
  }

  @Test
  void definedThroughOneServerServedByBothUntilDeleted() throws Exception {
    JsonNode crd = ok(c.send(a, "POST", CRDS, definition("widgets.example.com", "example.com", "widgets", "false")), 201);
    assertThat(crd.path("metadata").path("finalizers").toString()).contains("customresourcecleanup.apiextensions.k8s.io");
    assertThat(crd.path("status").path("storedVersions").toString()).isEqualTo("[\"v1\"]");
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      JsonNode status = ok(c.send(b, "GET", CRDS + "/widgets.example.com", null), 200).path("status");
      assertThat(status.path("acceptedNames").path("kind").asString()).isEqualTo("Widget");
      assertThat(status.path("conditions").toString()).contains("\"type\":\"NamesAccepted\"")
          .contains("\"status\":\"True\",\"reason\":\"InitialNamesAccepted\"");
    });

    // B serves it at once: discovery, both versions
    JsonNode resources = ok(c.send(b, "GET", "/apis/example.com/v1", null), 200);
    assertThat(resources.toString()).contains("\"name\":\"widgets\"").contains("\"wd\"").contains("\"widgets/status\"")
        .contains("\"widgets/scale\"");
    assertThat(ok(c.send(b, "GET", "/apis", null), 200).toString()).contains("example.com/v1beta1");

    JsonNode empty = ok(c.send(b, "GET", WIDGETS, null), 200);
    assertThat(empty.path("kind").asString()).isEqualTo("WidgetList");
    List<String> events = new CopyOnWriteArrayList<>();
    CompletableFuture<HttpResponse<Stream<String>>> watch = c.client().sendAsync(
        c.request(b, WIDGETS + "?watch=true&resourceVersion=" + empty.path("metadata").path("resourceVersion").asString()
            + "&timeoutSeconds=120").timeout(Duration.ofSeconds(150)).GET().build(), HttpResponse.BodyHandlers.ofLines());
    HttpResponse<Stream<String>> w = watch.get();
    assertThat(w.statusCode()).isEqualTo(200);
    Thread reader = Thread.ofVirtual().start(() -> w.body().forEach(l -> {
      JsonNode ev = JSON.readTree(l);
      events.add(ev.path("type").asString() + " " + ev.path("object").path("metadata").path("name").asString());
    }));
    try {
      // create: defaulted, unknown fields pruned with a warning
      HttpResponse<String> created = c.send(a, "POST", WIDGETS, widget("w1", "{\"color\":\"red\",\"replicas\":1,\"extra\":true}"));
      JsonNode w1 = ok(created, 201);
      assertThat(w1.path("spec").path("size").asString()).isEqualTo("m");
      assertThat(w1.path("spec").has("extra")).isFalse();
      assertThat(created.headers().allValues("Warning").toString()).contains("unknown field \\\"spec.extra\\\"");
      assertThat(w1.path("metadata").path("generation").asInt()).isEqualTo(1);
      ok(c.send(a, "POST", WIDGETS, widget("w2", "{\"color\":\"blue\"}")), 201);

      // the other version, through B: same object, its own apiVersion
      JsonNode beta = ok(c.send(b, "GET", "/apis/example.com/v1beta1/namespaces/default/widgets/w1", null), 200);
      assertThat(beta.path("apiVersion").asString()).isEqualTo("example.com/v1beta1");
      assertThat(beta.path("metadata").path("uid").asString()).isEqualTo(w1.path("metadata").path("uid").asString());

      // selectors
      assertThat(ok(c.send(b, "GET", WIDGETS + "?labelSelector=app%3Dw2", null), 200).path("items").size()).isEqualTo(1);
      assertThat(ok(c.send(b, "GET", "/apis/example.com/v1/widgets?fieldSelector=metadata.name%3Dw1", null), 200)
          .path("items").get(0).path("metadata").path("name").asString()).isEqualTo("w1");

      // patches: merge and JSON patch work, strategic merge is 415 (kubectl falls back to merge)
      JsonNode patched = ok(c.send(a, "PATCH", WIDGETS + "/w1", "{\"spec\":{\"replicas\":3}}", "application/merge-patch+json"), 200);
      assertThat(patched.path("spec").path("replicas").asInt()).isEqualTo(3);
      assertThat(patched.path("metadata").path("generation").asInt()).isEqualTo(2);
      ok(c.send(a, "PATCH", WIDGETS + "/w1", "[{\"op\":\"replace\",\"path\":\"/spec/color\",\"value\":\"blue\"}]",
          "application/json-patch+json"), 200);
      assertThat(c.send(a, "PATCH", WIDGETS + "/w1", "{\"spec\":{\"replicas\":2}}", "application/strategic-merge-patch+json")
          .statusCode()).isEqualTo(415);
      JsonNode applied = ok(c.send(a, "PATCH", WIDGETS + "/w1?fieldManager=test&force=true",
          "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w1\"},\"spec\":{\"replicas\":4}}",
          "application/apply-patch+yaml"), 200);
      assertThat(applied.path("spec").path("replicas").asInt()).isEqualTo(4);
      assertThat(applied.path("spec").path("color").asString()).isEqualTo("blue");

      // status: only through its subresource, and without bumping the generation
      JsonNode withStatus = ok(c.send(a, "PATCH", WIDGETS + "/w1/status", "{\"status\":{\"replicas\":4},\"spec\":{\"replicas\":9}}",
          "application/merge-patch+json"), 200);
      assertThat(withStatus.path("status").path("replicas").asInt()).isEqualTo(4);
      assertThat(withStatus.path("spec").path("replicas").asInt()).isEqualTo(4);
      assertThat(withStatus.path("metadata").path("generation").asInt()).isEqualTo(applied.path("metadata").path("generation").asInt());
      JsonNode ignored = ok(c.send(a, "PATCH", WIDGETS + "/w1", "{\"status\":{\"replicas\":0}}", "application/merge-patch+json"), 200);
      assertThat(ignored.path("status").path("replicas").asInt()).isEqualTo(4);

      // scale
      JsonNode scale = ok(c.send(b, "GET", WIDGETS + "/w1/scale", null), 200);
      assertThat(scale.path("kind").asString()).isEqualTo("Scale");
      assertThat(scale.path("spec").path("replicas").asInt()).isEqualTo(4);
      assertThat(scale.path("status").path("replicas").asInt()).isEqualTo(4);
      ok(c.send(b, "PATCH", WIDGETS + "/w1/scale", "{\"spec\":{\"replicas\":6}}", "application/merge-patch+json"), 200);
      assertThat(ok(c.send(a, "GET", WIDGETS + "/w1", null), 200).path("spec").path("replicas").asInt()).isEqualTo(6);

      // the printer columns
      JsonNode table = JSON.readTree(c.send(c.request(b, WIDGETS).header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
          .GET().build()).body());
      assertThat(table.path("columnDefinitions").valueStream().map(d -> d.path("name").asString()))
          .containsExactly("Name", "Replicas", "Age");
      assertThat(table.path("rows").get(0).path("cells").get(1).asInt()).isEqualTo(6);

      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(events).contains("ADDED w1", "ADDED w2", "MODIFIED w1"));

      // delete the definition: objects first, then the definition, then the resource leaves discovery
      // kept by its cleanup finalizer until the objects are gone (this server answers 202 for such deletes)
      assertThat(c.send(a, "DELETE", CRDS + "/widgets.example.com", null).statusCode()).isIn(200, 202);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertThat(c.send(b, "GET", CRDS + "/widgets.example.com", null).statusCode()).isEqualTo(404);
        assertThat(c.send(b, "GET", "/apis/example.com/v1", null).statusCode()).isEqualTo(404);
        assertThat(c.send(a, "GET", WIDGETS, null).statusCode()).isEqualTo(404);
      });
      assertThat(c.keys("/registry/example.com/widgets/")).isEmpty();
      assertThat(events).contains("DELETED w1", "DELETED w2");
    } finally {
      w.body().close();
      reader.interrupt();
    }
  }

  @Test
  void objectsAreValidatedAgainstTheSchema() throws Exception {
    ok(c.send(a, "POST", CRDS, definition("gadgets.example.org", "example.org", "gadgets", "false")
        .replace("\"Widget\"", "\"Gadget\"").replace("\"widget\"", "\"gadget\"").replace("[\"wd\"]", "[\"gd\"]")), 201);
    String gadgets = "/apis/example.org/v1/namespaces/default/gadgets";
    String bad = "{\"apiVersion\":\"example.org/v1\",\"kind\":\"Gadget\",\"metadata\":{\"name\":\"bad\"},"
        + "\"spec\":{\"replicas\":\"three\",\"color\":\"green\"}}";
    JsonNode invalid = ok(c.send(b, "POST", gadgets, bad), 422);
    assertThat(invalid.path("message").asString())
        .startsWith("Gadget.example.org \"bad\" is invalid: ")
        .contains("spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"")
        .contains("spec.color: Unsupported value: \"green\": supported values: \"red\", \"blue\"");
    JsonNode tooMany = ok(c.send(b, "POST", gadgets, bad.replace("\"three\"", "11").replace("green", "red")), 422);
    assertThat(tooMany.path("message").asString())
        .contains("spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10");
    JsonNode missing = ok(c.send(b, "POST", gadgets, bad.replace(",\"color\":\"green\"", "").replace("\"three\"", "1")), 422);
    assertThat(missing.path("message").asString()).contains("spec.color: Required value");
    JsonNode strict = ok(c.send(b, "POST", gadgets + "?fieldValidation=Strict",
        bad.replace("\"three\"", "1").replace("green", "red").replace("\"color\"", "\"foo\":1,\"color\"")), 400);
    assertThat(strict.path("message").asString()).contains("unknown field \"spec.foo\"");
    // a restarted api-server serves what the definitions in etcd ask for from its start
    ok(c.send(a, "POST", gadgets, bad.replace("\"three\"", "1").replace("green", "red")), 201);
    b.restart();
    assertThat(ok(c.send(b, "GET", gadgets + "/bad", null), 200).path("spec").path("size").asString()).isEqualTo("m");
    assertThat(c.send(a, "DELETE", CRDS + "/gadgets.example.org", null).statusCode()).isIn(200, 202);
  }

  @Test
  void brokenDefinitionsAreRejectedWithKubesMessages() throws Exception {
    JsonNode misnamed = ok(c.send(a, "POST", CRDS, definition("things.example.com", "example.com", "widgets", "false")), 422);
    assertThat(misnamed.path("message").asString())
        .contains("metadata.name: Invalid value: \"things.example.com\": must be spec.names.plural+\".\"+spec.group");
    JsonNode twoStorages = ok(c.send(a, "POST", CRDS, definition("widgets.example.net", "example.net", "widgets", "true")), 422);
    assertThat(twoStorages.path("message").asString()).contains("must have exactly one version marked as storage version");
    JsonNode noDot = ok(c.send(a, "POST", CRDS, definition("widgets.example", "example", "widgets", "false")), 422);
    assertThat(noDot.path("message").asString()).contains("spec.group: Invalid value: \"example\": should be a domain with at least one dot");
    JsonNode noSchema = ok(c.send(a, "POST", CRDS, definition("widgets.example.io", "example.io", "widgets", "false")
        .replace("\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}}", "\"schema\":null")), 422);
    assertThat(noSchema.path("message").asString()).contains("spec.versions[1].schema.openAPIV3Schema: Required value: schemas are required");
  }

  @Test
  void aDefinitionWhoseNamesAreTakenIsNotServedUntilTheyAreFree() throws Exception {
    ok(c.send(a, "POST", CRDS, definition("widgets.example.dev", "example.dev", "widgets", "false")), 201);
    // another definition of the group wants the short name "wd"
    ok(c.send(a, "POST", CRDS, definition("sprockets.example.dev", "example.dev", "sprockets", "false")
        .replace("\"Widget\"", "\"Sprocket\"").replace("\"widget\"", "\"sprocket\"")), 201);
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      JsonNode conditions = ok(c.send(b, "GET", CRDS + "/sprockets.example.dev", null), 200).path("status").path("conditions");
      assertThat(conditions.toString()).contains("\"status\":\"False\",\"reason\":\"NameConflict\"").contains("\"wd\\\" is already in use")
          .contains("not all names are accepted");
    });
    String served = ok(c.send(b, "GET", "/apis/example.dev/v1", null), 200).toString();
    assertThat(served).contains("\"widgets\"").doesNotContain("sprockets");

    assertThat(c.send(a, "DELETE", CRDS + "/widgets.example.dev", null).statusCode()).isIn(200, 202);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(ok(c.send(b, "GET", "/apis/example.dev/v1", null), 200).toString()).contains("\"sprockets\"");
      assertThat(ok(c.send(b, "GET", CRDS + "/sprockets.example.dev", null), 200).path("status").path("conditions").toString())
          .contains("the initial names have been accepted");
    });
    assertThat(c.send(a, "DELETE", CRDS + "/sprockets.example.dev", null).statusCode()).isIn(200, 202);
  }

  @Test
  void aBuiltInResourceKeepsItsNames() throws Exception {
    JsonNode taken = ok(c.send(a, "POST", CRDS, definition("roles.rbac.authorization.k8s.io", "rbac.authorization.k8s.io", "roles", "false")
        .replace("\"metadata\":{\"name\":\"roles.rbac.authorization.k8s.io\"}",
            "\"metadata\":{\"name\":\"roles.rbac.authorization.k8s.io\",\"annotations\":{\"api-approved.kubernetes.io\":\"yes\"}}")), 422);
    assertThat(taken.path("message").asString()).contains("spec.names.plural: Invalid value: \"roles\": \"roles\" is already in use");
    JsonNode unapproved = ok(c.send(a, "POST", CRDS, definition("widgets.demo.k8s.io", "demo.k8s.io", "widgets", "false")), 422);
    assertThat(unapproved.path("message").asString()).contains("protected groups must have approval annotation");
  }
}
