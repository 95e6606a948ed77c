package io.keelson.controller.statefulset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.keelson.client.fake.InMemoryApiServer;
import io.keelson.client.fake.SelfSignedTls;
import io.keelson.controller.ControllerManager;
import io.keelson.controller.testing.TestControllerManager;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/**
 * The StatefulSet controller against the in-memory API: the test plays the kubelet, making pods
 * Running and Ready, and checks the order pods come and go in, their identity, and the status.
 */
class StatefulSetControllerTest {
  static final String NS = "default";
  static final Duration WAIT = Duration.ofSeconds(20);
  InMemoryApiServer api;
  ControllerManager manager;

  @BeforeEach
  void start() throws Exception {
    api = InMemoryApiServer.start((SelfSignedTls) null);
    manager = TestControllerManager.against(api, 2, "statefulset");
    manager.start();
  }

  @AfterEach
  void stop() {
    if (api != null) api.close();
    if (manager != null) manager.close();
  }

  /** A StatefulSet as the api-server stores it after defaulting. */
  static String set(String name, int replicas, String policy, String image, String extraSpec) {
    return "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + NS
        + "\",\"generation\":1},\"spec\":{\"replicas\":" + replicas + ",\"serviceName\":\"" + name + "-svc\",\"podManagementPolicy\":\""
        + policy + "\",\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"partition\":0}},\"revisionHistoryLimit\":10"
        + extraSpec + ",\"selector\":{\"matchLabels\":{\"app\":\"" + name + "\"}},"
        + "\"template\":{\"metadata\":{\"labels\":{\"app\":\"" + name + "\"}},"
        + "\"spec\":{\"restartPolicy\":\"Always\",\"containers\":[{\"name\":\"main\",\"image\":\"" + image + "\"}]}}}}";
  }

  List<String> podNames() {
    return pods().stream().map(p -> p.getMetadata().getName()).sorted().toList();
  }

  List<Pod> pods() {
    return manager.client().pods().inNamespace(NS).list().getItems();
  }

  Pod pod(String name) {
    return manager.client().pods().inNamespace(NS).withName(name).get();
  }

  StatefulSet get(String name) {
    return manager.client().apps().statefulSets().inNamespace(NS).withName(name).get();
  }

  void ready(String pod) {
    api.update("pods", NS, pod, o -> {
      ObjectNode status = ((ObjectNode) o).putObject("status").put("phase", "Running");
      status.putArray("conditions").addObject().put("type", "Ready").put("status", "True")
          .put("lastTransitionTime", Instant.now().toString());
      return o;
    });
  }

  @Test
  void orderedReadyCreatesOneAtATimeAndScalesDownFromTheTop() {
    api.create("statefulsets.apps", set("web", 3, "OrderedReady", "busybox", ""));
    await().atMost(WAIT).until(() -> podNames().equals(List.of("web-0")));
    Pod first = pod("web-0");
    assertThat(first.getSpec().getHostname()).isEqualTo("web-0");
    assertThat(first.getSpec().getSubdomain()).isEqualTo("web-svc");
    assertThat(first.getMetadata().getLabels())
        .containsEntry("statefulset.kubernetes.io/pod-name", "web-0")
        .containsEntry("apps.kubernetes.io/pod-index", "0")
        .containsKey("controller-revision-hash");
    assertThat(first.getMetadata().getOwnerReferences().get(0).getController()).isTrue();
    // web-1 only once web-0 is Ready
    await().during(Duration.ofMillis(700)).atMost(WAIT).until(() -> podNames().equals(List.of("web-0")));
    ready("web-0");
    await().atMost(WAIT).until(() -> podNames().equals(List.of("web-0", "web-1")));
    ready("web-1");
    await().atMost(WAIT).until(() -> podNames().equals(List.of("web-0", "web-1", "web-2")));
    ready("web-2");
    await().atMost(WAIT).until(() -> Integer.valueOf(3).equals(get("web").getStatus().getReadyReplicas()));
    StatefulSet s = get("web");
    String revision = first.getMetadata().getLabels().get("controller-revision-hash");
    assertThat(s.getStatus().getReplicas()).isEqualTo(3);
    assertThat(s.getStatus().getUpdatedReplicas()).isEqualTo(3);
    assertThat(s.getStatus().getCurrentRevision()).isEqualTo(revision).isEqualTo(s.getStatus().getUpdateRevision());
    assertThat(s.getStatus().getObservedGeneration()).isEqualTo(1);
    assertThat(manager.client().apps().controllerRevisions().inNamespace(NS).withName(revision).get()).isNotNull();

    List<String> deleted = new java.util.concurrent.CopyOnWriteArrayList<>();
    api.onChange(c -> {
      if (c.type().equals("DELETED") && c.kind().kind().equals("Pod")) deleted.add(c.object().at("/metadata/name").asString());
    });
    api.update("statefulsets.apps", NS, "web", o -> {
      ((ObjectNode) o.get("spec")).put("replicas", 1);
      return o;
    });
    await().atMost(WAIT).until(() -> podNames().equals(List.of("web-0")));
    assertThat(deleted).containsExactly("web-2", "web-1");
  }

