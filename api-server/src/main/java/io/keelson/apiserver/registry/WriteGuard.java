package io.keelson.apiserver.registry;

import io.keelson.apiserver.resource.ResourceType;
import tools.jackson.databind.node.ObjectNode;

/**
 * A check of a validated write that depends on who makes it (kube's RBAC registry checks: no role
 * may grant what its writer does not hold). Throws a StatusException to refuse the write.
 */
@FunctionalInterface
public interface WriteGuard {

  WriteGuard NONE = (type, obj, old, opts) -> {};

  /** @param old null on create */
  void admit(ResourceType type, ObjectNode obj, ObjectNode old, WriteOptions opts);
}
