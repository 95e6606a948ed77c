package io.keelson.controller.podautoscaler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.autoscaling.v1.Scale;
import io.fabric8.kubernetes.api.model.autoscaling.v1.ScaleBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerCondition;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerStatus;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.keelson.client.fake.InMemoryApiServer;
import io.keelson.controller.events.EventRecorder;
import io.keelson.controller.runtime.Informers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One HPA synced against the in-memory api-server (pods and HPAs through informers, events) with
 * the scale subresource and metrics.k8s.io stood in by {@link FakeTargets}, on a clock the test moves.
 */
class HorizontalControllerTest {

  /** A clock the test sets. */
  static final class MovableClock extends Clock {
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  /** The target Deployment's scale, the pods' samples (milli-CPU by pod), and the statuses written. */
  static final class FakeTargets implements ScaleTargets {
    int replicas = 2;
    String selector = "app=web";
    final Map<String, Long> cpu = new java.util.concurrent.ConcurrentHashMap<>();
    final List<Integer> scaledTo = new ArrayList<>();
    volatile HorizontalPodAutoscalerStatus status;

    @Override
    public Scale get(String namespace, String apiVersion, String kind, String name) {
      return new ScaleBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
          .withNewSpec().withReplicas(replicas).endSpec().withNewStatus().withReplicas(replicas).withSelector(selector).endStatus().build();
    }

    @Override
    public void setReplicas(String namespace, String apiVersion, String kind, String name, Scale read, int n) {
      replicas = n;
      scaledTo.add(n);
    }

    @Override
    public List<PodUsage> podMetrics(String namespace) {
      List<PodUsage> out = new ArrayList<>();
      cpu.forEach((pod, m) -> out.add(new PodUsage(pod, Map.of("cpu", m), Instant.now(), Duration.ofSeconds(10))));
      return out;
    }

    @Override
    public void updateStatus(HorizontalPodAutoscaler hpa) {
      status = hpa.getStatus();
    }
  }

  private Path dir;
  private InMemoryApiServer api;
  private KubernetesClient client;
  private Informers informers;
  private EventRecorder events;
  private final FakeTargets targets = new FakeTargets();
  private final MovableClock clock = new MovableClock();
  private HorizontalController controller;

  @BeforeEach
  void up() throws Exception {
    dir = Files.createTempDirectory("hpa-test");
    api = InMemoryApiServer.start(dir);
    Config config = Config.fromKubeconfig(null, Files.readString(api.writeKubeconfig(dir.resolve("kubeconfig"))), null);
    config.setOnlyHttpWatches(true);
    client = new KubernetesClientBuilder().withConfig(config).build();
    informers = new Informers(client);
    events = new EventRecorder(client, "keelson-controller-manager");
    controller = new HorizontalController(informers, events, new SimpleMeterRegistry(),
        new HorizontalController.Settings(Duration.ofSeconds(15), Duration.ofMinutes(5), 0.1), clock, targets);
    String started = Instant.now().minus(Duration.ofMinutes(10)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    for (String pod : List.of("web-a", "web-b")) {
      api.create("pods", "{\"metadata\":{\"name\":\"" + pod + "\",\"namespace\":\"default\",\"labels\":{\"app\":\"web\"}},"
          + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"resources\":{\"requests\":{\"cpu\":\"100m\"}}}]},"
          + "\"status\":{\"phase\":\"Running\",\"startTime\":\"" + started + "\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
          + "\"lastTransitionTime\":\"" + started + "\"}]}}");
    }
    api.create("pods", "{\"metadata\":{\"name\":\"other\",\"namespace\":\"default\",\"labels\":{\"app\":\"db\"}},"
        + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]},\"status\":{\"phase\":\"Running\"}}");
  }

  @AfterEach
  void down() throws Exception {
    // informers not stopped: that waits on their blocking watch reads, which last as long as a watch
    events.close();
    api.close();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private void createHpa(String metrics) throws Exception {
    api.create("horizontalpodautoscalers.autoscaling", "{\"apiVersion\":\"autoscaling/v2\",\"kind\":\"HorizontalPodAutoscaler\","
        + "\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":1},\"spec\":{\"scaleTargetRef\":{\"apiVersion\":\"apps/v1\","
        + "\"kind\":\"Deployment\",\"name\":\"web\"},\"minReplicas\":1,\"maxReplicas\":10,\"metrics\":" + metrics + "}}");
    informers.startAndSync(Duration.ofSeconds(30));
  }

  private static final String CPU_50 =
      "[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"target\":{\"type\":\"Utilization\",\"averageUtilization\":50}}}]";

  /** One sync, as the periodic resync runs it; the status written is fed back as the next sync's old status. */
  private HorizontalPodAutoscalerStatus sync() {
    HorizontalPodAutoscaler hpa = informers.of(HorizontalPodAutoscaler.class).getIndexer().getByKey("default/web");
    if (targets.status != null) hpa = new io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder(hpa).withStatus(targets.status).build();
    controller.sync("default/web", hpa);
    return targets.status;
  }

  private static HorizontalPodAutoscalerCondition condition(HorizontalPodAutoscalerStatus s, String type) {
    return s.getConditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
  }

  private boolean event(String reason, String message) {
    return api.count("events", e -> e.path("reason").asString("").equals(reason) && e.path("message").asString("").contains(message)) > 0;
  }

