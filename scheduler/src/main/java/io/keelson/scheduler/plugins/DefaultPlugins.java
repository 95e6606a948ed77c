package io.keelson.scheduler.plugins;

import io.keelson.scheduler.framework.Framework.PluginSpec;
import io.keelson.scheduler.framework.Plugin;
import io.keelson.scheduler.plugins.defaultbinder.DefaultBinder;
import io.keelson.scheduler.plugins.defaultpreemption.DefaultPreemption;
import io.keelson.scheduler.plugins.interpodaffinity.InterPodAffinity;
import io.keelson.scheduler.plugins.nodeaffinity.NodeAffinity;
import io.keelson.scheduler.plugins.nodename.NodeName;
import io.keelson.scheduler.plugins.noderesources.BalancedAllocation;
import io.keelson.scheduler.plugins.noderesources.LeastAllocated;
import io.keelson.scheduler.plugins.noderesources.NodeResourcesFit;
import io.keelson.scheduler.plugins.nodeunschedulable.NodeUnschedulable;
import io.keelson.scheduler.plugins.podtopologyspread.PodTopologySpread;
import io.keelson.scheduler.plugins.runtimeclass.RuntimeClassFit;
import io.keelson.scheduler.plugins.volumebinding.VolumeBinding;
import io.keelson.scheduler.plugins.tainttoleration.TaintToleration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The plugin registry (name -> factory) and the default profile: which plugins run, in which order
 * (cheap, most selective filters first), and the score weights kube-scheduler uses by default.
 */
public final class DefaultPlugins {
  private DefaultPlugins() {}

  public static Map<String, Plugin.Factory> registry() {
    Map<String, Plugin.Factory> r = new LinkedHashMap<>();
    r.put(NodeUnschedulable.NAME, NodeUnschedulable.FACTORY);
    r.put(NodeName.NAME, NodeName.FACTORY);
    r.put(TaintToleration.NAME, TaintToleration.FACTORY);
    r.put(NodeAffinity.NAME, NodeAffinity.FACTORY);
    r.put(RuntimeClassFit.NAME, RuntimeClassFit.FACTORY);
    r.put(VolumeBinding.NAME, VolumeBinding.FACTORY);
    r.put(NodeResourcesFit.NAME, NodeResourcesFit.FACTORY);
    r.put(PodTopologySpread.NAME, PodTopologySpread.FACTORY);
    r.put(InterPodAffinity.NAME, InterPodAffinity.FACTORY);
    r.put(LeastAllocated.NAME, LeastAllocated.FACTORY);
    r.put(BalancedAllocation.NAME, BalancedAllocation.FACTORY);
    r.put(DefaultPreemption.NAME, DefaultPreemption.FACTORY);
    r.put(DefaultBinder.NAME, DefaultBinder.FACTORY);
    return r;
  }

  /** Enabled by default, in run order, with score weights (ignored for non-score plugins). */
  public static List<PluginSpec> defaults() {
    return List.of(
        new PluginSpec(NodeUnschedulable.NAME, 1),
        new PluginSpec(NodeName.NAME, 1),
        new PluginSpec(TaintToleration.NAME, 3),
        new PluginSpec(NodeAffinity.NAME, 2),
        new PluginSpec(RuntimeClassFit.NAME, 1),
        new PluginSpec(VolumeBinding.NAME, 1),
        new PluginSpec(NodeResourcesFit.NAME, 1),
        new PluginSpec(PodTopologySpread.NAME, 2),
        new PluginSpec(InterPodAffinity.NAME, 2),
        new PluginSpec(LeastAllocated.NAME, 1),
        new PluginSpec(BalancedAllocation.NAME, 1),
        new PluginSpec(DefaultPreemption.NAME, 1),
        new PluginSpec(DefaultBinder.NAME, 1));
  }
}
