package io.keelson.controller.podautoscaler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keelson.controller.podautoscaler.ReplicaCalculator.PodSample;
import io.keelson.controller.podautoscaler.ReplicaCalculator.Recommendation;
import io.keelson.controller.podautoscaler.ReplicaCalculator.Target;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReplicaCalculatorTest {
  static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
  static final Instant LONG_AGO = NOW.minus(Duration.ofMinutes(10));

  /** A running, ready pod started long ago, requesting {@code request} milli-CPU, using {@code usage} (null: no sample). */
  static PodSample pod(String name, long request, Long usage) {
    return new PodSample(name, "Running", false, LONG_AGO, true, LONG_AGO.plusSeconds(5), request, null, usage,
        NOW.minusSeconds(5), Duration.ofSeconds(15));
  }

  static PodSample pending(String name, long request) {
    return new PodSample(name, "Pending", false, null, null, null, request, null, null, null, null);
  }

  /** Started long ago and never became ready (readiness flipped to False right at start). */
  static PodSample neverReady(String name, long request, long usage) {
    return new PodSample(name, "Running", false, LONG_AGO, false, LONG_AGO.plusSeconds(1), request, null, usage,
        NOW.minusSeconds(5), Duration.ofSeconds(15));
  }

  static List<PodSample> pods(long request, Long... usages) {
    List<PodSample> out = new ArrayList<>();
    for (int i = 0; i < usages.length; i++) out.add(pod("p" + i, request, usages[i]));
    return out;
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        // name, current replicas, target %, pods, expected replicas, expected utilization
        Arguments.of("at target", 3, 50, pods(100, 50L, 50L, 50L), 3, 50),
        Arguments.of("within tolerance up", 3, 50, pods(100, 54L, 54L, 54L), 3, 54),
        Arguments.of("within tolerance down", 3, 50, pods(100, 46L, 46L, 46L), 3, 46),
        Arguments.of("just beyond tolerance", 3, 50, pods(100, 56L, 56L, 56L), 4, 56),
        Arguments.of("scale up, ceil", 1, 50, pods(100, 198L), 4, 198),
        Arguments.of("scale down", 4, 50, pods(100, 10L, 10L, 10L, 10L), 1, 10),
        Arguments.of("requests differ: usage over total requests", 2, 50, List.of(pod("a", 100, 100L), pod("b", 300, 100L)), 2, 50),
        // a pod without a sample counts as idle on a scale up: 3 measured at 100% + 1 at 0 → 75% → ceil(1.5 * 4) = 6
        Arguments.of("missing pod on scale up", 4, 50, pods(100, 100L, 100L, 100L, null), 6, 100),
        // ... and as fully busy (100% of its request) on a scale down: (10+10+100)/3 = 40% → ceil(0.8 * 3) = 3
        Arguments.of("missing pod on scale down", 3, 50, pods(100, 10L, 10L, null), 3, 10),
        // a missing pod that flips a scale down into a scale up: no change
        Arguments.of("missing pod flips direction", 2, 60, pods(100, 50L, null), 2, 50),
        // pending pods count as idle on a scale up: 2 at 100% + 2 at 0 → 50% of target 40 → ceil(1.25 * 4) = 5
        Arguments.of("pending pods on scale up", 4, 40, List.of(pod("a", 100, 100L), pod("b", 100, 100L), pending("c", 100), pending("d", 100)), 5, 100),
        // ... but not on a scale down: only the ready pods decide
        Arguments.of("pending pods on scale down", 4, 50, List.of(pod("a", 100, 10L), pod("b", 100, 10L), pending("c", 100)), 1, 10),
        Arguments.of("never-ready pod is not measured", 2, 50, List.of(pod("a", 100, 50L), neverReady("b", 100, 500)), 2, 50));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void utilization(String name, int current, int target, List<PodSample> pods, int replicas, int utilization) throws Exception {
    Recommendation r = new ReplicaCalculator().resourceReplicas(current, Target.utilization(target), "cpu", pods, NOW);
    assertThat(r.replicas()).as(name).isEqualTo(replicas);
    assertThat(r.utilization()).as(name).isEqualTo(utilization);
  }

  @Test
  void averageValueTarget() throws Exception {
    // memory per pod against 100Mi (milli-units); no requests needed
    long mi = 1024L * 1024 * 1000;
    List<PodSample> pods = List.of(
        new PodSample("a", "Running", false, LONG_AGO, true, LONG_AGO, null, "c", 250 * mi, NOW, Duration.ofSeconds(15)),
        new PodSample("b", "Running", false, LONG_AGO, true, LONG_AGO, null, "c", 150 * mi, NOW, Duration.ofSeconds(15)));
    Recommendation r = new ReplicaCalculator().resourceReplicas(2, Target.averageValue(100 * mi), "memory", pods, NOW);
    assertThat(r.replicas()).isEqualTo(4);
    assertThat(r.utilization()).isNull();
    assertThat(r.averageUsage()).isEqualTo(200 * mi);
  }

  @Test
  void cpuSampleTakenBeforeAFullWindowOfReadinessIsNotTrusted() throws Exception {
    Instant started = NOW.minusSeconds(30);
    PodSample warming = new PodSample("w", "Running", false, started, true, NOW.minusSeconds(10), 100L, null, 900L,
        NOW.minusSeconds(2), Duration.ofSeconds(15));
    PodSample warm = new PodSample("x", "Running", false, started, true, NOW.minusSeconds(25), 100L, null, 100L,
        NOW.minusSeconds(2), Duration.ofSeconds(15));
    // only x counts: 100% of 100 against 50 → ratio 2, and the unready one counts as idle: (100+0)/200 = 50% → no change
    Recommendation r = new ReplicaCalculator().resourceReplicas(2, Target.utilization(50), "cpu", List.of(warming, warm), NOW);
    assertThat(r.replicas()).isEqualTo(2);
    assertThat(r.utilization()).isEqualTo(100);
  }

  @Test
  void errorsSayWhatIsMissing() {
    ReplicaCalculator calc = new ReplicaCalculator();
    assertThatThrownBy(() -> calc.resourceReplicas(1, Target.utilization(50), "cpu", List.of(), NOW))
        .hasMessage("no pods returned by selector while calculating replica count");
    assertThatThrownBy(() -> calc.resourceReplicas(1, Target.utilization(50), "cpu", pods(100, (Long) null), NOW))
        .hasMessage("unable to get metrics for resource cpu: no metrics returned from resource metrics API");
    PodSample noRequest = new PodSample("p", "Running", false, LONG_AGO, true, LONG_AGO, null, "app", 10L, NOW, Duration.ofSeconds(15));
    assertThatThrownBy(() -> calc.resourceReplicas(1, Target.utilization(50), "cpu", List.of(noRequest), NOW))
        .hasMessage("missing request for cpu in container app of Pod p");
    assertThatThrownBy(() -> calc.resourceReplicas(1, Target.utilization(50), "cpu", List.of(pending("a", 100), pod("b", 100, null)), NOW))
        .hasMessage("unable to get metrics for resource cpu: no metrics returned from resource metrics API");
  }
}
