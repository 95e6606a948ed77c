package io.keelson.cli.command;

import io.keelson.cli.cluster.Cluster;
import io.keelson.cli.cluster.Query;
import io.keelson.cli.cluster.ResourceKind;
import io.keelson.cli.output.Terminal;
import io.keelson.cli.output.TableView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code keelctl rollout status|history|undo|restart} for Deployments. */
@Command(
    name = "rollout",
    mixinStandardHelpOptions = true,
    description = "Manage the rollout of a Deployment.",
    subcommands = {
      RolloutCommand.Status.class,
      RolloutCommand.History.class,
      RolloutCommand.Undo.class,
      RolloutCommand.Restart.class
    })
public final class RolloutCommand implements Runnable {
  static final String REVISION = "deployment.kubernetes.io/revision";

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: status, history, undo, restart");
  }

  /** Common: one deployment named as NAME, deploy/NAME or deployment NAME. */
  abstract static class DeploymentCommand extends ClusterCommand {
    @Parameters(paramLabel = "deployment/NAME", arity = "1..2")
    List<String> args = new ArrayList<>();

    ResourceKind kind;
    String name;

    JsonNode deployment() {
      Map.Entry<ResourceKind, String> t = Targets.single(cluster().kinds(), args, "deployments");
      kind = t.getKey();
      name = t.getValue();
      if (!kind.kind().equals("Deployment")) {
        throw new IllegalArgumentException("rollout supports deployments only (got " + kind.plural() + ")");
      }
      return cluster().get(kind.objectPath(namespace(), name));
    }

    String path() {
      return kind.objectPath(namespace(), name);
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Watch a rollout until it completes (live progress bar on a terminal).")
  public static final class Status extends DeploymentCommand {
    @Option(names = "--timeout", defaultValue = "10m", description = "Give up after this long (e.g. 90s, 5m; 0 = forever).")
    String timeout;

    @Option(names = {"-w", "--watch"}, defaultValue = "true", negatable = true, fallbackValue = "true",
        description = "Wait for the rollout to finish (default true).")
    boolean watch;

    @Override
    protected int run() throws Exception {
      JsonNode d = deployment();
      long ms = DeleteCommand.parseDuration(timeout).toMillis();
      Instant deadline = ms == 0 ? Instant.MAX : Instant.now().plusMillis(ms);
      boolean tty = Terminal.interactive();
      String lastLine = null;
      while (true) {
        Progress p = Progress.of(d);
        if (p.failed() != null) {
          if (tty) {
            System.out.print("\r\u001b[K");
          }
          System.err.println("error: deployment \"" + name + "\" exceeded its progress deadline");
          return 1;
        }
        if (p.done()) {
          if (tty) {
            System.out.print("\r\u001b[K");
          }
          System.out.println("deployment \"" + name + "\" successfully rolled out");
          return 0;
        }
        String line = p.message(name);
        if (tty) {
          System.out.print("\r\u001b[K" + p.bar() + " " + line);
          System.out.flush();
        } else if (!line.equals(lastLine)) {
          System.out.println(line);
        }
        lastLine = line;
        if (!watch) {
          return 1;
        }
        if (Instant.now().isAfter(deadline)) {
          if (tty) {
            System.out.println();
          }
          System.err.println("error: timed out waiting for the condition");
          return 1;
        }
        Thread.sleep(500);
        d = cluster().get(path());
      }
    }
  }

  /** Where a rollout stands, with kubectl's messages. */
  record Progress(long generation, long observed, int desired, int updated, int replicas, int available, String failed) {
    static Progress of(JsonNode d) {
      JsonNode st = d.path("status");
      String failed = null;
      for (JsonNode c : st.path("conditions")) {
        if ("Progressing".equals(c.path("type").asString("")) && "ProgressDeadlineExceeded".equals(c.path("reason").asString(""))) {
          failed = c.path("message").asString("");
        }
      }
      return new Progress(d.path("metadata").path("generation").asLong(0), st.path("observedGeneration").asLong(0),
          d.path("spec").path("replicas").asInt(1), st.path("updatedReplicas").asInt(0), st.path("replicas").asInt(0),
          st.path("availableReplicas").asInt(0), failed);
    }

    boolean done() {
      return observed >= generation && updated >= desired && replicas <= updated && available >= updated;
    }

    String message(String name) {
      if (observed < generation) {
        return "Waiting for deployment spec update to be observed...";
      }
      if (updated < desired) {
        return "Waiting for deployment \"" + name + "\" rollout to finish: " + updated + " out of " + desired
            + " new replicas have been updated...";
      }
      if (replicas > updated) {
        return "Waiting for deployment \"" + name + "\" rollout to finish: " + (replicas - updated)
            + " old replicas are pending termination...";
      }
      return "Waiting for deployment \"" + name + "\" rollout to finish: " + available + " of " + updated
          + " updated replicas are available...";
    }

    String bar() {
      int width = 20;
      int total = Math.max(1, desired);
      int filled = Math.min(width, (int) Math.round(width * Math.min(available, updated) / (double) total));
      return "[" + Terminal.green("#".repeat(filled)) + "-".repeat(width - filled) + "] "
          + Math.min(available, updated) + "/" + desired;
    }
  }

  @Command(name = "history", mixinStandardHelpOptions = true, description = "Show the revisions of a deployment.")
  public static final class History extends DeploymentCommand {
    @Option(names = "--revision", defaultValue = "0", description = "Show the pod template of this revision.")
    long revision;

    @Override
    protected int run() {
      JsonNode d = deployment();
      List<JsonNode> sets = replicaSetsOf(cluster(), d);
      sets.sort(Comparator.comparingLong(RolloutCommand::revision));
      if (revision > 0) {
        for (JsonNode rs : sets) {
          if (revision(rs) == revision) {
            System.out.println("deployment.apps/" + name + " with revision #" + revision);
            System.out.print(io.keelson.cli.output.Formats.yaml(rs.path("spec").path("template")));
            return 0;
          }
        }
        throw new IllegalArgumentException("unable to find the specified revision");
      }
      System.out.println("deployment.apps/" + name);
      TableView t = new TableView(List.of("REVISION", "CHANGE-CAUSE"));
      for (JsonNode rs : sets) {
        t.row(List.of(Long.toString(revision(rs)),
            rs.path("metadata").path("annotations").path("kubernetes.io/change-cause").asString("<none>")));
      }
      t.print(System.out, true);
      System.out.println();
      return 0;
    }
  }

  @Command(name = "undo", mixinStandardHelpOptions = true, description = "Roll back to the previous (or a given) revision.")
  public static final class Undo extends DeploymentCommand {
    @Option(names = "--to-revision", defaultValue = "0", description = "Revision to go back to (0 = previous).")
    long toRevision;

    @Override
    protected int run() {
      JsonNode d = deployment();
      List<JsonNode> sets = replicaSetsOf(cluster(), d);
      sets.sort(Comparator.comparingLong(RolloutCommand::revision).reversed());
      JsonNode target = null;
      if (toRevision > 0) {
        for (JsonNode rs : sets) {
          if (revision(rs) == toRevision) {
            target = rs;
          }
        }
        if (target == null) {
          throw new IllegalArgumentException("unable to find specified revision " + toRevision + " in history");
        }
      } else {
        // the newest ReplicaSet that does not carry the current template
        for (JsonNode rs : sets) {
          if (!sameTemplate(rs, d)) {
            target = rs;
            break;
          }
        }
        if (target == null) {
          throw new IllegalArgumentException("no rollout history found for deployment \"" + name + "\"");
        }
      }
      ObjectNode template = (ObjectNode) target.path("spec").path("template").deepCopy();
      JsonNode labels = template.path("metadata").path("labels");
      if (labels.isObject()) {
        ((ObjectNode) labels).remove("pod-template-hash");
      }
      if (sameTemplateJson(template, d.path("spec").path("template"))) {
        System.out.println("deployment.apps/" + name + " skipped rollback (current template already matches revision "
            + revision(target) + ")");
        return 0;
      }
      ArrayNode patch = Cluster.JSON.createArrayNode();
      ObjectNode op = patch.addObject();
      op.put("op", "replace");
      op.put("path", "/spec/template");
      op.set("value", template);
      cluster().patch(path(), "application/json-patch+json", patch.toString());
      System.out.println("deployment.apps/" + name + " rolled back");
      return 0;
    }
  }

  @Command(name = "restart", mixinStandardHelpOptions = true, description = "Restart all pods of a deployment (a new rollout).")
  public static final class Restart extends DeploymentCommand {
    @Override
    protected int run() {
      deployment();
      ObjectNode patch = Cluster.object();
      patch.putObject("spec").putObject("template").putObject("metadata").putObject("annotations")
          .put("kubectl.kubernetes.io/restartedAt", Instant.now().toString());
      cluster().mergePatch(path(), patch);
      System.out.println("deployment.apps/" + name + " restarted");
      return 0;
    }
  }

  // ---- shared with describe ------------------------------------------------------------------

  /** ReplicaSets controlled by the deployment (ownerReference uid), found via its selector. */
  static List<JsonNode> replicaSetsOf(Cluster c, JsonNode d) {
    String ns = d.path("metadata").path("namespace").asString("default");
    String uid = d.path("metadata").path("uid").asString("");
    List<String> sel = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : d.path("spec").path("selector").path("matchLabels").properties()) {
      sel.add(e.getKey() + "=" + e.getValue().asString());
    }
    JsonNode list = c.list(Query.of().add("labelSelector", String.join(",", sel))
        .on("/apis/apps/v1/namespaces/" + ResourceKindPaths.enc(ns) + "/replicasets"), false);
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode rs : list.path("items")) {
      for (JsonNode o : rs.path("metadata").path("ownerReferences")) {
        if (uid.equals(o.path("uid").asString(""))) {
          out.add(rs);
        }
      }
    }
    return out;
  }

  static long revision(JsonNode rs) {
    try {
      return Long.parseLong(rs.path("metadata").path("annotations").path(REVISION).asString("0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  static boolean sameTemplate(JsonNode rs, JsonNode d) {
    ObjectNode t = (ObjectNode) rs.path("spec").path("template").deepCopy();
    JsonNode labels = t.path("metadata").path("labels");
    if (labels.isObject()) {
      ((ObjectNode) labels).remove("pod-template-hash");
    }
    return sameTemplateJson(t, d.path("spec").path("template"));
  }

  static boolean sameTemplateJson(JsonNode a, JsonNode b) {
    return normalize(a).equals(normalize(b));
  }

  private static JsonNode normalize(JsonNode t) {
    ObjectNode n = (ObjectNode) t.deepCopy();
    JsonNode md = n.path("metadata");
    if (md.isObject()) {
      ((ObjectNode) md).remove("creationTimestamp");
      if (md.isEmpty()) {
        n.remove("metadata");
      }
    }
    return n;
  }

  /** Tiny helper so this file does not depend on URL encoding details. */
  static final class ResourceKindPaths {
    static String enc(String s) {
      return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }
  }
}
