package io.keelson.scheduler.framework;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the enabled plugins at each extension point in configured order. The scheduler core calls
 * it; plugins are plain objects built once from their factories.
 */
public final class Framework {
  /** A plugin name, whether it is enabled, and its score weight. */
  public record PluginSpec(String name, int weight) {}

  private final List<Plugin> plugins = new ArrayList<>();
  private final PreFilterPlugin[] preFilters;
  private final FilterPlugin[] filters;
  private final PostFilterPlugin[] postFilters;
  private final PreScorePlugin[] preScores;
  private final ScorePlugin[] scores;
  private final int[] scoreWeights;
  private final ReservePlugin[] reserves;
  private final PreBindPlugin[] preBinds;
  private final BindPlugin[] binds;

  public Framework(Map<String, Plugin.Factory> registry, List<PluginSpec> enabled, Handle handle) {
    List<PreFilterPlugin> pf = new ArrayList<>();
    List<FilterPlugin> f = new ArrayList<>();
    List<PostFilterPlugin> post = new ArrayList<>();
    List<PreScorePlugin> ps = new ArrayList<>();
    List<ScorePlugin> s = new ArrayList<>();
    List<Integer> w = new ArrayList<>();
    List<ReservePlugin> r = new ArrayList<>();
    List<PreBindPlugin> pb = new ArrayList<>();
    List<BindPlugin> b = new ArrayList<>();
    for (PluginSpec spec : enabled) {
      Plugin.Factory factory = registry.get(spec.name());
      if (factory == null) {
        throw new IllegalArgumentException("unknown scheduler plugin \"" + spec.name() + "\"; known: " + registry.keySet());
      }
      Plugin p = factory.create(handle);
      plugins.add(p);
      if (p instanceof PreFilterPlugin x) {
        pf.add(x);
      }
      if (p instanceof FilterPlugin x) {
        f.add(x);
      }
      if (p instanceof PostFilterPlugin x) {
        post.add(x);
      }
      if (p instanceof PreScorePlugin x) {
        ps.add(x);
      }
      if (p instanceof ScorePlugin x && spec.weight() > 0) {
        s.add(x);
        w.add(spec.weight());
      }
      if (p instanceof ReservePlugin x) {
        r.add(x);
      }
      if (p instanceof PreBindPlugin x) {
        pb.add(x);
      }
      if (p instanceof BindPlugin x) {
        b.add(x);
      }
    }
    preFilters = pf.toArray(PreFilterPlugin[]::new);
    filters = f.toArray(FilterPlugin[]::new);
    postFilters = post.toArray(PostFilterPlugin[]::new);
    preScores = ps.toArray(PreScorePlugin[]::new);
    scores = s.toArray(ScorePlugin[]::new);
    scoreWeights = w.stream().mapToInt(Integer::intValue).toArray();
    reserves = r.toArray(ReservePlugin[]::new);
    preBinds = pb.toArray(PreBindPlugin[]::new);
    binds = b.toArray(BindPlugin[]::new);
  }

  public List<Plugin> plugins() {
    return plugins;
  }

  public List<String> pluginNames() {
    return plugins.stream().map(Plugin::name).toList();
  }

  /** First rejection wins; SKIP disables that plugin's Filter for this cycle. */
  public Status runPreFilter(CycleState state, PodInfo pod) {
    for (PreFilterPlugin p : preFilters) {
      Status s = p.preFilter(state, pod);
      if (s.isSkip()) {
        state.skipFilter(p.name());
      } else if (!s.isSuccess()) {
        return s;
      }
    }
    return Status.SUCCESS;
  }

