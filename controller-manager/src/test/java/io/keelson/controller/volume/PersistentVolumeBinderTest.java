package io.keelson.controller.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.keelson.client.fake.InMemoryApiServer;
import io.keelson.client.fake.SelfSignedTls;
import io.keelson.controller.ControllerManager;
import io.keelson.controller.testing.TestControllerManager;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/** The binder against the in-memory API: static volumes bound, local-path volumes provisioned and reclaimed. */
class PersistentVolumeBinderTest {
  static final Duration WAIT = Duration.ofSeconds(20);
  InMemoryApiServer api;
  ControllerManager manager;

  @BeforeEach
  void start() throws Exception {
    api = InMemoryApiServer.start((SelfSignedTls) null);
    api.create("storageclasses.storage.k8s.io", "{\"apiVersion\":\"storage.k8s.io/v1\",\"kind\":\"StorageClass\",\"metadata\":"
        + "{\"name\":\"local-path\"},\"provisioner\":\"keelson.io/local-path\",\"reclaimPolicy\":\"Delete\","
        + "\"volumeBindingMode\":\"WaitForFirstConsumer\"}");
    api.create("nodes", "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"node-a\",\"labels\":"
        + "{\"kubernetes.io/hostname\":\"node-a\"},\"annotations\":{\"keelson.io/local-path-root\":\"/state/node-a/storage\"}}}");
    manager = TestControllerManager.against(api, 2, PersistentVolumeBinder.NAME);
    manager.start();
  }

  @AfterEach
  void stop() {
    if (api != null) api.close();
    if (manager != null) manager.close();
  }

  static String claim(String name, String size, String cls) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"default\""
        + "},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"storageClassName\":\"" + cls + "\","
        + "\"resources\":{\"requests\":{\"storage\":\"" + size + "\"}}},\"status\":{\"phase\":\"Pending\"}}";
  }

  static String volume(String name, String size) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"capacity\":"
        + "{\"storage\":\"" + size + "\"},\"accessModes\":[\"ReadWriteOnce\"],\"storageClassName\":\"\","
        + "\"persistentVolumeReclaimPolicy\":\"Retain\",\"hostPath\":{\"path\":\"/srv/" + name + "\"}},\"status\":{\"phase\":\"Pending\"}}";
  }

  PersistentVolumeClaim getClaim(String name) {
    return manager.client().persistentVolumeClaims().inNamespace("default").withName(name).get();
  }

  PersistentVolume getVolume(String name) {
    return manager.client().persistentVolumes().withName(name).get();
  }

  @Test
  void aClaimIsBoundToTheSmallestFittingVolumeAndItsVolumeIsReleasedWhenItGoes() {
    api.create("persistentvolumes", volume("big", "10Gi"));
    api.create("persistentvolumes", volume("small", "2Gi"));
    await().atMost(WAIT).until(() -> "Available".equals(getVolume("small").getStatus().getPhase()));
    api.create("persistentvolumeclaims", claim("data", "1Gi", ""));
    await().atMost(WAIT).until(() -> "Bound".equals(getClaim("data").getStatus().getPhase()));
    PersistentVolumeClaim c = getClaim("data");
    assertThat(c.getSpec().getVolumeName()).isEqualTo("small");
    assertThat(c.getStatus().getCapacity().get("storage").toString()).isEqualTo("2Gi");
    assertThat(c.getMetadata().getAnnotations()).containsEntry("pv.kubernetes.io/bind-completed", "yes");
    await().atMost(WAIT).until(() -> "Bound".equals(getVolume("small").getStatus().getPhase()));
    assertThat(getVolume("small").getSpec().getClaimRef().getName()).isEqualTo("data");
    assertThat(getVolume("big").getStatus().getPhase()).isEqualTo("Available");

    api.delete("persistentvolumeclaims", "default", "data");
    await().atMost(WAIT).until(() -> "Released".equals(getVolume("small").getStatus().getPhase()));
  }

  @Test
  void aLocalPathClaimIsProvisionedOnItsSelectedNodeAndDeletedWithIt() {
    api.create("persistentvolumeclaims", claim("db", "1Gi", "local-path"));
    await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> manager.client().persistentVolumes().list().getItems().isEmpty());
    api.update("persistentvolumeclaims", "default", "db", o -> {
      ((ObjectNode) o.get("metadata")).putObject("annotations").put("volume.kubernetes.io/selected-node", "node-a");
      return o;
    });
    await().atMost(WAIT).until(() -> "Bound".equals(getClaim("db").getStatus().getPhase()));
    String pvName = "pvc-" + getClaim("db").getMetadata().getUid();
    PersistentVolume pv = getVolume(pvName);
    assertThat(pv.getSpec().getHostPath().getPath()).isEqualTo("/state/node-a/storage/" + pvName + "_default_db");
    assertThat(pv.getSpec().getPersistentVolumeReclaimPolicy()).isEqualTo("Delete");
    assertThat(pv.getMetadata().getAnnotations()).containsEntry("pv.kubernetes.io/provisioned-by", "keelson.io/local-path");
    assertThat(getClaim("db").getSpec().getVolumeName()).isEqualTo(pvName);
    await().atMost(WAIT).until(() -> "Bound".equals(getVolume(pvName).getStatus().getPhase()));

    api.delete("persistentvolumeclaims", "default", "db");
    await().atMost(WAIT).until(() -> getVolume(pvName) == null);
  }
}
