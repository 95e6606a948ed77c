package io.keelson.controller.podautoscaler;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.controller.podautoscaler.ScalingRules.Behavior;
import io.keelson.controller.podautoscaler.ScalingRules.Decision;
import io.keelson.controller.podautoscaler.ScalingRules.Policy;
import io.keelson.controller.podautoscaler.ScalingRules.Rules;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ScalingRulesTest {
  static final Instant T0 = Instant.parse("2026-11-28T12:00:00Z");
  static final Duration WINDOW = Duration.ofMinutes(5);

  static Stream<Arguments> clamping() {
    return Stream.of(
        // current, recommended, min, max, expected, limited, reason
        Arguments.of(3, 3, 1, 10, 3, false, "DesiredWithinRange"),
        Arguments.of(3, 0, 2, 10, 2, true, "TooFewReplicas"),
        Arguments.of(3, 20, 1, 10, 6, true, "ScaleUpLimit"), // at most double per sync
        Arguments.of(1, 20, 1, 10, 4, true, "ScaleUpLimit"), // ... or +4 when that is more
        Arguments.of(3, 20, 1, 5, 5, true, "TooManyReplicas"),
        Arguments.of(4, 6, 1, 10, 6, false, "DesiredWithinRange"));
  }

  @ParameterizedTest(name = "{0} -> {1} in [{2},{3}] = {4}")
  @MethodSource("clamping")
  void clampsToMinMaxAndTheScaleUpRate(int current, int recommended, int min, int max, int expected, boolean limited, String reason) {
    Decision d = new ScalingRules().decide(current, recommended, min, max, null, WINDOW, T0);
    assertThat(d.replicas()).isEqualTo(expected);
    assertThat(d.limited()).isEqualTo(limited);
    assertThat(d.limitReason()).isEqualTo(reason);
  }

  @Test
  void scaleDownWaitsForTheStabilizationWindow() {
    ScalingRules rules = new ScalingRules();
    assertThat(rules.decide(5, 5, 1, 10, null, WINDOW, T0).replicas()).isEqualTo(5);
    // load drops: the recommendation of 5 a minute ago still holds
    Decision d = rules.decide(5, 1, 1, 10, null, WINDOW, T0.plusSeconds(60));
    assertThat(d.replicas()).isEqualTo(5);
    assertThat(d.stabilized()).isTrue();
    assertThat(rules.decide(5, 2, 1, 10, null, WINDOW, T0.plusSeconds(200)).replicas()).isEqualTo(5);
    // once 5 has left the window, the highest remaining recommendation (2, at 200 s) wins
    assertThat(rules.decide(5, 1, 1, 10, null, WINDOW, T0.plusSeconds(301)).replicas()).isEqualTo(2);
    assertThat(rules.decide(2, 1, 1, 10, null, WINDOW, T0.plusSeconds(501)).replicas()).isEqualTo(1);
  }

  @Test
  void scaleUpIsNotDelayed() {
    ScalingRules rules = new ScalingRules();
    rules.decide(2, 2, 1, 10, null, WINDOW, T0);
    Decision d = rules.decide(2, 4, 1, 10, null, WINDOW, T0.plusSeconds(15));
    assertThat(d.replicas()).isEqualTo(4);
    assertThat(d.stabilized()).isFalse();
  }

  static Behavior behavior(int upWindow, int downWindow, List<Policy> up, List<Policy> down) {
    return new Behavior(new Rules(upWindow, "Max", up), new Rules(downWindow, "Max", down));
  }

  static final List<Policy> KUBE_UP = List.of(new Policy("Percent", 100, 15), new Policy("Pods", 4, 15));
  static final List<Policy> KUBE_DOWN = List.of(new Policy("Percent", 100, 15));

  @Test
  void behaviorWindowsReplaceTheFlag() {
    ScalingRules rules = new ScalingRules();
    Behavior b = behavior(0, 30, KUBE_UP, KUBE_DOWN);
    assertThat(rules.decide(5, 5, 1, 10, b, WINDOW, T0).replicas()).isEqualTo(5);
    assertThat(rules.decide(5, 1, 1, 10, b, WINDOW, T0.plusSeconds(15)).replicas()).isEqualTo(5);
    assertThat(rules.decide(5, 1, 1, 10, b, WINDOW, T0.plusSeconds(31)).replicas()).isEqualTo(1); // 30 s, not 5 min
  }

  @Test
  void scaleUpWindowKeepsTheLowestRecommendation() {
    ScalingRules rules = new ScalingRules();
    Behavior b = behavior(60, 0, KUBE_UP, KUBE_DOWN);
    assertThat(rules.decide(2, 2, 1, 10, b, WINDOW, T0).replicas()).isEqualTo(2);
    assertThat(rules.decide(2, 6, 1, 10, b, WINDOW, T0.plusSeconds(30)).replicas()).isEqualTo(2);
    assertThat(rules.decide(2, 6, 1, 10, b, WINDOW, T0.plusSeconds(61)).replicas()).isEqualTo(6);
  }

  @Test
  void policiesLimitTheChangePerPeriod() {
    ScalingRules rules = new ScalingRules();
    Behavior b = behavior(0, 0, List.of(new Policy("Pods", 1, 60)), List.of(new Policy("Percent", 50, 60)));
    Decision up = rules.decide(2, 8, 1, 10, b, WINDOW, T0);
    assertThat(up.replicas()).isEqualTo(3);
    assertThat(up.limitReason()).isEqualTo("ScaleUpLimit");
    rules.scaled(2, 3, T0);
    // the period's budget is spent: no more pods until it has passed
    assertThat(rules.decide(3, 8, 1, 10, b, WINDOW, T0.plusSeconds(30)).replicas()).isEqualTo(3);
    assertThat(rules.decide(3, 8, 1, 10, b, WINDOW, T0.plusSeconds(61)).replicas()).isEqualTo(4);
    // scale down: at most half of the replicas of the period's start
    Decision down = rules.decide(8, 1, 1, 10, b, WINDOW, T0.plusSeconds(200));
    assertThat(down.replicas()).isEqualTo(4);
    assertThat(down.limitReason()).isEqualTo("ScaleDownLimit");
  }

  @Test
  void disabledDirectionDoesNotMove() {
    ScalingRules rules = new ScalingRules();
    Behavior b = new Behavior(new Rules(0, "Max", KUBE_UP), new Rules(0, "Disabled", KUBE_DOWN));
    assertThat(rules.decide(5, 1, 1, 10, b, WINDOW, T0).replicas()).isEqualTo(5);
  }
}
