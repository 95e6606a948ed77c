package io.keelson.scheduler.framework;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Taint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A node with the aggregates the plugins need (allocatable, sum of requests of its pods, pods with
 * affinity terms), kept up to date incrementally by the cache so that Filter/Score never walk the
 * pod list for resource checks. The cache owns the live copy; the scheduling cycle reads cheap
 * snapshot copies.
 */
public final class NodeInfo {
  public static final String HOSTNAME_LABEL = "kubernetes.io/hostname";

  private Node node;
  private final String name;
  private Map<String, String> labels = Map.of();
  private List<Taint> taints = List.of();
  private boolean unschedulable;
  private Resource allocatable = new Resource();
  private Resource requested = new Resource();
  private long nonZeroMilliCpu;
  private long nonZeroMemory;
  private ArrayList<PodInfo> pods = new ArrayList<>(4);
  private ArrayList<PodInfo> podsWithAffinity = new ArrayList<>(0);
  private ArrayList<PodInfo> podsWithRequiredAntiAffinity = new ArrayList<>(0);
  /** Bumped by the cache on every change; lets the snapshot copy only what changed. */
  public long generation;

  public NodeInfo(String name) {
    this.name = name;
  }

  /** A node with its pods, for tests and preemption simulations. */
  public static NodeInfo of(Node node, PodInfo... pods) {
    NodeInfo n = new NodeInfo(node.getMetadata().getName());
    n.setNode(node);
    for (PodInfo p : pods) {
      n.addPod(p);
    }
    return n;
  }

  public void setNode(Node node) {
    this.node = node;
    if (node == null) {
      return;
    }
    Map<String, String> l = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
    if (!l.containsKey(HOSTNAME_LABEL)) {
      // Every kubelet sets it; assume it for nodes that do not, so hostname topology keys work.
      l = new java.util.HashMap<>(l);
      l.put(HOSTNAME_LABEL, name);
    }
    this.labels = l;
    this.taints = node.getSpec() == null || node.getSpec().getTaints() == null ? List.of() : node.getSpec().getTaints();
    this.unschedulable = node.getSpec() != null && Boolean.TRUE.equals(node.getSpec().getUnschedulable());
    Resource alloc = new Resource();
    if (node.getStatus() != null) {
      var a = node.getStatus().getAllocatable();
      if (a == null || a.isEmpty()) {
        a = node.getStatus().getCapacity();
      }
      alloc.addQuantities(a);
      if (a == null || !a.containsKey(Resource.PODS)) {
        alloc.allowedPodNumber = Long.MAX_VALUE / 2; // no pod limit reported: do not invent one
      }
    }
    this.allocatable = alloc;
  }

  public void addPod(PodInfo p) {
    pods.add(p);
    requested.add(p.requests());
    requested.allowedPodNumber++;
    nonZeroMilliCpu += p.nonZeroMilliCpu();
    nonZeroMemory += p.nonZeroMemory();
    if (p.hasAffinity()) {
      podsWithAffinity.add(p);
    }
    if (!p.requiredAntiAffinity().isEmpty()) {
      podsWithRequiredAntiAffinity.add(p);
    }
  }

  /** Removes the pod with p's uid; returns false if it was not here. */
  public boolean removePod(PodInfo p) {
    int idx = indexOf(pods, p.uid());
    if (idx < 0) {
      return false;
    }
    PodInfo old = pods.get(idx);
    swapRemove(pods, idx);
    int i = indexOf(podsWithAffinity, p.uid());
    if (i >= 0) {
      swapRemove(podsWithAffinity, i);
    }
    i = indexOf(podsWithRequiredAntiAffinity, p.uid());
    if (i >= 0) {
      swapRemove(podsWithRequiredAntiAffinity, i);
    }
    requested.subtract(old.requests());
    requested.allowedPodNumber--;
    nonZeroMilliCpu -= old.nonZeroMilliCpu();
    nonZeroMemory -= old.nonZeroMemory();
    return true;
  }

  private static int indexOf(List<PodInfo> list, String uid) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i).uid().equals(uid)) {
        return i;
      }
    }
    return -1;
  }

  private static void swapRemove(ArrayList<PodInfo> list, int idx) {
    int last = list.size() - 1;
    list.set(idx, list.get(last));
    list.remove(last);
  }

  /** Copy whose pod lists and totals are independent of this one (pods themselves are shared). */
  public NodeInfo copy() {
    NodeInfo c = new NodeInfo(name);
    c.node = node;
    c.labels = labels;
    c.taints = taints;
    c.unschedulable = unschedulable;
    c.allocatable = allocatable;
    c.requested = requested.copy();
    c.nonZeroMilliCpu = nonZeroMilliCpu;
    c.nonZeroMemory = nonZeroMemory;
    c.pods = new ArrayList<>(pods);
    c.podsWithAffinity = new ArrayList<>(podsWithAffinity);
    c.podsWithRequiredAntiAffinity = new ArrayList<>(podsWithRequiredAntiAffinity);
    c.generation = generation;
    return c;
  }

  public Node node() {
    return node;
  }

  public String name() {
    return name;
  }

  public Map<String, String> labels() {
    return labels;
  }

  public List<Taint> taints() {
    return taints;
  }

  public boolean unschedulable() {
    return unschedulable;
  }

  public Resource allocatable() {
    return allocatable;
  }

  /** Sum of the requests of the pods on this node (allowedPodNumber = pod count). */
  public Resource requested() {
    return requested;
  }

  public long nonZeroMilliCpu() {
    return nonZeroMilliCpu;
  }

  public long nonZeroMemory() {
    return nonZeroMemory;
  }

  public List<PodInfo> pods() {
    return pods;
  }

  public List<PodInfo> podsWithAffinity() {
    return podsWithAffinity;
  }

  public List<PodInfo> podsWithRequiredAntiAffinity() {
    return podsWithRequiredAntiAffinity;
  }

  @Override
  public String toString() {
    return name + "{alloc " + allocatable + ", requested " + requested + "}";
  }
}
