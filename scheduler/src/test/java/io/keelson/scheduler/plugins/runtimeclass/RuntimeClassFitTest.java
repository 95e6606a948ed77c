package io.keelson.scheduler.plugins.runtimeclass;

import static io.keelson.scheduler.testing.Fixtures.info;
import static io.keelson.scheduler.testing.Fixtures.node;
import static io.keelson.scheduler.testing.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.node.v1.RuntimeClassBuilder;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.Status;
import io.keelson.scheduler.testing.Fixtures;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RuntimeClassFitTest {
  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("no runtimeClassName fits anywhere", null, Map.of(), true, null),
        Arguments.of("runc fits a plain node", "runc", Map.of(), true, null),
        Arguments.of("vm needs the vm label", "vm", Map.of(), false, "node(s) didn't match the node selector of RuntimeClass \"vm\""),
        Arguments.of("vm fits a vm-capable node", "vm", Map.of("keelson.io/runtime.vm", "true"), true, null),
        Arguments.of("RuntimeClass object's nodeSelector", "gvisor", Map.of("sandbox", "gvisor"), true, null),
        Arguments.of("RuntimeClass object's nodeSelector mismatch", "gvisor", Map.of(), false, "node(s) didn't match the node selector of RuntimeClass \"gvisor\""),
        Arguments.of("unknown class", "nope", Map.of(), false, "pod's RuntimeClass \"nope\" not found"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void fit(String name, String rc, Map<String, String> nodeLabels, boolean fits, String reason) {
    NodeInfo n = NodeInfo.of(node("n", "4", "8Gi", "110", nodeLabels));
    var h = Fixtures.handle(List.of(n));
    h.runtimeClasses.put(
        "gvisor",
        new RuntimeClassBuilder()
            .withNewMetadata()
            .withName("gvisor")
            .endMetadata()
            .withHandler("runsc")
            .withNewScheduling()
            .withNodeSelector(Map.of("sandbox", "gvisor"))
            .endScheduling()
            .build());
    var plugin = new RuntimeClassFit(h);
    var p = info(pod("p", "1", null).editSpec().withRuntimeClassName(rc).endSpec());
    CycleState st = new CycleState();
    Status s = plugin.preFilter(st, p);
    if (s.isSuccess()) {
      s = plugin.filter(st, p, n);
    } else if (s.isSkip()) {
      s = Status.SUCCESS;
    }
    assertThat(s.isSuccess()).isEqualTo(fits);
    if (!fits) {
      assertThat(s.message()).isEqualTo(reason);
    }
  }
}
