package io.keelson.scheduler.plugins.noderesources;

import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.FilterPlugin;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.Plugin;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.Resource;
import io.keelson.scheduler.framework.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Does the node have room for the pod's requests (CPU, memory, ephemeral storage, extended
 * resources, pod count)? The pod's requests already follow the init-container max rule and
 * include RuntimeClass overhead (see PodInfo).
 */
public final class NodeResourcesFit implements FilterPlugin {
  public static final String NAME = "NodeResourcesFit";
  public static final String REASON_TOO_MANY_PODS = "Too many pods";
  public static final String REASON_INSUFFICIENT_PREFIX = "Insufficient ";
  public static final Plugin.Factory FACTORY = h -> new NodeResourcesFit();

  private static final Status TOO_MANY_PODS = Status.unschedulable(REASON_TOO_MANY_PODS);
  private static final Status NO_CPU = Status.unschedulable(REASON_INSUFFICIENT_PREFIX + Resource.CPU);
  private static final Status NO_MEMORY = Status.unschedulable(REASON_INSUFFICIENT_PREFIX + Resource.MEMORY);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Status filter(CycleState state, PodInfo pod, NodeInfo node) {
    Resource req = pod.requests();
    Resource alloc = node.allocatable();
    Resource used = node.requested();
    boolean pods = used.allowedPodNumber + 1 > alloc.allowedPodNumber;
    boolean cpu = req.milliCpu > 0 && used.milliCpu + req.milliCpu > alloc.milliCpu;
    boolean mem = req.memory > 0 && used.memory + req.memory > alloc.memory;
    boolean eph = req.ephemeralStorage > 0 && used.ephemeralStorage + req.ephemeralStorage > alloc.ephemeralStorage;
    List<String> scalarMisses = null;
    if (req.scalar != null) {
      for (Map.Entry<String, Long> e : req.scalar.entrySet()) {
        if (e.getValue() > 0 && used.scalar(e.getKey()) + e.getValue() > alloc.scalar(e.getKey())) {
          if (scalarMisses == null) {
            scalarMisses = new ArrayList<>(2);
          }
          scalarMisses.add(REASON_INSUFFICIENT_PREFIX + e.getKey());
        }
      }
    }
    int misses = (pods ? 1 : 0) + (cpu ? 1 : 0) + (mem ? 1 : 0) + (eph ? 1 : 0)
        + (scalarMisses == null ? 0 : scalarMisses.size());
    if (misses == 0) {
      return Status.SUCCESS;
    }
    if (misses == 1) {
      if (pods) {
        return TOO_MANY_PODS;
      }
      if (cpu) {
        return NO_CPU;
      }
      if (mem) {
        return NO_MEMORY;
      }
    }
    List<String> reasons = new ArrayList<>(misses);
    if (pods) {
      reasons.add(REASON_TOO_MANY_PODS);
    }
    if (cpu) {
      reasons.add(REASON_INSUFFICIENT_PREFIX + Resource.CPU);
    }
    if (mem) {
      reasons.add(REASON_INSUFFICIENT_PREFIX + Resource.MEMORY);
    }
    if (eph) {
      reasons.add(REASON_INSUFFICIENT_PREFIX + Resource.EPHEMERAL_STORAGE);
    }
    if (scalarMisses != null) {
      reasons.addAll(scalarMisses);
    }
    return Status.unschedulable(reasons);
  }
}
