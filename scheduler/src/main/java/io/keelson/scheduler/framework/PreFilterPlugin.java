package io.keelson.scheduler.framework;

/** Runs once per pod before Filter; computes per-pod state or rejects the pod outright. */
public interface PreFilterPlugin extends Plugin {
  Status preFilter(CycleState state, PodInfo pod);

  /** Preemption dry-runs tell the plugin that a pod was removed from / added to a node. */
  default void removePod(CycleState state, PodInfo pod, PodInfo removed, NodeInfo node) {}

  default void addPod(CycleState state, PodInfo pod, PodInfo added, NodeInfo node) {}
}
