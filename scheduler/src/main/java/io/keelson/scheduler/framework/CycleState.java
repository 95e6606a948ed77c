package io.keelson.scheduler.framework;

import java.util.HashMap;
import java.util.Map;

/**
 * Per-scheduling-cycle scratch space: PreFilter/PreScore compute something once per pod and
 * Filter/Score read it per node. Only the scheduling thread touches it, except that preemption
 * clones it to simulate removals.
 */
public final class CycleState {
  /** Data stored by a plugin; copy() must return an independent copy for preemption dry-runs. */
  public interface Data {
    Data copy();
  }

  private final HashMap<String, Data> data = new HashMap<>(8);
  private boolean skipFilterNone = true;
  private java.util.Set<String> skipFilter;
  private java.util.Set<String> skipScore;
  /** The framework's filters minus the skipped ones, once it has worked them out (see Framework.runFilter). */
  FilterPlugin[] activeFilters;

  @SuppressWarnings("unchecked")
  public <T extends Data> T read(String key) {
    return (T) data.get(key);
  }

  public void write(String key, Data value) {
    data.put(key, value);
  }

  void skipFilter(String plugin) {
    if (skipFilter == null) {
      skipFilter = new java.util.HashSet<>(4);
    }
    skipFilter.add(plugin);
    skipFilterNone = false;
    activeFilters = null;
  }

  boolean filterSkipped(String plugin) {
    return !skipFilterNone && skipFilter.contains(plugin);
  }

  void skipScore(String plugin) {
    if (skipScore == null) {
      skipScore = new java.util.HashSet<>(4);
    }
    skipScore.add(plugin);
  }

  boolean scoreSkipped(String plugin) {
    return skipScore != null && skipScore.contains(plugin);
  }

  public CycleState copy() {
    CycleState c = new CycleState();
    for (Map.Entry<String, Data> e : data.entrySet()) {
      c.data.put(e.getKey(), e.getValue() == null ? null : e.getValue().copy());
    }
    if (skipFilter != null) {
      c.skipFilter = new java.util.HashSet<>(skipFilter);
      c.skipFilterNone = skipFilterNone;
    }
    c.activeFilters = activeFilters;
    if (skipScore != null) {
      c.skipScore = new java.util.HashSet<>(skipScore);
    }
    return c;
  }
}
