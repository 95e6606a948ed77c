package io.keelson.scheduler.plugins.volumebinding;

import static io.keelson.scheduler.testing.Fixtures.info;
import static io.keelson.scheduler.testing.Fixtures.node;
import static io.keelson.scheduler.testing.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.Status;
import io.keelson.scheduler.framework.StorageLister;
import io.keelson.scheduler.testing.Fixtures;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class VolumeBindingTest {
  final Map<String, PersistentVolumeClaim> claims = new ConcurrentHashMap<>();
  final Map<String, PersistentVolume> volumes = new ConcurrentHashMap<>();
  final Map<String, StorageClass> classes = new ConcurrentHashMap<>();
  final NodeInfo nodeA = NodeInfo.of(node("node-a", "4", "8Gi", "110", Map.of("kubernetes.io/hostname", "node-a")));
  final NodeInfo nodeB = NodeInfo.of(node("node-b", "4", "8Gi", "110", Map.of("kubernetes.io/hostname", "node-b")));
  final Fixtures.TestHandle handle = Fixtures.handle(List.of(nodeA, nodeB));
  final VolumeBinding plugin = new VolumeBinding(handle);

  VolumeBindingTest() {
    handle.storage = new StorageLister() {
      @Override
      public PersistentVolumeClaim claim(String namespace, String name) {
        return claims.get(namespace + "/" + name);
      }

      @Override
      public PersistentVolume volume(String name) {
        return volumes.get(name);
      }

      @Override
      public StorageClass storageClass(String name) {
        return classes.get(name);
      }
    };
    classes.put("local-path", new StorageClassBuilder().withNewMetadata().withName("local-path").endMetadata()
        .withProvisioner("keelson.io/local-path").withVolumeBindingMode("WaitForFirstConsumer").build());
    classes.put("fast", new StorageClassBuilder().withNewMetadata().withName("fast").endMetadata()
        .withProvisioner("example.com/fast").withVolumeBindingMode("Immediate").build());
  }

  static PodInfo podWithClaim(String claim) {
    return info(pod("db-0", "100m", "64Mi").editSpec().addNewVolume().withName("data").withNewPersistentVolumeClaim()
        .withClaimName(claim).endPersistentVolumeClaim().endVolume().endSpec());
  }

  static PersistentVolumeClaim claim(String name, String cls, String volumeName) {
    return new PersistentVolumeClaimBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
        .withNewSpec().withStorageClassName(cls).withVolumeName(volumeName).endSpec()
        .withNewStatus().withPhase(volumeName == null ? "Pending" : "Bound").endStatus().build();
  }

  @Test
  void aMissingClaimOrAnUnboundImmediateClaimKeepsThePodPending() {
    Status s = plugin.preFilter(new CycleState(), podWithClaim("data-db-0"));
    assertThat(s.isRejected()).isTrue();
    assertThat(s.message()).isEqualTo("persistentvolumeclaim \"data-db-0\" not found");
    claims.put("default/data-db-0", claim("data-db-0", "fast", null));
    assertThat(plugin.preFilter(new CycleState(), podWithClaim("data-db-0")).message())
        .isEqualTo("pod has unbound immediate PersistentVolumeClaims");
  }

  @Test
  void aBoundLocalVolumeLimitsThePodToItsNode() {
    claims.put("default/data-db-0", claim("data-db-0", "local-path", "pvc-1"));
    volumes.put("pvc-1", new PersistentVolumeBuilder().withNewMetadata().withName("pvc-1").endMetadata().withNewSpec()
        .withNewNodeAffinity().withNewRequired().addNewNodeSelectorTerm().addNewMatchExpression().withKey("kubernetes.io/hostname")
        .withOperator("In").withValues("node-a").endMatchExpression().endNodeSelectorTerm().endRequired().endNodeAffinity()
        .endSpec().build());
    CycleState st = new CycleState();
    PodInfo p = podWithClaim("data-db-0");
    assertThat(plugin.preFilter(st, p).isSuccess()).isTrue();
    assertThat(plugin.filter(st, p, nodeA).isSuccess()).isTrue();
    assertThat(plugin.filter(st, p, nodeB).message()).isEqualTo("node(s) had volume node affinity conflict");
  }

  @Test
  void preBindSelectsTheNodeOfAWaitForFirstConsumerClaimAndWaitsForItsBinding() throws Exception {
    claims.put("default/data-db-0", claim("data-db-0", "local-path", null));
    CycleState st = new CycleState();
    PodInfo p = podWithClaim("data-db-0");
    assertThat(plugin.preFilter(st, p).isSuccess()).isTrue();
    assertThat(plugin.filter(st, p, nodeB).isSuccess()).isTrue();
    // the binder's answer, once it sees the annotation
    Thread binder = Thread.ofVirtual().start(() -> {
      while (!handle.api.claimAnnotations.containsKey("default/data-db-0 volume.kubernetes.io/selected-node")) Thread.onSpinWait();
      claims.put("default/data-db-0", claim("data-db-0", "local-path", "pvc-1"));
    });
    assertThat(plugin.preBind(st, p, "node-b").isSuccess()).isTrue();
    binder.join();
    assertThat(handle.api.claimAnnotations).containsEntry("default/data-db-0 volume.kubernetes.io/selected-node", "node-b");
  }

  @Test
  void podsWithoutClaimsAreSkipped() {
    assertThat(plugin.preFilter(new CycleState(), info(pod("web", "100m", "64Mi"))).isSkip()).isTrue();
  }
}
