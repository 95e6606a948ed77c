package io.keelson.scheduler.plugins.noderesources;

import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.Plugin;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.ScorePlugin;

/**
 * Prefers nodes whose CPU and memory utilisation stay balanced after placing the pod: score =
 * (1 - standard deviation of the two fractions) * 100, as kube-scheduler's
 * NodeResourcesBalancedAllocation.
 */
public final class BalancedAllocation implements ScorePlugin {
  public static final String NAME = "NodeResourcesBalancedAllocation";
  public static final Plugin.Factory FACTORY = h -> new BalancedAllocation();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public long score(CycleState state, PodInfo pod, NodeInfo node) {
    double cpu = fraction(node.requested().milliCpu + pod.requests().milliCpu, node.allocatable().milliCpu);
    double mem = fraction(node.requested().memory + pod.requests().memory, node.allocatable().memory);
    double std = Math.abs(cpu - mem) / 2; // population std-dev of two values
    return (long) ((1 - std) * MAX_NODE_SCORE);
  }

  private static double fraction(long requested, long capacity) {
    if (capacity <= 0) {
      return 1;
    }
    return Math.min(1.0, (double) requested / capacity);
  }
}
