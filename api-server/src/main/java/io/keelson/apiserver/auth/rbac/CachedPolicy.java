package io.keelson.apiserver.auth.rbac;

import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.watch.WatchCache;
import java.util.List;
import java.util.function.Supplier;

/**
 * The RBAC policy as the api-server's watch caches hold it, re-indexed only when one of the four
 * RBAC caches has moved on: a request pays four volatile reads, a policy change one rebuild.
 */
public final class CachedPolicy implements Supplier<RbacPolicy> {

  static final String GROUP = "rbac.authorization.k8s.io";

  private final WatchCache clusterRoles;
  private final WatchCache roles;
  private final WatchCache clusterBindings;
  private final WatchCache roleBindings;
  private volatile Indexed current = new Indexed(RbacPolicy.EMPTY, -1, -1, -1, -1);

  private record Indexed(RbacPolicy policy, long cr, long r, long crb, long rb) {}

  public CachedPolicy(ResourceService svc) {
    this.clusterRoles = svc.cache(type("clusterroles"));
    this.roles = svc.cache(type("roles"));
    this.clusterBindings = svc.cache(type("clusterrolebindings"));
    this.roleBindings = svc.cache(type("rolebindings"));
  }

  private static ResourceType type(String resource) {
    return ResourceRegistry.find(GROUP, "v1", resource).orElseThrow();
  }

  @Override
  public RbacPolicy get() {
    Indexed i = current;
    if (i.cr == clusterRoles.revision() && i.r == roles.revision() && i.crb == clusterBindings.revision()
        && i.rb == roleBindings.revision()) {
      return i.policy;
    }
    synchronized (this) {
      i = current;
      long cr = clusterRoles.revision();
      long r = roles.revision();
      long crb = clusterBindings.revision();
      long rb = roleBindings.revision();
      if (i.cr == cr && i.r == r && i.crb == crb && i.rb == rb) return i.policy;
      // read the revisions before the objects: a change in between only causes one more rebuild
      RbacPolicy p = new RbacPolicy(all(clusterRoles), all(roles), all(clusterBindings), all(roleBindings));
      current = new Indexed(p, cr, r, crb, rb);
      return p;
    }
  }

  private static List<tools.jackson.databind.node.ObjectNode> all(WatchCache cache) {
    return cache.snapshot(null, o -> true).objects();
  }
}
