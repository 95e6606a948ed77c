package io.keelson.apiserver.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.storage.ObjectCodec;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/** The in-place comparisons that decide whether an update is a no-op and whether generation moves. */
class ObjectComparisonTest {

  private static ObjectNode json(String s) {
    return (ObjectNode) ObjectCodec.JSON.readTree(s);
  }

  @Test
  void aNoOpUpdateIgnoresResourceVersionAndFieldOrder() {
    ObjectNode stored = json("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"7\",\"labels\":{\"x\":\"1\"}},\"data\":{\"k\":\"v\"}}");
    ObjectNode next = json("{\"data\":{\"k\":\"v\"},\"metadata\":{\"labels\":{\"x\":\"1\"},\"name\":\"a\"},\"kind\":\"ConfigMap\"}");
    assertThat(ObjectComparison.sameIgnoringRv(next, stored)).isTrue();
    assertThat(ObjectComparison.sameIgnoringRv(stored, next)).isTrue();
  }

  @Test
  void anyOtherDifferenceIsAChange() {
    ObjectNode stored = json("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"7\"},\"data\":{\"k\":\"v\"}}");
    assertThat(ObjectComparison.sameIgnoringRv(json("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"w\"}}"), stored)).isFalse();
    assertThat(ObjectComparison.sameIgnoringRv(json("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\",\"uid\":\"u\"},\"data\":{\"k\":\"v\"}}"), stored)).isFalse();
    assertThat(ObjectComparison.sameIgnoringRv(json("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}"), stored)).isFalse();
    assertThat(ObjectComparison.sameIgnoringRv(json("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"v\"},\"immutable\":true}"), stored)).isFalse();
  }

  @Test
  void theSpecIsEverythingButMetadataStatusApiVersionAndKind() {
    ObjectNode a = json("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"a\"},\"spec\":{\"replicas\":1},\"status\":{\"replicas\":0}}");
    assertThat(ObjectComparison.sameSpec(a, json("{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"b\",\"labels\":{}},\"spec\":{\"replicas\":1},\"status\":{\"replicas\":3}}"))).isTrue();
    assertThat(ObjectComparison.sameSpec(a, json("{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"a\"},\"spec\":{\"replicas\":2}}"))).isFalse();
    assertThat(ObjectComparison.sameSpec(a, json("{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"a\"},\"spec\":{\"replicas\":1},\"template\":{}}"))).isFalse();
  }
}
