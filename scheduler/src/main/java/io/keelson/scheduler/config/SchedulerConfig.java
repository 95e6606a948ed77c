package io.keelson.scheduler.config;

import io.keelson.scheduler.framework.Framework.PluginSpec;
import io.keelson.scheduler.plugins.DefaultPlugins;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The scheduler profile from --config (YAML). Everything is optional:
 *
 * <pre>
 * schedulerName: default-scheduler   # pods with another spec.schedulerName are ignored
 * percentageOfNodesToScore: 0        # 0 = adaptive (50% - nodes/125, at least 5%), like kube-scheduler
 * bindParallelism: 64                # binder threads (concurrent pods/binding calls)
 * plugins:
 *   disabled: [NodeResourcesBalancedAllocation]   # "*" disables all defaults
 *   enabled: [InterPodAffinity]                   # (re-)enable, appended in this order
 *   weights: {TaintToleration: 3, NodeAffinity: 2}
 * </pre>
 */
public record SchedulerConfig(
    String schedulerName, int percentageOfNodesToScore, int bindParallelism, List<PluginSpec> plugins) {

  public static final String DEFAULT_SCHEDULER_NAME = "default-scheduler";

  /**
   * Binder threads by default. kube-scheduler binds every pod in a goroutine of its own; 64 keeps a
   * burst's bindings (and their etcd transactions) batched together: at 5,000 hollow nodes, 16 gave
   * 673 pods/s warm and 2.8 ms of cluster CPU per pod, 64 gave 864 and 2.2 (docs/benchmarks.md).
   */
  public static final int DEFAULT_BIND_PARALLELISM = 64;

  public static SchedulerConfig defaults() {
    return new SchedulerConfig(DEFAULT_SCHEDULER_NAME, 0, DEFAULT_BIND_PARALLELISM, DefaultPlugins.defaults());
  }

  public SchedulerConfig withBindParallelism(int n) {
    return new SchedulerConfig(schedulerName, percentageOfNodesToScore, n, plugins);
  }

  public SchedulerConfig withPercentageOfNodesToScore(int p) {
    return new SchedulerConfig(schedulerName, p, bindParallelism, plugins);
  }

  public static SchedulerConfig load(Path file) throws IOException {
    return parse(Files.readString(file));
  }

  @SuppressWarnings("unchecked")
  public static SchedulerConfig parse(String yaml) {
    Object root = new YAMLMapper().readValue(yaml, Object.class);
    Map<String, Object> m = root instanceof Map<?, ?> mm ? (Map<String, Object>) mm : Map.of();
    Set<String> known = Set.of("schedulerName", "percentageOfNodesToScore", "bindParallelism", "plugins");
    for (String k : m.keySet()) {
      if (!known.contains(k)) {
        throw new IllegalArgumentException("unknown scheduler config field \"" + k + "\"; known: " + known);
      }
    }
    String name = m.get("schedulerName") == null ? DEFAULT_SCHEDULER_NAME : m.get("schedulerName").toString();
    int pct = toInt(m.get("percentageOfNodesToScore"), 0);
    if (pct < 0 || pct > 100) {
      throw new IllegalArgumentException("percentageOfNodesToScore must be 0..100, got " + pct);
    }
    int bind = toInt(m.get("bindParallelism"), DEFAULT_BIND_PARALLELISM);
    if (bind < 1) {
      throw new IllegalArgumentException("bindParallelism must be >= 1, got " + bind);
    }
    Map<String, Object> p = m.get("plugins") instanceof Map<?, ?> pm ? (Map<String, Object>) pm : Map.of();
    Set<String> disabled = new HashSet<>(names(p.get("disabled")));
    List<String> enabled = names(p.get("enabled"));
    Map<String, Object> weights = p.get("weights") instanceof Map<?, ?> wm ? (Map<String, Object>) wm : Map.of();
    Set<String> registry = DefaultPlugins.registry().keySet();
    for (String n : concat(disabled, enabled, weights.keySet())) {
      if (!n.equals("*") && !registry.contains(n)) {
        throw new IllegalArgumentException("unknown scheduler plugin \"" + n + "\"; known: " + registry);
      }
    }
    LinkedHashMap<String, Integer> chosen = new LinkedHashMap<>();
    for (PluginSpec d : DefaultPlugins.defaults()) {
      if (!disabled.contains("*") && !disabled.contains(d.name())) {
        chosen.put(d.name(), d.weight());
      }
    }
    Map<String, Integer> defaultWeights = new LinkedHashMap<>();
    DefaultPlugins.defaults().forEach(d -> defaultWeights.put(d.name(), d.weight()));
    for (String e : enabled) {
      chosen.putIfAbsent(e, defaultWeights.getOrDefault(e, 1));
    }
    weights.forEach(
        (k, v) -> {
          int w = toInt(v, 1);
          if (w < 0 || w > 100) {
            throw new IllegalArgumentException("weight of " + k + " must be 0..100, got " + w);
          }
          if (chosen.containsKey(k)) {
            chosen.put(k, w);
          }
        });
    List<PluginSpec> specs = new ArrayList<>();
    chosen.forEach((k, v) -> specs.add(new PluginSpec(k, v)));
    return new SchedulerConfig(name, pct, bind, specs);
  }

  private static List<String> names(Object o) {
    List<String> out = new ArrayList<>();
    if (o instanceof Collection<?> c) {
      for (Object x : c) {
        if (x instanceof Map<?, ?> xm && xm.get("name") != null) {
          out.add(xm.get("name").toString());
        } else if (x != null) {
          out.add(x.toString());
        }
      }
    }
    return out;
  }

  @SafeVarargs
  private static List<String> concat(Collection<String>... cs) {
    List<String> out = new ArrayList<>();
    for (Collection<String> c : cs) {
      out.addAll(c);
    }
    return out;
  }

  private static int toInt(Object o, int dflt) {
    if (o == null) {
      return dflt;
    }
    if (o instanceof Number n) {
      return n.intValue();
    }
    return Integer.parseInt(o.toString().trim());
  }
}
