package io.keelson.controller.daemonset;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodePlacementTest {

  static Node node(String name, Map<String, String> labels, String taintKey, String effect) {
    var b = new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().withNewSpec().endSpec();
    if (taintKey != null) b.editSpec().addToTaints(new TaintBuilder().withKey(taintKey).withEffect(effect).build()).endSpec();
    return b.build();
  }

  @Test
  void nodeSelectorAffinityAndTaintsDecideWhereDaemonPodsRun() {
    PodSpec plain = new PodSpecBuilder().build();
    PodSpec hollowOnly = new PodSpecBuilder().withNodeSelector(Map.of("keelson.io/hollow", "true")).build();
    PodSpec byName = new PodSpecBuilder().withNewAffinity().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
        .addNewNodeSelectorTerm().addNewMatchField().withKey("metadata.name").withOperator("In").withValues("hollow-2").endMatchField().endNodeSelectorTerm()
        .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().endAffinity().build();
    PodSpec toleratesGpu = new PodSpecBuilder().withTolerations(new TolerationBuilder().withKey("gpu").withOperator("Exists").build()).build();

    Node hollow1 = node("hollow-1", Map.of("keelson.io/hollow", "true"), null, null);
    Node hollow2 = node("hollow-2", Map.of("keelson.io/hollow", "true"), null, null);
    Node real = node("node-1", Map.of(), null, null);
    Node gpu = node("node-2", Map.of(), "gpu", "NoSchedule");
    Node unreachable = node("node-3", Map.of(), "node.kubernetes.io/unreachable", "NoExecute");
    Node cordoned = node("node-4", Map.of(), "node.kubernetes.io/unschedulable", "NoSchedule");
    Node preferNo = node("node-5", Map.of(), "soft", "PreferNoSchedule");

    assertThat(NodePlacement.shouldRun(plain, real)).isTrue();
    assertThat(NodePlacement.shouldRun(hollowOnly, real)).isFalse();
    assertThat(NodePlacement.shouldRun(hollowOnly, hollow1)).isTrue();
    assertThat(NodePlacement.shouldRun(byName, hollow1)).isFalse();
    assertThat(NodePlacement.shouldRun(byName, hollow2)).isTrue();
    assertThat(NodePlacement.shouldRun(plain, gpu)).as("untolerated NoSchedule").isFalse();
    assertThat(NodePlacement.shouldRun(toleratesGpu, gpu)).isTrue();
    assertThat(NodePlacement.shouldRun(plain, unreachable)).as("daemon pods tolerate unreachable").isTrue();
    assertThat(NodePlacement.shouldRun(plain, cordoned)).as("and unschedulable").isTrue();
    assertThat(NodePlacement.shouldRun(plain, preferNo)).as("PreferNoSchedule does not block").isTrue();
    Node unreachableNoSchedule = node("node-6", Map.of(), "node.kubernetes.io/unreachable", "NoSchedule");
    assertThat(NodePlacement.shouldRun(plain, unreachableNoSchedule)).as("no new daemon pod there").isFalse();
    assertThat(NodePlacement.shouldContinueRunning(plain, unreachableNoSchedule)).as("but the existing one stays").isTrue();
    Node evicting = node("node-7", Map.of(), "maintenance", "NoExecute");
    assertThat(NodePlacement.shouldContinueRunning(plain, evicting)).isFalse();
  }
}
