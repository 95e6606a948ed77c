package io.keelson.scheduler.plugins.nodeaffinity;

import io.fabric8.kubernetes.api.model.PreferredSchedulingTerm;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.FilterPlugin;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.NodeSelectorMatcher;
import io.keelson.scheduler.framework.Plugin;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.PreScorePlugin;
import io.keelson.scheduler.framework.ScorePlugin;
import io.keelson.scheduler.framework.Status;
import java.util.ArrayList;
import java.util.List;

/**
 * spec.nodeSelector and required node affinity filter nodes; preferred node-affinity terms add
 * their weights to the nodes they match.
 */
public final class NodeAffinity implements FilterPlugin, PreScorePlugin, ScorePlugin {
  public static final String NAME = "NodeAffinity";
  public static final String REASON = "node(s) didn't match Pod's node affinity/selector";
  public static final Plugin.Factory FACTORY = h -> new NodeAffinity();

  private static final Status REJECT = Status.unresolvable(REASON);
  private static final String STATE_KEY = "PreScore" + NAME;

  private record Preferred(List<NodeSelectorMatcher> matchers, int[] weights) implements CycleState.Data {
    @Override
    public CycleState.Data copy() {
      return this;
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Status filter(CycleState state, PodInfo pod, NodeInfo node) {
    return pod.matchesNodeSelectorAndAffinity(node.name(), node.labels()) ? Status.SUCCESS : REJECT;
  }

  @Override
  public Status preScore(CycleState state, PodInfo pod, List<NodeInfo> feasibleNodes) {
    List<PreferredSchedulingTerm> terms = pod.preferredNodeAffinity();
    if (terms.isEmpty()) {
      return Status.SKIP;
    }
    List<NodeSelectorMatcher> m = new ArrayList<>(terms.size());
    int[] w = new int[terms.size()];
    for (int i = 0; i < terms.size(); i++) {
      PreferredSchedulingTerm t = terms.get(i);
      m.add(t.getPreference() == null ? null : NodeSelectorMatcher.ofTerm(t.getPreference()));
      w[i] = t.getWeight() == null ? 0 : t.getWeight();
    }
    state.write(STATE_KEY, new Preferred(m, w));
    return Status.SUCCESS;
  }

  @Override
  public long score(CycleState state, PodInfo pod, NodeInfo node) {
    Preferred p = state.read(STATE_KEY);
    if (p == null) {
      return 0;
    }
    long s = 0;
    for (int i = 0; i < p.matchers.size(); i++) {
      NodeSelectorMatcher m = p.matchers.get(i);
      if (m != null && m.matches(node.name(), node.labels())) {
        s += p.weights[i];
      }
    }
    return s;
  }

  @Override
  public void normalizeScore(CycleState state, PodInfo pod, long[] scores, int n) {
    ScorePlugin.defaultNormalize(scores, n, false);
  }
}
