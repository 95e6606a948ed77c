package io.keelson.agent.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

class AssignmentWatcherTest {
  private static Pod pod(String version, String image) {
    return new PodBuilder()
        .withNewMetadata().withName("p").withNamespace("ns").withUid("u1").withResourceVersion(version).endMetadata()
        .withNewSpec().withNodeName("n1").addNewContainer().withName("c").withImage(image).endContainer().endSpec()
        .build();
  }

  @Test
  void theEchoOfAStatusWriteIsNotAChange() {
    assertThat(AssignmentWatcher.unchanged(pod("1", "busybox"), pod("2", "busybox"))).isTrue();
  }

  @Test
  void aChangedSpecOrDeletionIsAChange() {
    assertThat(AssignmentWatcher.unchanged(pod("1", "busybox"), pod("2", "nginx"))).isFalse();
    Pod deleting = pod("2", "busybox");
    deleting.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
    assertThat(AssignmentWatcher.unchanged(pod("1", "busybox"), deleting)).isFalse();
    assertThat(AssignmentWatcher.unchanged(null, pod("2", "busybox"))).isFalse();
  }

  @Test
  void theComparisonLeavesTheNewVersionInPlace() {
    Pod next = pod("2", "busybox");
    AssignmentWatcher.unchanged(pod("1", "busybox"), next);
    assertThat(next.getMetadata().getResourceVersion()).isEqualTo("2");
  }
}
