package io.keelson.apiserver.auth.rbac;

import io.keelson.apiserver.auth.Authorizer;
import io.keelson.apiserver.auth.UserInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * kube's RBAC authorizer ({@code --authorization-mode=RBAC}) behind its superuser short-circuit:
 * members of {@code system:masters} may do anything without a rule being looked at; anyone else may do
 * what the roles bound to their name or groups allow, cluster-wide through ClusterRoleBindings and in
 * a namespace through its RoleBindings. The policy comes from the watch cache ({@link CachedPolicy}),
 * never from etcd per request.
 */
public final class RbacAuthorizer implements Authorizer {

  /** kube's user.SystemPrivilegedGroup. */
  public static final String MASTERS = "system:masters";

  private final Supplier<RbacPolicy> policy;

  public RbacAuthorizer(Supplier<RbacPolicy> policy) {
    this.policy = policy;
  }

  /** Whether {@code user} is a superuser, allowed everything before any rule is evaluated. */
  public static boolean superuser(UserInfo user) {
    return user.groups().contains(MASTERS);
  }

  @Override
  public Decision authorize(UserInfo user, Attributes request) {
    if (superuser(user)) return new Decision(true, "");
    for (RbacPolicy.Source s : policy.get().sourcesFor(user, request.namespace())) {
      for (Rule r : s.rules()) {
        if (PolicyRules.allows(r, request)) return new Decision(true, "RBAC: allowed by " + s.description());
      }
    }
    return new Decision(false, "");
  }

  @Override
  public List<Rule> rulesFor(UserInfo user, String namespace) {
    List<Rule> rules = new ArrayList<>();
    for (RbacPolicy.Source s : policy.get().sourcesFor(user, namespace)) rules.addAll(s.rules());
    return rules;
  }

  /** The current policy, for the escalation checks that need a role's rules. */
  RbacPolicy policy() {
    return policy.get();
  }
}
