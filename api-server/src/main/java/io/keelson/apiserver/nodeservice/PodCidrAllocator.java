package io.keelson.apiserver.nodeservice;

import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.EtcdStore;
import io.keelson.apiserver.storage.StoreUnavailableException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Hands out one /24 of the cluster's pod range ({@code --cluster-cidr}, default 10.244.0.0/16) per
 * node (the kube-controller-manager's range allocator, done at registration). Each /24 is claimed with a create-if-absent key in etcd
 * ({@code /registry/keelson.io/podcidrs/<n>}, n its index in the range, value = node name), so that several api-server
 * replicas registering nodes at the same moment can never hand out one range twice. A claim whose
 * node no longer exists is taken over once no range is free.
 */
public final class PodCidrAllocator {

  private static final String PREFIX = "/registry/keelson.io/podcidrs/";

  private final EtcdStore store;
  private final ClusterCidr range;

  public PodCidrAllocator(EtcdStore store, ClusterCidr range) {
    this.store = store;
    this.range = range;
  }

  /**
   * The lowest free /24 for {@code node}, or null when all are taken. {@code inUse} are the
   * ranges stored Nodes hold; {@code nodeExists} tells whether a claim's owner is still a Node.
   *
   * <p>Claims of other owners are taken over only when no range is free: at registration the Node
   * is created after its range was claimed, so an owner that is not a Node yet may be registering
   * right now (taking its claim over gave two lab hosts registering at once the same range).
   */
  public String allocate(String node, Collection<String> inUse, Predicate<String> nodeExists) {
    Set<String> used = new HashSet<>(inUse);
    byte[] me = node.getBytes(StandardCharsets.UTF_8);
    Map<Integer, EtcdStore.Entry> claimedByOthers = new LinkedHashMap<>();
    try {
      for (int i = 0; i < range.nodeRanges(); i++) {
        if (used.contains(cidr(i))) continue;
        try {
          store.create(PREFIX + i, me);
          return cidr(i);
        } catch (EtcdStore.RevisionMismatchException taken) {
          EtcdStore.Entry cur = taken.current;
          if (cur == null) continue;
          if (new String(cur.value(), StandardCharsets.UTF_8).equals(node)) return cidr(i);
          claimedByOthers.put(i, cur);
        }
      }
      for (Map.Entry<Integer, EtcdStore.Entry> claim : claimedByOthers.entrySet()) {
        EtcdStore.Entry cur = claim.getValue();
        if (nodeExists.test(new String(cur.value(), StandardCharsets.UTF_8))) continue;
        try {
          store.guardedPut(PREFIX + claim.getKey(), me, cur.modRevision());
          return cidr(claim.getKey());
        } catch (EtcdStore.RevisionMismatchException raced) {
          // another replica took it over first
        }
      }
      return null;
    } catch (StoreUnavailableException e) {
      throw StatusException.unavailable(e.getMessage());
    }
  }

  private String cidr(int i) {
    return range.nodeRange(i);
  }

  /** Give back a range claimed for {@code node} (its registration failed). */
  public void release(String node, String cidr) {
    try {
      int i = range.indexOf(cidr);
      if (i < 0) return;
      EtcdStore.Entry cur = store.get(PREFIX + i);
      if (cur != null && new String(cur.value(), StandardCharsets.UTF_8).equals(node)) {
        store.guardedDelete(PREFIX + i, cur.modRevision());
      }
    } catch (StoreUnavailableException | EtcdStore.RevisionMismatchException | RuntimeException e) {
      // best effort: an orphaned claim is taken over once its node is gone
    }
  }
}
