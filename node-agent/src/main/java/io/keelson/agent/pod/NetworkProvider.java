package io.keelson.agent.pod;

import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.PodNetwork;

/**
 * The agent's view of pod networking (io.keelson.agent.network, CNI): give a pod a network
 * namespace with an IP from the node's pod CIDR, and take it away again. Both calls are idempotent:
 * setting up a sandbox that already has a network returns the same one (this is how the agent
 * recovers the pod IP after a restart).
 */
public interface NetworkProvider {

  /** The pod's network, possibly one set up ahead of it (a pool of ready networks). */
  PodNetwork setUp(String sandboxId, String podUid, String namespace, String name, String podCidr)
      throws DriverException;

  /**
   * The first half of {@link #setUp}, for pods whose containers may be created while the rest runs:
   * creates the sandbox's network namespace and returns the network without an address (ip null:
   * namespace path only); {@link #setUp} then addresses it. It may instead return a
   * finished network (with its ip: set up ahead of the pod, or before an agent restart): then there
   * is nothing left to set up. Null when this provider only sets up in one go (then just call setUp).
   */
  default PodNetwork createNamespace(String sandboxId, String podUid, String podCidr) throws DriverException {
    return null;
  }

  /**
   * Whether other pods' networks are being set up right now. Set-ups run one at a time per node, so
   * a pod arriving then is better started the serial way: creating its containers early would only
   * take CPU from the set-ups it waits for (seen in bursts of 100 pods: p50 2.7 s serial, 15 s overlapped).
   */
  default boolean busy() {
    return false;
  }

  void tearDown(String sandboxId, String podUid) throws DriverException;

  /**
   * The node's own address on the pod network (the pods' gateway), set up if no pod did yet; where
   * node-local services for pods listen. Null when pods have no real network (fake, hollow).
   */
  default String nodeAddress(String podCidr) throws DriverException {
    return null;
  }

  /** The node's pod CIDR is known (or changed): a provider may set up networks for it ahead of pods. */
  default void podCidr(String cidr) {}

  /**
   * The pod of {@code sandboxId} has started (its first Running status) or failed to: background
   * work that would take CPU from a starting pod (refilling a pool of ready networks) may run.
   */
  default void settled(String sandboxId) {}

  /** Networks set up ahead of pods and ready to be handed out now. */
  default int ready() {
    return 0;
  }

  /** The agent stops: background work ends (what is set up stays). */
  default void close() {}
}
