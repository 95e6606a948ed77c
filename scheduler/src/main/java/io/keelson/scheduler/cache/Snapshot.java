package io.keelson.scheduler.cache;

import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.NodeInfoLister;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * The scheduling cycle's consistent view of the nodes: copies of the cache's NodeInfos, refreshed
 * incrementally (only nodes whose generation changed are copied). Owned by the scheduling thread.
 */
public final class Snapshot implements NodeInfoLister {
  final HashMap<String, NodeInfo> byName = new HashMap<>();
  final ArrayList<NodeInfo> list = new ArrayList<>();
  final HashMap<String, Integer> index = new HashMap<>();
  final ArrayList<NodeInfo> withAffinity = new ArrayList<>();
  final ArrayList<NodeInfo> withRequiredAntiAffinity = new ArrayList<>();

  /** A standalone snapshot over the given nodes (tests, benchmarks without a cache). */
  public static Snapshot of(List<NodeInfo> nodes) {
    Snapshot s = new Snapshot();
    for (NodeInfo n : nodes) {
      s.byName.put(n.name(), n);
    }
    s.rebuildList();
    s.rebuildAffinityLists();
    return s;
  }

  void rebuildList() {
    list.clear();
    index.clear();
    for (NodeInfo n : byName.values()) {
      index.put(n.name(), list.size());
      list.add(n);
    }
  }

  void rebuildAffinityLists() {
    withAffinity.clear();
    withRequiredAntiAffinity.clear();
    for (NodeInfo n : list) {
      if (!n.podsWithAffinity().isEmpty()) {
        withAffinity.add(n);
      }
      if (!n.podsWithRequiredAntiAffinity().isEmpty()) {
        withRequiredAntiAffinity.add(n);
      }
    }
  }

  /** Replace one node's copy in place (same membership); returns the previous copy. */
  NodeInfo replace(NodeInfo n) {
    NodeInfo old = byName.put(n.name(), n);
    Integer i = index.get(n.name());
    if (i != null) {
      list.set(i, n);
    }
    return old;
  }

  @Override
  public List<NodeInfo> list() {
    return list;
  }

  @Override
  public NodeInfo get(String nodeName) {
    return byName.get(nodeName);
  }

  @Override
  public List<NodeInfo> havePodsWithAffinity() {
    return withAffinity;
  }

  @Override
  public List<NodeInfo> havePodsWithRequiredAntiAffinity() {
    return withRequiredAntiAffinity;
  }

  public int size() {
    return list.size();
  }
}
