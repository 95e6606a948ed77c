package io.keelson.apiserver.auth.node;

import io.keelson.apiserver.registry.WriteGuard;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.util.Set;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * kube's NodeRestriction admission plugin, for the writes whose target is in the body: a node may
 * create or change only its own Node (and not its taints, nor labels under
 * {@code node-restriction.kubernetes.io/} or {@code kubernetes.io}/{@code k8s.io} beyond the
 * kubelet's own), only mirror pods bound to itself, the status of only its own pods, and only its
 * own Lease in {@code kube-node-lease}. Deletes and evictions, named in the URL, are the
 * {@link NodeAuthorizer}'s.
 */
public final class NodeRestriction implements WriteGuard {

  static final String MIRROR_ANNOTATION = "kubernetes.io/config.mirror";

  /** kubeletapis.IsKubeletLabel: the kubernetes.io labels a kubelet sets on its own Node. */
  private static final Set<String> KUBELET_LABELS = Set.of("kubernetes.io/hostname", "kubernetes.io/arch", "kubernetes.io/os",
      "beta.kubernetes.io/arch", "beta.kubernetes.io/os", "beta.kubernetes.io/instance-type", "node.kubernetes.io/instance-type",
      "failure-domain.beta.kubernetes.io/region", "failure-domain.beta.kubernetes.io/zone", "topology.kubernetes.io/region",
      "topology.kubernetes.io/zone");
  private static final Set<String> KUBELET_LABEL_NAMESPACES = Set.of("kubelet.kubernetes.io", "node.kubernetes.io");

  @Override
  public void admit(ResourceType type, ObjectNode obj, ObjectNode old, WriteOptions opts) {
    if (!NodeIdentity.isNode(opts.requester())) return;
    String node = NodeIdentity.nodeName(opts.requester());
    String name = obj.path("metadata").path("name").asString("");
    if (node == null) throw StatusException.forbidden(type, name, "could not determine node from user \"" + opts.requester().username() + "\"");
    String sub = opts.subresource() == null ? "" : opts.subresource();
    switch (type.group() + "/" + type.resource()) {
      case "/nodes" -> admitNode(type, node, name, obj, old);
      case "/pods" -> {
        if (old == null && sub.isEmpty()) admitMirrorPod(type, node, name, obj);
        else if (sub.equals("status")) admitPodStatus(type, node, name, obj, old);
      }
      case "coordination.k8s.io/leases" -> {
        String ns = obj.path("metadata").path("namespace").asString("");
        if (!ns.equals(NodeAuthorizer.NODE_LEASE_NAMESPACE)) {
          throw StatusException.forbidden(type, name, "can only access leases in the \"" + NodeAuthorizer.NODE_LEASE_NAMESPACE + "\" namespace");
        }
        if (!name.equals(node)) throw StatusException.forbidden(type, name, "can only access node lease with the same name as the requesting node");
      }
      default -> {}
    }
  }

  private static void admitNode(ResourceType type, String node, String name, ObjectNode obj, ObjectNode old) {
    if (!name.equals(node)) throw StatusException.forbidden(type, name, "node \"" + node + "\" is not allowed to modify node \"" + name + "\"");
    JsonNode labels = obj.path("metadata").path("labels");
    if (old == null) {
      Set<String> forbidden = forbiddenLabels(labels, null, true);
      if (!forbidden.isEmpty()) {
        throw StatusException.forbidden(type, name, "node \"" + node + "\" is not allowed to set the following labels: " + String.join(", ", forbidden));
      }
      return;
    }
    if (!obj.path("spec").path("taints").equals(old.path("spec").path("taints"))) {
      throw StatusException.forbidden(type, name, "node \"" + node + "\" is not allowed to modify taints");
    }
    Set<String> forbidden = forbiddenLabels(labels, old.path("metadata").path("labels"), true);
    if (!forbidden.isEmpty()) throw StatusException.forbidden(type, name, "is not allowed to modify labels: " + String.join(", ", forbidden));
  }

  private static void admitMirrorPod(ResourceType type, String node, String name, ObjectNode pod) {
    if (!pod.path("metadata").path("annotations").has(MIRROR_ANNOTATION)) {
      throw StatusException.forbidden(type, name,
          "pod does not have \"" + MIRROR_ANNOTATION + "\" annotation, node \"" + node + "\" can only create mirror pods");
    }
    if (!node.equals(NodeAuthorizer.nodeOf(pod))) {
      throw StatusException.forbidden(type, name, "node \"" + node + "\" can only create pods with spec.nodeName set to itself");
    }
  }

  private static void admitPodStatus(ResourceType type, String node, String name, ObjectNode pod, ObjectNode old) {
    if (old == null || !node.equals(NodeAuthorizer.nodeOf(old))) {
      throw StatusException.forbidden(type, name, "node \"" + node + "\" can only update pod status for pods with spec.nodeName set to itself");
    }
    if (!pod.path("metadata").path("labels").equals(old.path("metadata").path("labels"))) {
      throw StatusException.forbidden(type, name, "node \"" + node + "\" cannot update labels through pod status");
    }
  }

  /**
   * Keys added or changed between {@code before} and {@code now} (and removed, with {@code removals})
   * that a node may not touch, sorted.
   */
  public static Set<String> forbiddenLabels(JsonNode now, JsonNode before, boolean removals) {
    Set<String> modified = new TreeSet<>();
    if (now != null) now.properties().forEach(e -> {
      if (before == null || !e.getValue().equals(before.path(e.getKey()))) modified.add(e.getKey());
    });
    if (before != null && removals) before.properties().forEach(e -> {
      if (now == null || !now.has(e.getKey())) modified.add(e.getKey());
    });
    modified.removeIf(k -> !forbiddenLabel(k));
    return modified;
  }

  private static boolean forbiddenLabel(String key) {
    int slash = key.indexOf('/');
    String ns = slash < 0 ? "" : key.substring(0, slash);
    if (ns.equals("node-restriction.kubernetes.io") || ns.endsWith(".node-restriction.kubernetes.io")) return true;
    boolean kubernetes = ns.equals("kubernetes.io") || ns.endsWith(".kubernetes.io") || ns.equals("k8s.io") || ns.endsWith(".k8s.io");
    return kubernetes && !KUBELET_LABELS.contains(key) && !KUBELET_LABEL_NAMESPACES.contains(ns)
        && KUBELET_LABEL_NAMESPACES.stream().noneMatch(k -> ns.endsWith("." + k));
  }
}
