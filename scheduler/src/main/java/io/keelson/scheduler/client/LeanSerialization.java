package io.keelson.scheduler.client;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * The scheduler's JSON mapping: the shared lean one ({@link io.keelson.client.json.LeanSerialization},
 * no managedFields), also without pods' container statuses, which every status report of an agent
 * rewrites: the scheduler reads only the phase, the conditions and nominatedNodeName of a pod's
 * status, and nothing it writes (bindings, events, condition patches) carries container statuses.
 */
public final class LeanSerialization {
  private LeanSerialization() {}

  public static KubernetesSerialization create() {
    return io.keelson.client.json.LeanSerialization.builder().withoutContainerStatuses().build();
  }
}
