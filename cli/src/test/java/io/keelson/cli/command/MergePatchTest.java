package io.keelson.cli.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.cli.cluster.Cluster;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class MergePatchTest {
  private static JsonNode j(String s) {
    return Cluster.JSON.readTree(s);
  }

  @Test
  void unchangedManifestGivesEmptyPatchDespiteServerDefaults() {
    JsonNode applied = j("{\"spec\":{\"replicas\":2,\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"a\"}]}}}}");
    JsonNode live = j("{\"spec\":{\"replicas\":2,\"strategy\":{\"type\":\"RollingUpdate\"},"
        + "\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"a\",\"imagePullPolicy\":\"Always\"}]}}}}");
    assertThat(MergePatch.threeWay(applied, applied, live).isEmpty()).isTrue();
  }

  @Test
  void changedScalarAndListAndDroppedField() {
    JsonNode previous = j("{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}},\"spec\":{\"replicas\":2,"
        + "\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"a\"}]}}}}");
    JsonNode desired = j("{\"metadata\":{\"labels\":{\"a\":\"1\"}},\"spec\":{\"replicas\":3,"
        + "\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"b\"}]}}}}");
    JsonNode live = j("{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}},\"spec\":{\"replicas\":2,"
        + "\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"a\",\"imagePullPolicy\":\"Always\"}]}}}}");
    assertThat(MergePatch.threeWay(previous, desired, live).toString()).isEqualTo(
        "{\"metadata\":{\"labels\":{\"b\":null}},\"spec\":{\"replicas\":3,"
            + "\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"b\"}]}}}}");
  }

  @Test
  void driftOnTheServerIsCorrected() {
    JsonNode applied = j("{\"spec\":{\"replicas\":2}}");
    JsonNode live = j("{\"spec\":{\"replicas\":5}}");
    assertThat(MergePatch.threeWay(applied, applied, live).toString()).isEqualTo("{\"spec\":{\"replicas\":2}}");
  }
}