  @Test
  void eachPodGetsItsOwnClaimsWhichOutliveScaleDown() {
    api.create("statefulsets.apps", set("web", 2, "Parallel", "busybox", ",\"volumeClaimTemplates\":[{\"metadata\":{\"name\":"
        + "\"data\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}}]"));
    await().atMost(WAIT).until(() -> podNames().equals(List.of("web-0", "web-1")));
    var claims = manager.client().persistentVolumeClaims().inNamespace(NS);
    assertThat(claims.list().getItems()).extracting(c -> c.getMetadata().getName()).containsExactlyInAnyOrder("data-web-0", "data-web-1");
    assertThat(claims.withName("data-web-1").get().getMetadata().getLabels()).containsEntry("app", "web");
    assertThat(claims.withName("data-web-1").get().getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("1Gi");
    assertThat(pod("web-1").getSpec().getVolumes()).anySatisfy(v -> {
      assertThat(v.getName()).isEqualTo("data");
      assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("data-web-1");
    });
    api.update("statefulsets.apps", NS, "web", o -> {
      ((ObjectNode) o.get("spec")).put("replicas", 1);
      return o;
    });
    await().atMost(WAIT).until(() -> podNames().equals(List.of("web-0")));
    assertThat(claims.withName("data-web-1").get()).as("Retain: the claim outlives its pod").isNotNull();
    assertThat(claims.withName("data-web-1").get().getMetadata().getOwnerReferences()).isNullOrEmpty();
  }

  @Test
  void whenScaledDeleteHandsTheClaimsOfARemovedPodToTheGarbageCollector() {
    api.create("statefulsets.apps", set("db", 2, "Parallel", "busybox", ",\"persistentVolumeClaimRetentionPolicy\":{\"whenDeleted\":"
        + "\"Retain\",\"whenScaled\":\"Delete\"},\"volumeClaimTemplates\":[{\"metadata\":{\"name\":\"data\"},\"spec\":"
        + "{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}}]"));
    await().atMost(WAIT).until(() -> podNames().equals(List.of("db-0", "db-1")));
    String uid = pod("db-1").getMetadata().getUid();
    api.update("statefulsets.apps", NS, "db", o -> {
      ((ObjectNode) o.get("spec")).put("replicas", 1);
      return o;
    });
    await().atMost(WAIT).until(() -> podNames().equals(List.of("db-0")));
    var claims = manager.client().persistentVolumeClaims().inNamespace(NS);
    assertThat(claims.withName("data-db-1").get().getMetadata().getOwnerReferences())
        .singleElement().satisfies(r -> assertThat(r.getUid()).isEqualTo(uid));
    assertThat(claims.withName("data-db-0").get().getMetadata().getOwnerReferences()).isNullOrEmpty();
  }

  @Test
  void rollingUpdateReplacesFromTheHighestOrdinalAndFailedPodsAreMadeAgain() {
    api.create("statefulsets.apps", set("db", 2, "Parallel", "busybox", ""));
    await().atMost(WAIT).until(() -> podNames().equals(List.of("db-0", "db-1")));
    ready("db-0");
    ready("db-1");
    String before = pod("db-0").getMetadata().getLabels().get("controller-revision-hash");
    await().atMost(WAIT).until(() -> Integer.valueOf(2).equals(get("db").getStatus().getReadyReplicas()));

    api.update("statefulsets.apps", NS, "db", o -> {
      ((ObjectNode) o.at("/spec/template/spec/containers/0")).put("image", "busybox:2");
      return o;
    });
    // db-1 is replaced first; db-0 keeps the old revision until db-1 is Ready again
    await().atMost(WAIT).until(() -> pod("db-1") != null && "busybox:2".equals(pod("db-1").getSpec().getContainers().get(0).getImage()));
    assertThat(pod("db-0").getMetadata().getLabels()).containsEntry("controller-revision-hash", before);
    StatefulSet mid = get("db");
    assertThat(mid.getStatus().getCurrentRevision()).isEqualTo(before);
    assertThat(mid.getStatus().getUpdateRevision()).isNotEqualTo(before);
    ready("db-1");
    await().atMost(WAIT).until(() -> pod("db-0") != null && "busybox:2".equals(pod("db-0").getSpec().getContainers().get(0).getImage()));
    ready("db-0");
    await().atMost(WAIT).until(() -> get("db").getStatus().getUpdateRevision().equals(get("db").getStatus().getCurrentRevision()));
    assertThat(get("db").getStatus().getUpdatedReplicas()).isEqualTo(2);

    String uid = pod("db-1").getMetadata().getUid();
    api.update("pods", NS, "db-1", o -> {
      ((ObjectNode) o).putObject("status").put("phase", "Failed");
      return o;
    });
    await().atMost(WAIT).until(() -> pod("db-1") != null && !uid.equals(pod("db-1").getMetadata().getUid()));
  }

  @Test
  void ordinalsStartIsHonoured() {
    api.create("statefulsets.apps", set("q", 2, "Parallel", "busybox", ",\"ordinals\":{\"start\":5}"));
    await().atMost(WAIT).until(() -> podNames().equals(List.of("q-5", "q-6")));
    assertThat(pod("q-6").getMetadata().getLabels()).containsEntry("apps.kubernetes.io/pod-index", "6");
  }
}
