package io.keelson.apiserver.auth.node;

import io.keelson.apiserver.auth.Authorizer;
import io.keelson.apiserver.auth.UserInfo;
import io.keelson.apiserver.auth.rbac.PolicyRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * kube's Node authorizer in front of RBAC ({@code --authorization-mode=Node,RBAC}): a node agent
 * ({@link NodeIdentity}) may read what every node needs (nodes, pods, services, endpoints, the
 * policies and classes it enforces), write its own Node, Lease and the status of pods bound to it,
 * post events; and read a Secret, ConfigMap or PersistentVolumeClaim, or get a service-account token,
 * only while a pod bound to it uses that object. What names another node or its pods where the URL
 * says so is refused here; writes whose target is in the body are left to {@link NodeRestriction}.
 * Anything the node rules do not allow is still asked of RBAC, as kube unions its authorizers.
 * Everyone else is RBAC's alone.
 */
public final class NodeAuthorizer implements Authorizer {

  static final String NODE_LEASE_NAMESPACE = "kube-node-lease";

  private static final List<String> READ = List.of("get", "list", "watch");
  private static final List<String> WRITE = List.of("create", "update", "patch");

  /** What any node may do, before the per-object checks below (kube's system:node ClusterRole, plus the proxy's reads). */
  static final List<Rule> RULES = List.of(
      Rule.resources(READ, List.of(""), List.of("nodes", "pods", "services", "endpoints", "namespaces", "persistentvolumes")),
      // what the objects above already show (kubectl patch --subresource=status reads it first)
      Rule.resources(List.of("get"), List.of(""), List.of("nodes/status", "pods/status")),
      Rule.resources(READ, List.of("discovery.k8s.io"), List.of("endpointslices")),
      Rule.resources(READ, List.of("networking.k8s.io"), List.of("networkpolicies")),
      Rule.resources(READ, List.of("node.k8s.io"), List.of("runtimeclasses")),
      Rule.resources(READ, List.of("storage.k8s.io"), List.of("storageclasses", "csidrivers", "csinodes", "volumeattachments")),
      Rule.resources(List.of("create", "update", "patch", "delete"), List.of(""), List.of("nodes")),
      Rule.resources(List.of("update", "patch"), List.of(""), List.of("nodes/status", "pods/status")),
      Rule.resources(List.of("create", "delete"), List.of(""), List.of("pods")),
      Rule.resources(List.of("create"), List.of(""), List.of("pods/eviction")),
      Rule.resources(WRITE, List.of("", "events.k8s.io"), List.of("events")),
      Rule.resources(List.of("get", "create", "update", "patch", "delete"), List.of("coordination.k8s.io"), List.of("leases")),
      Rule.resources(List.of("create"), List.of("authentication.k8s.io"), List.of("tokenreviews")),
      Rule.resources(List.of("create"), List.of("authorization.k8s.io"), List.of("subjectaccessreviews")),
      Rule.resources(List.of("create", "get", "list", "watch"), List.of("certificates.k8s.io"), List.of("certificatesigningrequests")),
      // allowed only for objects a pod on the node uses (see authorizeNode)
      Rule.resources(List.of("get"), List.of(""), List.of("secrets", "configmaps", "persistentvolumeclaims")),
      Rule.resources(List.of("create"), List.of(""), List.of("serviceaccounts/token")));

  /** Readable by a node only while one of its pods uses them. */
  private static final Set<String> PER_POD = Set.of("secrets", "configmaps", "persistentvolumeclaims");

  private final Authorizer next;
  private final PodIndex pods;

  public NodeAuthorizer(Authorizer next, PodIndex pods) {
    this.next = next;
    this.pods = pods;
  }

  @Override
  public Decision authorize(UserInfo user, Attributes a) {
    if (!NodeIdentity.isNode(user)) return next.authorize(user, a);
    String node = NodeIdentity.nodeName(user);
    Decision d = node == null ? deny("unknown node for user \"" + user.username() + "\"") : authorizeNode(node, a);
    if (d.allowed()) return d;
    Decision other = next.authorize(user, a);
    return other.allowed() ? other : d;
  }

  @Override
  public List<Rule> rulesFor(UserInfo user, String namespace) {
    if (NodeIdentity.nodeName(user) == null) return next.rulesFor(user, namespace);
    List<Rule> rules = new ArrayList<>(RULES);
    rules.addAll(next.rulesFor(user, namespace));
    return rules;
  }

  private Decision authorizeNode(String node, Attributes a) {
    if (!a.resourceRequest()) return deny("");
    String group = a.group() == null ? "" : a.group();
    String sub = a.subresource() == null ? "" : a.subresource();
    if (group.isEmpty() && PER_POD.contains(a.resource())) {
      if (!READ.contains(a.verb())) return deny("can only read resources of this type");
      if (!sub.isEmpty()) return deny("cannot read subresource");
      return usedByPod(node, a, switch (a.resource()) {
        case "secrets" -> PodReferences::secrets;
        case "configmaps" -> PodReferences::configMaps;
        default -> PodReferences::claims;
      });
    }
    if (RULES.stream().noneMatch(r -> PolicyRules.allows(r, a))) return deny("");
    String name = a.name() == null ? "" : a.name();
    if (group.isEmpty()) {
      switch (a.resource()) {
        case "serviceaccounts" -> {
          return usedByPod(node, a, p -> Set.of(PodReferences.serviceAccount(p)));
        }
        case "nodes" -> {
          if (a.verb().equals("delete") && !name.equals(node)) {
            return deny("node \"" + node + "\" is not allowed to modify node \"" + name + "\"");
          }
        }
        case "pods" -> {
          boolean eviction = sub.equals("eviction");
          if (a.verb().equals("delete") || eviction) {
            ObjectNode pod = pods.pod(a.namespace(), name);
            // a missing pod is the handler's 404 to give
            if (pod != null && !node.equals(nodeOf(pod))) {
              return deny(eviction ? "node " + node + " can only evict pods with spec.nodeName set to itself"
                  : "node \"" + node + "\" can only delete pods with spec.nodeName set to itself");
            }
          }
        }
        default -> {}
      }
    } else if (group.equals("coordination.k8s.io")) {
      if (!NODE_LEASE_NAMESPACE.equals(a.namespace())) return deny("can only access leases in the \"" + NODE_LEASE_NAMESPACE + "\" namespace");
      if (!name.isEmpty() && !name.equals(node)) return deny("can only access node lease with the same name as the requesting node");
    }
    return new Decision(true, "");
  }

  /**
   * Allowed when a pod bound to {@code node} in the request's namespace names the object: a get, or
   * the create of a ServiceAccount's token (which TokenRequests then binds to one of the node's pods).
   */
  private Decision usedByPod(String node, Attributes a, Function<JsonNode, Set<String>> references) {
    if (!a.verb().equals("get") && !a.verb().equals("create") || a.name() == null || a.name().isEmpty()) {
      return deny("can only get individual resources of this type");
    }
    for (ObjectNode pod : pods.podsOn(node, a.namespace())) {
      if (references.apply(pod).contains(a.name())) return new Decision(true, "");
    }
    return deny("no relationship found between node '" + node + "' and this object");
  }

  private static Decision deny(String reason) {
    return new Decision(false, reason);
  }

  /** The node a pod is bound to ("" while unscheduled). */
  static String nodeOf(JsonNode pod) {
    return pod.path("spec").path("nodeName").asString("");
  }
}
