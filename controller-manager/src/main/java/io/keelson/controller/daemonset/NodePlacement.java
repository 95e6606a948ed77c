package io.keelson.controller.daemonset;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.keelson.controller.runtime.Tolerations;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether a DaemonSet's pod belongs on a node: nodeSelector, required node affinity (labels and
 * metadata.name fields) and NoSchedule/NoExecute taints against the pod's tolerations plus the
 * ones Kubernetes gives every daemon pod.
 */
public final class NodePlacement {
  private NodePlacement() {}

  /** Tolerations added to every daemon pod, as the DaemonSet controller in Kubernetes does. */
  static List<Toleration> daemonTolerations() {
    return List.of(
        tol("node.kubernetes.io/not-ready", "NoExecute"),
        tol("node.kubernetes.io/unreachable", "NoExecute"),
        tol("node.kubernetes.io/disk-pressure", "NoSchedule"),
        tol("node.kubernetes.io/memory-pressure", "NoSchedule"),
        tol("node.kubernetes.io/pid-pressure", "NoSchedule"),
        tol("node.kubernetes.io/unschedulable", "NoSchedule"));
  }

  private static Toleration tol(String key, String effect) {
    return new TolerationBuilder().withKey(key).withOperator("Exists").withEffect(effect).build();
  }

  static List<Toleration> withDaemonTolerations(List<Toleration> own) {
    List<Toleration> all = own == null ? new ArrayList<>() : new ArrayList<>(own);
    for (Toleration t : daemonTolerations()) {
      boolean present = all.stream().anyMatch(o -> t.getKey().equals(o.getKey()) && t.getEffect().equals(o.getEffect()));
      if (!present) all.add(t);
    }
    return all;
  }

  /** Whether a new daemon pod should be created on {@code node}. */
  static boolean shouldRun(PodSpec spec, Node node) {
    return fits(spec, node, false);
  }

  /**
   * Whether an existing daemon pod may stay: like {@link #shouldRun}, but only NoExecute taints
   * count, so a node that turns unschedulable or unreachable:NoSchedule keeps its daemon.
   */
  static boolean shouldContinueRunning(PodSpec spec, Node node) {
    return fits(spec, node, true);
  }

  private static boolean fits(PodSpec spec, Node node, boolean noExecuteOnly) {
    if (node.getMetadata().getDeletionTimestamp() != null) return false;
    Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
    if (spec.getNodeSelector() != null) {
      for (var e : spec.getNodeSelector().entrySet()) if (!e.getValue().equals(labels.get(e.getKey()))) return false;
    }
    if (spec.getAffinity() != null
        && spec.getAffinity().getNodeAffinity() != null
        && spec.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() != null) {
      List<NodeSelectorTerm> terms =
          spec.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms();
      if (terms != null && !terms.isEmpty() && terms.stream().noneMatch(t -> termMatches(t, node, labels))) return false;
    }
    List<Toleration> tolerations = withDaemonTolerations(spec.getTolerations());
    if (node.getSpec() != null && node.getSpec().getTaints() != null) {
      for (Taint taint : node.getSpec().getTaints()) {
        boolean counts = "NoExecute".equals(taint.getEffect()) || (!noExecuteOnly && "NoSchedule".equals(taint.getEffect()));
        if (!counts) continue;
        if (!Tolerations.tolerated(tolerations, taint)) return false;
      }
    }
    return true;
  }

  /** One required node-affinity term against a node (also a PersistentVolume's node affinity). */
  public static boolean termMatches(NodeSelectorTerm term, Node node, Map<String, String> labels) {
    boolean any = false;
    if (term.getMatchExpressions() != null) {
      for (NodeSelectorRequirement r : term.getMatchExpressions()) {
        any = true;
        if (!requirement(r, labels.get(r.getKey()), labels.containsKey(r.getKey()))) return false;
      }
    }
    if (term.getMatchFields() != null) {
      for (NodeSelectorRequirement r : term.getMatchFields()) {
        any = true;
        if (!"metadata.name".equals(r.getKey())) return false;
        if (!requirement(r, node.getMetadata().getName(), true)) return false;
      }
    }
    return any;
  }

  private static boolean requirement(NodeSelectorRequirement r, String value, boolean exists) {
    List<String> values = r.getValues() == null ? List.of() : r.getValues();
    return switch (r.getOperator()) {
      case "In" -> exists && values.contains(value);
      case "NotIn" -> !exists || !values.contains(value);
      case "Exists" -> exists;
      case "DoesNotExist" -> !exists;
      case "Gt" -> exists && !values.isEmpty() && compare(value, values.get(0)) > 0;
      case "Lt" -> exists && !values.isEmpty() && compare(value, values.get(0)) < 0;
      default -> false;
    };
  }

  private static int compare(String a, String b) {
    try {
      return Long.compare(Long.parseLong(a), Long.parseLong(b));
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
