package io.keelson.scheduler.plugins.tainttoleration;

import static io.keelson.scheduler.testing.Fixtures.info;
import static io.keelson.scheduler.testing.Fixtures.node;
import static io.keelson.scheduler.testing.Fixtures.pod;
import static io.keelson.scheduler.testing.Fixtures.taint;
import static io.keelson.scheduler.testing.Fixtures.toleration;
import static io.keelson.scheduler.testing.Fixtures.withTaints;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.PodInfo;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TaintTolerationTest {
  static Stream<Arguments> cases() {
    Taint gpu = taint("gpu", "true", "NoSchedule");
    return Stream.of(
        Arguments.of("no taints", List.of(), List.of(), null),
        Arguments.of("untolerated NoSchedule", List.of(gpu), List.of(), "node(s) had untolerated taint {gpu: true}"),
        Arguments.of("tolerated by Equal", List.of(gpu), List.of(toleration("gpu", "Equal", "true", "NoSchedule")), null),
        Arguments.of("wrong value", List.of(gpu), List.of(toleration("gpu", "Equal", "false", "NoSchedule")), "node(s) had untolerated taint {gpu: true}"),
        Arguments.of("Exists with any effect", List.of(gpu), List.of(toleration("gpu", "Exists", null, null)), null),
        Arguments.of("empty key Exists tolerates all", List.of(gpu), List.of(toleration(null, "Exists", null, null)), null),
        Arguments.of("NoExecute filters too", List.of(taint("x", "", "NoExecute")), List.of(), "node(s) had untolerated taint {x: }"),
        Arguments.of("PreferNoSchedule does not filter", List.of(taint("x", "1", "PreferNoSchedule")), List.of(), null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void filter(String name, List<Taint> taints, List<Toleration> tolerations, String reason) {
    NodeInfo n = NodeInfo.of(withTaints(node("n", "4", "8Gi"), taints.toArray(Taint[]::new)));
    PodInfo p = info(pod("p", "1", null).editSpec().withTolerations(tolerations).endSpec());
    var s = new TaintToleration().filter(new CycleState(), p, n);
    if (reason == null) {
      assertThat(s.isSuccess()).isTrue();
    } else {
      assertThat(s.message()).isEqualTo(reason);
    }
  }

  @Test
  void scorePrefersFewerPreferNoScheduleTaints() {
    NodeInfo clean = NodeInfo.of(node("a", "4", "8Gi"));
    NodeInfo one = NodeInfo.of(withTaints(node("b", "4", "8Gi"), taint("x", "1", "PreferNoSchedule")));
    NodeInfo two =
        NodeInfo.of(withTaints(node("c", "4", "8Gi"), taint("x", "1", "PreferNoSchedule"), taint("y", "1", "PreferNoSchedule")));
    TaintToleration p = new TaintToleration();
    PodInfo pod = info(pod("p", "1", null));
    long[] s = {p.score(null, pod, clean), p.score(null, pod, one), p.score(null, pod, two)};
    p.normalizeScore(null, pod, s, 3);
    assertThat(s).containsExactly(100, 50, 0);
  }
}
