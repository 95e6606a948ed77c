package io.keelson.controller.volume;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.util.Map;

/**
 * The {@code keelson.io/local-path} provisioner, modelled on k3s' local-path-provisioner: a claim's
 * volume is a directory on the node its first pod was scheduled to, {@code
 * <root>/pvc-<claim uid>_<namespace>_<claim>}, exposed as a hostPath PersistentVolume pinned to that
 * node by node affinity. The root is what the node's agent announces in the {@link #ROOT_ANNOTATION}
 * annotation (its state directory's {@code storage/}), so each node keeps its volumes under its own
 * state and {@code keelson down --purge} removes them. The agent creates the directory when a pod
 * first mounts it and removes it once the PersistentVolume is gone.
 */
public final class LocalPathProvisioner {

  public static final String NAME = "keelson.io/local-path";
  /** On a Node: the directory its agent keeps local-path volumes in. */
  public static final String ROOT_ANNOTATION = "keelson.io/local-path-root";
  /** Where volumes go on a node that announces no root (e.g. an agent of an older version). */
  public static final String DEFAULT_ROOT = "/var/lib/keelson/storage";
  public static final String PROVISIONED_BY = "pv.kubernetes.io/provisioned-by";

  private LocalPathProvisioner() {}

  /** The PersistentVolume for {@code claim} on {@code node}, pre-bound to the claim as kube's provisioners do. */
  public static PersistentVolume volumeFor(PersistentVolumeClaim claim, StorageClass sc, Node node) {
    String name = "pvc-" + claim.getMetadata().getUid();
    String root = node.getMetadata().getAnnotations() == null ? null : node.getMetadata().getAnnotations().get(ROOT_ANNOTATION);
    String path = (root == null || root.isEmpty() ? DEFAULT_ROOT : root) + "/" + name + "_" + claim.getMetadata().getNamespace()
        + "_" + claim.getMetadata().getName();
    Quantity size = claim.getSpec().getResources().getRequests().get("storage");
    return new PersistentVolumeBuilder()
        .withNewMetadata()
        .withName(name)
        .withAnnotations(Map.of(PROVISIONED_BY, NAME))
        .endMetadata()
        .withNewSpec()
        .withCapacity(Map.of("storage", new Quantity(size.toString())))
        .withAccessModes(claim.getSpec().getAccessModes())
        .withVolumeMode(claim.getSpec().getVolumeMode())
        .withStorageClassName(sc.getMetadata().getName())
        .withPersistentVolumeReclaimPolicy(sc.getReclaimPolicy() == null ? "Delete" : sc.getReclaimPolicy())
        .withMountOptions(sc.getMountOptions())
        .withNewHostPath(path, "DirectoryOrCreate")
        .withClaimRef(new ObjectReferenceBuilder()
            .withApiVersion("v1")
            .withKind("PersistentVolumeClaim")
            .withNamespace(claim.getMetadata().getNamespace())
            .withName(claim.getMetadata().getName())
            .withUid(claim.getMetadata().getUid())
            .withResourceVersion(claim.getMetadata().getResourceVersion())
            .build())
        .withNewNodeAffinity()
        .withNewRequired()
        .addNewNodeSelectorTerm()
        .addNewMatchExpression()
        .withKey("kubernetes.io/hostname")
        .withOperator("In")
        .withValues(node.getMetadata().getName())
        .endMatchExpression()
        .endNodeSelectorTerm()
        .endRequired()
        .endNodeAffinity()
        .endSpec()
        .build();
  }
}
