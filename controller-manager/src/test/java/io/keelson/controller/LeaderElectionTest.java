package io.keelson.controller;

import static org.awaitility.Awaitility.await;

import io.keelson.client.fake.InMemoryApiServer;
import io.keelson.client.fake.SelfSignedTls;
import io.keelson.controller.testing.TestControllerManager;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/**
 * A controller-manager that loses its Lease (another replica took it while this one could not
 * renew) stops its controllers and campaigns again: when the other's Lease expires it leads again.
 */
class LeaderElectionTest {
  InMemoryApiServer api;
  ControllerManager manager;
  Thread runner;

  @AfterEach
  void stop() throws Exception {
    if (api != null) api.close();
    if (manager != null) manager.close();
    if (runner != null) runner.join(5000);
  }

  @Test
  void aReplicaThatLostItsLeaseCampaignsAgain() throws Exception {
    api = InMemoryApiServer.start((SelfSignedTls) null);
    manager = TestControllerManager.against(api, 1, "podgc");
    runner = Thread.ofPlatform().daemon().start(() -> {
      try {
        manager.runLeaderElected(Duration.ofSeconds(3));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    await().atMost(Duration.ofSeconds(20)).until(manager::active);

    // another replica holds the Lease now, freshly renewed: this one fails to renew and steps down
    api.update("leases.coordination.k8s.io", ControllerManager.LEASE_NAMESPACE, ControllerManager.LEASE_NAME, lease -> {
      ObjectNode spec = (ObjectNode) lease.get("spec");
      spec.put("holderIdentity", "another-replica");
      spec.put("leaseDurationSeconds", 3);
      spec.put("renewTime", Instant.now().truncatedTo(ChronoUnit.MICROS).toString().replace("Z", "000Z").replaceAll("(\\.\\d{6})\\d*Z", "$1Z"));
      spec.put("leaseTransitions", spec.path("leaseTransitions").asInt(0) + 1);
      return lease;
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> !manager.active());
    // the other never renews: once its Lease expires, this one takes it and runs its controllers again
    await().atMost(Duration.ofSeconds(30)).until(manager::active);
  }
}
