package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Events expire after --event-ttl, as in Kubernetes: etcd deletes them when their lease runs out,
 * the api-server's watch cache drops them and watchers see DELETED; a ConfigMap written at the
 * same time stays. A real etcd and api-server started with {@code --event-ttl 3s}.
 */
class EventTtlIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static TestCluster c;

  @BeforeAll
  static void up() throws Exception {
    c = TestCluster.start("event-ttl", 1, List.of("--event-ttl", "3s"));
  }

  @AfterAll
  static void down() throws Exception {
    if (c != null) c.close();
  }

  private static HttpResponse<String> send(String method, String path, String body) throws Exception {
    return c.send(method, path, TestCluster.doubleQuoted(body));
  }

  private static JsonNode created(String path, String body) throws Exception {
    HttpResponse<String> r = send("POST", path, body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body());
  }

  @Test
  void eventsAreDeletedAfterTheirTtlAndWatchersSeeIt() throws Exception {
    JsonNode core = created("/api/v1/namespaces/default/events", "{'apiVersion':'v1','kind':'Event','metadata':{'name':'ttl.1'},"
        + "'involvedObject':{'kind':'Pod','name':'p','namespace':'default'},'reason':'Started','message':'m','type':'Normal'}");
    created("/apis/events.k8s.io/v1/namespaces/default/events", "{'apiVersion':'events.k8s.io/v1','kind':'Event',"
        + "'metadata':{'name':'ttl.2'},'regarding':{'kind':'Pod','name':'p','namespace':'default'},'reason':'Scheduled',"
        + "'note':'n','type':'Normal','action':'Binding','eventTime':'2026-11-28T04:00:00.000000Z',"
        + "'reportingController':'default-scheduler','reportingInstance':'s-1'}");
    created("/api/v1/namespaces/default/configmaps", "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'stays'}}");
    // etcd holds the events on a lease (the only way it deletes them by itself), not the ConfigMap
    assertThat(c.etcdctl("get", "/registry/core/events/default/ttl.1", "-w", "json")).contains("\"lease\":");
    assertThat(c.etcdctl("get", "/registry/core/configmaps/default/stays", "-w", "json")).doesNotContain("\"lease\":");

    // a watch from before the expiry
    String rv = core.path("metadata").path("resourceVersion").asString();
    WatchLog watch = c.watch("/api/v1/namespaces/default/events?watch=1&resourceVersion=" + rv + "&timeoutSeconds=30",
        ev -> ev.path("type").asString() + " " + ev.path("object").path("metadata").path("name").asString());

    long start = System.nanoTime();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() ->
        JSON.readTree(send("GET", "/api/v1/namespaces/default/events", null).body()).path("items").isEmpty());
    double seconds = (System.nanoTime() - start) / 1e9;
    assertThat(seconds).as("deleted after the TTL, not before").isGreaterThan(1.5);
    assertThat(send("GET", "/apis/events.k8s.io/v1/namespaces/default/events/ttl.2", null).statusCode()).isEqualTo(404);
    assertThat(c.keys("/registry/core/events/")).isEmpty();
    assertThat(send("GET", "/api/v1/namespaces/default/configmaps/stays", null).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> watch.sawAll("DELETED ttl.1", "DELETED ttl.2"));
    watch.close();
  }
}
