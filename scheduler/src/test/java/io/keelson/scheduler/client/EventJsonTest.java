package io.keelson.scheduler.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The event document is the one fabric8's builder and serializer made. */
class EventJsonTest {
  private static final JsonMapper MAPPER = JsonMapper.builder().build();

  private static Event fabric8(String uid, String rv, String message) {
    return new EventBuilder()
        .withNewMetadata().withName("p.17f").withNamespace("ns").endMetadata()
        .withNewInvolvedObject().withApiVersion("v1").withKind("Pod").withNamespace("ns").withName("p")
        .withUid(uid).withResourceVersion(rv).endInvolvedObject()
        .withType("Normal").withReason("Scheduled").withAction("Binding").withMessage(message)
        .withNewSource().withComponent("default-scheduler").endSource()
        .withReportingComponent("default-scheduler").withReportingInstance("default-scheduler-host")
        .withFirstTimestamp("2026-11-27T04:32:12Z").withLastTimestamp("2026-11-27T04:32:12Z").withCount(1)
        .build();
  }

  private static EventJson ours(String uid, String rv, String message) {
    return new EventJson("p.17f", "ns", "p", uid, rv, "Normal", "Scheduled", "Binding", message,
        "default-scheduler", "default-scheduler-host", "2026-11-27T04:32:12Z");
  }

  @Test
  void sameDocumentAsFabric8s() {
    for (String[] c : new String[][] {
        {"u-1", "42", "Successfully assigned ns/p to hollow-7"},
        {null, null, "0/5 nodes are available: \"quoted\", ünïcode\n"}}) {
      String ours = new String(ours(c[0], c[1], c[2]).toJson(), StandardCharsets.UTF_8);
      assertThat(MAPPER.readTree(ours)).isEqualTo(MAPPER.readTree(Serialization.asJson(fabric8(c[0], c[1], c[2]))));
    }
  }
}
