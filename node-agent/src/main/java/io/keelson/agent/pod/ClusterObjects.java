package io.keelson.agent.pod;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.keelson.agent.service.ServiceCatalog;

/**
 * The API objects a pod depends on, read by the agent (through the REST API in production, from
 * memory in tests), and the events it records. Reads return null when the object does not exist.
 */
public interface ClusterObjects {

  ConfigMap configMap(String namespace, String name);

  Secret secret(String namespace, String name);

  /** A PersistentVolumeClaim, or null when there is none (or this node cannot read them). */
  default PersistentVolumeClaim persistentVolumeClaim(String namespace, String name) {
    return null;
  }

  /** A PersistentVolume, or null when there is none (or this node cannot read them). */
  default PersistentVolume persistentVolume(String name) {
    return null;
  }

  /** Every PersistentVolume, for removing the directories of deleted local-path volumes; null when unknown. */
  default java.util.List<PersistentVolume> persistentVolumes() {
    return null;
  }

  /** The handler of a RuntimeClass (node.k8s.io/v1), or null when there is no such class. */
  String runtimeClassHandler(String name);

  /**
   * The cluster's Services and EndpointSlices as this node watches them, for the Service proxy,
   * node-local DNS and service environment variables; null when the node does not watch them
   * (hollow nodes, tests that need no Services).
   */
  default ServiceCatalog services() {
    return null;
  }

  /**
   * The NetworkPolicies, pods and namespaces of the cluster as this node watches them, for
   * enforcing policies; null when the node does not watch them (hollow and fake nodes, tests).
   */
  default io.keelson.agent.netpol.PolicyCatalog networkPolicies() {
    return null;
  }

  /**
   * A token for the pod's ServiceAccount, bound to the pod (TokenRequest, as kubelet asks for a
   * projected serviceAccountToken source); {@code audience} empty means the api-server's own.
   * Throws when the api-server refuses (e.g. the account does not exist yet).
   */
  default String serviceAccountToken(Pod pod, String audience, long expirationSeconds) {
    throw new IllegalStateException("service account tokens are not available on this node");
  }

  /** Records a Kubernetes event about this node, e.g. a host problem (best effort, asynchronous). */
  default void nodeEvent(String type, String reason, String message) {}

  /** Records a Kubernetes event about the pod (best effort, asynchronous). */
  void event(Pod pod, String fieldPath, String type, String reason, String message);
}
