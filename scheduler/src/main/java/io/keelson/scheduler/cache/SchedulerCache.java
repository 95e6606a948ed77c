package io.keelson.scheduler.cache;

import io.fabric8.kubernetes.api.model.Node;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.PodInfo;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The scheduler's view of what runs where: nodes from the informer plus pods, including
 * <em>assumed</em> pods — pods this scheduler has placed whose binding the informer has not shown
 * yet. Assuming makes a placement count against its node immediately, so the next cycle cannot
 * double-book it; a failed binding forgets the pod again. Thread-safe: informer threads, the
 * scheduling thread and binder threads all call it.
 */
public final class SchedulerCache {
  private record PodState(PodInfo pod, String nodeName, boolean assumed) {}

  private final HashMap<String, NodeInfo> nodes = new HashMap<>();
  private final HashMap<String, PodState> pods = new HashMap<>();
  private final Set<String> dirty = new HashSet<>();
  private boolean membershipChanged;
  private long generation;

  private NodeInfo nodeInfo(String name) {
    return nodes.computeIfAbsent(name, NodeInfo::new);
  }

  private void touch(NodeInfo n) {
    n.generation = ++generation;
    dirty.add(n.name());
  }

  public synchronized void addOrUpdateNode(Node node) {
    NodeInfo n = nodeInfo(node.getMetadata().getName());
    if (n.node() == null) {
      membershipChanged = true;
    }
    n.setNode(node);
    touch(n);
  }

  public synchronized void removeNode(String name) {
    NodeInfo n = nodes.get(name);
    if (n == null) {
      return;
    }
    if (n.pods().isEmpty()) {
      nodes.remove(name);
    } else {
      n.setNode(null); // keep the pods' accounting until their deletes arrive
      nodes.put(name, rebuildWithoutNode(n));
    }
    membershipChanged = true;
    dirty.add(name);
  }

  private static NodeInfo rebuildWithoutNode(NodeInfo n) {
    NodeInfo fresh = new NodeInfo(n.name());
    for (PodInfo p : n.pods()) {
      fresh.addPod(p);
    }
    return fresh;
  }

  /** Records the scheduler's decision before the API confirms it. */
  public synchronized void assumePod(PodInfo pod, String nodeName) {
    if (pods.containsKey(pod.uid())) {
      throw new IllegalStateException("pod " + pod.key() + " is already in the cache");
    }
    pods.put(pod.uid(), new PodState(pod, nodeName, true));
    NodeInfo n = nodeInfo(nodeName);
    n.addPod(pod);
    touch(n);
  }

  /** Undoes assumePod after a failed binding. */
  public synchronized void forgetPod(PodInfo pod) {
    PodState s = pods.get(pod.uid());
    if (s != null && s.assumed) {
      pods.remove(pod.uid());
      removeFromNode(s);
    }
  }

  public synchronized boolean isAssumed(String uid) {
    PodState s = pods.get(uid);
    return s != null && s.assumed;
  }

  /** A pod the informer shows as bound (confirms an assumed pod). */
  public synchronized void addOrUpdatePod(PodInfo pod, String nodeName) {
    PodState old = pods.get(pod.uid());
    if (old != null) {
      if (!old.assumed && old.pod == pod) {
        return;
      }
      removeFromNode(old);
    }
    pods.put(pod.uid(), new PodState(pod, nodeName, false));
    NodeInfo n = nodeInfo(nodeName);
    n.addPod(pod);
    touch(n);
  }

  public synchronized void removePod(String uid) {
    PodState s = pods.remove(uid);
    if (s != null) {
      removeFromNode(s);
    }
  }

  private void removeFromNode(PodState s) {
    NodeInfo n = nodes.get(s.nodeName);
    if (n == null) {
      return;
    }
    n.removePod(s.pod);
    if (n.node() == null && n.pods().isEmpty()) {
      nodes.remove(n.name());
      dirty.add(n.name());
    } else {
      touch(n);
    }
  }

  public synchronized int nodeCount() {
    int c = 0;
    for (NodeInfo n : nodes.values()) {
      if (n.node() != null) {
        c++;
      }
    }
    return c;
  }

  public synchronized int podCount() {
    return pods.size();
  }

  public synchronized int assumedCount() {
    int c = 0;
    for (PodState s : pods.values()) {
      if (s.assumed) {
        c++;
      }
    }
    return c;
  }

  /** Which node a cached pod is on (assumed or confirmed), or null. */
  public synchronized String nodeOf(String uid) {
    PodState s = pods.get(uid);
    return s == null ? null : s.nodeName;
  }

  /**
   * Brings the snapshot up to date by copying only nodes changed since the last call. Nodes without
   * a Node object (pods seen first) are left out.
   */
  public synchronized void updateSnapshot(Snapshot snap) {
    if (dirty.isEmpty()) {
      return;
    }
    boolean affinityChanged = false;
    boolean membership = membershipChanged;
    for (String name : dirty) {
      NodeInfo live = nodes.get(name);
      if (live == null || live.node() == null) {
        NodeInfo old = snap.byName.remove(name);
        if (old != null) {
          membership = true;
          affinityChanged = true;
        }
        continue;
      }
      NodeInfo copy = live.copy();
      NodeInfo old;
      if (!snap.byName.containsKey(name)) {
        snap.byName.put(name, copy);
        old = null;
        membership = true;
      } else {
        old = snap.replace(copy);
      }
      if (!copy.podsWithAffinity().isEmpty()
          || (old != null && !old.podsWithAffinity().isEmpty())
          || old == null) {
        affinityChanged = true;
      }
    }
    dirty.clear();
    membershipChanged = false;
    if (membership) {
      snap.rebuildList();
      affinityChanged = true;
    }
    if (affinityChanged) {
      snap.rebuildAffinityLists();
    }
  }

  /** For debugging and tests: node name -> pod count. */
  public synchronized Map<String, Integer> podsPerNode() {
    Map<String, Integer> m = new HashMap<>();
    nodes.forEach((k, v) -> m.put(k, v.pods().size()));
    return m;
  }
}
