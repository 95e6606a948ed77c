package io.keelson.controller.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplicaSetsTest {

  static PodTemplateSpec template(String image, Map<String, String> labels) {
    return new PodTemplateSpecBuilder()
        .withNewMetadata().withLabels(labels).endMetadata()
        .withNewSpec().addNewContainer().withName("web").withImage(image).endContainer().endSpec()
        .build();
  }

  @Test
  void templateHashIsStableAndUsesTheVowelFreeAlphabet() {
    String a = ReplicaSets.templateHash(template("busybox:1", Map.of("app", "web", "tier", "fe")), null);
    String b = ReplicaSets.templateHash(template("busybox:1", Map.of("tier", "fe", "app", "web")), null);
    assertThat(a).isEqualTo(b).matches("[bcdfghjklmnpqrstvwxz2456789]{6,10}");
    assertThat(ReplicaSets.templateHash(template("busybox:2", Map.of("app", "web", "tier", "fe")), null)).isNotEqualTo(a);
    assertThat(ReplicaSets.templateHash(template("busybox:1", Map.of("app", "web", "tier", "fe")), 1))
        .as("collisionCount changes the hash").isNotEqualTo(a);
  }

  @Test
  void templatesEqualIgnoringHashLabelAndEmptyDefaults() {
    PodTemplateSpec deployment = template("busybox:1", Map.of("app", "web"));
    PodTemplateSpec rs = template("busybox:1", Map.of("app", "web", ReplicaSets.POD_TEMPLATE_HASH, "5d4f8"));
    rs.getMetadata().setAnnotations(Map.of()); // an empty map the server dropped or added
    assertThat(ReplicaSets.equalIgnoringHash(deployment, rs)).isTrue();
    PodTemplateSpec restarted = template("busybox:1", Map.of("app", "web"));
    restarted.getMetadata().setAnnotations(Map.of("kubectl.kubernetes.io/restartedAt", "2026-11-26T11:00:00Z"));
    assertThat(ReplicaSets.equalIgnoringHash(restarted, rs)).as("rollout restart is a template change").isFalse();
    PodTemplateSpec vm = template("busybox:1", Map.of("app", "web"));
    vm.getSpec().setRuntimeClassName("kata-qemu");
    assertThat(ReplicaSets.equalIgnoringHash(vm, deployment)).as("runtimeClassName is a template change").isFalse();
  }
}
