package io.keelson.scheduler.plugins.podtopologyspread;

import static io.keelson.scheduler.testing.Fixtures.info;
import static io.keelson.scheduler.testing.Fixtures.labelled;
import static io.keelson.scheduler.testing.Fixtures.node;
import static io.keelson.scheduler.testing.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.Status;
import io.keelson.scheduler.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PodTopologySpreadTest {
  static final String ZONE = "topology.kubernetes.io/zone";

  static Pod spread(String name, String key, int maxSkew, String when) {
    Pod p = labelled(pod(name, "100m", null), "app", "web");
    return new PodBuilder(p)
        .editSpec()
        .addToTopologySpreadConstraints(
            new TopologySpreadConstraintBuilder()
                .withTopologyKey(key)
                .withMaxSkew(maxSkew)
                .withWhenUnsatisfiable(when)
                .withLabelSelector(new LabelSelectorBuilder().withMatchLabels(Map.of("app", "web")).build())
                .build())
        .endSpec()
        .build();
  }

  static PodInfo web(String name) {
    return info(labelled(pod(name, "100m", null), "app", "web"));
  }

  /** zone a: n1 (2 web pods), n2 (0); zone b: n3 (0); n4 has no zone label. */
  static List<NodeInfo> cluster() {
    return List.of(
        NodeInfo.of(node("n1", "4", "8Gi", "110", Map.of(ZONE, "a")), web("w1"), web("w2")),
        NodeInfo.of(node("n2", "4", "8Gi", "110", Map.of(ZONE, "a"))),
        NodeInfo.of(node("n3", "4", "8Gi", "110", Map.of(ZONE, "b"))),
        NodeInfo.of(node("n4", "4", "8Gi", "110", Map.of())));
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("zone skew 1: only zone b", ZONE, 1, List.of("n3")),
        Arguments.of("zone skew 2: still only b (2+1-0=3)", ZONE, 2, List.of("n3")),
        Arguments.of("zone skew 3: both zones", ZONE, 3, List.of("n1", "n2", "n3")),
        Arguments.of("hostname skew 1: empty nodes", "kubernetes.io/hostname", 1, List.of("n2", "n3", "n4")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void doNotSchedule(String name, String key, int maxSkew, List<String> fits) {
    List<NodeInfo> nodes = cluster();
    var plugin = new PodTopologySpread(Fixtures.handle(nodes));
    PodInfo p = info(spread("new", key, maxSkew, "DoNotSchedule"));
    CycleState st = new CycleState();
    assertThat(plugin.preFilter(st, p).isSuccess()).isTrue();
    List<String> got = new ArrayList<>();
    for (NodeInfo n : nodes) {
      Status s = plugin.filter(st, p, n);
      if (s.isSuccess()) {
        got.add(n.name());
      } else if (n.name().equals("n4")) {
        assertThat(s.message()).isEqualTo(PodTopologySpread.REASON_MISSING_LABEL);
      } else {
        assertThat(s.message()).isEqualTo(PodTopologySpread.REASON_CONSTRAINTS_NOT_MATCH);
      }
    }
    assertThat(got).containsExactlyElementsOf(fits);
  }

  @Test
  void scheduleAnywayPrefersEmptierDomains() {
    List<NodeInfo> nodes = cluster().subList(0, 3);
    var plugin = new PodTopologySpread(Fixtures.handle(nodes));
    PodInfo p = info(spread("new", ZONE, 1, "ScheduleAnyway"));
    CycleState st = new CycleState();
    assertThat(plugin.preFilter(st, p).isSkip()).isTrue();
    assertThat(plugin.preScore(st, p, nodes).isSuccess()).isTrue();
    long[] s = new long[3];
    for (int i = 0; i < 3; i++) {
      s[i] = plugin.score(st, p, nodes.get(i));
    }
    plugin.normalizeScore(st, p, s, 3);
    assertThat(s[2]).isEqualTo(100);
    assertThat(s[0]).isLessThan(s[2]);
    assertThat(s[0]).isEqualTo(s[1]);
  }
}
