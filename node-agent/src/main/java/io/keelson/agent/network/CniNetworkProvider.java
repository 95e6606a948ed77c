package io.keelson.agent.network;

import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.PodNetwork;
import io.keelson.agent.pod.NetworkProvider;

/** The agent's {@link NetworkProvider} backed by {@link CniNetwork} (one per node). */
public final class CniNetworkProvider implements NetworkProvider {

  private final CniNetwork network;

  public CniNetworkProvider(CniNetwork network) {
    this.network = network;
  }

  public CniNetwork network() {
    return network;
  }

  @Override
  public PodNetwork setUp(String sandboxId, String podUid, String namespace, String name, String podCidr) throws DriverException {
    if (podCidr == null || podCidr.isEmpty()) {
      throw new DriverException("NetworkNotReady", "network is not ready: the node has no spec.podCIDR yet", null);
    }
    return network.setUp(sandboxId, podCidr);
  }

  @Override
  public PodNetwork createNamespace(String sandboxId, String podUid, String podCidr) throws DriverException {
    if (podCidr == null || podCidr.isEmpty()) {
      throw new DriverException("NetworkNotReady", "network is not ready: the node has no spec.podCIDR yet", null);
    }
    return network.createNamespace(sandboxId);
  }

  @Override
  public boolean busy() {
    return network.setUpsInProgress() > 0;
  }

  @Override
  public void tearDown(String sandboxId, String podUid) throws DriverException {
    network.tearDown(sandboxId);
  }
}
