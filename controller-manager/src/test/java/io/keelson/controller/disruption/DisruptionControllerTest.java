package io.keelson.controller.disruption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetStatus;
import io.keelson.client.fake.InMemoryApiServer;
import io.keelson.client.fake.SelfSignedTls;
import io.keelson.controller.ControllerManager;
import io.keelson.controller.testing.TestControllerManager;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/**
 * The disruption controller against the in-memory API: a budget's status follows its pods' health
 * and their Deployment's scale, a percentage over pods without a scalable controller fails safe
 * (no disruption allowed, SyncFailed), and evictions recorded in disruptedPods count until their
 * pod goes or two minutes pass.
 */
class DisruptionControllerTest {
  static final String NS = "default";
  InMemoryApiServer api;
  ControllerManager manager;

  @BeforeEach
  void start() throws Exception {
    api = InMemoryApiServer.start((SelfSignedTls) null);
    manager = TestControllerManager.against(api, 1, "disruption");
    manager.start();
  }

  @AfterEach
  void stop() {
    if (api != null) api.close();
    if (manager != null) manager.close();
  }

  /** A Deployment of {@code replicas} and its ReplicaSet; returns the ReplicaSet's uid. */
  String deployment(String name, int replicas) {
    ObjectNode d = api.create("deployments.apps", "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"" + name
        + "\",\"namespace\":\"" + NS + "\"},\"spec\":{\"replicas\":" + replicas + ",\"selector\":{\"matchLabels\":{\"app\":\"" + name
        + "\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"" + name + "\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}}}");
    ObjectNode rs = api.create("replicasets.apps", "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"" + name
        + "-1\",\"namespace\":\"" + NS + "\",\"ownerReferences\":[" + owner("apps/v1", "Deployment", name, uid(d)) + "]},"
        + "\"spec\":{\"replicas\":" + replicas + ",\"selector\":{\"matchLabels\":{\"app\":\"" + name + "\"}}}}");
    return uid(rs);
  }

  static String uid(ObjectNode o) {
    return o.path("metadata").path("uid").asString();
  }

  static String owner(String apiVersion, String kind, String name, String uid) {
    return "{\"apiVersion\":\"" + apiVersion + "\",\"kind\":\"" + kind + "\",\"name\":\"" + name + "\",\"uid\":\"" + uid
        + "\",\"controller\":true}";
  }

  void pod(String name, String app, String ownerRef, boolean ready) {
    api.create("pods", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + NS
        + "\",\"labels\":{\"app\":\"" + app + "\"}" + (ownerRef == null ? "" : ",\"ownerReferences\":[" + ownerRef + "]")
        + "},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]},"
        + "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"" + (ready ? "True" : "False") + "\"}]}}");
  }

  void ready(String pod) {
    api.update("pods", NS, pod, o -> {
      ((ObjectNode) o.path("status").path("conditions").get(0)).put("status", "True");
      return o;
    });
  }

  void budget(String name, String app, String bound) {
    api.create("poddisruptionbudgets.policy", "{\"apiVersion\":\"policy/v1\",\"kind\":\"PodDisruptionBudget\",\"metadata\":{\"name\":\""
        + name + "\",\"namespace\":\"" + NS + "\"},\"spec\":{" + bound + ",\"selector\":{\"matchLabels\":{\"app\":\"" + app + "\"}}}"
        + "}");
  }

  PodDisruptionBudgetStatus status(String name) {
    PodDisruptionBudget b = manager.client().policy().v1().podDisruptionBudget().inNamespace(NS).withName(name).get();
    return b == null ? null : b.getStatus();
  }

  static Condition allowed(PodDisruptionBudgetStatus s) {
    return s.getConditions().stream().filter(c -> c.getType().equals("DisruptionAllowed")).findFirst().orElseThrow();
  }

  @Test
  void theBudgetFollowsThePodsHealthAndTheDeploymentsScale() {
    String rs = deployment("web", 3);
    pod("web-a", "web", owner("apps/v1", "ReplicaSet", "web-1", rs), true);
    pod("web-b", "web", owner("apps/v1", "ReplicaSet", "web-1", rs), true);
    pod("web-c", "web", owner("apps/v1", "ReplicaSet", "web-1", rs), false);
    budget("web", "web", "\"maxUnavailable\":1");

    // once the controller has seen all three pods (it may sync the budget before)
    await().atMost(Duration.ofSeconds(20)).until(() -> status("web") != null && Integer.valueOf(3).equals(status("web").getExpectedPods())
        && Integer.valueOf(2).equals(status("web").getCurrentHealthy()));
    PodDisruptionBudgetStatus s = status("web");
    assertThat(s.getExpectedPods()).isEqualTo(3);
    assertThat(s.getDesiredHealthy()).isEqualTo(2);
    assertThat(s.getCurrentHealthy()).isEqualTo(2);
    assertThat(s.getDisruptionsAllowed()).isZero();
    assertThat(s.getObservedGeneration()).isEqualTo(1L);
    assertThat(allowed(s).getStatus()).isEqualTo("False");
    assertThat(allowed(s).getReason()).isEqualTo("InsufficientPods");

    ready("web-c");
    await().atMost(Duration.ofSeconds(20)).until(() -> status("web").getDisruptionsAllowed() == 1);
    assertThat(status("web").getCurrentHealthy()).isEqualTo(3);
    assertThat(allowed(status("web")).getStatus()).isEqualTo("True");
    assertThat(allowed(status("web")).getReason()).isEqualTo("SufficientPods");
  }

  @Test
  void aPercentageOverPodsWithoutAScalableControllerFailsSafe() {
    pod("batch-a", "batch", owner("batch/v1", "Job", "gone", "no-such-uid"), true);
    budget("batch", "batch", "\"minAvailable\":\"50%\"");

    // the budget may be synced once before the controller sees the pod (no pods: InsufficientPods)
    await().atMost(Duration.ofSeconds(20)).until(() -> status("batch") != null && status("batch").getConditions() != null
        && status("batch").getConditions().stream().anyMatch(c -> "SyncFailed".equals(c.getReason())));
    PodDisruptionBudgetStatus s = status("batch");
    assertThat(s.getDisruptionsAllowed()).isZero();
    assertThat(allowed(s).getStatus()).isEqualTo("False");
    assertThat(allowed(s).getMessage()).isEqualTo("found no controllers for pod \"batch-a\"");
  }

  @Test
  void anEvictedPodCountsAsGoneUntilItIsDeletedOrTwoMinutesPass() {
    String rs = deployment("db", 3);
    for (String p : List.of("db-a", "db-b", "db-c")) pod(p, "db", owner("apps/v1", "ReplicaSet", "db-1", rs), true);
    budget("db", "db", "\"minAvailable\":1");
    await().atMost(Duration.ofSeconds(20)).until(() -> status("db") != null && Integer.valueOf(2).equals(status("db").getDisruptionsAllowed()));

    // as evictions record them: one just now, one long ago whose pod was never deleted, one whose pod is gone
    String now = Instant.now().toString();
    String stale = Instant.now().minus(Duration.ofMinutes(3)).toString();
    api.update("poddisruptionbudgets.policy", NS, "db", o -> {
      ((ObjectNode) o.path("status")).putObject("disruptedPods").put("db-a", now).put("db-b", stale).put("gone", now);
      ((ObjectNode) o.path("status")).put("disruptionsAllowed", 0);
      return o;
    });
    await().atMost(Duration.ofSeconds(20)).until(() -> Integer.valueOf(1).equals(status("db").getDisruptionsAllowed()));
    PodDisruptionBudgetStatus s = status("db");
    assertThat(s.getDisruptedPods()).containsOnlyKeys("db-a");
    assertThat(s.getCurrentHealthy()).isEqualTo(2);
    assertThat(s.getDisruptionsAllowed()).isEqualTo(1);

    api.delete("pods", NS, "db-a");
    await().atMost(Duration.ofSeconds(20)).until(() -> status("db").getDisruptedPods() == null
        || status("db").getDisruptedPods().isEmpty());
  }
}
