package io.keelson.apiserver.auth.rbac;

import io.keelson.apiserver.auth.Authorizer;
import io.keelson.apiserver.auth.Authorizer.Rule;
import io.keelson.apiserver.auth.UserInfo;
import io.keelson.apiserver.registry.WriteGuard;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.util.List;
import tools.jackson.databind.node.ObjectNode;

/**
 * RBAC's privilege-escalation prevention, as kube's role and binding storage does it: a user may
 * write a Role or ClusterRole only with rules they hold themselves (in the role's namespace) or with
 * the {@code escalate} verb on it, and a binding only to a role whose rules they hold or with the
 * {@code bind} verb on that role. Superusers ({@code system:masters}) and the api-server's own
 * writes are not checked.
 */
public final class EscalationCheck implements WriteGuard {

  private final RbacAuthorizer authorizer;

  public EscalationCheck(RbacAuthorizer authorizer) {
    this.authorizer = authorizer;
  }

  @Override
  public void admit(ResourceType type, ObjectNode obj, ObjectNode old, WriteOptions opts) {
    if (!type.group().equals(CachedPolicy.GROUP)) return;
    UserInfo user = opts.requester();
    if (user == null || RbacAuthorizer.superuser(user)) return;
    String namespace = type.namespaced() ? obj.path("metadata").path("namespace").asString("") : "";
    String name = obj.path("metadata").path("name").asString("");
    switch (type.kind()) {
      case "Role", "ClusterRole" -> {
        List<Rule> rules = PolicyRules.of(obj);
        if (old != null && PolicyRules.of(old).equals(rules)) return; // nothing granted that was not before
        if (allowed(user, "escalate", type.resource(), namespace, name)) return;
        refuseMissing(type, name, user, namespace, rules);
      }
      case "RoleBinding", "ClusterRoleBinding" -> {
        String roleKind = obj.path("roleRef").path("kind").asString("");
        String roleName = obj.path("roleRef").path("name").asString("");
        String roleResource = roleKind.equals("Role") ? "roles" : "clusterroles";
        if (allowed(user, "bind", roleResource, namespace, roleName)) return;
        List<Rule> rules = authorizer.policy().rulesOf(roleKind, roleName, namespace);
        if (rules == null) {
          throw StatusException.notFound(ResourceRegistry.find(CachedPolicy.GROUP, "v1", roleResource).orElseThrow(), roleName);
        }
        refuseMissing(type, name, user, namespace, rules);
      }
      default -> {}
    }
  }

  private boolean allowed(UserInfo user, String verb, String resource, String namespace, String name) {
    return authorizer.authorize(user, new Authorizer.Attributes(verb, CachedPolicy.GROUP, resource, "", namespace, name, null)).allowed();
  }

  private void refuseMissing(ResourceType type, String name, UserInfo user, String namespace, List<Rule> rules) {
    List<Rule> missing = PolicyRules.uncovered(authorizer.rulesFor(user, namespace), rules);
    if (missing.isEmpty()) return;
    throw new StatusException(403, "Forbidden", type.qualifiedResource() + " \"" + name + "\" is forbidden: user \"" + user.username()
        + "\" (groups=" + PolicyRules.goQuoted(user.groups()) + ") is attempting to grant RBAC permissions not currently held:\n"
        + PolicyRules.describe(missing), type, name, List.of());
  }
}
