package io.keelson.cli.command;

import io.keelson.cli.cluster.Cluster;
import io.keelson.cli.cluster.ResourceKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code keelctl scale}: sets replicas through the scale subresource. */
@Command(
    name = "scale",
    mixinStandardHelpOptions = true,
    description = "Set a new size for a Deployment, ReplicaSet or StatefulSet.",
    footer = {"", "Examples:", "  keelctl scale deploy/web --replicas=5", "  keelctl scale deployment web --replicas 0"})
public final class ScaleCommand extends ClusterCommand {
  @Parameters(paramLabel = "TYPE NAME | TYPE/NAME", arity = "1..2")
  List<String> args = new ArrayList<>();

  @Option(names = "--replicas", required = true, description = "The new number of replicas.")
  int replicas;

  @Option(names = "--current-replicas", defaultValue = "-1",
      description = "Only scale if the current replica count is this (optimistic precondition).")
  int currentReplicas;

  @Override
  protected int run() {
    if (replicas < 0) {
      throw new io.keelson.cli.UsageException("--replicas must be >= 0");
    }
    Cluster c = cluster();
    Map.Entry<ResourceKind, String> t = Targets.single(c.kinds(), args, "deployments");
    String path = t.getKey().objectPath(namespace(), t.getValue()) + "/scale";
    if (currentReplicas >= 0) {
      JsonNode scale = c.get(path);
      int now = scale.path("spec").path("replicas").asInt(0);
      if (now != currentReplicas) {
        throw new IllegalArgumentException("Expected replicas to be " + currentReplicas + ", was " + now);
      }
      ObjectNode s = (ObjectNode) scale.deepCopy();
      ((ObjectNode) s.get("spec")).put("replicas", replicas);
      c.put(path, s);
    } else {
      ObjectNode patch = Cluster.object();
      patch.putObject("spec").put("replicas", replicas);
      c.mergePatch(path, patch);
    }
    System.out.println(t.getKey().qualifiedName() + "/" + t.getValue() + " scaled");
    return 0;
  }
}
