package io.keelson.scheduler.plugins.noderesources;

import static io.keelson.scheduler.testing.Fixtures.info;
import static io.keelson.scheduler.testing.Fixtures.node;
import static io.keelson.scheduler.testing.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.NodeInfo;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** LeastAllocated and BalancedAllocation scores, table-driven. */
class ScoringTest {
  static Stream<Arguments> leastAllocated() {
    return Stream.of(
        // pod 1 cpu / 2Gi on a 4 cpu / 8Gi empty node: 75% free of each -> 75
        Arguments.of("empty node", "4", "8Gi", null, 75L),
        // 2 cpu / 4Gi already used: (4-3)/4=25, (8-6)/8=25 -> 25
        Arguments.of("half used", "4", "8Gi", "2", 25L),
        Arguments.of("overcommitted scores zero", "1", "1Gi", null, 0L));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("leastAllocated")
  void leastAllocated(String name, String cpu, String mem, String usedCpu, long want) {
    NodeInfo n = NodeInfo.of(node("n", cpu, mem));
    if (usedCpu != null) {
      n.addPod(info(pod("u", usedCpu, "4Gi")));
    }
    assertThat(new LeastAllocated().score(new CycleState(), info(pod("p", "1", "2Gi")), n)).isEqualTo(want);
  }

  static Stream<Arguments> balanced() {
    return Stream.of(
        Arguments.of("equal fractions are perfectly balanced", "1", "2Gi", 100L),
        Arguments.of("cpu-heavy pod is unbalanced", "4", "0", 50L),
        Arguments.of("memory-heavy pod", "0", "4Gi", 75L));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("balanced")
  void balanced(String name, String cpu, String mem, long want) {
    NodeInfo n = NodeInfo.of(node("n", "4", "8Gi"));
    assertThat(new BalancedAllocation().score(new CycleState(), info(pod("p", cpu, mem)), n)).isEqualTo(want);
  }
}
