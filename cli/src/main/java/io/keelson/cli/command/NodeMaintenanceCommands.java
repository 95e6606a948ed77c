package io.keelson.cli.command;

import io.keelson.cli.cluster.ApiException;
import io.keelson.cli.cluster.Cluster;
import io.keelson.cli.cluster.Query;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code keelctl cordon|uncordon|drain}: take nodes in and out of service. */
public final class NodeMaintenanceCommands {
  private NodeMaintenanceCommands() {}

  static void setUnschedulable(Cluster c, String node, boolean value) {
    JsonNode n = c.get("/api/v1/nodes/" + node);
    boolean now = n.path("spec").path("unschedulable").asBoolean(false);
    if (now == value) {
      System.out.println("node/" + node + " already " + (value ? "cordoned" : "uncordoned"));
      return;
    }
    ObjectNode patch = Cluster.object();
    if (value) {
      patch.putObject("spec").put("unschedulable", true);
    } else {
      patch.putObject("spec").putNull("unschedulable");
    }
    c.mergePatch("/api/v1/nodes/" + node, patch);
    System.out.println("node/" + node + " " + (value ? "cordoned" : "uncordoned"));
  }

  @Command(name = "cordon", mixinStandardHelpOptions = true, description = "Mark nodes as unschedulable.")
  public static final class Cordon extends ClusterCommand {
    @Parameters(paramLabel = "NODE", arity = "1..*")
    List<String> nodes;

    @Override
    protected int run() {
      nodes.forEach(n -> setUnschedulable(cluster(), n, true));
      return 0;
    }
  }

  @Command(name = "uncordon", mixinStandardHelpOptions = true, description = "Mark nodes as schedulable again.")
  public static final class Uncordon extends ClusterCommand {
    @Parameters(paramLabel = "NODE", arity = "1..*")
    List<String> nodes;

    @Override
    protected int run() {
      nodes.forEach(n -> setUnschedulable(cluster(), n, false));
      return 0;
    }
  }

  @Command(name = "drain", mixinStandardHelpOptions = true,
      description = "Cordon a node and evict its pods (Eviction API, honouring disruption budgets).",
      footer = {"", "Examples:", "  keelctl drain lab-2 --ignore-daemonsets", "  keelctl drain node-1 --force --timeout 2m"})
  public static final class Drain extends ClusterCommand {
    @Parameters(paramLabel = "NODE", arity = "1")
    String node;

    @Option(names = "--ignore-daemonsets", description = "Leave DaemonSet pods in place.")
    boolean ignoreDaemonSets;

    @Option(names = "--force", description = "Also evict pods that no controller will replace.")
    boolean force;

    @Option(names = "--delete-emptydir-data", description = "Evict pods using emptyDir (their data is lost).")
    boolean deleteEmptyDir;

    @Option(names = "--grace-period", defaultValue = "-1", description = "Seconds each pod gets to stop (-1: its own).")
    int gracePeriod;

    @Option(names = "--timeout", defaultValue = "5m", description = "Give up after this long.")
    String timeout;

    @Override
    protected int run() throws Exception {
      Cluster c = cluster();
      setUnschedulable(c, node, true);
      JsonNode pods = c.list(Query.of().add("fieldSelector", "spec.nodeName=" + node).on("/api/v1/pods"), false);
      List<JsonNode> evict = new ArrayList<>();
      List<String> problems = new ArrayList<>();
      for (JsonNode p : pods.path("items")) {
        String phase = p.path("status").path("phase").asString("");
        if (phase.equals("Succeeded") || phase.equals("Failed")) {
          evict.add(p);
          continue;
        }
        JsonNode md = p.path("metadata");
        String id = md.path("namespace").asString() + "/" + md.path("name").asString();
        if (md.path("annotations").has("kubernetes.io/config.mirror")) {
          continue;
        }
        String ownerKind = md.path("ownerReferences").path(0).path("kind").asString("");
        if (ownerKind.equals("DaemonSet")) {
          if (!ignoreDaemonSets) {
            problems.add("cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): " + id);
          }
          continue;
        }
        if (ownerKind.isEmpty() && !force) {
          problems.add("cannot delete Pods that declare no controller (use --force to override): " + id);
          continue;
        }
        boolean emptyDir = false;
        for (JsonNode v : p.path("spec").path("volumes")) {
          emptyDir |= v.has("emptyDir");
        }
        if (emptyDir && !deleteEmptyDir) {
          problems.add("cannot delete Pods with local storage (use --delete-emptydir-data to override): " + id);
          continue;
        }
        evict.add(p);
      }
      if (!problems.isEmpty()) {
        System.err.println("error: unable to drain node \"" + node + "\" due to error:");
        problems.forEach(s -> System.err.println("  " + s));
        System.err.println("There are pending nodes to be drained:\n " + node);
        return 1;
      }
      Instant deadline = Instant.now().plus(DeleteCommand.parseDuration(timeout));
      for (JsonNode p : evict) {
        String ns = p.path("metadata").path("namespace").asString();
        String name = p.path("metadata").path("name").asString();
        System.out.println("evicting pod " + ns + "/" + name);
        ObjectNode eviction = Cluster.object();
        eviction.put("apiVersion", "policy/v1");
        eviction.put("kind", "Eviction");
        eviction.putObject("metadata").put("name", name).put("namespace", ns);
        if (gracePeriod >= 0) {
          eviction.putObject("deleteOptions").put("gracePeriodSeconds", gracePeriod);
        }
        while (true) {
          try {
            c.post("/api/v1/namespaces/" + ns + "/pods/" + name + "/eviction", eviction);
            break;
          } catch (ApiException e) {
            if (e.notFound()) {
              break;
            }
            if (e.code() != 429 || Instant.now().isAfter(deadline)) {
              throw e;
            }
            System.out.println("error when evicting pods/\"" + name + "\" -n \"" + ns + "\" (will retry after 5s): "
                + e.getMessage());
            Thread.sleep(5000);
          }
        }
      }
      for (JsonNode p : evict) {
        String ns = p.path("metadata").path("namespace").asString();
        String name = p.path("metadata").path("name").asString();
        String uid = p.path("metadata").path("uid").asString();
        while (true) {
          JsonNode now = c.find("/api/v1/namespaces/" + ns + "/pods/" + name);
          if (now == null || !uid.equals(now.path("metadata").path("uid").asString())) {
            System.out.println("pod/" + name + " evicted");
            break;
          }
          if (Instant.now().isAfter(deadline)) {
            System.err.println("error: timed out waiting for pod/" + name + " to be evicted");
            return 1;
          }
          Thread.sleep(500);
        }
      }
      System.out.println("node/" + node + " drained");
      return 0;
    }
  }
}
