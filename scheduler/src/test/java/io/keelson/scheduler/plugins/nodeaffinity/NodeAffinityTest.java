package io.keelson.scheduler.plugins.nodeaffinity;

import static io.keelson.scheduler.testing.Fixtures.info;
import static io.keelson.scheduler.testing.Fixtures.node;
import static io.keelson.scheduler.testing.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.PodInfo;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NodeAffinityTest {
  static Affinity required(String key, String op, String... values) {
    return new AffinityBuilder()
        .withNewNodeAffinity()
        .withNewRequiredDuringSchedulingIgnoredDuringExecution()
        .addToNodeSelectorTerms(
            new NodeSelectorTermBuilder()
                .addToMatchExpressions(
                    new NodeSelectorRequirementBuilder().withKey(key).withOperator(op).withValues(values).build())
                .build())
        .endRequiredDuringSchedulingIgnoredDuringExecution()
        .endNodeAffinity()
        .build();
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("no constraints", Map.of(), null, true),
        Arguments.of("nodeSelector matches", Map.of("disk", "ssd"), null, true),
        Arguments.of("nodeSelector mismatch", Map.of("disk", "hdd"), null, false),
        Arguments.of("In matches", Map.of(), required("zone", "In", "a", "b"), true),
        Arguments.of("In mismatch", Map.of(), required("zone", "In", "b"), false),
        Arguments.of("NotIn", Map.of(), required("zone", "NotIn", "a"), false),
        Arguments.of("Exists", Map.of(), required("disk", "Exists"), true),
        Arguments.of("DoesNotExist", Map.of(), required("gpu", "DoesNotExist"), true),
        Arguments.of("Gt", Map.of(), required("cores", "Gt", "8"), true),
        Arguments.of("Lt", Map.of(), required("cores", "Lt", "8"), false),
        Arguments.of("selector and affinity both needed", Map.of("disk", "hdd"), required("zone", "In", "a"), false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void filter(String name, Map<String, String> nodeSelector, Affinity affinity, boolean fits) {
    NodeInfo n = NodeInfo.of(node("n", "4", "8Gi", "110", Map.of("disk", "ssd", "zone", "a", "cores", "16")));
    PodInfo p = info(pod("p", "1", null).editSpec().withNodeSelector(nodeSelector).withAffinity(affinity).endSpec());
    var s = new NodeAffinity().filter(new CycleState(), p, n);
    assertThat(s.isSuccess()).isEqualTo(fits);
    if (!fits) {
      assertThat(s.message()).isEqualTo("node(s) didn't match Pod's node affinity/selector");
    }
  }

  @Test
  void preferredTermsScoreByWeight() {
    Affinity a =
        new AffinityBuilder()
            .withNewNodeAffinity()
            .addNewPreferredDuringSchedulingIgnoredDuringExecution()
            .withWeight(80)
            .withNewPreference()
            .addNewMatchExpression()
            .withKey("zone")
            .withOperator("In")
            .withValues("a")
            .endMatchExpression()
            .endPreference()
            .endPreferredDuringSchedulingIgnoredDuringExecution()
            .addNewPreferredDuringSchedulingIgnoredDuringExecution()
            .withWeight(20)
            .withNewPreference()
            .addNewMatchExpression()
            .withKey("disk")
            .withOperator("In")
            .withValues("ssd")
            .endMatchExpression()
            .endPreference()
            .endPreferredDuringSchedulingIgnoredDuringExecution()
            .endNodeAffinity()
            .build();
    PodInfo p = info(pod("p", "1", null).editSpec().withAffinity(a).endSpec());
    List<NodeInfo> nodes =
        List.of(
            NodeInfo.of(node("both", "4", "8Gi", "110", Map.of("zone", "a", "disk", "ssd"))),
            NodeInfo.of(node("zone", "4", "8Gi", "110", Map.of("zone", "a"))),
            NodeInfo.of(node("none", "4", "8Gi", "110", Map.of())));
    NodeAffinity plugin = new NodeAffinity();
    CycleState st = new CycleState();
    assertThat(plugin.preScore(st, p, nodes).isSuccess()).isTrue();
    long[] s = new long[3];
    for (int i = 0; i < 3; i++) {
      s[i] = plugin.score(st, p, nodes.get(i));
    }
    plugin.normalizeScore(st, p, s, 3);
    assertThat(s).containsExactly(100, 80, 0);
  }
}
