package io.keelson.agent.pod;

/** What pod workers tell the api-server: statuses (batched) and finished terminations. */
public interface ControlPlane {

  /** Queues the pod's full status (a v1 PodStatus as JSON). */
  void reportStatus(String namespace, String name, String uid, String statusJson);

  /** The pod is gone from this node: forget its status. */
  void forget(String uid);

  /** All containers of the deleted pod are gone: let the api-server remove the object. Idempotent. */
  void confirmTermination(String namespace, String name, String uid) throws Exception;
}
