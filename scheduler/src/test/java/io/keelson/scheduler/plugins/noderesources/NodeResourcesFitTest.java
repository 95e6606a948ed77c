package io.keelson.scheduler.plugins.noderesources;

import static io.keelson.scheduler.testing.Fixtures.info;
import static io.keelson.scheduler.testing.Fixtures.node;
import static io.keelson.scheduler.testing.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.Status;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NodeResourcesFitTest {
  private final NodeResourcesFit plugin = new NodeResourcesFit();

  static Pod withInit(String appCpu, String initCpu) {
    return new PodBuilder(pod("p", appCpu, null).build())
        .editSpec()
        .addToInitContainers(
            new ContainerBuilder()
                .withName("init")
                .withNewResources()
                .withRequests(Map.of("cpu", new Quantity(initCpu)))
                .endResources()
                .build())
        .endSpec()
        .build();
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("fits on an empty node", pod("p", "1", "1Gi").build(), List.of(), List.of()),
        Arguments.of("too much cpu", pod("p", "5", "1Gi").build(), List.of(), List.of("Insufficient cpu")),
        Arguments.of("too much memory", pod("p", "1", "9Gi").build(), List.of(), List.of("Insufficient memory")),
        Arguments.of("both", pod("p", "5", "9Gi").build(), List.of(), List.of("Insufficient cpu", "Insufficient memory")),
        Arguments.of(
            "existing pods use the room",
            pod("p", "2", "1Gi").build(),
            List.of(pod("a", "3", "1Gi").build()),
            List.of("Insufficient cpu")),
        Arguments.of("no requests always fit by resources", pod("p", null, null).build(), List.of(pod("a", "4", "8Gi").build()), List.of()),
        Arguments.of("init container bigger than the app counts", withInit("1", "5"), List.of(), List.of("Insufficient cpu")),
        Arguments.of("init container smaller than the app is ignored", withInit("3", "2"), List.of(pod("a", "1", null).build()), List.of()),
        Arguments.of(
            "pod overhead counts",
            new PodBuilder(pod("p", "3500m", null).build())
                .editSpec()
                .withOverhead(Map.of("cpu", new Quantity("600m")))
                .endSpec()
                .build(),
            List.of(),
            List.of("Insufficient cpu")),
        Arguments.of(
            "extended resource",
            new PodBuilder(pod("p", "1", null).build())
                .editSpec()
                .editFirstContainer()
                .editResources()
                .addToRequests("example.com/gpu", new Quantity("1"))
                .endResources()
                .endContainer()
                .endSpec()
                .build(),
            List.of(),
            List.of("Insufficient example.com/gpu")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void filter(String name, Pod pod, List<Pod> existing, List<String> reasons) {
    NodeInfo n = NodeInfo.of(node("n1", "4", "8Gi"), existing.stream().map(PodInfo::of).toArray(PodInfo[]::new));
    Status s = plugin.filter(new CycleState(), info(pod), n);
    assertThat(s.reasons()).containsExactlyElementsOf(reasons);
    assertThat(s.isSuccess()).isEqualTo(reasons.isEmpty());
  }

  @Test
  void podCountLimit() {
    NodeInfo n = NodeInfo.of(node("n1", "4", "8Gi", "2", Map.of()), info(pod("a", null, null)), info(pod("b", null, null)));
    assertThat(plugin.filter(new CycleState(), info(pod("p", null, null)), n).reasons()).containsExactly("Too many pods");
  }

  @Test
  void runtimeClassOverheadAddsToRequests() {
    Pod p = new PodBuilder(pod("p", "1", null).build()).editSpec().withRuntimeClassName("vm").endSpec().build();
    PodInfo.Resolver r =
        new PodInfo.Resolver() {
          @Override
          public Map<String, Quantity> runtimeClassOverhead(String name) {
            return "vm".equals(name) ? Map.of("cpu", new Quantity("250m"), "memory", new Quantity("64Mi")) : null;
          }
        };
    PodInfo pi = PodInfo.of(p, r);
    assertThat(pi.requests().milliCpu).isEqualTo(1250);
    assertThat(pi.requests().memory).isEqualTo(64L * 1024 * 1024);
  }
}
