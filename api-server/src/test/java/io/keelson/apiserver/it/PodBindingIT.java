package io.keelson.apiserver.it;

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
 * A scheduler's binding over HTTPS against a real etcd + api-server, as clients see it: 201 with a
 * Success Status, the pod bound (nodeName, PodScheduled) with its managedFields as they were, the
 * change delivered to a watch, and kube's 409 / 404 for a second binding or a missing pod.
 */
class PodBindingIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String PODS = "/api/v1/namespaces/bind/pods";
  private static TestCluster c;

  @BeforeAll
  static void up() throws Exception {
    c = TestCluster.start("binding", 1);
    assertThat(post("/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"bind\"}}")
        .statusCode()).isEqualTo(201);
  }

  @AfterAll
  static void down() throws Exception {
    if (c != null) c.close();
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return c.send("POST", path, body);
  }

  private static JsonNode get(String path) throws Exception {
    HttpResponse<String> r = c.send(c.request(c.api(), path).GET().build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private static String binding(String pod, String uid, String node) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"" + pod + "\""
        + (uid == null ? "" : ",\"uid\":\"" + uid + "\"") + "},\"target\":{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\"" + node + "\"}}";
  }

  @Test
  void aBindingAssignsThePodOnceAndWatchersSeeIt() throws Exception {
    HttpResponse<String> created = post(PODS, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\"},"
        + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode pod = JSON.readTree(created.body());
    String rv = pod.path("metadata").path("resourceVersion").asString();
    JsonNode managedFields = pod.path("metadata").path("managedFields");

    List<JsonNode> events = new CopyOnWriteArrayList<>();
    var watch = c.client().sendAsync(c.request(c.api(), PODS + "?watch=1&resourceVersion=" + rv).timeout(Duration.ofSeconds(60)).GET().build(),
        HttpResponse.BodyHandlers.ofLines());
    watch.thenAccept(r -> {
      try (Stream<String> lines = r.body()) {
        lines.forEach(l -> events.add(JSON.readTree(l)));
      } catch (RuntimeException e) {
        // the stream ends when the test closes the cluster
      }
    });

    HttpResponse<String> bound = post(PODS + "/web/binding", binding("web", pod.path("metadata").path("uid").asString(), "node-1"));
    assertThat(bound.statusCode()).as(bound.body()).isEqualTo(201);
    assertThat(JSON.readTree(bound.body()).path("kind").asString()).isEqualTo("Status");
    assertThat(JSON.readTree(bound.body()).path("status").asString()).isEqualTo("Success");

    JsonNode now = get(PODS + "/web");
    assertThat(now.path("spec").path("nodeName").asString()).isEqualTo("node-1");
    JsonNode scheduled = null;
    for (JsonNode cond : now.path("status").path("conditions")) if ("PodScheduled".equals(cond.path("type").asString())) scheduled = cond;
    assertThat(scheduled).isNotNull();
    assertThat(scheduled.path("status").asString()).isEqualTo("True");
    assertThat(now.path("metadata").path("managedFields")).isEqualTo(managedFields);
    assertThat(now.path("metadata").path("resourceVersion").asString()).isNotEqualTo(rv);

    // the watch delivers exactly the object a GET returns
    await().atMost(Duration.ofSeconds(30)).until(() -> !events.isEmpty());
    JsonNode ev = events.get(0);
    assertThat(ev.path("type").asString()).isEqualTo("MODIFIED");
    assertThat(ev.path("object")).isEqualTo(now);

    HttpResponse<String> again = post(PODS + "/web/binding", binding("web", null, "node-2"));
    assertThat(again.statusCode()).as(again.body()).isEqualTo(409);
    JsonNode status = JSON.readTree(again.body());
    assertThat(status.path("reason").asString()).isEqualTo("Conflict");
    assertThat(status.path("message").asString())
        .isEqualTo("Operation cannot be fulfilled on pods/binding \"web\": pod web is already assigned to node \"node-1\"");
    assertThat(get(PODS + "/web").path("spec").path("nodeName").asString()).isEqualTo("node-1");

    HttpResponse<String> missing = post(PODS + "/nobody/binding", binding("nobody", null, "node-1"));
    assertThat(missing.statusCode()).as(missing.body()).isEqualTo(404);
  }
}
