package io.keelson.scheduler.leader;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election through a coordination.k8s.io/v1 Lease: only the holder schedules. Timings are
 * tighter than kube's 15/10/2 s so a standby takes over within ~10 s of the leader dying; a leader
 * that stops cleanly releases the Lease so the standby takes over at its next retry (1.5 s).
 */
public final class LeaderElection implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaderElection.class);
  public static final Duration LEASE_DURATION = Duration.ofSeconds(8);
  public static final Duration RENEW_DEADLINE = Duration.ofSeconds(6);
  public static final Duration RETRY_PERIOD = Duration.ofMillis(1500);

  private final LeaderElector elector;
  private CompletableFuture<?> running;

  public LeaderElection(
      KubernetesClient client, String namespace, String name, String identity, Runnable onStart, Runnable onStop) {
    this.elector =
        client
            .leaderElector()
            .withConfig(
                new LeaderElectionConfigBuilder()
                    .withName(name)
                    .withLock(new LeaseLock(namespace, name, identity))
                    .withLeaseDuration(LEASE_DURATION)
                    .withRenewDeadline(RENEW_DEADLINE)
                    .withRetryPeriod(RETRY_PERIOD)
                    .withReleaseOnCancel()
                    .withLeaderCallbacks(
                        new LeaderCallbacks(
                            onStart,
                            onStop,
                            leader -> log.info("lease {}/{} is held by {}", namespace, name, leader)))
                    .build())
            .build();
  }

  public CompletableFuture<?> start() {
    running = elector.start();
    return running;
  }

  @Override
  public void close() {
    if (running != null) {
      running.cancel(true); // releases the lease (withReleaseOnCancel)
    }
  }
}
