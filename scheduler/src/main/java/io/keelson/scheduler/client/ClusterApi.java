package io.keelson.scheduler.client;

import io.fabric8.kubernetes.api.model.Pod;

/**
 * The writes the scheduler makes to the API server. An interface so tests can run the whole
 * scheduler against fakes; {@link Fabric8ClusterApi} is the real one.
 */
public interface ClusterApi {
  /** POST pods/{name}/binding; blocks until the API server answered. Throws ApiException on rejection. */
  void bind(Pod pod, String nodeName);

  /** Writes PodScheduled=False (reason Unschedulable) and optionally status.nominatedNodeName. Asynchronous. */
  void markUnschedulable(Pod pod, String message, String nominatedNodeName);

  /** Deletes a preemption victim with its grace period. Asynchronous. */
  void evict(Pod victim, String preemptorKey, String nodeName);

  /**
   * Sets an annotation on a PersistentVolumeClaim (merge patch); blocks until the API server answered.
   * Throws ApiException on rejection.
   */
  default void annotateClaim(String namespace, String name, String key, String value) {
    throw new ApiException(0, "this client cannot annotate PersistentVolumeClaims");
  }

  /** Records a core/v1 Event about the pod. Asynchronous, may be dropped under overload. */
  void event(Pod pod, String type, String reason, String action, String message);

  /** An API call that the server rejected. */
  final class ApiException extends RuntimeException {
    private final int code;

    public ApiException(int code, String message) {
      super(message);
      this.code = code;
    }

    public int code() {
      return code;
    }
  }
}
