package io.keelson.agent.network;

import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.PodNetwork;
import io.keelson.agent.pod.NetworkProvider;

/**
 * The agent's {@link NetworkProvider} backed by {@link CniNetwork} (one per node), with a {@link
 * NetworkPool} of networks set up ahead of pods.
 */
public final class CniNetworkProvider implements NetworkProvider {

  private final CniNetwork network;
  private final NetworkPool pool;

  /** @param poolSize pod networks kept ready ahead of pods (0: none) */
  public CniNetworkProvider(CniNetwork network, int poolSize) {
    this.network = network;
    this.pool = new NetworkPool(network, poolSize);
  }

  public CniNetworkProvider(CniNetwork network) {
    this(network, 0);
  }

  public CniNetwork network() {
    return network;
  }

  @Override
  public PodNetwork setUp(String sandboxId, String podUid, String namespace, String name, String podCidr) throws DriverException {
    checkCidr(podCidr);
    pool.starting(sandboxId);
    PodNetwork pooled = pool.take(sandboxId, podCidr);
    return pooled != null ? pooled : network.setUp(sandboxId, podCidr);
  }

  @Override
  public PodNetwork createNamespace(String sandboxId, String podUid, String podCidr) throws DriverException {
    checkCidr(podCidr);
    pool.starting(sandboxId);
    PodNetwork pooled = pool.take(sandboxId, podCidr);
    return pooled != null ? pooled : network.createNamespace(sandboxId);
  }

  private static void checkCidr(String podCidr) throws DriverException {
    if (podCidr == null || podCidr.isEmpty()) {
      throw new DriverException("NetworkNotReady", "network is not ready: the node has no spec.podCIDR yet", null);
    }
  }

  @Override
  public String nodeAddress(String podCidr) throws DriverException {
    checkCidr(podCidr);
    return network.nodeAddress(podCidr);
  }

  @Override
  public boolean busy() {
    return network.setUpsInProgress() > 0;
  }

  @Override
  public void podCidr(String cidr) {
    pool.podCidr(cidr);
  }

  @Override
  public void settled(String sandboxId) {
    pool.settled(sandboxId);
  }

  @Override
  public int ready() {
    return pool.ready();
  }

  @Override
  public void tearDown(String sandboxId, String podUid) throws DriverException {
    pool.settled(sandboxId);
    network.tearDown(sandboxId);
  }

  @Override
  public void close() {
    pool.close();
  }
}
