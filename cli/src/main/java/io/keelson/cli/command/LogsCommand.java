package io.keelson.cli.command;

import io.keelson.cli.cluster.Cluster;
import io.keelson.cli.cluster.Query;
import io.keelson.cli.cluster.ResourceKind;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/** {@code keelctl logs}: a pod's (or a workload's first pod's) container log, optionally followed. */
@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    description = "Print the logs of a container in a pod (container stdout, or a VM's console).",
    footer = {"", "Examples:", "  keelctl logs web-7d9f-abcde", "  keelctl logs -f deploy/web --tail 20",
        "  keelctl logs web-7d9f-abcde -c sidecar"})
public final class LogsCommand extends ClusterCommand {
  @Parameters(paramLabel = "POD | TYPE/NAME", arity = "1")
  String target;

  @Option(names = {"-c", "--container"}, description = "Container name (default: the only or first one).")
  String container;

  @Option(names = {"-f", "--follow"}, description = "Stream the log as it grows.")
  boolean follow;

  @Option(names = "--tail", defaultValue = "-1", description = "Lines from the end to show (-1: all).")
  int tail;

  @Option(names = "--timestamps", description = "Prefix each line with its timestamp.")
  boolean timestamps;

  @Option(names = {"-p", "--previous"}, description = "The previous instance of the container.")
  boolean previous;

  @Option(names = "--since", description = "Only lines newer than this (e.g. 30s, 5m).")
  String since;

  @Override
  protected int run() throws Exception {
    Cluster c = cluster();
    String pod = resolvePod(c, target);
    Query q = Query.of().add("container", container);
    if (follow) {
      q.add("follow", "true");
    }
    if (tail >= 0) {
      q.add("tailLines", Integer.toString(tail));
    }
    if (timestamps) {
      q.add("timestamps", "true");
    }
    if (previous) {
      q.add("previous", "true");
    }
    if (since != null) {
      q.add("sinceSeconds", Long.toString(DeleteCommand.parseDuration(since).toSeconds()));
    }
    String path = q.on("/api/v1/namespaces/" + namespace() + "/pods/" + pod + "/log");
    try (InputStream in = c.stream(path, "*/*")) {
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) > 0) {
        System.out.write(buf, 0, n);
        System.out.flush();
      }
    }
    return 0;
  }

  String resolvePod(Cluster c, String t) {
    return resolvePodWith(c, namespace(), t);
  }

  /** A pod name, or TYPE/NAME of a workload whose first (running) pod is used. */
  String resolvePodWith(Cluster c, String namespace, String t) {
    if (!t.contains("/")) {
      return t;
    }
    Map.Entry<ResourceKind, String> e = Targets.single(c.kinds(), List.of(t), null);
    if (e.getKey().kind().equals("Pod")) {
      return e.getValue();
    }
    JsonNode obj = c.get(e.getKey().objectPath(namespace, e.getValue()));
    List<String> sel = new ArrayList<>();
    for (Map.Entry<String, JsonNode> l : obj.path("spec").path("selector").path("matchLabels").properties()) {
      sel.add(l.getKey() + "=" + l.getValue().asString());
    }
    if (sel.isEmpty()) {
      throw new IllegalArgumentException("cannot find the pods of " + t + " (no selector)");
    }
    JsonNode pods = c.list(Query.of().add("labelSelector", String.join(",", sel))
        .on("/api/v1/namespaces/" + namespace + "/pods"), false);
    String fallback = null;
    for (JsonNode p : pods.path("items")) {
      String name = p.path("metadata").path("name").asString();
      if ("Running".equals(p.path("status").path("phase").asString(""))) {
        return name;
      }
      if (fallback == null) {
        fallback = name;
      }
    }
    if (fallback == null) {
      throw new IllegalArgumentException("no pods found for " + t);
    }
    return fallback;
  }
}
