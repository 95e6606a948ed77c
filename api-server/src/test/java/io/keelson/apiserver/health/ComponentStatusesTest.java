package io.keelson.apiserver.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.storage.ObjectCodec;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class ComponentStatusesTest {
  private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");

  private static JsonNode spec(String holder, String renewed) {
    return ObjectCodec.JSON.readTree("{\"holderIdentity\":\"" + holder + "\",\"leaseDurationSeconds\":15"
        + (renewed == null ? "" : ",\"renewTime\":\"" + renewed + "\"") + "}");
  }

  @Test
  void aLeaseRenewedWithinItsDurationIsHealthy() {
    assertThat(ComponentStatuses.leaseProblem(spec("sched-1", "2026-11-28T11:59:50.000000Z"), "keelson-scheduler", NOW)).isNull();
  }

  @Test
  void aStaleMissingOrUnheldLeaseSaysWhatIsWrong() {
    assertThat(ComponentStatuses.leaseProblem(spec("sched-1", "2026-11-28T11:59:00.000000Z"), "keelson-scheduler", NOW))
        .isEqualTo("its lease kube-system/keelson-scheduler was last renewed 60s ago (by sched-1)");
    assertThat(ComponentStatuses.leaseProblem(null, "keelson-scheduler", NOW))
        .isEqualTo("no replica holds its lease kube-system/keelson-scheduler");
    assertThat(ComponentStatuses.leaseProblem(spec("", "2026-11-28T11:59:59Z"), "keelson-scheduler", NOW))
        .isEqualTo("no replica holds its lease kube-system/keelson-scheduler");
    assertThat(ComponentStatuses.leaseProblem(spec("cm-1", null), "keelson-controller-manager", NOW))
        .isEqualTo("its lease kube-system/keelson-controller-manager has no renewTime");
  }

  @Test
  void statusesAreShapedAsKubesComponentStatus() {
    assertThat(ComponentStatuses.status("etcd-0", null).toString())
        .isEqualTo("{\"kind\":\"ComponentStatus\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"etcd-0\"},"
            + "\"conditions\":[{\"type\":\"Healthy\",\"status\":\"True\",\"message\":\"ok\"}]}");
    assertThat(ComponentStatuses.status("scheduler", "down").path("conditions").get(0).toString())
        .isEqualTo("{\"type\":\"Healthy\",\"status\":\"False\",\"error\":\"down\"}");
  }
}
