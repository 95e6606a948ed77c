package io.keelson.apiserver.nodeservice;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * Hands out one /24 of 10.244.0.0/16 per node (the kube-controller-manager's range allocator, done
 * at registration). Serialised in this process; what other nodes already hold is read from the
 * stored Nodes, so a restarted api-server never hands out a CIDR twice.
 */
public final class PodCidrAllocator {
  private final Set<String> handedOut = new HashSet<>();

  /** The lowest free /24, or null when all 256 are taken. */
  public synchronized String allocate(Collection<String> inUse) {
    Set<String> used = new HashSet<>(inUse);
    used.addAll(handedOut);
    for (int i = 0; i < 256; i++) {
      String cidr = "10.244." + i + ".0/24";
      if (!used.contains(cidr)) {
        handedOut.add(cidr);
        return cidr;
      }
    }
    return null;
  }

  public synchronized void release(String cidr) {
    handedOut.remove(cidr);
  }
}
