package io.keelson.scheduler.plugins.nodeunschedulable;

import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.FilterPlugin;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.Plugin;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.Status;
import io.keelson.scheduler.plugins.tainttoleration.TaintToleration;

/** Keeps pods off cordoned nodes (spec.unschedulable) unless they tolerate the unschedulable taint. */
public final class NodeUnschedulable implements FilterPlugin {
  public static final String NAME = "NodeUnschedulable";
  public static final String REASON_UNSCHEDULABLE = "node(s) were unschedulable";
  public static final Plugin.Factory FACTORY = h -> new NodeUnschedulable();

  private static final Status REJECT = Status.unresolvable(REASON_UNSCHEDULABLE);
  private static final Taint UNSCHEDULABLE_TAINT =
      new TaintBuilder().withKey("node.kubernetes.io/unschedulable").withEffect("NoSchedule").build();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Status filter(CycleState state, PodInfo pod, NodeInfo node) {
    if (node.unschedulable() && !TaintToleration.toleratedBy(UNSCHEDULABLE_TAINT, pod.tolerations())) {
      return REJECT;
    }
    return Status.SUCCESS;
  }
}
