package io.keelson.controller.nodelifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keelson.client.fake.InMemoryApiServer;
import io.keelson.controller.ControllerManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/**
 * Silence is counted from when the controller sees a heartbeat, not from the time the node wrote
 * in it: after a restart (a lease renewed minutes ago, before the cluster went down) a node gets a
 * full grace period to renew before it is called unreachable.
 */
class NodeLifecycleControllerTest {

  private static final java.time.format.DateTimeFormatter MICROS =
      java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(java.time.ZoneOffset.UTC);

  private static String node(String name, Instant at) {
    Instant heartbeat = at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    String cond = "{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"KubeletReady\",\"lastHeartbeatTime\":\"" + heartbeat
        + "\",\"lastTransitionTime\":\"" + heartbeat + "\"}";
    return "{\"metadata\":{\"name\":\"" + name + "\",\"creationTimestamp\":\"" + heartbeat + "\"},\"spec\":{},"
        + "\"status\":{\"conditions\":[" + cond + "]}}";
  }

  private static String lease(String name, Instant renewed) {
    return "{\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"kube-node-lease\"},\"spec\":{\"holderIdentity\":\"" + name
        + "\",\"leaseDurationSeconds\":40,\"renewTime\":\"" + MICROS.format(renewed) + "\"}}";
  }

  private static boolean unreachable(InMemoryApiServer api, String node) {
    return api.count("nodes", n -> n.path("metadata").path("name").asString("").equals(node)
        && n.path("spec").path("taints").toString().contains("node.kubernetes.io/unreachable")) > 0;
  }

  @Test
  void aStaleHeartbeatGetsAFullGracePeriodFromTheControllersStart() throws Exception {
    Path dir = Files.createTempDirectory("nodelifecycle-test");
    try (InMemoryApiServer api = InMemoryApiServer.start(dir)) {
      api.create("namespaces", "{\"metadata\":{\"name\":\"kube-node-lease\"}}");
      Instant longAgo = Instant.now().minus(Duration.ofMinutes(10)); // the cluster was down
      api.create("nodes", node("n1", longAgo));
      api.create("leases.coordination.k8s.io", lease("n1", longAgo));
      Duration grace = Duration.ofSeconds(4);
      ControllerManager.Options opts = new ControllerManager.Options(
          ControllerManager.Names.select(List.of("nodelifecycle")), 1, grace, Duration.ofSeconds(300), Duration.ofSeconds(300), 100);
      // not closed: stopping the informers' blocking watch reads can take as long as a watch lasts
      ControllerManager cm = ControllerManager.fromKubeconfig(api.writeKubeconfig(dir.resolve("kubeconfig")), opts);
      {
        Instant started = Instant.now();
        cm.start();
        Thread.sleep(1500);
        assertThat(unreachable(api, "n1")).as("tainted within the grace period after the controller started").isFalse();
        // still silent: unreachable once the grace period has passed since the controller first saw it
        await().atMost(Duration.ofSeconds(15)).until(() -> unreachable(api, "n1"));
        assertThat(Duration.between(started, Instant.now())).isGreaterThanOrEqualTo(grace);
        assertThat(api.count("nodes", n -> n.path("status").path("conditions").toString().contains("\"Unknown\""))).as("Ready=Unknown").isEqualTo(1);
        // it renews: the taint goes
        api.update("leases.coordination.k8s.io", "kube-node-lease", "n1", l -> {
          ((ObjectNode) l.path("spec")).put("renewTime", MICROS.format(Instant.now()));
          return l;
        });
        await().atMost(Duration.ofSeconds(15)).until(() -> !unreachable(api, "n1"));
      }
    }
  }
}
