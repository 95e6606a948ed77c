package io.keelson.scheduler.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.WatchEvent;
import org.junit.jupiter.api.Test;

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
    assertThat(pod.getStatus().getContainerStatuses()).isEmpty(); // never read by the scheduler
  }

  @Test
  void leanWatchLinesDecodeToTheirPod() {
    LeanPodWatch.PodEvent ev =
        LeanSerialization.create()
            .unmarshal(new java.io.ByteArrayInputStream(("{\"type\":\"MODIFIED\",\"object\":" + POD + "}").getBytes()),
                LeanPodWatch.PodEvent.class);

    assertThat(ev.type).isEqualTo("MODIFIED");
    assertThat(ev.object.getSpec().getNodeName()).isEqualTo("hollow-7");
    assertThat(ev.object.getMetadata().getResourceVersion()).isEqualTo("42");
  }

  @Test
  void watchEventsCarryTheLeanPod() {
    WatchEvent ev = LeanSerialization.create().unmarshal("{\"type\":\"MODIFIED\",\"object\":" + POD + "}", WatchEvent.class);

    assertThat(ev.getObject()).isInstanceOfSatisfying(Pod.class, p -> {
      assertThat(p.getMetadata().getManagedFields()).isEmpty();
      assertThat(p.getSpec().getNodeName()).isEqualTo("hollow-7");
    });
  }
}
