package io.keelson.scheduler.plugins.interpodaffinity;

import io.keelson.scheduler.framework.AffinityTerm;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.FilterPlugin;
import io.keelson.scheduler.framework.Handle;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.Plugin;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.PreFilterPlugin;
import io.keelson.scheduler.framework.PreScorePlugin;
import io.keelson.scheduler.framework.ScorePlugin;
import io.keelson.scheduler.framework.Status;
import io.keelson.scheduler.framework.TopologyCounts;
import java.util.List;
import java.util.Map;

/**
 * Pod affinity and anti-affinity over topology domains (hostname, zone, ...). Required terms
 * filter: the incoming pod's affinity must find a matching pod in the node's domain, its
 * anti-affinity must find none, and no existing pod's anti-affinity may select the incoming pod
 * in that domain. Preferred terms (both directions) add or subtract their weights per domain.
 * PreFilter/PreScore count once per cycle so Filter/Score are map lookups.
 */
public final class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  public static final String NAME = "InterPodAffinity";
  public static final String REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
  public static final String REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
  public static final String REASON_AFFINITY = "node(s) didn't match pod affinity rules";
  /** Weight of existing pods' required affinity terms in scoring (kube's hardPodAffinityWeight). */
  public static final int HARD_POD_AFFINITY_WEIGHT = 1;
  public static final Plugin.Factory FACTORY = InterPodAffinity::new;

  private static final Status REJECT_EXISTING = Status.unschedulable(REASON_EXISTING_ANTI_AFFINITY);
  private static final Status REJECT_ANTI = Status.unschedulable(REASON_ANTI_AFFINITY);
  private static final Status REJECT_AFFINITY = Status.unresolvable(REASON_AFFINITY);
  private static final String FILTER_KEY = "PreFilter" + NAME;
  private static final String SCORE_KEY = "PreScore" + NAME;

  private final Handle handle;

  public InterPodAffinity(Handle handle) {
    this.handle = handle;
  }

  static final class FilterState implements CycleState.Data {
    TopologyCounts existingAntiAffinity = new TopologyCounts();
    TopologyCounts affinity = new TopologyCounts();
    TopologyCounts antiAffinity = new TopologyCounts();

    @Override
    public FilterState copy() {
      FilterState c = new FilterState();
      c.existingAntiAffinity = existingAntiAffinity.copy();
      c.affinity = affinity.copy();
      c.antiAffinity = antiAffinity.copy();
      return c;
    }
  }

  private record ScoreState(TopologyCounts scores) implements CycleState.Data {
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
  public Status preFilter(CycleState state, PodInfo pod) {
    var snap = handle.snapshot();
    boolean incoming = !pod.requiredAffinity().isEmpty() || !pod.requiredAntiAffinity().isEmpty();
    if (!incoming && snap.havePodsWithRequiredAntiAffinity().isEmpty()) {
      return Status.SKIP;
    }
    FilterState s = new FilterState();
    for (NodeInfo n : snap.havePodsWithRequiredAntiAffinity()) {
      for (PodInfo existing : n.podsWithRequiredAntiAffinity()) {
        countExistingAntiAffinity(s, pod, existing, n, 1);
      }
    }
    if (incoming) {
      for (NodeInfo n : snap.list()) {
        for (PodInfo existing : n.pods()) {
          countIncoming(s, pod, existing, n, 1);
        }
      }
    }
    state.write(FILTER_KEY, s);
    return Status.SUCCESS;
  }

  private static void countExistingAntiAffinity(FilterState s, PodInfo pod, PodInfo existing, NodeInfo n, int d) {
    for (AffinityTerm t : existing.requiredAntiAffinity()) {
      String v = n.labels().get(t.topologyKey());
      if (v != null && t.matches(pod)) {
        s.existingAntiAffinity.add(t.topologyKey(), v, d);
      }
    }
  }

  private static void countIncoming(FilterState s, PodInfo pod, PodInfo existing, NodeInfo n, int d) {
    if (!pod.requiredAffinity().isEmpty() && matchesAll(pod.requiredAffinity(), existing)) {
      for (AffinityTerm t : pod.requiredAffinity()) {
        String v = n.labels().get(t.topologyKey());
        if (v != null) {
          s.affinity.add(t.topologyKey(), v, d);
        }
      }
    }
    for (AffinityTerm t : pod.requiredAntiAffinity()) {
      String v = n.labels().get(t.topologyKey());
      if (v != null && t.matches(existing)) {
        s.antiAffinity.add(t.topologyKey(), v, d);
      }
    }
  }

  private static boolean matchesAll(List<AffinityTerm> terms, PodInfo p) {
    for (AffinityTerm t : terms) {
      if (!t.matches(p)) {
        return false;
      }
    }
    return true;
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
    if (s == null) {
      return;
    }
    countExistingAntiAffinity(s, pod, other, node, d);
    countIncoming(s, pod, other, node, d);
  }

  @Override
  public Status filter(CycleState state, PodInfo pod, NodeInfo node) {
    FilterState s = state.read(FILTER_KEY);
    if (s == null) {
      return Status.SUCCESS;
    }
    Map<String, String> labels = node.labels();
    if (!s.existingAntiAffinity.isEmpty() && s.existingAntiAffinity.anyPositiveForNode(labels)) {
      return REJECT_EXISTING;
    }
    if (!s.antiAffinity.isEmpty()) {
      for (AffinityTerm t : pod.requiredAntiAffinity()) {
        String v = labels.get(t.topologyKey());
        if (v != null && s.antiAffinity.get(t.topologyKey(), v) > 0) {
          return REJECT_ANTI;
        }
      }
    }
    if (!pod.requiredAffinity().isEmpty()) {
      boolean podsExist = true;
      for (AffinityTerm t : pod.requiredAffinity()) {
        String v = labels.get(t.topologyKey());
        if (v == null) {
          return REJECT_AFFINITY; // every topology label must exist on the node
        }
        if (s.affinity.get(t.topologyKey(), v) <= 0) {
          podsExist = false;
        }
      }
      if (!podsExist) {
        // The first pod of a group with affinity to itself must be able to start somewhere.
        if (s.affinity.isEmpty() && matchesAll(pod.requiredAffinity(), pod)) {
          return Status.SUCCESS;
        }
        return REJECT_AFFINITY;
      }
    }
    return Status.SUCCESS;
  }

  @Override
  public Status preScore(CycleState state, PodInfo pod, List<NodeInfo> feasibleNodes) {
    var snap = handle.snapshot();
    boolean hasConstraints = !pod.preferredAffinity().isEmpty() || !pod.preferredAntiAffinity().isEmpty();
    if (!hasConstraints && snap.havePodsWithAffinity().isEmpty()) {
      return Status.SKIP;
    }
    TopologyCounts scores = new TopologyCounts();
    for (NodeInfo n : hasConstraints ? snap.list() : snap.havePodsWithAffinity()) {
      for (PodInfo existing : hasConstraints ? n.pods() : n.podsWithAffinity()) {
        scoreExisting(scores, pod, existing, n);
      }
    }
    if (scores.isEmpty()) {
      return Status.SKIP;
    }
    state.write(SCORE_KEY, new ScoreState(scores));
    return Status.SUCCESS;
  }

  private static void scoreExisting(TopologyCounts scores, PodInfo pod, PodInfo existing, NodeInfo n) {
    Map<String, String> labels = n.labels();
    for (AffinityTerm.Weighted w : pod.preferredAffinity()) {
      addIfMatch(scores, labels, w.term(), existing, w.weight());
    }
    for (AffinityTerm.Weighted w : pod.preferredAntiAffinity()) {
      addIfMatch(scores, labels, w.term(), existing, -w.weight());
    }
    for (AffinityTerm t : existing.requiredAffinity()) {
      addIfMatch(scores, labels, t, pod, HARD_POD_AFFINITY_WEIGHT);
    }
    for (AffinityTerm.Weighted w : existing.preferredAffinity()) {
      addIfMatch(scores, labels, w.term(), pod, w.weight());
    }
    for (AffinityTerm.Weighted w : existing.preferredAntiAffinity()) {
      addIfMatch(scores, labels, w.term(), pod, -w.weight());
    }
  }

  private static void addIfMatch(TopologyCounts scores, Map<String, String> labels, AffinityTerm t, PodInfo p, int w) {
    String v = labels.get(t.topologyKey());
    if (v != null && t.matches(p)) {
      scores.add(t.topologyKey(), v, w);
    }
  }

  @Override
  public long score(CycleState state, PodInfo pod, NodeInfo node) {
    ScoreState s = state.read(SCORE_KEY);
    return s == null ? 0 : s.scores.sumForNode(node.labels());
  }

  @Override
  public void normalizeScore(CycleState state, PodInfo pod, long[] scores, int n) {
    if (n == 0) {
      return;
    }
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (int i = 0; i < n; i++) {
      min = Math.min(min, scores[i]);
      max = Math.max(max, scores[i]);
    }
    long diff = max - min;
    for (int i = 0; i < n; i++) {
      scores[i] = diff > 0 ? MAX_NODE_SCORE * (scores[i] - min) / diff : 0;
    }
  }
}
