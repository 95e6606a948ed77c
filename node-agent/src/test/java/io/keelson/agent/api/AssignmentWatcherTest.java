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

  private static io.keelson.proto.node.v1.PodAssignment assignment(String version, String phase) {
    String json = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\","
        + "\"uid\":\"u1\",\"resourceVersion\":\"" + version + "\",\"managedFields\":[{\"manager\":\"agent\","
        + "\"operation\":\"Update\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:status\":{}}}]},"
        + "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\","
        + "\"resources\":{\"requests\":{\"cpu\":\"10m\"}}}]},\"status\":{\"phase\":\"" + phase + "\"}}";
    return io.keelson.proto.node.v1.PodAssignment.newBuilder()
        .setType(io.keelson.proto.node.v1.PodAssignment.Type.MODIFIED)
        .setNodeName("n1")
        .setPodJson(com.google.protobuf.ByteString.copyFromUtf8(json))
        .build();
  }

  @Test
  void assignedPodsAreReadWithoutStatusAndManagedFieldsSoTheirEchoIsNoChange() {
    Pod first = AssignmentWatcher.decode(assignment("1", "Pending"));
    assertThat(first.getStatus()).isNull();
    assertThat(first.getMetadata().getManagedFields()).isEmpty();
    assertThat(first.getSpec().getContainers().get(0).getResources().getRequests().get("cpu").toString()).isEqualTo("10m");
    assertThat(first).isEqualTo(pod("1", "busybox").edit().editSpec().editFirstContainer().withNewResources()
        .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("10m")).endResources().endContainer()
        .endSpec().editMetadata().withManagedFields().endMetadata().build());
    assertThat(AssignmentWatcher.unchanged(first, AssignmentWatcher.decode(assignment("2", "Running")))).isTrue();
  }
}
