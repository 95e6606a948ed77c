package io.keelson.agent.pod;

import io.keelson.agent.driver.PodNetwork;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pod IPs for hollow nodes and tests: addresses are handed out from the node's pod CIDR (a /24) and
 * nothing is configured on the host.
 */
public final class FakeNetwork implements NetworkProvider {
  private final Map<String, String> ips = new ConcurrentHashMap<>();
  private int next = 2;

  @Override
  public synchronized PodNetwork setUp(String sandboxId, String podUid, String namespace, String name, String podCidr) {
    String ip = ips.computeIfAbsent(sandboxId, k -> {
      String base = podCidr == null ? "10.244.0.0" : podCidr.substring(0, podCidr.indexOf('/'));
      String prefix = base.substring(0, base.lastIndexOf('.') + 1);
      int host = next;
      next = next >= 254 ? 2 : next + 1;
      return prefix + host;
    });
    String gw = ip.substring(0, ip.lastIndexOf('.') + 1) + "1";
    return new PodNetwork(Path.of("/dev/null"), "eth0", ip, 24, gw, null);
  }

  @Override
  public void tearDown(String sandboxId, String podUid) {
    ips.remove(sandboxId);
  }
}
