package io.keelson.cli.command;

import io.keelson.cli.cluster.KindResolver;
import io.keelson.cli.cluster.ResourceKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the user named on the command line, kubectl style: {@code TYPE[,TYPE] [NAME...]} or
 * {@code TYPE/NAME [TYPE/NAME...]}. Names empty means "all of that type".
 */
public record Targets(Map<ResourceKind, List<String>> byKind) {

  public static Targets parse(KindResolver kinds, List<String> args) {
    if (args == null || args.isEmpty()) {
      throw new io.keelson.cli.UsageException(
          "you must specify the type of resource (e.g. pods, deployments, nodes)");
    }
    Map<ResourceKind, List<String>> out = new LinkedHashMap<>();
    if (args.get(0).contains("/")) {
      for (String a : args) {
        int slash = a.indexOf('/');
        if (slash <= 0) {
          throw new IllegalArgumentException("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form");
        }
        ResourceKind k = kinds.resolve(a.substring(0, slash));
        out.computeIfAbsent(k, x -> new ArrayList<>()).add(a.substring(slash + 1));
      }
      return new Targets(out);
    }
    List<String> names = args.subList(1, args.size());
    for (String n : names) {
      if (n.contains("/")) {
        throw new io.keelson.cli.UsageException(
            "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'keelctl get resource/<resource_name>' instead of 'keelctl get resource resource/<resource_name>')");
      }
    }
    String types = args.get(0);
    if (types.equals("all")) {
      types = "pods,services,daemonsets,deployments,replicasets,statefulsets,jobs,cronjobs";
    }
    for (String t : types.split(",")) {
      out.put(kinds.resolve(t), new ArrayList<>(names));
    }
    return new Targets(out);
  }

  /** Exactly one TYPE NAME (or TYPE/NAME), for scale, rollout, logs, exec. */
  public static Map.Entry<ResourceKind, String> single(KindResolver kinds, List<String> args, String defaultType) {
    if (args.size() == 1 && !args.get(0).contains("/") && defaultType != null) {
      return Map.entry(kinds.resolve(defaultType), args.get(0));
    }
    Targets t = parse(kinds, args);
    if (t.byKind().size() != 1) {
      throw new IllegalArgumentException("exactly one resource is required");
    }
    Map.Entry<ResourceKind, List<String>> e = t.byKind().entrySet().iterator().next();
    if (e.getValue().size() != 1) {
      throw new IllegalArgumentException("exactly one " + e.getKey().plural() + " name is required");
    }
    return Map.entry(e.getKey(), e.getValue().get(0));
  }
}
