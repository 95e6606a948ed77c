package io.keelson.client.json;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.keelson.client.watch.EventDecoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Objects are read without managedFields and everything else intact, writing them back sends none
 * (the stored ones stay), and container statuses are dropped only when asked (the scheduler).
 */
class LeanSerializationTest {
  static final String POD =
      """
      {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p0","namespace":"bench","uid":"u-1",
       "labels":{"app":"a"},"annotations":{"k":"v"},"resourceVersion":"42",
       "deletionTimestamp":"2026-11-26T14:25:08Z",
       "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"u-rs","controller":true}],
       "managedFields":[{"manager":"keelson-agent","operation":"Update","apiVersion":"v1","fieldsType":"FieldsV1",
         "fieldsV1":{"f:status":{"f:conditions":{"k:{\\"type\\":\\"Ready\\"}":{".":{},"f:status":{}}}}},"subresource":"status"}]},
       "spec":{"nodeName":"hollow-7","priority":5,"containers":[{"name":"c","image":"busybox",
         "resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]},
       "status":{"phase":"Running","conditions":[{"type":"PodScheduled","status":"True"}],
         "containerStatuses":[{"name":"c","ready":true,"restartCount":0,"image":"busybox","imageID":"",
           "state":{"running":{"startedAt":"2026-11-26T14:25:08Z"}}}]}}
      """;

  private static final String RS = """
      {"apiVersion":"apps/v1","kind":"ReplicaSet",
       "metadata":{"name":"web-1","namespace":"default","resourceVersion":"42","labels":{"app":"web"},
         "ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"web","uid":"u1","controller":true}],
         "managedFields":[{"manager":"controller-manager","operation":"Update","apiVersion":"apps/v1",
           "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}}}]},
       "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
         "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}},
       "status":{"replicas":3,"readyReplicas":2}}
      """;

  @Test
  void podsAreReadWithoutManagedFieldsAndEverythingElseIntact() {
    Pod pod = LeanSerialization.create().unmarshal(POD, Pod.class);

    assertThat(pod.getMetadata().getManagedFields()).isEmpty();
    assertThat(pod.getMetadata().getAdditionalProperties()).doesNotContainKey("managedFields");
    assertThat(pod.getMetadata().getLabels()).containsEntry("app", "a");
    assertThat(pod.getMetadata().getAnnotations()).containsEntry("k", "v");
    assertThat(pod.getMetadata().getDeletionTimestamp()).isEqualTo("2026-11-26T14:25:08Z");
    assertThat(pod.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName()).isEqualTo("rs"));
    assertThat(pod.getSpec().getNodeName()).isEqualTo("hollow-7");
    assertThat(pod.getSpec().getPriority()).isEqualTo(5);
    assertThat(pod.getSpec().getContainers().get(0).getResources().getRequests().get("cpu").toString()).isEqualTo("10m");
    assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
    assertThat(pod.getStatus().getConditions()).singleElement().satisfies(c -> assertThat(c.getType()).isEqualTo("PodScheduled"));
    // kept by default: the controller-manager reads them (readiness, restarts)
    assertThat(pod.getStatus().getContainerStatuses()).singleElement().satisfies(c -> assertThat(c.getReady()).isTrue());
  }

  @Test
  void containerStatusesAreDroppedWhenAsked() {
    Pod pod = LeanSerialization.builder().withoutContainerStatuses().build().unmarshal(POD, Pod.class);

    assertThat(pod.getStatus().getContainerStatuses()).isEmpty(); // never read by the scheduler
    assertThat(pod.getMetadata().getManagedFields()).isEmpty();
    assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
    assertThat(pod.getStatus().getConditions()).singleElement().satisfies(c -> assertThat(c.getType()).isEqualTo("PodScheduled"));
  }

  @Test
  void readWithoutManagedFieldsAndWrittenBackWithoutThem() {
    var ser = LeanSerialization.create();
    ReplicaSet rs = ser.unmarshal(RS, ReplicaSet.class);
    assertThat(rs.getMetadata().getManagedFields()).isEmpty();
    assertThat(rs.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName()).isEqualTo("web"));
    assertThat(rs.getSpec().getReplicas()).isEqualTo(3);
    assertThat(rs.getStatus().getReadyReplicas()).isEqualTo(2);
    // an update built from it must not carry "managedFields": [] (that would reset the server's)
    assertThat(ser.asJson(rs)).doesNotContain("managedFields").contains("\"resourceVersion\":\"42\"");
  }

  @Test
  void leanWatchLinesDecodeToTheirPod() {
    byte[] line = ("{\"type\":\"MODIFIED\",\"object\":" + POD + "}").getBytes(StandardCharsets.UTF_8);
    EventDecoder.Event<Pod> ev =
        new EventDecoder<>(LeanSerialization.builder().withoutContainerStatuses().build(), Pod.class, "pods")
            .decode(line, line.length);

    assertThat(ev.type).isEqualTo("MODIFIED");
    assertThat(ev.object.getSpec().getNodeName()).isEqualTo("hollow-7");
    assertThat(ev.object.getMetadata().getResourceVersion()).isEqualTo("42");
    assertThat(ev.object.getMetadata().getManagedFields()).isEmpty();
    assertThat(ev.object.getStatus().getContainerStatuses()).isEmpty();
  }

  @Test
  void watchEventsCarryTheLeanPod() {
    // fabric8's own informers (nodes, classes) decode WatchEvents with the same mapping
    WatchEvent ev = LeanSerialization.create().unmarshal("{\"type\":\"MODIFIED\",\"object\":" + POD + "}", WatchEvent.class);

    assertThat(ev.getObject()).isInstanceOfSatisfying(Pod.class, p -> {
      assertThat(p.getMetadata().getManagedFields()).isEmpty();
      assertThat(p.getSpec().getNodeName()).isEqualTo("hollow-7");
    });
  }

  @Test
  void itsReaderReadsWhatUnmarshalReads() throws Exception {
    LeanSerialization.Readable ser = LeanSerialization.builder().readable();
    assertThat(LeanSerialization.create()).isInstanceOf(LeanSerialization.Readable.class);
    byte[] bytes = POD.getBytes(StandardCharsets.UTF_8);
    Pod viaReader = ser.reader(Pod.class).readValue(bytes, 0, bytes.length);

    assertThat(viaReader).isEqualTo(ser.unmarshal(POD, Pod.class));
    assertThat(viaReader.getMetadata().getManagedFields()).isEmpty();
    assertThat(viaReader.getStatus().getContainerStatuses()).hasSize(1);
    ReplicaSet rs = ser.reader(ReplicaSet.class).readValue(RS);
    assertThat(rs).isEqualTo(ser.unmarshal(RS, ReplicaSet.class));
  }

  @Test
  void podStatusIsDroppedWhenAsked() {
    Pod pod = LeanSerialization.builder().withoutPodStatus().build().unmarshal(POD, Pod.class);

    assertThat(pod.getStatus()).isNull(); // the agent writes it and never reads it back
    assertThat(pod.getMetadata().getManagedFields()).isEmpty();
    assertThat(pod.getSpec().getNodeName()).isEqualTo("hollow-7");
    assertThat(pod.getMetadata().getDeletionTimestamp()).isEqualTo("2026-11-26T14:25:08Z");
  }
}
