package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * pods/eviction against a real etcd + api-server, as kubectl drain sees it: a PodDisruptionBudget
 * with no disruption left answers 429 with kube's message and a DisruptionBudget cause, a budget the
 * controller has not yet processed answers 429 too, a budget with room is decremented (and records
 * the pod) before the pod goes, two budgets over one pod are kube's 500, pods not running bypass.
 */
class PodEvictionIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String NS = "/api/v1/namespaces/evict";
  private static final String PDBS = "/apis/policy/v1/namespaces/evict/poddisruptionbudgets";
  private static TestCluster c;

  @BeforeAll
  static void up() throws Exception {
    c = TestCluster.start("eviction", 1);
    assertThat(post("/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"evict\"}}")
        .statusCode()).isEqualTo(201);
  }

  @AfterAll
  static void down() throws Exception {
    if (c != null) c.close();
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return c.send("POST", path, body);
  }

  private static void patchStatus(String path, String status) throws Exception {
    HttpResponse<String> r = c.send(c.api(), "PATCH", path + "/status", "{\"status\":" + status + "}", "application/merge-patch+json");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return c.send(c.request(c.api(), path).GET().build());
  }

  /** A pod with label app={@code app}, Running and Ready unless {@code phase} says otherwise. */
  private static void pod(String name, String app, String phase) throws Exception {
    HttpResponse<String> r = post(NS + "/pods", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name
        + "\",\"labels\":{\"app\":\"" + app + "\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    patchStatus(NS + "/pods/" + name, "{\"phase\":\"" + phase + "\",\"conditions\":[{\"type\":\"Ready\",\"status\":\""
        + (phase.equals("Running") ? "True" : "False") + "\"}]}");
  }

  /** A budget over app={@code app}; with {@code allowed} non-null, a status as the disruption controller writes it. */
  private static void budget(String name, String app, Integer allowed) throws Exception {
    HttpResponse<String> r = post(PDBS, "{\"apiVersion\":\"policy/v1\",\"kind\":\"PodDisruptionBudget\",\"metadata\":{\"name\":\""
        + name + "\"},\"spec\":{\"minAvailable\":1,\"selector\":{\"matchLabels\":{\"app\":\"" + app + "\"}}}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    if (allowed != null) {
      patchStatus(PDBS + "/" + name, "{\"observedGeneration\":1,\"disruptionsAllowed\":" + allowed + ",\"currentHealthy\":"
          + (1 + allowed) + ",\"desiredHealthy\":1,\"expectedPods\":" + (1 + allowed) + "}");
    }
  }

  private static HttpResponse<String> evict(String pod, String query) throws Exception {
    return post(NS + "/pods/" + pod + "/eviction" + query,
        "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"" + pod + "\"}}");
  }

  @Test
  void aBudgetWithNoDisruptionLeftRefusesWith429() throws Exception {
    pod("full-1", "full", "Running");
    budget("full", "full", 0);
    HttpResponse<String> r = evict("full-1", "");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
    JsonNode status = JSON.readTree(r.body());
    assertThat(status.path("reason").asString()).isEqualTo("TooManyRequests");
    assertThat(status.path("message").asString()).isEqualTo("Cannot evict pod as it would violate the pod's disruption budget.");
    assertThat(status.path("details").path("causes").get(0).path("reason").asString()).isEqualTo("DisruptionBudget");
    assertThat(status.path("details").path("causes").get(0).path("message").asString())
        .isEqualTo("The disruption budget full needs 1 healthy pods and has 1 currently");
    assertThat(get(NS + "/pods/full-1").statusCode()).isEqualTo(200);
  }

  @Test
  void aBudgetNotYetProcessedRefusesWith429() throws Exception {
    pod("fresh-1", "fresh", "Running");
    budget("fresh", "fresh", null);
    HttpResponse<String> r = evict("fresh-1", "");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
    assertThat(JSON.readTree(r.body()).path("details").path("causes").get(0).path("message").asString())
        .isEqualTo("The disruption budget fresh is still being processed by the server.");
  }

  @Test
  void anEvictionWithinTheBudgetTakesOneDisruptionAndDeletesThePod() throws Exception {
    pod("room-1", "room", "Running");
    budget("room", "room", 1);

    HttpResponse<String> dry = evict("room-1", "?dryRun=All");
    assertThat(dry.statusCode()).as(dry.body()).isEqualTo(201);
    assertThat(get(NS + "/pods/room-1").statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(get(PDBS + "/room").body()).path("status").path("disruptionsAllowed").asInt()).isEqualTo(1);

    HttpResponse<String> r = evict("room-1", "");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonNode status = JSON.readTree(get(PDBS + "/room").body()).path("status");
    assertThat(status.path("disruptionsAllowed").asInt()).isZero();
    assertThat(status.path("disruptedPods").has("room-1")).isTrue();
    assertThat(get(NS + "/pods/room-1").statusCode()).isEqualTo(404);
  }

  @Test
  void aPodUnderTwoBudgetsIsNotEvicted() throws Exception {
    pod("two-1", "two", "Running");
    budget("two-a", "two", 1);
    budget("two-b", "two", 1);
    HttpResponse<String> r = evict("two-1", "");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(500);
    assertThat(JSON.readTree(r.body()).path("message").asString())
        .isEqualTo("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
    assertThat(get(NS + "/pods/two-1").statusCode()).isEqualTo(200);
  }

  @Test
  void anUnreadyPodIsEvictableUnderAlwaysAllowAndAnEvictionMustNameItsPod() throws Exception {
    pod("sick-1", "sick", "Running");
    patchStatus(NS + "/pods/sick-1", "{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}");
    budget("sick", "sick", 0);
    patchStatus(PDBS + "/sick", "{\"currentHealthy\":0}");
    assertThat(evict("sick-1", "").statusCode()).isEqualTo(429); // IfHealthyBudget: the budget lacks healthy pods
    HttpResponse<String> patched = c.send(c.api(), "PATCH", PDBS + "/sick", "{\"spec\":{\"unhealthyPodEvictionPolicy\":\"AlwaysAllow\"}}",
        "application/merge-patch+json");
    assertThat(patched.statusCode()).as(patched.body()).isEqualTo(200);

    HttpResponse<String> misnamed = post(NS + "/pods/sick-1/eviction",
        "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"other\"}}");
    assertThat(misnamed.statusCode()).as(misnamed.body()).isEqualTo(400);
    assertThat(JSON.readTree(misnamed.body()).path("message").asString()).isEqualTo("name in URL does not match name in Eviction object");

    HttpResponse<String> r = evict("sick-1", "");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    assertThat(JSON.readTree(get(PDBS + "/sick").body()).path("status").path("disruptionsAllowed").asInt()).isZero();
  }

  @Test
  void aPodNotRunningBypassesTheBudget() throws Exception {
    pod("done-1", "done", "Succeeded");
    budget("done", "done", 0);
    HttpResponse<String> r = evict("done-1", "");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    assertThat(get(NS + "/pods/done-1").statusCode()).isEqualTo(404);
  }
}
