package io.keelson.apiserver.registry;

import io.keelson.apiserver.resource.ResourceType;
import tools.jackson.databind.node.ObjectNode;

/**
 * A check of a validated write that depends on who makes it (kube's RBAC registry checks: no role
 * may grant what its writer does not hold) or on what is configured at run time
 * (ValidatingAdmissionPolicies). Throws a StatusException to refuse the write.
 */
@FunctionalInterface
public interface WriteGuard {

  WriteGuard NONE = (type, obj, old, opts) -> {};

  /** @param old null on create */
  void admit(ResourceType type, ObjectNode obj, ObjectNode old, WriteOptions opts);

  /** A delete of {@code old}; only the checks that see deletes (ValidatingAdmissionPolicies) act on it. */
  default void admitDelete(ResourceType type, ObjectNode old, WriteOptions opts) {}

  /**
   * A create of a subresource that is no write of the object (pods/eviction, pods/binding: {@code opts}
   * names it), {@code body} the Eviction or Binding; only ValidatingAdmissionPolicies act on it.
   */
  default void admitSubresourceCreate(ResourceType type, String namespace, String name, ObjectNode body, WriteOptions opts) {}

  /** This check, then {@code next}. */
  default WriteGuard andThen(WriteGuard next) {
    WriteGuard first = this;
    return new WriteGuard() {
      @Override
      public void admit(ResourceType type, ObjectNode obj, ObjectNode old, WriteOptions opts) {
        first.admit(type, obj, old, opts);
        next.admit(type, obj, old, opts);
      }

      @Override
      public void admitDelete(ResourceType type, ObjectNode old, WriteOptions opts) {
        first.admitDelete(type, old, opts);
        next.admitDelete(type, old, opts);
      }

      @Override
      public void admitSubresourceCreate(ResourceType type, String namespace, String name, ObjectNode body, WriteOptions opts) {
        first.admitSubresourceCreate(type, namespace, name, body, opts);
        next.admitSubresourceCreate(type, namespace, name, body, opts);
      }
    };
  }
}
