package io.keelson.controller.volume;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.keelson.controller.daemonset.NodePlacement;
import io.keelson.client.selection.LabelSelectors;
import java.math.BigDecimal;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which PersistentVolume a claim may bind to, as kube's persistentvolume binder's findMatchingVolume
 * decides: a volume free or pre-bound to this claim, of the claim's class and volume mode, offering
 * every access mode the claim asks for, at least as large as its request, matching its selector,
 * and (when a node is chosen) usable on that node. Among the fits the smallest wins, so a large
 * volume is not spent on a small claim.
 */
public final class ClaimMatching {

  private ClaimMatching() {}

  /** The best volume for {@code claim}, or null; {@code node} limits to volumes usable there (null: any). */
  public static PersistentVolume bestMatch(PersistentVolumeClaim claim, Collection<PersistentVolume> volumes, Node node) {
    return volumes.stream()
        .filter(pv -> fits(claim, pv, node))
        .min(Comparator.comparing((PersistentVolume pv) -> storage(pv.getSpec().getCapacity()))
            .thenComparing(pv -> pv.getMetadata().getName()))
        .orElse(null);
  }

  static boolean fits(PersistentVolumeClaim claim, PersistentVolume pv, Node node) {
    if (pv.getMetadata().getDeletionTimestamp() != null) return false;
    ObjectReference ref = pv.getSpec().getClaimRef();
    if (ref != null) {
      // pre-bound to this claim (by name, and by uid when it says one): still a candidate; otherwise taken
      boolean ours = Objects.equals(ref.getNamespace(), claim.getMetadata().getNamespace())
          && Objects.equals(ref.getName(), claim.getMetadata().getName())
          && (ref.getUid() == null || ref.getUid().isEmpty() || ref.getUid().equals(claim.getMetadata().getUid()));
      if (!ours) return false;
    } else if (!"Available".equals(phase(pv)) && !"Pending".equals(phase(pv))) {
      return false;
    }
    if (!Objects.equals(nonNull(pv.getSpec().getStorageClassName()), nonNull(claim.getSpec().getStorageClassName()))) return false;
    if (!Objects.equals(modeOf(pv.getSpec().getVolumeMode()), modeOf(claim.getSpec().getVolumeMode()))) return false;
    List<String> offered = pv.getSpec().getAccessModes() == null ? List.of() : pv.getSpec().getAccessModes();
    if (claim.getSpec().getAccessModes() != null && !offered.containsAll(claim.getSpec().getAccessModes())) return false;
    if (storage(pv.getSpec().getCapacity()).compareTo(requested(claim)) < 0) return false;
    if (claim.getSpec().getSelector() != null) {
      Map<String, String> labels = pv.getMetadata().getLabels() == null ? Map.of() : pv.getMetadata().getLabels();
      if (!LabelSelectors.matches(claim.getSpec().getSelector(), labels)) return false;
    }
    return node == null || usableOn(pv, node);
  }

  /** Whether the volume's required node affinity admits {@code node} (no affinity: every node). */
  public static boolean usableOn(PersistentVolume pv, Node node) {
    if (pv.getSpec().getNodeAffinity() == null || pv.getSpec().getNodeAffinity().getRequired() == null) return true;
    List<NodeSelectorTerm> terms = pv.getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms();
    if (terms == null || terms.isEmpty()) return true;
    Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
    return terms.stream().anyMatch(t -> NodePlacement.termMatches(t, node, labels));
  }

  /** The claim's spec.resources.requests.storage (0 when absent). */
  public static BigDecimal requested(PersistentVolumeClaim claim) {
    return claim.getSpec().getResources() == null ? BigDecimal.ZERO : storage(claim.getSpec().getResources().getRequests());
  }

  static BigDecimal storage(Map<String, Quantity> resources) {
    Quantity q = resources == null ? null : resources.get("storage");
    return q == null ? BigDecimal.ZERO : q.getNumericalAmount();
  }

  static String phase(PersistentVolume pv) {
    return pv.getStatus() == null ? null : pv.getStatus().getPhase();
  }

  private static String nonNull(String s) {
    return s == null ? "" : s;
  }

  private static String modeOf(String volumeMode) {
    return volumeMode == null ? "Filesystem" : volumeMode;
  }
}
