package io.keelson.apiserver.auth.rbac;

import io.keelson.apiserver.auth.Authorizer.Rule;
import io.keelson.apiserver.auth.UserInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * One immutable reading of the cluster's RBAC objects, indexed for the questions every request asks:
 * bindings by subject (a user's name, each of its groups; a service account is the user
 * {@code system:serviceaccount:NS:NAME}), per namespace for RoleBindings, and roles' rules by name.
 */
public final class RbacPolicy {

  /** A binding that names a subject, with kube's words for it in decision reasons. */
  record Grant(String description, String roleKind, String roleName, String namespace) {}

  /** The rules one grant gives, and its description; what kube's rule visitor sees. */
  public record Source(String description, List<Rule> rules) {}

  static final RbacPolicy EMPTY = new RbacPolicy(List.of(), List.of(), List.of(), List.of());

  private final Map<String, List<Rule>> clusterRoles = new HashMap<>();
  private final Map<String, List<Rule>> roles = new HashMap<>(); // "ns/name"
  private final Map<String, List<Grant>> clusterGrants = new HashMap<>(); // by subject key
  private final Map<String, Map<String, List<Grant>>> namespacedGrants = new HashMap<>(); // ns -> subject key

  public RbacPolicy(List<? extends JsonNode> clusterRoleObjects, List<? extends JsonNode> roleObjects,
      List<? extends JsonNode> clusterBindings, List<? extends JsonNode> roleBindings) {
    for (JsonNode r : clusterRoleObjects) clusterRoles.put(name(r), PolicyRules.of(r));
    for (JsonNode r : roleObjects) roles.put(namespace(r) + "/" + name(r), PolicyRules.of(r));
    for (JsonNode b : clusterBindings) index(b, "", clusterGrants);
    for (JsonNode b : roleBindings) {
      index(b, namespace(b), namespacedGrants.computeIfAbsent(namespace(b), k -> new HashMap<>()));
    }
  }

  private static void index(JsonNode binding, String ns, Map<String, List<Grant>> into) {
    JsonNode ref = binding.path("roleRef");
    String roleKind = ref.path("kind").asString("");
    String roleName = ref.path("name").asString("");
    String what = ns.isEmpty() ? "ClusterRoleBinding \"" + name(binding) + "\"" : "RoleBinding \"" + ns + "/" + name(binding) + "\"";
    for (JsonNode s : binding.path("subjects")) {
      String kind = s.path("kind").asString("");
      String name = s.path("name").asString("");
      String key;
      String subject;
      switch (kind) {
        case "User" -> {
          key = userKey(name);
          subject = "User \"" + name + "\"";
        }
        case "Group" -> {
          key = groupKey(name);
          subject = "Group \"" + name + "\"";
        }
        case "ServiceAccount" -> {
          String saNs = s.path("namespace").asString("").isEmpty() ? ns : s.path("namespace").asString(""); // kube: the binding's
          key = userKey("system:serviceaccount:" + saNs + ":" + name);
          subject = "ServiceAccount \"" + saNs + "/" + name + "\"";
        }
        default -> {
          continue;
        }
      }
      String description = what + " of " + roleKind + " \"" + roleName + "\" to " + subject;
      into.computeIfAbsent(key, k -> new ArrayList<>()).add(new Grant(description, roleKind, roleName, ns));
    }
  }

  private static String userKey(String name) {
    return "u:" + name;
  }

  private static String groupKey(String name) {
    return "g:" + name;
  }

  /**
   * The grants that apply to {@code user} in {@code namespace} (cluster-wide ones first), each with
   * its role's rules, in kube's visiting order; a grant of a missing role gives no rules.
   */
  public List<Source> sourcesFor(UserInfo user, String namespace) {
    List<Source> out = new ArrayList<>();
    collect(user, clusterGrants, out);
    if (namespace != null && !namespace.isEmpty()) {
      Map<String, List<Grant>> inNs = namespacedGrants.get(namespace);
      if (inNs != null) collect(user, inNs, out);
    }
    return out;
  }

  private void collect(UserInfo user, Map<String, List<Grant>> grants, List<Source> out) {
    if (grants.isEmpty()) return;
    add(grants.get(userKey(user.username())), out);
    for (String g : user.groups()) add(grants.get(groupKey(g)), out);
  }

  private void add(List<Grant> grants, List<Source> out) {
    if (grants == null) return;
    for (Grant g : grants) {
      List<Rule> rules = rulesOf(g.roleKind(), g.roleName(), g.namespace());
      if (rules != null) out.add(new Source(g.description(), rules));
    }
  }

  /** The rules of a roleRef as seen from {@code namespace} (kube's GetRoleReferenceRules); null for a missing role. */
  public List<Rule> rulesOf(String roleKind, String roleName, String namespace) {
    return switch (roleKind) {
      case "ClusterRole" -> clusterRoles.get(roleName);
      case "Role" -> roles.get(namespace + "/" + roleName);
      default -> null;
    };
  }

  private static String name(JsonNode o) {
    return o.path("metadata").path("name").asString("");
  }

  private static String namespace(JsonNode o) {
    return o.path("metadata").path("namespace").asString("");
  }
}
