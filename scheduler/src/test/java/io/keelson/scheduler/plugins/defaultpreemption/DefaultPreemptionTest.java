package io.keelson.scheduler.plugins.defaultpreemption;

import static io.keelson.scheduler.testing.Fixtures.node;
import static io.keelson.scheduler.testing.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.Diagnosis;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.PostFilterPlugin;
import io.keelson.scheduler.testing.Fixtures;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DefaultPreemptionTest {
  static PodInfo prio(String name, String cpu, int priority) {
    return PodInfo.of(pod(name, cpu, null).editSpec().withPriority(priority).endSpec().build());
  }

  static PodInfo preemptor(String cpu, int priority, String policy) {
    Pod p = pod("vip", cpu, null).editSpec().withPriority(priority).withPreemptionPolicy(policy).endSpec().build();
    return PodInfo.of(p);
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("evicts only the least important pod needed", preemptor("2", 50, null), "n1", List.of("low")),
        Arguments.of("evicts both when both are needed", preemptor("4", 50, null), "n1", List.of("low", "mid")),
        Arguments.of("cannot preempt equal or higher priority", preemptor("2", 5, null), null, List.of()),
        Arguments.of("preemptionPolicy Never", preemptor("2", 50, "Never"), null, List.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void postFilter(String name, PodInfo pod, String nominated, List<String> evicted) {
    // n1: mid (prio 10, 2 cpu) + low (prio 5, 1 cpu) on 4 cpu; n2: a prio-100 pod filling it.
    NodeInfo n1 = NodeInfo.of(node("n1", "4", "8Gi"), prio("mid", "2", 10), prio("low", "1", 5));
    NodeInfo n2 = NodeInfo.of(node("n2", "4", "8Gi"), prio("king", "4", 100));
    var h = Fixtures.handle(List.of(n1, n2));
    var fw = h.framework();
    CycleState st = new CycleState();
    fw.runPreFilter(st, pod);
    Diagnosis d = new Diagnosis();
    d.setTotalNodes(2);
    for (NodeInfo n : List.of(n1, n2)) {
      var s = fw.runFilter(st, pod, n);
      assertThat(s.isSuccess()).isFalse();
      d.record(n.name(), s);
    }
    PostFilterPlugin.Result r = new DefaultPreemption(h).postFilter(st, pod, d);
    assertThat(r.nominatedNode()).isEqualTo(nominated);
    assertThat(h.api.evicted).containsExactlyInAnyOrderElementsOf(evicted);
    if (nominated == null && !"Never".equals(pod.pod().getSpec().getPreemptionPolicy())) {
      assertThat(r.status().message()).isEqualTo("0/2 nodes are available: 2 No preemption victims found for incoming pod.");
    }
    // the snapshot itself is untouched by the dry run
    assertThat(n1.pods()).hasSize(2);
  }
}
