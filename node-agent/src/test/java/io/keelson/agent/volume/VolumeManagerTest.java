package io.keelson.agent.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.keelson.agent.driver.DriverException;
import io.keelson.agent.harness.MemoryClusterObjects;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Volumes as files on the node: the API credentials every pod gets, and the downward API. */
class VolumeManagerTest {

  @TempDir Path podDir;
  final MemoryClusterObjects objects = new MemoryClusterObjects();
  final VolumeManager volumes = new VolumeManager(objects);

  private static Pod pod(Volume volume) {
    return new PodBuilder().withNewMetadata().withName("web-1").withNamespace("shop").withUid("u-1")
        .addToLabels(Map.of("app", "web", "tier", "front")).addToAnnotations("note", "say \"hi\"").endMetadata()
        .withNewSpec().withServiceAccountName("builder").addNewContainer().withName("main").withNewResources()
        .addToLimits("memory", new Quantity("64Mi")).addToRequests("cpu", new Quantity("250m")).endResources().endContainer()
        .withVolumes(volume).endSpec().build();
  }

  /** The volume the api-server's ServiceAccount admission adds to every pod. */
  private static Volume apiAccess() throws Exception {
    return io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
        {"name":"kube-api-access-x1y2z","projected":{"defaultMode":420,"sources":[
          {"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},
          {"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},
          {"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}]}}""",
        Volume.class);
  }

  @Test
  void theApiAccessVolumeHoldsABoundTokenTheCaAndTheNamespace() throws Exception {
    objects.configMaps.put("shop/kube-root-ca.crt", new ConfigMapBuilder().withNewMetadata().withName("kube-root-ca.crt").endMetadata()
        .withData(Map.of("ca.crt", "-----BEGIN CERTIFICATE-----\n")).build());
    Path dir = volumes.materialise(pod(apiAccess()), podDir).get("kube-api-access-x1y2z");

    assertThat(Files.readString(dir.resolve("token"))).isEqualTo("token:shop/builder:web-1::3607");
    assertThat(Files.readString(dir.resolve("ca.crt"))).isEqualTo("-----BEGIN CERTIFICATE-----\n");
    assertThat(Files.readString(dir.resolve("namespace"))).isEqualTo("shop");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("token")))).isEqualTo("rw-r--r--");
  }

  @Test
  void aTokenTheApiRefusesOrAMissingCaFailsTheMountWithTheReason() throws Exception {
    objects.missingAccounts.add("shop/builder");
    objects.configMaps.put("shop/kube-root-ca.crt", new ConfigMapBuilder().withData(Map.of("ca.crt", "x")).build());
    assertThatThrownBy(() -> volumes.materialise(pod(apiAccess()), podDir)).isInstanceOf(DriverException.class)
        .hasMessageContaining("failed to fetch token for service account \"builder\"").hasMessageContaining("not found");

    objects.missingAccounts.clear();
    objects.configMaps.clear();
    assertThatThrownBy(() -> volumes.materialise(pod(apiAccess()), podDir)).isInstanceOf(DriverException.class)
        .hasMessageContaining("configmap \"kube-root-ca.crt\" not found");
  }

  @Test
  void downwardApiFilesHoldPodFieldsAndContainerResources() throws Exception {
    Volume v = io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
        {"name":"info","downwardAPI":{"items":[
          {"path":"labels","fieldRef":{"fieldPath":"metadata.labels"}},
          {"path":"annotations","fieldRef":{"fieldPath":"metadata.annotations"}},
          {"path":"name","fieldRef":{"fieldPath":"metadata.name"}},
          {"path":"app","fieldRef":{"fieldPath":"metadata.labels['app']"}},
          {"path":"limits/mem_mi","resourceFieldRef":{"containerName":"main","resource":"limits.memory","divisor":"1Mi"}},
          {"path":"cpu_m","mode":384,"resourceFieldRef":{"containerName":"main","resource":"requests.cpu","divisor":"1m"}}]}}""",
        Volume.class);
    Path dir = volumes.materialise(pod(v), podDir).get("info");

    assertThat(Files.readString(dir.resolve("labels"))).isEqualTo("app=\"web\"\ntier=\"front\"");
    assertThat(Files.readString(dir.resolve("annotations"))).isEqualTo("note=\"say \\\"hi\\\"\"");
    assertThat(Files.readString(dir.resolve("name"))).isEqualTo("web-1");
    assertThat(Files.readString(dir.resolve("app"))).isEqualTo("web");
    assertThat(Files.readString(dir.resolve("limits/mem_mi"))).isEqualTo("64");
    assertThat(Files.readString(dir.resolve("cpu_m"))).isEqualTo("250");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("cpu_m")))).isEqualTo("rw-------");
  }

  @Test
  void anUnsupportedFieldInAVolumeSaysWhichAreSupported() throws Exception {
    Volume v = io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
        "{\"name\":\"info\",\"downwardAPI\":{\"items\":[{\"path\":\"ip\",\"fieldRef\":{\"fieldPath\":\"status.podIP\"}}]}}", Volume.class);
    assertThatThrownBy(() -> volumes.materialise(pod(v), podDir)).isInstanceOf(DriverException.class)
        .hasMessageContaining("status.podIP is not supported in volumes");
  }

  @Test
  void aClaimResolvesToItsBoundVolumesDirectoryWhichOutlivesThePodAndGoesWithTheVolume(@TempDir Path state) throws Exception {
    Path dir = state.resolve("storage").resolve("pvc-u-9_shop_data");
    objects.claims.put("shop/data", new io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder().withNewMetadata().withName("data")
        .withNamespace("shop").endMetadata().withNewSpec().withVolumeName("pvc-u-9").endSpec().build());
    objects.persistentVolumes.put("pvc-u-9", new io.fabric8.kubernetes.api.model.PersistentVolumeBuilder().withNewMetadata()
        .withName("pvc-u-9").endMetadata().withNewSpec().withNewHostPath(dir.toString(), "DirectoryOrCreate").endSpec().build());
    Volume claimed = new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("data").withNewPersistentVolumeClaim()
        .withClaimName("data").endPersistentVolumeClaim().build();

    assertThat(volumes.materialise(pod(claimed), podDir).get("data")).isEqualTo(dir);
    Files.writeString(dir.resolve("db"), "rows");
    assertThat(volumes.materialise(pod(claimed), podDir.resolve("next-pod")).get("data").resolve("db")).hasContent("rows");

    // the volume is deleted: two sweeps later its directory is gone
    LocalPathVolumes localPath = new LocalPathVolumes(state, objects);
    assertThat(localPath.sweep()).isZero();
    objects.persistentVolumes.clear();
    assertThat(localPath.sweep()).isZero();
    assertThat(localPath.sweep()).isEqualTo(1);
    assertThat(dir).doesNotExist();
  }

  @Test
  void anUnboundOrMissingClaimAndVmPodsFailTheMountWithTheReason() {
    Volume claimed = new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("data").withNewPersistentVolumeClaim()
        .withClaimName("data").endPersistentVolumeClaim().build();
    assertThatThrownBy(() -> volumes.materialise(pod(claimed), podDir)).isInstanceOf(DriverException.class)
        .hasMessageContaining("persistentvolumeclaim \"data\" not found");
    objects.claims.put("shop/data", new io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder().withNewMetadata().withName("data")
        .withNamespace("shop").endMetadata().withNewSpec().endSpec().build());
    assertThatThrownBy(() -> volumes.materialise(pod(claimed), podDir)).isInstanceOf(DriverException.class)
        .hasMessageContaining("persistentvolumeclaim \"data\" is not bound");
    Pod vm = pod(claimed);
    vm.getSpec().setRuntimeClassName("vm");
    assertThatThrownBy(() -> volumes.materialise(vm, podDir)).isInstanceOf(DriverException.class)
        .hasMessageContaining("persistentVolumeClaim volumes are not supported in VM pods");
  }
}
