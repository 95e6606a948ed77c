package io.keelson.scheduler.plugins.nodeunschedulable;

import static io.keelson.scheduler.testing.Fixtures.cordoned;
import static io.keelson.scheduler.testing.Fixtures.info;
import static io.keelson.scheduler.testing.Fixtures.node;
import static io.keelson.scheduler.testing.Fixtures.pod;
import static io.keelson.scheduler.testing.Fixtures.toleration;
import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.NodeInfo;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NodeUnschedulableTest {
  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("schedulable node", false, false, true),
        Arguments.of("cordoned node", true, false, false),
        Arguments.of("cordoned but tolerated", true, true, true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void filter(String name, boolean cordon, boolean tolerate, boolean fits) {
    var n = node("n", "4", "8Gi");
    NodeInfo ni = NodeInfo.of(cordon ? cordoned(n) : n);
    var pb = pod("p", "1", null);
    if (tolerate) {
      pb.editSpec().addToTolerations(toleration("node.kubernetes.io/unschedulable", "Exists", null, "NoSchedule")).endSpec();
    }
    var s = new NodeUnschedulable().filter(new CycleState(), info(pb), ni);
    assertThat(s.isSuccess()).isEqualTo(fits);
    if (!fits) {
      assertThat(s.message()).isEqualTo(NodeUnschedulable.REASON_UNSCHEDULABLE);
    }
  }
}
