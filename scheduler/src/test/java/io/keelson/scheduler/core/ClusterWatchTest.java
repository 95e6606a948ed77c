package io.keelson.scheduler.core;

import static io.keelson.scheduler.testing.Fixtures.node;
import static io.keelson.scheduler.testing.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.keelson.scheduler.cache.SchedulerCache;
import io.keelson.scheduler.client.ClusterApi;
import io.keelson.scheduler.config.SchedulerConfig;
import io.keelson.scheduler.metrics.SchedulerMetrics;
import io.keelson.scheduler.plugins.DefaultPlugins;
import io.keelson.scheduler.queue.SchedulingQueue;
import java.time.Duration;
import java.util.HashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Informers -> cache/queue -> scheduler against fabric8's CRUD mock API server. */
class ClusterWatchTest {
  KubernetesMockServer server;
  KubernetesClient client;
  SchedulerCache cache;
  SchedulingQueue queue;
  ClusterWatch watch;
  Scheduler scheduler;

  /** Binds by setting spec.nodeName (the mock server has no binding subresource). */
  final class MockBinder implements ClusterApi {
    @Override
    public void bind(Pod pod, String nodeName) {
      client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
          .edit(p -> new PodBuilder(p).editSpec().withNodeName(nodeName).endSpec().build());
    }

    @Override
    public void markUnschedulable(Pod pod, String message, String nominatedNodeName) {}

    @Override
    public void evict(Pod victim, String preemptorKey, String nodeName) {}

    @Override
    public void event(Pod pod, String type, String reason, String action, String message) {}
  }

  @BeforeEach
  void setUp() throws Exception {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
    server.init();
    client = server.createClient();
    cache = new SchedulerCache();
    queue = new SchedulingQueue();
    watch = new ClusterWatch(client, cache, queue, "default-scheduler");
  }

  @AfterEach
  void tearDown() {
    if (scheduler != null) {
      scheduler.stop();
    }
    watch.close();
    client.close();
    server.destroy();
  }

  void startScheduler() throws Exception {
    watch.start(10_000);
    scheduler = new Scheduler(SchedulerConfig.defaults(), DefaultPlugins.registry(), cache, queue, new MockBinder(),
        new SchedulerMetrics("default-scheduler"), watch::runtimeClass);
    scheduler.start();
  }

  @Test
  void bindsPendingPodsAndLeavesOtherSchedulersPodsAlone() throws Exception {
    client.nodes().resource(node("n1", "2", "4Gi")).create();
    client.pods().inNamespace("default").resource(pod("mine", "1", null).build()).create();
    client.pods().inNamespace("default").resource(pod("theirs", "1", null).editSpec().withSchedulerName("other").endSpec().build()).create();
    startScheduler();
    await().atMost(Duration.ofSeconds(10)).until(() -> "n1".equals(nodeName("mine")));
    await().atMost(Duration.ofSeconds(10)).until(() -> cache.podCount() == 1 && cache.assumedCount() == 0);
    assertThat(nodeName("theirs")).isNull();
  }

  @Test
  void boundPodsFromTheInformerCountAgainstTheirNode() throws Exception {
    client.nodes().resource(node("n1", "2", "4Gi")).create();
    client.pods().inNamespace("default").resource(pod("old", "1500m", null).editSpec().withNodeName("n1").endSpec().build()).create();
    client.pods().inNamespace("default").resource(pod("new", "1", null).build()).create();
    startScheduler();
    await().atMost(Duration.ofSeconds(5)).until(() -> queue.depths().unschedulable() == 1);
    assertThat(nodeName("new")).isNull();
    // the old pod goes away: the new one fits now
    client.pods().inNamespace("default").withName("old").delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> "n1".equals(nodeName("new")));
  }

  @Test
  void priorityComesFromThePriorityClass() throws Exception {
    client.scheduling().v1().priorityClasses()
        .resource(new PriorityClassBuilder().withNewMetadata().withName("high").endMetadata().withValue(1000).build())
        .create();
    watch.start(10_000);
    Pod p = pod("x", "1", null).editSpec().withPriorityClassName("high").endSpec().build();
    assertThat(watch.priority(p)).isEqualTo(1000);
    assertThat(watch.priority(pod("y", "1", null).editSpec().withPriorityClassName("system-node-critical").endSpec().build()))
        .isEqualTo(2_000_001_000);
    assertThat(watch.priority(pod("z", "1", null).build())).isZero();
  }

  String nodeName(String pod) {
    Pod p = client.pods().inNamespace("default").withName(pod).get();
    return p == null ? null : p.getSpec().getNodeName();
  }
}
