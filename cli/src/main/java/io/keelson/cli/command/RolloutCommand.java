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

/**
 * {@code keelctl rollout status|history|undo|restart} for Deployments (history: their ReplicaSets)
 * and DaemonSets (history: their ControllerRevisions), as kubectl does.
 */
@Command(
    name = "rollout",
    mixinStandardHelpOptions = true,
    description = "Manage the rollout of a Deployment or a DaemonSet.",
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

  /** Common: one workload named as NAME (a deployment), deploy/NAME, ds/NAME or deployment NAME. */
  abstract static class WorkloadCommand extends ClusterCommand {
    @Parameters(paramLabel = "deployment/NAME|daemonset/NAME", arity = "1..2")
    List<String> args = new ArrayList<>();

    ResourceKind kind;
    String name;

    JsonNode workload() {
      Map.Entry<ResourceKind, String> t = Targets.single(cluster().kinds(), args, "deployments");
      kind = t.getKey();
      name = t.getValue();
      if (!kind.kind().equals("Deployment") && !kind.kind().equals("DaemonSet")) {
        throw new IllegalArgumentException("rollout supports deployments and daemonsets only (got " + kind.plural() + ")");
      }
      return cluster().get(kind.objectPath(namespace(), name));
    }

    boolean daemonSet() {
      return kind.kind().equals("DaemonSet");
    }

    /** "deployment.apps/web", as kubectl names what it acted on. */
    String label() {
      return kind.kind().toLowerCase(java.util.Locale.ROOT) + ".apps/" + name;
    }

    String path() {
      return kind.objectPath(namespace(), name);
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Watch a rollout until it completes (live progress bar on a terminal).")
  public static final class Status extends WorkloadCommand {
    @Option(names = "--timeout", defaultValue = "10m", description = "Give up after this long (e.g. 90s, 5m; 0 = forever).")
    String timeout;

    @Option(names = {"-w", "--watch"}, defaultValue = "true", negatable = true, fallbackValue = "true",
        description = "Wait for the rollout to finish (default true).")
    boolean watch;

    @Override
    protected int run() throws Exception {
      JsonNode d = workload();
      if (daemonSet() && !d.path("spec").path("updateStrategy").path("type").asString("RollingUpdate").equals("RollingUpdate")) {
        throw new IllegalArgumentException("rollout status is only available for RollingUpdate strategy type");
      }
      long ms = DeleteCommand.parseDuration(timeout).toMillis();
      Instant deadline = ms == 0 ? Instant.MAX : Instant.now().plusMillis(ms);
      boolean tty = Terminal.interactive();
      String lastLine = null;
      while (true) {
        Progress p = daemonSet() ? Progress.ofDaemonSet(d) : Progress.of(d);
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
          System.out.println((daemonSet() ? "daemon set \"" : "deployment \"") + name + "\" successfully rolled out");
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
  record Progress(boolean daemonSet, long generation, long observed, int desired, int updated, int replicas, int available,
      String failed) {
    static Progress of(JsonNode d) {
      JsonNode st = d.path("status");
      String failed = null;
      for (JsonNode c : st.path("conditions")) {
        if ("Progressing".equals(c.path("type").asString("")) && "ProgressDeadlineExceeded".equals(c.path("reason").asString(""))) {
          failed = c.path("message").asString("");
        }
      }
      return new Progress(false, d.path("metadata").path("generation").asLong(0), st.path("observedGeneration").asLong(0),
          d.path("spec").path("replicas").asInt(1), st.path("updatedReplicas").asInt(0), st.path("replicas").asInt(0),
          st.path("availableReplicas").asInt(0), failed);
    }

    /** A DaemonSet's: one pod per node it should run on (desiredNumberScheduled), updated and available. */
    static Progress ofDaemonSet(JsonNode ds) {
      JsonNode st = ds.path("status");
      int updated = st.path("updatedNumberScheduled").asInt(0);
      return new Progress(true, ds.path("metadata").path("generation").asLong(0), st.path("observedGeneration").asLong(0),
          st.path("desiredNumberScheduled").asInt(0), updated, updated, st.path("numberAvailable").asInt(0), null);
    }

    boolean done() {
      return observed >= generation && updated >= desired && replicas <= updated && available >= (daemonSet ? desired : updated);
    }

    String message(String name) {
      if (daemonSet) {
        if (observed < generation) return "Waiting for daemon set spec update to be observed...";
        if (updated < desired) {
          return "Waiting for daemon set \"" + name + "\" rollout to finish: " + updated + " out of " + desired
              + " new pods have been updated...";
        }
        return "Waiting for daemon set \"" + name + "\" rollout to finish: " + available + " of " + desired
            + " updated pods are available...";
      }
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

  @Command(name = "history", mixinStandardHelpOptions = true, description = "Show the revisions of a deployment or daemonset.")
  public static final class History extends WorkloadCommand {
    @Option(names = "--revision", defaultValue = "0", description = "Show the pod template of this revision.")
    long revision;

    @Override
    protected int run() {
      JsonNode d = workload();
      List<JsonNode> sets = daemonSet() ? revisionsOf(cluster(), d) : replicaSetsOf(cluster(), d);
      sets.sort(Comparator.comparingLong(RolloutCommand::revision));
      if (revision > 0) {
        for (JsonNode rs : sets) {
          if (revision(rs) == revision) {
            System.out.println(label() + " with revision #" + revision);
            System.out.print(io.keelson.cli.output.Formats.yaml(templateOf(rs)));
            return 0;
          }
        }
        throw new IllegalArgumentException("unable to find the specified revision");
      }
      System.out.println(label());
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
  public static final class Undo extends WorkloadCommand {
    @Option(names = "--to-revision", defaultValue = "0", description = "Revision to go back to (0 = previous).")
    long toRevision;

    @Override
    protected int run() {
      JsonNode d = workload();
      if (daemonSet()) return undoDaemonSet(d);
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

    /**
     * As kubectl: the target is the given revision or the one before the newest (the controller keeps
     * the current template newest), applied as the strategic-merge patch the revision recorded.
     */
    private int undoDaemonSet(JsonNode ds) {
      List<JsonNode> revisions = revisionsOf(cluster(), ds);
      revisions.sort(Comparator.comparingLong(RolloutCommand::revision));
      JsonNode target = null;
      if (toRevision > 0) {
        target = revisions.stream().filter(r -> revision(r) == toRevision).findFirst().orElse(null);
        if (target == null) throw new IllegalArgumentException("unable to find specified revision " + toRevision + " in history");
      } else if (revisions.size() > 1) {
        target = revisions.get(revisions.size() - 2);
      } else {
        throw new IllegalArgumentException("no last revision to roll back to");
      }
      if (withoutEmpties(templateOf(target)).equals(withoutEmpties(ds.path("spec").path("template")))) {
        System.out.println(label() + " skipped rollback (current template already matches revision " + revision(target) + ")");
        return 0;
      }
      cluster().patch(path(), "application/strategic-merge-patch+json", target.path("data").toString());
      System.out.println(label() + " rolled back");
      return 0;
    }
  }

  @Command(name = "restart", mixinStandardHelpOptions = true, description = "Restart all pods of a deployment (a new rollout).")
  public static final class Restart extends WorkloadCommand {
    @Override
    protected int run() {
      workload();
      ObjectNode patch = Cluster.object();
      patch.putObject("spec").putObject("template").putObject("metadata").putObject("annotations")
          .put("kubectl.kubernetes.io/restartedAt", Instant.now().toString());
      cluster().mergePatch(path(), patch);
      System.out.println(label() + " restarted");
      return 0;
    }
  }

  // ---- shared with describe ------------------------------------------------------------------

  /** ReplicaSets controlled by the deployment (ownerReference uid), found via its selector. */
  static List<JsonNode> replicaSetsOf(Cluster c, JsonNode d) {
    return ownedBy(c, d, "replicasets");
  }

  /** ControllerRevisions controlled by the daemonset, found the same way, as kubectl finds them. */
  static List<JsonNode> revisionsOf(Cluster c, JsonNode ds) {
    return ownedBy(c, ds, "controllerrevisions");
  }

  /** The apps/v1 objects of this resource in the owner's namespace that match its selector and name it as owner (uid). */
  private static List<JsonNode> ownedBy(Cluster c, JsonNode owner, String resource) {
    String ns = owner.path("metadata").path("namespace").asString("default");
    String uid = owner.path("metadata").path("uid").asString("");
    List<String> sel = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : owner.path("spec").path("selector").path("matchLabels").properties()) {
      sel.add(e.getKey() + "=" + e.getValue().asString());
    }
    JsonNode list = c.list(Query.of().add("labelSelector", String.join(",", sel))
        .on("/apis/apps/v1/namespaces/" + ResourceKindPaths.enc(ns) + "/" + resource), false);
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode o : list.path("items")) {
      for (JsonNode ref : o.path("metadata").path("ownerReferences")) {
        if (uid.equals(ref.path("uid").asString(""))) {
          out.add(o);
        }
      }
    }
    return out;
  }

  /** A revision's pod template: a ReplicaSet's spec.template, or the template a ControllerRevision's patch restores. */
  static JsonNode templateOf(JsonNode revision) {
    if (!revision.path("data").isMissingNode()) {
      ObjectNode t = (ObjectNode) revision.path("data").path("spec").path("template").deepCopy();
      t.remove("$patch");
      return t;
    }
    return revision.path("spec").path("template");
  }

  /** Without nulls, empty maps and lists, and creationTimestamp: a revision records the template without them. */
  static JsonNode withoutEmpties(JsonNode n) {
    if (n.isObject()) {
      ObjectNode out = Cluster.object();
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        JsonNode v = withoutEmpties(e.getValue());
        if (e.getKey().equals("creationTimestamp") || v.isNull() || ((v.isObject() || v.isArray()) && v.isEmpty())) continue;
        out.set(e.getKey(), v);
      }
      return out;
    }
    if (n.isArray()) {
      ArrayNode out = Cluster.JSON.createArrayNode();
      n.forEach(e -> out.add(withoutEmpties(e)));
      return out;
    }
    return n;
  }

  /** A ReplicaSet's revision annotation, or a ControllerRevision's number. */
  static long revision(JsonNode rs) {
    if (rs.path("revision").isNumber()) return rs.path("revision").asLong();
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
