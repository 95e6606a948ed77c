package io.keelson.scheduler.plugins.noderesources;

import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.Plugin;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.ScorePlugin;

/**
 * Prefers nodes with more free CPU and memory after placing the pod (spreads load). Uses
 * kube-scheduler's non-zero requests (100m / 200Mi for containers that request nothing) so that
 * request-less pods still spread.
 */
public final class LeastAllocated implements ScorePlugin {
  public static final String NAME = "NodeResourcesLeastAllocated";
  public static final Plugin.Factory FACTORY = h -> new LeastAllocated();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public long score(CycleState state, PodInfo pod, NodeInfo node) {
    long cpu = leastRequested(node.nonZeroMilliCpu() + pod.nonZeroMilliCpu(), node.allocatable().milliCpu);
    long mem = leastRequested(node.nonZeroMemory() + pod.nonZeroMemory(), node.allocatable().memory);
    return (cpu + mem) / 2;
  }

  static long leastRequested(long requested, long capacity) {
    if (capacity <= 0 || requested > capacity) {
      return 0;
    }
    return (capacity - requested) * MAX_NODE_SCORE / capacity;
  }
}
