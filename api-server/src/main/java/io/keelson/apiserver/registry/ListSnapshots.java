package io.keelson.apiserver.registry;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import tools.jackson.databind.node.ObjectNode;

/**
 * Watch-cache snapshots taken for paged lists, kept for a short while so that the pages after the
 * first (continue tokens at the snapshot's revision) are cut from memory instead of being read and
 * decoded from etcd again — kube-apiserver's ListFromCacheSnapshot. A snapshot is only references:
 * cached objects are never mutated. It is an optimisation only: a token whose snapshot is gone (or
 * was taken by another api-server) is served from etcd at the same revision, with the same result.
 */
final class ListSnapshots {

  /** The objects under one key prefix at one revision, in key order, with their keys. */
  record Snapshot(String prefix, long revision, List<String> keys, List<ObjectNode> objects, long takenNanos) {

    /** Index of the first object whose key is at or after {@code key}. */
    int positionOf(String key) {
      int lo = 0;
      int hi = keys.size();
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (keys.get(mid).compareTo(key) < 0) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }
  }

  private final int capacity;
  private final long ttlNanos;
  private final LongSupplier clock;
  /** By prefix + revision, oldest first (access order: a list being paged stays). */
  private final Map<String, Snapshot> byId = new LinkedHashMap<>(16, 0.75f, true);

  ListSnapshots(int capacity, long ttlNanos, LongSupplier clock) {
    this.capacity = capacity;
    this.ttlNanos = ttlNanos;
    this.clock = clock;
  }

  ListSnapshots() {
    // a kubectl get or an informer's list pages through within seconds; 8 lists at once is plenty
    this(8, 30_000_000_000L, System::nanoTime);
  }

  synchronized void put(Snapshot s) {
    expire();
    byId.put(id(s.prefix(), s.revision()), s);
    while (byId.size() > capacity) {
      Iterator<String> it = byId.keySet().iterator();
      it.next();
      it.remove();
    }
  }

  /** The snapshot of {@code prefix} at {@code revision}, or null when it was never taken here or has expired. */
  synchronized Snapshot get(String prefix, long revision) {
    expire();
    return byId.get(id(prefix, revision));
  }

  synchronized int size() {
    expire();
    return byId.size();
  }

  Snapshot snapshot(String prefix, long revision, List<String> keys, List<ObjectNode> objects) {
    return new Snapshot(prefix, revision, keys, objects, clock.getAsLong());
  }

  private void expire() {
    long now = clock.getAsLong();
    byId.values().removeIf(s -> now - s.takenNanos() > ttlNanos);
  }

  private static String id(String prefix, long revision) {
    return revision + "\n" + prefix;
  }
}