  public Status runFilter(CycleState state, PodInfo pod, NodeInfo node) {
    // the cycle's filters without the skipped ones, worked out once per cycle: this runs for
    // hundreds of nodes per pod, and a skip-set lookup per plugin and node was a tenth of the loop
    FilterPlugin[] active = state.activeFilters;
    if (active == null) {
      active = java.util.Arrays.stream(filters).filter(p -> !state.filterSkipped(p.name())).toArray(FilterPlugin[]::new);
      state.activeFilters = active;
    }
    for (FilterPlugin p : active) {
      Status s = p.filter(state, pod, node);
      if (!s.isSuccess()) {
        return s;
      }
    }
    return Status.SUCCESS;
  }

  public void runRemovePod(CycleState state, PodInfo pod, PodInfo removed, NodeInfo node) {
    for (PreFilterPlugin p : preFilters) {
      if (!state.filterSkipped(p.name())) {
        p.removePod(state, pod, removed, node);
      }
    }
  }

  public void runAddPod(CycleState state, PodInfo pod, PodInfo added, NodeInfo node) {
    for (PreFilterPlugin p : preFilters) {
      if (!state.filterSkipped(p.name())) {
        p.addPod(state, pod, added, node);
      }
    }
  }

  public boolean hasPostFilter() {
    return postFilters.length > 0;
  }

  public PostFilterPlugin.Result runPostFilter(CycleState state, PodInfo pod, Diagnosis diagnosis) {
    PostFilterPlugin.Result last = null;
    for (PostFilterPlugin p : postFilters) {
      PostFilterPlugin.Result r = p.postFilter(state, pod, diagnosis);
      if (r.status().isSuccess() && r.nominatedNode() != null) {
        return r;
      }
      last = r;
    }
    return last;
  }

  public boolean hasScore() {
    return scores.length > 0;
  }

  public Status runPreScore(CycleState state, PodInfo pod, List<NodeInfo> feasible) {
    for (PreScorePlugin p : preScores) {
      Status s = p.preScore(state, pod, feasible);
      if (s.isSkip()) {
        state.skipScore(p.name());
      } else if (!s.isSuccess()) {
        return s;
      }
    }
    return Status.SUCCESS;
  }

  /**
   * Adds weight * normalized score of every Score plugin to totals[0..n). scratch must hold n
   * longs; passed in so the cycle does not allocate.
   */
  public void runScore(CycleState state, PodInfo pod, List<NodeInfo> nodes, long[] totals, long[] scratch) {
    int n = nodes.size();
    for (int i = 0; i < n; i++) {
      totals[i] = 0;
    }
    for (int k = 0; k < scores.length; k++) {
      ScorePlugin p = scores[k];
      if (state.scoreSkipped(p.name())) {
        continue;
      }
      for (int i = 0; i < n; i++) {
        scratch[i] = p.score(state, pod, nodes.get(i));
      }
      p.normalizeScore(state, pod, scratch, n);
      int w = scoreWeights[k];
      for (int i = 0; i < n; i++) {
        totals[i] += scratch[i] * w;
      }
    }
  }

  public Status runReserve(CycleState state, PodInfo pod, String node) {
    for (ReservePlugin p : reserves) {
      Status s = p.reserve(state, pod, node);
      if (!s.isSuccess()) {
        return s;
      }
    }
    return Status.SUCCESS;
  }

  /** Unreserve in reverse order; plugins must tolerate an unreserve without reserve. */
  public void runUnreserve(CycleState state, PodInfo pod, String node) {
    for (int i = reserves.length - 1; i >= 0; i--) {
      reserves[i].unreserve(state, pod, node);
    }
  }

  public Status runPreBind(CycleState state, PodInfo pod, String node) {
    for (PreBindPlugin p : preBinds) {
      Status s = p.preBind(state, pod, node);
      if (!s.isSuccess()) {
        return s;
      }
    }
    return Status.SUCCESS;
  }

  public Status runBind(CycleState state, PodInfo pod, String node) {
    for (BindPlugin p : binds) {
      Status s = p.bind(state, pod, node);
      if (!s.isSkip()) {
        return s;
      }
    }
    return Status.error("no Bind plugin bound pod " + pod.key());
  }
}
