package io.keelson.scheduler.plugins.nodename;

import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.FilterPlugin;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.Plugin;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.Status;

/** A pod that names a node (spec.nodeName) fits only that node (matters for preemption dry-runs). */
public final class NodeName implements FilterPlugin {
  public static final String NAME = "NodeName";
  public static final String REASON = "node(s) didn't match the requested node name";
  public static final Plugin.Factory FACTORY = h -> new NodeName();

  private static final Status REJECT = Status.unresolvable(REASON);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Status filter(CycleState state, PodInfo pod, NodeInfo node) {
    String wanted = pod.nodeName();
    if (wanted == null || wanted.isEmpty() || wanted.equals(node.name())) {
      return Status.SUCCESS;
    }
    return REJECT;
  }
}
