package io.keelson.scheduler.core;

import static io.keelson.scheduler.testing.Fixtures.node;
import static io.keelson.scheduler.testing.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.keelson.scheduler.cache.SchedulerCache;
import io.keelson.scheduler.client.ClusterApi;
import io.keelson.scheduler.config.SchedulerConfig;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.metrics.SchedulerMetrics;
import io.keelson.scheduler.plugins.DefaultPlugins;
import io.keelson.scheduler.queue.ClusterEvent;
import io.keelson.scheduler.queue.SchedulingQueue;
import io.keelson.scheduler.testing.Fixtures.RecordingApi;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The scheduling loop end to end over the cache and queue, with a recording API. */
class SchedulerTest {
  SchedulerCache cache;
  SchedulingQueue queue;
  RecordingApi api;
  SchedulerMetrics metrics;
  Scheduler scheduler;

  @BeforeEach
  void setUp() {
    cache = new SchedulerCache();
    queue = new SchedulingQueue();
    api = new RecordingApi();
    metrics = new SchedulerMetrics("default-scheduler");
    scheduler =
        new Scheduler(SchedulerConfig.defaults(), DefaultPlugins.registry(), cache, queue, api, metrics, n -> null);
    scheduler.start();
  }

  @AfterEach
  void tearDown() {
    scheduler.stop();
  }

  @Test
  void spreadsPodsAndCountsAssumedPodsAgainstNodes() {
    for (int i = 1; i <= 3; i++) {
      cache.addOrUpdateNode(node("n" + i, "2", "4Gi"));
    }
    for (int i = 0; i < 6; i++) {
      queue.add(PodInfo.of(pod("p" + i, "1", "1Gi").build()));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> api.bindings.size() == 6);
    // 2 cpu per node, 1 cpu per pod: the assume cache must never let a third pod onto a node
    Map<String, Long> perNode = new java.util.HashMap<>();
    api.bindings.values().forEach(n -> perNode.merge(n, 1L, Long::sum));
    assertThat(perNode).containsOnly(Map.entry("n1", 2L), Map.entry("n2", 2L), Map.entry("n3", 2L));
    assertThat(api.events).filteredOn(e -> e.contains("Scheduled Successfully assigned default/p0 to ")).hasSize(1);
    assertThat(metrics.attempts(SchedulerMetrics.SCHEDULED)).isEqualTo(6);
  }

  @Test
  void tooBigPodWaitsWithKubernetesMessageThenFitsWhenABigNodeJoins() {
    cache.addOrUpdateNode(node("n1", "2", "4Gi"));
    cache.addOrUpdateNode(node("n2", "2", "4Gi"));
    queue.add(PodInfo.of(pod("big", "8", null).build()));
    await().atMost(Duration.ofSeconds(5)).until(() -> api.unschedulable.containsKey("default/big"));
    assertThat(api.unschedulable.get("default/big"))
        .isEqualTo(
            "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available:"
                + " 2 No preemption victims found for incoming pod.");
    assertThat(api.events).anyMatch(e -> e.startsWith("big FailedScheduling 0/2 nodes are available: 2 Insufficient cpu."));
    await().until(() -> queue.depths().unschedulable() == 1);

    cache.addOrUpdateNode(node("huge", "16", "64Gi"));
    queue.moveAllToActiveOrBackoff(ClusterEvent.NODE_ADD);
    await().atMost(Duration.ofSeconds(5)).until(() -> "huge".equals(api.bindings.get("default/big")));
  }

  @Test
  void failedBindingIsForgottenAndRetried() {
    cache.addOrUpdateNode(node("n1", "1", "4Gi"));
    api.failBindWith = new ClusterApi.ApiException(500, "500 etcd hiccup");
    queue.add(PodInfo.of(pod("p", "1", null).build()));
    await().atMost(Duration.ofSeconds(5)).until(() -> api.events.stream().anyMatch(e -> e.contains("Binding rejected: 500 etcd hiccup")));
    await().until(() -> cache.assumedCount() == 0);
    api.failBindWith = null;
    await().atMost(Duration.ofSeconds(5)).until(() -> "n1".equals(api.bindings.get("default/p")));
  }

  @Test
  void preemptsLowerPriorityPodAndNominatesNode() {
    cache.addOrUpdateNode(node("n1", "2", "4Gi"));
    Pod low = pod("low", "2", null).editSpec().withPriority(1).withNodeName("n1").endSpec().build();
    cache.addOrUpdatePod(PodInfo.of(low), "n1");
    Pod vip = pod("vip", "2", null).editSpec().withPriority(1000).endSpec().build();
    queue.add(PodInfo.of(vip));
    await().atMost(Duration.ofSeconds(5)).until(() -> "n1".equals(api.nominated.get("default/vip")));
    assertThat(api.evicted).containsExactly("low");
    // the victim's deletion arrives: the pod fits now
    cache.removePod(low.getMetadata().getUid());
    queue.moveAllToActiveOrBackoff(ClusterEvent.ASSIGNED_POD_DELETE);
    await().atMost(Duration.ofSeconds(5)).until(() -> "n1".equals(api.bindings.get("default/vip")));
  }

  @Test
  void adaptivePercentageOfNodesToScore() {
    assertThat(Scheduler.numFeasibleNodesToFind(0, 50)).isEqualTo(50);
    assertThat(Scheduler.numFeasibleNodesToFind(0, 500)).isEqualTo(230);
    assertThat(Scheduler.numFeasibleNodesToFind(0, 5000)).isEqualTo(500);
    assertThat(Scheduler.numFeasibleNodesToFind(0, 10000)).isEqualTo(500);
    assertThat(Scheduler.numFeasibleNodesToFind(0, 1000)).isEqualTo(420);
    assertThat(Scheduler.numFeasibleNodesToFind(100, 5000)).isEqualTo(5000);
    assertThat(Scheduler.numFeasibleNodesToFind(1, 5000)).isEqualTo(100);
  }

  @Test
  void rotatesStartNodeSoPodsSpreadAcrossLargeClusters() {
    for (int i = 0; i < 300; i++) {
      cache.addOrUpdateNode(node("n" + i, "100", "100Gi"));
    }
    for (int i = 0; i < 50; i++) {
      queue.add(PodInfo.of(pod("p" + i, "10m", null).build()));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> api.bindings.size() == 50);
    assertThat(new HashSet<>(api.bindings.values()).size()).isGreaterThan(40);
  }
}
