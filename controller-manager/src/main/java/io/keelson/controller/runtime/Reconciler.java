package io.keelson.controller.runtime;

/**
 * Brings the world in line with one object, named by its {@code namespace/name} key (or
 * {@code name} for cluster-scoped objects). Level-triggered and idempotent: it reads the latest
 * state from informer caches, never from the event that caused the call, so any number of calls
 * for the same key converge on the same result. Throwing means "retry this key with backoff".
 */
@FunctionalInterface
public interface Reconciler {
  Result reconcile(String key) throws Exception;
}
