package io.keelson.controller.volume;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClaimMatchingTest {

  static PersistentVolumeClaim claim(String size, String cls, String... modes) {
    return new PersistentVolumeClaimBuilder()
        .withNewMetadata().withName("data").withNamespace("default").withUid("u-1").endMetadata()
        .withNewSpec().withAccessModes(modes).withStorageClassName(cls)
        .withNewResources().withRequests(Map.of("storage", new Quantity(size))).endResources().endSpec()
        .build();
  }

  static PersistentVolume volume(String name, String size, String cls, String... modes) {
    return new PersistentVolumeBuilder()
        .withNewMetadata().withName(name).withLabels(Map.of("tier", "fast")).endMetadata()
        .withNewSpec().withCapacity(Map.of("storage", new Quantity(size))).withAccessModes(modes).withStorageClassName(cls)
        .withNewHostPath("/srv/" + name, "").endSpec()
        .withNewStatus().withPhase("Available").endStatus()
        .build();
  }

  static Node node(String name) {
    return new NodeBuilder().withNewMetadata().withName(name).withLabels(Map.of("kubernetes.io/hostname", name))
        .withAnnotations(Map.of(LocalPathProvisioner.ROOT_ANNOTATION, "/state/" + name + "/storage")).endMetadata().build();
  }

  @Test
  void theSmallestVolumeThatFitsWins() {
    List<PersistentVolume> pvs = List.of(volume("big", "10Gi", "", "ReadWriteOnce"), volume("small", "1Gi", "", "ReadWriteOnce"),
        volume("tiny", "500Mi", "", "ReadWriteOnce"), volume("exact", "1024Mi", "", "ReadWriteOnce", "ReadOnlyMany"));
    assertThat(ClaimMatching.bestMatch(claim("1Gi", "", "ReadWriteOnce"), pvs, null).getMetadata().getName()).isIn("exact", "small");
    assertThat(ClaimMatching.bestMatch(claim("2Gi", "", "ReadWriteOnce"), pvs, null).getMetadata().getName()).isEqualTo("big");
    assertThat(ClaimMatching.bestMatch(claim("20Gi", "", "ReadWriteOnce"), pvs, null)).isNull();
  }

  @Test
  void classAccessModesSelectorAndTakenVolumesAreRespected() {
    PersistentVolume slow = volume("slow", "5Gi", "slow", "ReadWriteOnce");
    PersistentVolume rwo = volume("rwo", "5Gi", "", "ReadWriteOnce");
    PersistentVolume taken = volume("taken", "5Gi", "", "ReadWriteMany");
    taken.getSpec().setClaimRef(new io.fabric8.kubernetes.api.model.ObjectReferenceBuilder()
        .withNamespace("default").withName("other").withUid("u-2").build());
    List<PersistentVolume> pvs = List.of(slow, rwo, taken);
    assertThat(ClaimMatching.bestMatch(claim("1Gi", "slow", "ReadWriteOnce"), pvs, null)).isSameAs(slow);
    assertThat(ClaimMatching.bestMatch(claim("1Gi", "", "ReadWriteMany"), pvs, null)).isNull();
    PersistentVolumeClaim selective = claim("1Gi", "", "ReadWriteOnce");
    selective.getSpec().setSelector(new io.fabric8.kubernetes.api.model.LabelSelectorBuilder().withMatchLabels(Map.of("tier", "slow")).build());
    assertThat(ClaimMatching.bestMatch(selective, pvs, null)).isNull();
    // pre-bound to this claim by name: a candidate even though claimRef is set
    taken.getSpec().getClaimRef().setName("data");
    taken.getSpec().getClaimRef().setUid(null);
    assertThat(ClaimMatching.bestMatch(claim("1Gi", "", "ReadWriteMany"), pvs, null)).isSameAs(taken);
  }

  @Test
  void aChosenNodeLimitsToVolumesUsableThere() {
    StorageClass sc = new StorageClassBuilder().withNewMetadata().withName("local-path").endMetadata()
        .withProvisioner(LocalPathProvisioner.NAME).withReclaimPolicy("Delete").build();
    PersistentVolumeClaim c = claim("1Gi", "local-path", "ReadWriteOnce");
    PersistentVolume onA = LocalPathProvisioner.volumeFor(claim("1Gi", "local-path", "ReadWriteOnce"), sc, node("node-a"));
    onA.getSpec().setClaimRef(null);
    onA.setStatus(new io.fabric8.kubernetes.api.model.PersistentVolumeStatusBuilder().withPhase("Available").build());
    assertThat(ClaimMatching.bestMatch(c, List.of(onA), node("node-b"))).isNull();
    assertThat(ClaimMatching.bestMatch(c, List.of(onA), node("node-a"))).isSameAs(onA);
  }

  @Test
  void localPathVolumesLiveUnderTheNodesRootPinnedToIt() {
    StorageClass sc = new StorageClassBuilder().withNewMetadata().withName("local-path").endMetadata()
        .withProvisioner(LocalPathProvisioner.NAME).withReclaimPolicy("Delete").build();
    PersistentVolume pv = LocalPathProvisioner.volumeFor(claim("2Gi", "local-path", "ReadWriteOnce"), sc, node("node-a"));
    assertThat(pv.getMetadata().getName()).isEqualTo("pvc-u-1");
    assertThat(pv.getSpec().getHostPath().getPath()).isEqualTo("/state/node-a/storage/pvc-u-1_default_data");
    assertThat(pv.getSpec().getCapacity().get("storage").toString()).isEqualTo("2Gi");
    assertThat(pv.getSpec().getPersistentVolumeReclaimPolicy()).isEqualTo("Delete");
    assertThat(pv.getSpec().getClaimRef().getUid()).isEqualTo("u-1");
    assertThat(pv.getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms().get(0).getMatchExpressions().get(0).getValues())
        .containsExactly("node-a");
    Node bare = new NodeBuilder().withNewMetadata().withName("node-c").endMetadata().build();
    assertThat(LocalPathProvisioner.volumeFor(claim("2Gi", "local-path", "ReadWriteOnce"), sc, bare).getSpec().getHostPath().getPath())
        .startsWith(LocalPathProvisioner.DEFAULT_ROOT + "/pvc-u-1");
  }
}
