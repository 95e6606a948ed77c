package io.keelson.scheduler.framework;

/** Decides whether a pod can run on a node. Must not allocate on success (hot path). */
public interface FilterPlugin extends Plugin {
  Status filter(CycleState state, PodInfo pod, NodeInfo node);
}
