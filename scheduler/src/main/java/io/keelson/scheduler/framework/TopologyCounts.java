package io.keelson.scheduler.framework;

import java.util.HashMap;
import java.util.Map;

/**
 * Counts per topology domain (topology key -> label value -> count), e.g. matching pods per zone.
 * Two-level maps so lookups need no key object allocation; zero entries are removed so isEmpty()
 * means "no domain has a count", as kube-scheduler's maps behave.
 */
public final class TopologyCounts {
  private final HashMap<String, HashMap<String, Long>> counts = new HashMap<>(4);
  private int entries;

  public void add(String key, String value, long delta) {
    if (delta == 0) {
      return;
    }
    HashMap<String, Long> byValue = counts.computeIfAbsent(key, k -> new HashMap<>());
    Long old = byValue.get(value);
    long now = (old == null ? 0 : old) + delta;
    if (now == 0) {
      if (old != null) {
        byValue.remove(value);
        entries--;
      }
    } else {
      if (old == null) {
        entries++;
      }
      byValue.put(value, now);
    }
  }

  public long get(String key, String value) {
    HashMap<String, Long> byValue = counts.get(key);
    if (byValue == null) {
      return 0;
    }
    Long v = byValue.get(value);
    return v == null ? 0 : v;
  }

  public boolean isEmpty() {
    return entries == 0;
  }

  /** Topology keys seen, with their value counts. */
  public Map<String, HashMap<String, Long>> byKey() {
    return counts;
  }

  /** Sum of the counts of the domains the node (by its labels) belongs to. */
  public long sumForNode(Map<String, String> nodeLabels) {
    long s = 0;
    for (Map.Entry<String, HashMap<String, Long>> e : counts.entrySet()) {
      String v = nodeLabels.get(e.getKey());
      if (v != null) {
        Long c = e.getValue().get(v);
        if (c != null) {
          s += c;
        }
      }
    }
    return s;
  }

  /** Whether any domain the node belongs to has a positive count. */
  public boolean anyPositiveForNode(Map<String, String> nodeLabels) {
    for (Map.Entry<String, HashMap<String, Long>> e : counts.entrySet()) {
      String v = nodeLabels.get(e.getKey());
      if (v != null) {
        Long c = e.getValue().get(v);
        if (c != null && c > 0) {
          return true;
        }
      }
    }
    return false;
  }

  public TopologyCounts copy() {
    TopologyCounts c = new TopologyCounts();
    counts.forEach((k, v) -> c.counts.put(k, new HashMap<>(v)));
    c.entries = entries;
    return c;
  }

  @Override
  public String toString() {
    return counts.toString();
  }
}
