package io.keelson.scheduler.plugins.podtopologyspread;

import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.FilterPlugin;
import io.keelson.scheduler.framework.Handle;
import io.keelson.scheduler.framework.LabelSelectorMatcher;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.Plugin;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.PreFilterPlugin;
import io.keelson.scheduler.framework.PreScorePlugin;
import io.keelson.scheduler.framework.ScorePlugin;
import io.keelson.scheduler.framework.Status;
import io.keelson.scheduler.plugins.tainttoleration.TaintToleration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * topologySpreadConstraints: DoNotSchedule constraints filter nodes whose domain would exceed
 * maxSkew (matching pods in the domain + this pod - the least loaded domain); ScheduleAnyway
 * constraints score domains with fewer matching pods higher.
 */
public final class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  public static final String NAME = "PodTopologySpread";
  public static final String REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
  public static final String REASON_MISSING_LABEL =
      "node(s) didn't match pod topology spread constraints (missing required label)";
  public static final Plugin.Factory FACTORY = PodTopologySpread::new;

  private static final Status REJECT = Status.unschedulable(REASON_CONSTRAINTS_NOT_MATCH);
  private static final Status REJECT_LABEL = Status.unresolvable(REASON_MISSING_LABEL);
  private static final String FILTER_KEY = "PreFilter" + NAME;
  private static final String SCORE_KEY = "PreScore" + NAME;
  private static final String HOSTNAME = NodeInfo.HOSTNAME_LABEL;

  private final Handle handle;

  public PodTopologySpread(Handle handle) {
    this.handle = handle;
  }

  /** A compiled constraint. */
  record Constraint(
      String key, int maxSkew, int minDomains, LabelSelectorMatcher selector, boolean honorAffinity, boolean honorTaints) {
    static Constraint of(TopologySpreadConstraint c) {
      return new Constraint(
          c.getTopologyKey(),
          c.getMaxSkew() == null ? 1 : c.getMaxSkew(),
          c.getMinDomains() == null ? 1 : c.getMinDomains(),
          LabelSelectorMatcher.compile(c.getLabelSelector()),
          !"Ignore".equals(c.getNodeAffinityPolicy()),
          "Honor".equals(c.getNodeTaintsPolicy()));
    }
  }

  static final class FilterState implements CycleState.Data {
    List<Constraint> constraints;
    List<HashMap<String, Long>> counts;
    long[] min;

    void recomputeMin() {
      min = new long[constraints.size()];
      for (int i = 0; i < constraints.size(); i++) {
        HashMap<String, Long> m = counts.get(i);
        long mn = Long.MAX_VALUE;
        for (long v : m.values()) {
          mn = Math.min(mn, v);
        }
        if (m.isEmpty() || m.size() < constraints.get(i).minDomains()) {
          mn = 0; // fewer domains than minDomains: the global minimum is treated as 0
        }
        min[i] = mn;
      }
    }

    @Override
    public FilterState copy() {
      FilterState c = new FilterState();
      c.constraints = constraints;
      c.counts = new ArrayList<>();
      for (HashMap<String, Long> m : counts) {
        c.counts.add(new HashMap<>(m));
      }
      c.min = min.clone();
      return c;
    }
  }

  private record ScoreState(List<Constraint> constraints, List<HashMap<String, Long>> counts, double[] weights)
      implements CycleState.Data {
    @Override
    public CycleState.Data copy() {
      return this;
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  private static List<Constraint> constraints(PodInfo pod, boolean hard) {
    List<Constraint> out = new ArrayList<>();
    for (TopologySpreadConstraint c : pod.spreadConstraints()) {
      boolean isHard = c.getWhenUnsatisfiable() == null || "DoNotSchedule".equals(c.getWhenUnsatisfiable());
      if (isHard == hard) {
        out.add(Constraint.of(c));
      }
    }
    return out;
  }

  private static boolean eligible(PodInfo pod, NodeInfo n, List<Constraint> cs) {
    for (Constraint c : cs) {
      if (!n.labels().containsKey(c.key())) {
        return false;
      }
      if (c.honorAffinity() && !pod.matchesNodeSelectorAndAffinity(n.name(), n.labels())) {
        return false;
      }
      if (c.honorTaints()) {
        for (Taint t : n.taints()) {
          if (("NoSchedule".equals(t.getEffect()) || "NoExecute".equals(t.getEffect()))
              && !TaintToleration.toleratedBy(t, pod.tolerations())) {
            return false;
          }
        }
      }
    }
    return true;
  }

  private static long countMatching(PodInfo pod, NodeInfo n, Constraint c) {
    long cnt = 0;
    for (PodInfo p : n.pods()) {
      if (counts(pod, p, c)) {
        cnt++;
      }
    }
    return cnt;
  }

  private static boolean counts(PodInfo pod, PodInfo other, Constraint c) {
    return other.namespace().equals(pod.namespace())
        && other.pod().getMetadata().getDeletionTimestamp() == null
        && c.selector().matches(other.labels());
  }

  @Override
  public Status preFilter(CycleState state, PodInfo pod) {
    if (pod.spreadConstraints().isEmpty()) {
      return Status.SKIP;
    }
    List<Constraint> cs = constraints(pod, true);
    if (cs.isEmpty()) {
      return Status.SKIP;
    }
    FilterState s = new FilterState();
    s.constraints = cs;
    s.counts = new ArrayList<>();
    for (int i = 0; i < cs.size(); i++) {
      s.counts.add(new HashMap<>());
    }
    for (NodeInfo n : handle.snapshot().list()) {
      if (!eligible(pod, n, cs)) {
        continue;
      }
      for (int i = 0; i < cs.size(); i++) {
        Constraint c = cs.get(i);
        s.counts.get(i).merge(n.labels().get(c.key()), countMatching(pod, n, c), Long::sum);
      }
    }
    s.recomputeMin();
    state.write(FILTER_KEY, s);
    return Status.SUCCESS;
  }

  @Override
  public void addPod(CycleState state, PodInfo pod, PodInfo added, NodeInfo node) {
    update(state, pod, added, node, 1);
  }

  @Override
  public void removePod(CycleState state, PodInfo pod, PodInfo removed, NodeInfo node) {
    update(state, pod, removed, node, -1);
  }

  private static void update(CycleState state, PodInfo pod, PodInfo other, NodeInfo node, int d) {
    FilterState s = state.read(FILTER_KEY);
    if (s == null || !eligible(pod, node, s.constraints)) {
      return;
    }
    for (int i = 0; i < s.constraints.size(); i++) {
      Constraint c = s.constraints.get(i);
      if (counts(pod, other, c)) {
        s.counts.get(i).merge(node.labels().get(c.key()), (long) d, Long::sum);
      }
    }
    s.recomputeMin();
  }

  @Override
  public Status filter(CycleState state, PodInfo pod, NodeInfo node) {
    FilterState s = state.read(FILTER_KEY);
    if (s == null) {
      return Status.SUCCESS;
    }
    for (int i = 0; i < s.constraints.size(); i++) {
      Constraint c = s.constraints.get(i);
      String v = node.labels().get(c.key());
      if (v == null) {
        return REJECT_LABEL;
      }
      long self = c.selector().matches(pod.labels()) ? 1 : 0;
      Long cnt = s.counts.get(i).get(v);
      long skew = (cnt == null ? 0 : cnt) + self - s.min[i];
      if (skew > c.maxSkew()) {
        return REJECT;
      }
    }
    return Status.SUCCESS;
  }

  @Override
  public Status preScore(CycleState state, PodInfo pod, List<NodeInfo> feasibleNodes) {
    if (pod.spreadConstraints().isEmpty()) {
      return Status.SKIP;
    }
    List<Constraint> cs = constraints(pod, false);
    if (cs.isEmpty()) {
      return Status.SKIP;
    }
    List<HashMap<String, Long>> counts = new ArrayList<>();
    for (int i = 0; i < cs.size(); i++) {
      counts.add(new HashMap<>());
    }
    // Domains are those of the feasible nodes; pods are counted over all eligible nodes
    // (except for hostname, where the node's own pods are counted in score()).
    for (NodeInfo n : feasibleNodes) {
      for (int i = 0; i < cs.size(); i++) {
        String v = n.labels().get(cs.get(i).key());
        if (v != null) {
          counts.get(i).putIfAbsent(v, 0L);
        }
      }
    }
    for (NodeInfo n : handle.snapshot().list()) {
      if (!eligible(pod, n, cs)) {
        continue;
      }
      for (int i = 0; i < cs.size(); i++) {
        Constraint c = cs.get(i);
        if (HOSTNAME.equals(c.key())) {
          continue;
        }
        String v = n.labels().get(c.key());
        if (counts.get(i).containsKey(v)) {
          counts.get(i).merge(v, countMatching(pod, n, c), Long::sum);
        }
      }
    }
    double[] weights = new double[cs.size()];
    for (int i = 0; i < cs.size(); i++) {
      int domains = HOSTNAME.equals(cs.get(i).key()) ? feasibleNodes.size() : counts.get(i).size();
      weights[i] = Math.log(domains + 2);
    }
    state.write(SCORE_KEY, new ScoreState(cs, counts, weights));
    return Status.SUCCESS;
  }

  @Override
  public long score(CycleState state, PodInfo pod, NodeInfo node) {
    ScoreState s = state.read(SCORE_KEY);
    if (s == null) {
      return 0;
    }
    double score = 0;
    for (int i = 0; i < s.constraints.size(); i++) {
      Constraint c = s.constraints.get(i);
      String v = node.labels().get(c.key());
      if (v == null) {
        return -1; // ignored node: lowest normalized score
      }
      long cnt = HOSTNAME.equals(c.key()) ? countMatching(pod, node, c) : s.counts.get(i).getOrDefault(v, 0L);
      score += cnt * s.weights[i] + (c.maxSkew() - 1);
    }
    return Math.round(score * 1000);
  }

  @Override
  public void normalizeScore(CycleState state, PodInfo pod, long[] scores, int n) {
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < n; i++) {
      if (scores[i] < 0) {
        continue;
      }
      min = Math.min(min, scores[i]);
      max = Math.max(max, scores[i]);
    }
    for (int i = 0; i < n; i++) {
      if (scores[i] < 0) {
        scores[i] = 0;
      } else if (max == 0) {
        scores[i] = MAX_NODE_SCORE;
      } else {
        scores[i] = MAX_NODE_SCORE * (max + min - scores[i]) / max;
      }
    }
  }

  /** For tests: the per-domain counts of the first hard constraint. */
  static Map<String, Long> hardCounts(CycleState state) {
    FilterState s = state.read(FILTER_KEY);
    return s == null ? Map.of() : s.counts.get(0);
  }
}