  @Test
  void scalesUpThenDownAfterTheStabilizationWindow() throws Exception {
    createHpa(CPU_50);
    targets.cpu.put("web-a", 100L);
    targets.cpu.put("web-b", 100L);
    targets.cpu.put("other", 900L); // not selected
    HorizontalPodAutoscalerStatus s = sync();
    // 100% against 50%: twice the pods
    assertThat(targets.scaledTo).containsExactly(4);
    assertThat(s.getDesiredReplicas()).isEqualTo(4);
    assertThat(s.getCurrentMetrics().get(0).getResource().getCurrent().getAverageUtilization()).isEqualTo(100);
    assertThat(s.getLastScaleTime()).isNotNull();
    assertThat(condition(s, "AbleToScale").getReason()).isEqualTo("SucceededRescale");
    assertThat(condition(s, "ScalingActive").getReason()).isEqualTo("ValidMetricFound");
    assertThat(condition(s, "ScalingLimited").getReason()).isEqualTo("DesiredWithinRange");
    await().atMost(Duration.ofSeconds(10)).until(() ->
        event("SuccessfulRescale", "New size: 4; reason: cpu resource utilization (percentage of request) above target"));

    // load gone: the recommendation of 4 holds for the 5-minute window
    targets.cpu.put("web-a", 1L);
    targets.cpu.put("web-b", 1L);
    clock.now = clock.now.plusSeconds(60);
    s = sync();
    assertThat(targets.scaledTo).containsExactly(4);
    assertThat(condition(s, "AbleToScale").getReason()).isEqualTo("ScaleDownStabilized");
    clock.now = clock.now.plus(Duration.ofMinutes(5));
    s = sync();
    assertThat(targets.scaledTo).containsExactly(4, 1);
    assertThat(condition(s, "ScalingLimited").getReason()).isEqualTo("DesiredWithinRange");
    await().atMost(Duration.ofSeconds(10)).until(() -> event("SuccessfulRescale", "New size: 1; reason: All metrics below target"));
  }

  @Test
  void noSamplesMeansNoScaling() throws Exception {
    createHpa(CPU_50);
    HorizontalPodAutoscalerStatus s = sync();
    assertThat(targets.scaledTo).isEmpty();
    assertThat(condition(s, "ScalingActive").getStatus()).isEqualTo("False");
    assertThat(condition(s, "ScalingActive").getReason()).isEqualTo("FailedGetResourceMetric");
    await().atMost(Duration.ofSeconds(10)).until(() -> event("FailedComputeMetricsReplicas", "invalid metrics (1 invalid out of 1)"));
    assertThat(event("FailedGetResourceMetric", "failed to get cpu utilization: unable to get metrics for resource cpu")).isTrue();
  }

  @Test
  void customMetricsAreNotServed() throws Exception {
    createHpa("[{\"type\":\"Pods\",\"pods\":{\"metric\":{\"name\":\"qps\"},\"target\":{\"type\":\"AverageValue\",\"averageValue\":\"10\"}}}]");
    HorizontalPodAutoscalerStatus s = sync();
    assertThat(targets.scaledTo).isEmpty();
    assertThat(condition(s, "ScalingActive").getReason()).isEqualTo("FailedGetPodsMetric");
    assertThat(condition(s, "ScalingActive").getMessage()).contains("unable to get pods metric qps");
  }

  @Test
  void aTargetAboveMaxIsBroughtDownWithoutMetrics() throws Exception {
    createHpa(CPU_50);
    targets.replicas = 12;
    sync();
    assertThat(targets.scaledTo).containsExactly(10);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        event("SuccessfulRescale", "New size: 10; reason: Current number of replicas above Spec.MaxReplicas"));
  }

  private static final String PODS_QPS =
      "{\"type\":\"Pods\",\"pods\":{\"metric\":{\"name\":\"qps\"},\"target\":{\"type\":\"AverageValue\",\"averageValue\":\"10\"}}}";

  @Test
  void anUnservedMetricBlocksScaleDownButNotScaleUp() throws Exception {
    createHpa("[" + PODS_QPS + "," + CPU_50.substring(1));
    targets.cpu.put("web-a", 1L);
    targets.cpu.put("web-b", 1L);
    HorizontalPodAutoscalerStatus s = sync();
    assertThat(targets.scaledTo).as("qps might want more pods").isEmpty();
    assertThat(condition(s, "ScalingActive").getReason()).isEqualTo("FailedGetPodsMetric");
    targets.cpu.put("web-a", 100L);
    targets.cpu.put("web-b", 100L);
    s = sync();
    assertThat(targets.scaledTo).containsExactly(4);
    assertThat(condition(s, "ScalingActive").getReason()).isEqualTo("ValidMetricFound");
    assertThat(condition(s, "ScalingActive").getMessage()).endsWith("from cpu resource utilization (percentage of request)");
  }

  @Test
  void quantitiesPrintAsKubeDoes() {
    assertThat(HorizontalController.quantity(12)).isEqualTo("12m");
    assertThat(HorizontalController.quantity(229_376_000)).isEqualTo("229376");
    assertThat(HorizontalController.quantity(2_000_000)).isEqualTo("2k");
    assertThat(HorizontalController.quantity(0)).isEqualTo("0");
  }
}
