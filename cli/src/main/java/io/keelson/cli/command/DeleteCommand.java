package io.keelson.cli.command;

import io.keelson.cli.UsageException;
import io.keelson.cli.cluster.ApiException;
import io.keelson.cli.cluster.Cluster;
import io.keelson.cli.cluster.Query;
import io.keelson.cli.cluster.ResourceKind;
import io.keelson.cli.manifest.ManifestReader;
import io.keelson.cli.manifest.ManifestReader.Manifest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code keelctl delete}: by name, selector, --all, or -f; waits until the objects are gone. */
@Command(
    name = "delete",
    mixinStandardHelpOptions = true,
    description = "Delete resources by name, label selector, --all, or from files.",
    footer = {"", "Examples:", "  keelctl delete deploy web", "  keelctl delete pods -l app=web",
        "  keelctl delete -f deploy.yaml", "  keelctl delete deploy web --cascade=orphan"})
public final class DeleteCommand extends ClusterCommand {
  @Parameters(paramLabel = "TYPE [NAME...] | TYPE/NAME...", arity = "0..*")
  List<String> args = new ArrayList<>();

  @Option(names = {"-f", "--filename"}, paramLabel = "FILE", description = "Delete what these files describe.")
  List<String> files = new ArrayList<>();

  @Option(names = {"-R", "--recursive"}, description = "Process directories recursively.")
  boolean recursive;

  @Option(names = {"-l", "--selector"}, description = "Label selector.")
  String selector;

  @Option(names = "--all", description = "Delete all resources of the type in the namespace.")
  boolean all;

  @Option(names = "--cascade", defaultValue = "background", paramLabel = "background|foreground|orphan",
      description = "How dependents are deleted (true = background, false = orphan).")
  String cascade;

  @Option(names = "--grace-period", defaultValue = "-1", description = "Seconds to let pods stop (-1: default).")
  int gracePeriod;

  @Option(names = "--now", description = "Same as --grace-period=1.")
  boolean now;

  @Option(names = "--force", description = "With --grace-period=0: delete immediately.")
  boolean force;

  @Option(names = "--wait", defaultValue = "true", negatable = true, fallbackValue = "true",
      description = "Wait until the objects are gone (default true).")
  boolean waitGone;

  @Option(names = "--timeout", defaultValue = "120s", description = "How long to wait (e.g. 60s, 2m).")
  String timeout;

  @Option(names = "--ignore-not-found", description = "Don't fail when an object does not exist.")
  boolean ignoreNotFound;

  private record Target(ResourceKind kind, String namespace, String name) {}

  @Override
  protected int run() throws Exception {
    Cluster c = cluster();
    List<Target> targets = new ArrayList<>();
    if (!files.isEmpty()) {
      for (Manifest m : new ManifestReader(System.in).read(files, recursive)) {
        ObjectNode o = m.object();
        ResourceKind k = c.kinds().resolve(o.get("apiVersion").asString(), o.get("kind").asString());
        targets.add(new Target(k, o.path("metadata").path("namespace").asString(namespace()),
            o.path("metadata").path("name").asString()));
      }
    } else {
      if (args.isEmpty()) {
        throw new UsageException("you must specify the type of resource to delete, or -f FILE");
      }
      Targets t = Targets.parse(c.kinds(), args);
      for (Map.Entry<ResourceKind, List<String>> e : t.byKind().entrySet()) {
        if (e.getValue().isEmpty()) {
          if (selector == null && !all) {
            throw new UsageException("resource(s) were provided, but no name was specified (use -l or --all)");
          }
          JsonNode list = c.list(Query.of().add("labelSelector", selector).on(e.getKey().collectionPath(namespace())), false);
          for (JsonNode item : list.path("items")) {
            targets.add(new Target(e.getKey(), item.path("metadata").path("namespace").asString(namespace()),
                item.path("metadata").path("name").asString()));
          }
        } else {
          for (String n : e.getValue()) {
            targets.add(new Target(e.getKey(), namespace(), n));
          }
        }
      }
      if (targets.isEmpty()) {
        System.err.println("No resources found");
        return 0;
      }
    }
    ObjectNode options = Cluster.object();
    options.put("kind", "DeleteOptions");
    options.put("apiVersion", "v1");
    options.put("propagationPolicy", policy());
    int grace = now ? 1 : gracePeriod;
    if (force && grace < 0) {
      grace = 0;
    }
    if (grace >= 0) {
      options.put("gracePeriodSeconds", grace);
    }
    int errors = 0;
    List<String> pending = new ArrayList<>();
    for (Target t : targets) {
      String path = t.kind().objectPath(t.namespace(), t.name());
      try {
        c.delete(path, options);
        System.out.println(t.kind().qualifiedPlural() + " \"" + t.name() + "\" deleted");
        pending.add(path);
      } catch (ApiException e) {
        if (e.notFound() && ignoreNotFound) {
          continue;
        }
        errors++;
        System.err.println("Error from server" + (e.reason().isEmpty() ? "" : " (" + e.reason() + ")") + ": "
            + e.getMessage());
      }
    }
    if (waitGone) {
      Instant deadline = Instant.now().plus(parseDuration(timeout));
      for (String path : pending) {
        while (c.find(path) != null) {
          if (Instant.now().isAfter(deadline)) {
            System.err.println("error: timed out waiting for " + path + " to be deleted");
            return 1;
          }
          Thread.sleep(250);
        }
      }
    }
    return errors == 0 ? 0 : 1;
  }

  private String policy() {
    return switch (cascade.toLowerCase(Locale.ROOT)) {
      case "background", "true" -> "Background";
      case "foreground" -> "Foreground";
      case "orphan", "false" -> "Orphan";
      default -> throw new UsageException("--cascade must be background, foreground or orphan");
    };
  }

  static Duration parseDuration(String s) {
    String t = s.trim().toLowerCase(Locale.ROOT);
    if (t.matches("\\d+")) {
      return Duration.ofSeconds(Long.parseLong(t));
    }
    try {
      return Duration.parse("PT" + t.toUpperCase(Locale.ROOT));
    } catch (RuntimeException e) {
      throw new UsageException("invalid duration '" + s + "' (examples: 30s, 5m, 1h)");
    }
  }
}
