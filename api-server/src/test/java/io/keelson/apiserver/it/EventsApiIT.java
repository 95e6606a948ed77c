package io.keelson.apiserver.it;

import static io.keelson.apiserver.it.TestCluster.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * core/v1 and events.k8s.io/v1 Events are one set of objects, as in Kubernetes: what a kubelet
 * writes through one API is read, selected, watched, updated and deleted through the other, over
 * HTTPS against a real etcd and api-server, and etcd holds each event once, in the core/v1 shape.
 */
class EventsApiIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String CORE = "/api/v1/namespaces/default/events";
  private static final String V1 = "/apis/events.k8s.io/v1/namespaces/default/events";
  private static TestCluster c;

  @BeforeAll
  static void up() throws Exception {
    c = TestCluster.start("events", 1);
  }

  @AfterAll
  static void down() throws Exception {
    if (c != null) c.close();
  }

  private static HttpResponse<String> send(String method, String path, String body, String contentType) throws Exception {
    return c.send(c.api(), method, path, TestCluster.doubleQuoted(body), contentType);
  }

  private static JsonNode get(String path) throws Exception {
    return ok(send("GET", path, null, "application/json"), 200);
  }

  private static String coreEvent(String name, String pod) {
    return "{'apiVersion':'v1','kind':'Event','metadata':{'name':'" + name + "'},'involvedObject':{'kind':'Pod','name':'" + pod
        + "','namespace':'default'},'reason':'Started','message':'Started container " + pod + "','type':'Normal',"
        + "'source':{'component':'kubelet'},'count':1,'firstTimestamp':'2026-11-27T19:00:00Z','lastTimestamp':'2026-11-27T19:00:00Z'}";
  }

  private static String v1Event(String name, String pod) {
    return "{'apiVersion':'events.k8s.io/v1','kind':'Event','metadata':{'name':'" + name + "'},'regarding':{'kind':'Pod','name':'"
        + pod + "','namespace':'default'},'reason':'Scheduled','note':'Successfully assigned default/" + pod + " to node-1',"
        + "'type':'Normal','action':'Binding','eventTime':'2026-11-27T19:00:01.000000Z','reportingController':'default-scheduler',"
        + "'reportingInstance':'default-scheduler-1'}";
  }

  @Test
  void oneStorageTwoShapes() throws Exception {
    JsonNode core = ok(send("POST", CORE, coreEvent("a.1", "a"), "application/json"), 201);
    JsonNode asV1 = get(V1 + "/a.1");
    assertThat(asV1.path("apiVersion").asString()).isEqualTo("events.k8s.io/v1");
    assertThat(asV1.path("note").asString()).isEqualTo("Started container a");
    assertThat(asV1.path("regarding").path("name").asString()).isEqualTo("a");
    assertThat(asV1.path("deprecatedSource").path("component").asString()).isEqualTo("kubelet");
    for (String f : List.of("uid", "resourceVersion", "creationTimestamp")) {
      assertThat(asV1.path("metadata").path(f)).isEqualTo(core.path("metadata").path(f));
    }
    // the writer's managedFields entry names the fields as this API does
    assertThat(asV1.path("metadata").path("managedFields").get(0).path("fieldsV1").has("f:note")).isTrue();

    JsonNode created = ok(send("POST", V1, v1Event("a.2", "a"), "application/json"), 201);
    assertThat(created.path("note").asString()).isEqualTo("Successfully assigned default/a to node-1");
    JsonNode asCore = get(CORE + "/a.2");
    assertThat(asCore.path("message").asString()).isEqualTo("Successfully assigned default/a to node-1");
    assertThat(asCore.path("involvedObject").path("name").asString()).isEqualTo("a");
    assertThat(asCore.path("reportingComponent").asString()).isEqualTo("default-scheduler");
    assertThat(asCore.path("metadata").path("resourceVersion")).isEqualTo(created.path("metadata").path("resourceVersion"));

    // each event is stored once, as a core/v1 Event
    assertThat(c.keys("/registry/core/events/default/a.")).containsExactlyInAnyOrder(
        "/registry/core/events/default/a.1", "/registry/core/events/default/a.2");
    assertThat(c.keys("/registry/events.k8s.io/")).isEmpty();

    // both lists, with each API's own field selector labels
    assertThat(names(get(V1 + "?fieldSelector=regarding.name%3Da,reportingController%3Ddefault-scheduler"))).containsExactly("a.2");
    assertThat(names(get(CORE + "?fieldSelector=involvedObject.name%3Da,reason%3DStarted"))).containsExactly("a.1");
    assertThat(names(get(V1 + "?fieldSelector=regarding.name%3Da"))).containsExactly("a.1", "a.2");
    JsonNode list = get(V1 + "?limit=1");
    assertThat(list.path("kind").asString()).isEqualTo("EventList");
    assertThat(list.path("items").get(0).path("regarding").isObject()).isTrue();
    assertThat(list.path("metadata").path("continue").asString()).isNotEmpty();

    // a merge patch in the events.k8s.io shape changes the core fields
    JsonNode patched = ok(send("PATCH", V1 + "/a.1", "{'note':'patched','deprecatedCount':3}", "application/merge-patch+json"), 200);
    assertThat(patched.path("note").asString()).isEqualTo("patched");
    assertThat(get(CORE + "/a.1").path("message").asString()).isEqualTo("patched");
    assertThat(get(CORE + "/a.1").path("count").asInt()).isEqualTo(3);

    // a stale PUT through the view is the view's Conflict
    String stale = v1Event("a.2", "a").replace("'metadata':{'name':'a.2'}",
        "'metadata':{'name':'a.2','resourceVersion':'" + asV1.path("metadata").path("resourceVersion").asString() + "'}");
    JsonNode conflict = ok(send("PUT", V1 + "/a.2", stale, "application/json"), 409);
    assertThat(conflict.path("message").asString()).startsWith("Operation cannot be fulfilled on events.events.k8s.io \"a.2\"");

    ok(send("DELETE", V1 + "/a.1", null, "application/json"), 200);
    JsonNode gone = ok(send("GET", CORE + "/a.1", null, "application/json"), 404);
    assertThat(gone.path("message").asString()).isEqualTo("events \"a.1\" not found");
    JsonNode goneV1 = ok(send("GET", V1 + "/a.1", null, "application/json"), 404);
    assertThat(goneV1.path("message").asString()).isEqualTo("events.events.k8s.io \"a.1\" not found");
    assertThat(goneV1.path("details").path("group").asString()).isEqualTo("events.k8s.io");
  }

  @Test
  void aWatchOfEventsV1SeesCoreWritesInItsShape() throws Exception {
    String rv = get(V1).path("metadata").path("resourceVersion").asString();
    List<JsonNode> events = new CopyOnWriteArrayList<>();
    c.client().sendAsync(c.request(c.api(), V1 + "?watch=1&resourceVersion=" + rv + "&fieldSelector=regarding.name%3Dw")
        .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofLines()).thenAccept(r -> {
          try (Stream<String> lines = r.body()) {
            lines.forEach(l -> events.add(JSON.readTree(l)));
          } catch (RuntimeException e) {
            // the stream ends when the cluster closes
          }
        });
    ok(send("POST", CORE, coreEvent("other.1", "other"), "application/json"), 201);
    ok(send("POST", CORE, coreEvent("w.1", "w"), "application/json"), 201);
    ok(send("DELETE", CORE + "/w.1", null, "application/json"), 200);
    await().atMost(Duration.ofSeconds(30)).until(() -> events.size() >= 2);
    assertThat(events).extracting(e -> e.path("type").asString()).containsExactly("ADDED", "DELETED");
    JsonNode added = events.get(0).path("object");
    assertThat(added.path("apiVersion").asString()).isEqualTo("events.k8s.io/v1");
    assertThat(added.path("note").asString()).isEqualTo("Started container w");
    assertThat(added.has("message")).isFalse();
  }

  @Test
  void eventsV1CreatesAreValidatedAndNothingIsWrittenWhenRejected() throws Exception {
    String incomplete = "{'apiVersion':'events.k8s.io/v1','kind':'Event','metadata':{'name':'bad.1'},'regarding':{'kind':'Pod','name':'bad'},"
        + "'reason':'Scheduled','type':'Info'}";
    JsonNode status = ok(send("POST", V1, incomplete, "application/json"), 422);
    assertThat(status.path("reason").asString()).isEqualTo("Invalid");
    assertThat(status.path("message").asString()).startsWith("Event.events.k8s.io \"bad.1\" is invalid: ")
        .contains("eventTime: Required value", "type: Unsupported value: \"Info\"");
    JsonNode unknown = ok(send("POST", V1 + "?fieldValidation=Strict", v1Event("bad.2", "bad").replace("'note'", "'message'"),
        "application/json"), 400);
    assertThat(unknown.path("message").asString()).contains("unknown field \"message\"");
    assertThat(c.keys("/registry/core/events/default/bad.")).isEmpty();
  }

  @Test
  void serverSideApplyThroughEitherApiOwnsTheSameFields() throws Exception {
    String applied = v1Event("s.1", "s").replace("'metadata':{'name':'s.1'}", "'metadata':{'name':'s.1','namespace':'default'}");
    ok(send("PATCH", V1 + "/s.1?fieldManager=ci", applied, "application/apply-patch+yaml"), 201);
    JsonNode again = ok(send("PATCH", V1 + "/s.1?fieldManager=ci", applied.replace("to node-1", "to node-2"),
        "application/apply-patch+yaml"), 200);
    assertThat(again.path("note").asString()).isEqualTo("Successfully assigned default/s to node-2");
    JsonNode entries = again.path("metadata").path("managedFields");
    assertThat(entries).as(entries.toString()).hasSize(1);
    assertThat(entries.get(0).path("operation").asString()).isEqualTo("Apply");
    assertThat(entries.get(0).path("apiVersion").asString()).isEqualTo("events.k8s.io/v1");
    assertThat(entries.get(0).path("fieldsV1").has("f:note")).isTrue();
    // read through core/v1 the same entry names core's field
    JsonNode core = get(CORE + "/s.1").path("metadata").path("managedFields");
    assertThat(core.get(0).path("fieldsV1").has("f:message")).isTrue();
    // another manager applying the note through core/v1 conflicts with ci's ownership
    String coreApplied = "{'apiVersion':'v1','kind':'Event','metadata':{'name':'s.1','namespace':'default'},'message':'mine'}";
    JsonNode conflict = ok(send("PATCH", CORE + "/s.1?fieldManager=other", coreApplied, "application/apply-patch+yaml"), 409);
    assertThat(conflict.path("message").asString()).contains("conflict").contains("ci");
  }

  private static List<String> names(JsonNode list) {
    List<String> out = new java.util.ArrayList<>();
    for (JsonNode i : list.path("items")) out.add(i.path("metadata").path("name").asString());
    return out;
  }
}
