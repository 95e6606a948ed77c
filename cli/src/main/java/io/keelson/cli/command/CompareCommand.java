package io.keelson.cli.command;

import io.keelson.cli.cluster.ApiException;
import io.keelson.cli.cluster.Cluster;
import io.keelson.cli.output.PodStatus;
import io.keelson.cli.output.Quantities;
import io.keelson.cli.output.TableView;
import io.keelson.cli.output.Terminal;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code keelctl compare}: runs the same pod spec as a container (runtimeClassName runc) and as a
 * VM (runtimeClassName vm) on the user's own cluster and prints start latency, memory and kernel
 * side by side — the containers-vs-VMs table, measured rather than claimed. Cleans up its pods.
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    description = {
      "Run the same pod as a container and as a VM and compare them side by side:",
      "start latency (creation -> Running, -> first output), memory, and kernel (uname -r)."
    },
    footer = {"", "Examples:", "  keelctl compare", "  keelctl compare --node lab-2 --image keelson.local/busybox:latest"})
public final class CompareCommand extends ClusterCommand {
  static final String KERNEL_MARK = "keelson-compare-kernel:";
  static final String MEM_MARK = "keelson-compare-memtotal-kb:";
  static final String USED_MARK = "keelson-compare-used:";

  @Option(names = "--image", defaultValue = "keelson.local/busybox:latest", description = "Image (needs sh, uname, awk).")
  String image;

  @Option(names = "--node", description = "Run both pods on this node (default: let the scheduler pick).")
  String node;

  @Option(names = "--timeout", defaultValue = "240s", description = "How long to wait for both pods.")
  String timeout;

  @Option(names = "--keep", description = "Leave the pods running afterwards.")
  boolean keep;

  /** One side of the comparison and what was measured for it. */
  static final class Side {
    final String label;
    final String runtimeClass;
    String name;
    Instant created;
    Duration toRunning;
    Duration toOutput;
    String kernel;
    String memInside;
    String memUsed;
    String memUsedInside;
    boolean usedSeen;
    String node;
    String failure;
    String state = "Pending";

    Side(String label, String runtimeClass) {
      this.label = label;
      this.runtimeClass = runtimeClass;
    }

    boolean finished() {
      return failure != null || (toRunning != null && toOutput != null && kernel != null && usedSeen);
    }
  }

  @Override
  protected int run() throws Exception {
    Cluster c = cluster();
    String ns = namespace();
    String suffix = Long.toString(ThreadLocalRandom.current().nextLong(1L << 30, 1L << 35), 36);
    Side container = new Side("CONTAINER (runc)", "runc");
    Side vm = new Side("VM (vm)", "vm");
    container.name = "keelctl-compare-" + suffix + "-container";
    vm.name = "keelctl-compare-" + suffix + "-vm";
    List<Side> sides = List.of(container, vm);
    warnAboutNodes(c);
    Thread cleanup = new Thread(() -> cleanup(c, ns, sides));
    if (!keep) {
      Runtime.getRuntime().addShutdownHook(cleanup);
    }
    try {
      for (Side s : sides) {
        s.created = Instant.now();
        try {
          c.post("/api/v1/namespaces/" + ns + "/pods", podSpec(s));
        } catch (ApiException e) {
          s.failure = "create failed: " + e.getMessage();
        }
      }
      Instant deadline = Instant.now().plus(DeleteCommand.parseDuration(timeout));
      Instant lastPrint = Instant.EPOCH;
      String lastLine = "";
      while (!sides.stream().allMatch(Side::finished)) {
        for (Side s : sides) {
          if (!s.finished()) {
            observe(c, ns, s);
          }
        }
        String line = "waiting: " + status(container) + " · " + status(vm) + "  ["
            + Duration.between(container.created, Instant.now()).toSeconds() + "s]";
        if (Terminal.interactive()) {
          System.err.print("\r\u001b[K" + line);
        } else if (!line.replaceAll("\\[\\d+s]", "").equals(lastLine.replaceAll("\\[\\d+s]", ""))
            || Duration.between(lastPrint, Instant.now()).toSeconds() >= 10) {
          System.err.println(line);
          lastPrint = Instant.now();
        }
        lastLine = line;
        if (Instant.now().isAfter(deadline)) {
          for (Side s : sides) {
            if (!s.finished()) {
              s.failure = "timed out after " + timeout + " (" + s.state + ")";
            }
          }
          break;
        }
        Thread.sleep(200);
      }
      if (Terminal.interactive()) {
        System.err.print("\r\u001b[K");
      }
      for (Side s : sides) {
        if (s.failure == null) {
          s.memUsed = memoryUsed(c, ns, s.name);
          if (s.memUsed.startsWith("n/a") && s.memUsedInside != null) {
            s.memUsed = s.memUsedInside; // no metrics API: what the workload itself reports
          }
        }
      }
      print(sides);
    } finally {
      if (!keep) {
        cleanup(c, ns, sides);
        try {
          Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
          // already shutting down
        }
      }
    }
    return sides.stream().anyMatch(s -> s.failure != null) ? 1 : 0;
  }

  private void warnAboutNodes(Cluster c) {
    try {
      boolean vmNode = false;
      boolean runcNode = false;
      for (JsonNode n : c.list("/api/v1/nodes", false).path("items")) {
        if (node != null && !node.equals(n.path("metadata").path("name").asString())) {
          continue;
        }
        JsonNode l = n.path("metadata").path("labels");
        vmNode |= "true".equals(l.path(NodesCommand.VM).asString(""));
        runcNode |= "true".equals(l.path(NodesCommand.RUNC).asString(""));
      }
      if (!vmNode) {
        System.err.println("note: no node" + (node != null ? " named " + node : "")
            + " is labelled " + NodesCommand.VM + "=true; the VM pod may not start");
      }
      if (!runcNode) {
        System.err.println("note: no node" + (node != null ? " named " + node : "")
            + " is labelled " + NodesCommand.RUNC + "=true; the container pod may not start");
      }
    } catch (RuntimeException e) {
      // only advice
    }
  }

  private ObjectNode podSpec(Side s) {
    ObjectNode pod = Cluster.object();
    pod.put("apiVersion", "v1");
    pod.put("kind", "Pod");
    ObjectNode md = pod.putObject("metadata");
    md.put("name", s.name);
    md.putObject("labels").put("app.kubernetes.io/managed-by", "keelctl-compare");
    ObjectNode spec = pod.putObject("spec");
    spec.put("runtimeClassName", s.runtimeClass);
    spec.put("restartPolicy", "Never");
    spec.put("terminationGracePeriodSeconds", 1);
    if (node != null) {
      spec.put("nodeName", node);
    }
    ArrayNode containers = spec.putArray("containers");
    ObjectNode ctr = containers.addObject();
    ctr.put("name", "compare");
    ctr.put("image", image);
    ArrayNode cmd = ctr.putArray("command");
    cmd.add("sh");
    cmd.add("-c");
    // kernel; memory the workload sees; memory used as seen from inside (guest: MemTotal -
    // MemAvailable in kB; container: its cgroup's usage in bytes, v2 or v1)
    cmd.add("echo " + KERNEL_MARK + " $(uname -r); echo " + MEM_MARK
        + " $(awk '/MemTotal/ {print $2}' /proc/meminfo); echo " + USED_MARK
        + " $(awk '/MemTotal/ {t=$2} /MemAvailable/ {a=$2} END {print t-a}' /proc/meminfo)"
        + " $(cat /sys/fs/cgroup/memory.current 2>/dev/null || cat /sys/fs/cgroup/memory/memory.usage_in_bytes 2>/dev/null || echo -);"
        + " exec sleep 3600");
    return pod;
  }

  private static String status(Side s) {
    String what = s.failure != null ? "failed" : s.toOutput != null ? "done" : s.state;
    return (s.runtimeClass.equals("vm") ? "vm " : "container ") + what;
  }

  /** One poll: phase, reasons, and the log once Running. */
  private static void observe(Cluster c, String ns, Side s) {
    JsonNode pod;
    try {
      pod = c.find("/api/v1/namespaces/" + ns + "/pods/" + s.name);
    } catch (RuntimeException e) {
      return; // transient; try again
    }
    if (pod == null) {
      s.failure = "pod disappeared";
      return;
    }
    String phase = pod.path("status").path("phase").asString("Pending");
    s.state = PodStatus.of(pod);
    s.node = pod.path("spec").path("nodeName").asString(null);
    if (phase.equals("Failed") || phase.equals("Succeeded")) {
      s.failure = "pod " + phase + ": " + pod.path("status").path("message").asString(s.state);
      return;
    }
    String waiting = pod.path("status").path("containerStatuses").path(0).path("state").path("waiting")
        .path("reason").asString("");
    if (waiting.contains("ErrImage") || waiting.contains("BackOff") || waiting.contains("Error")) {
      s.failure = waiting;
      return;
    }
    if (phase.equals("Running") && s.toRunning == null) {
      s.toRunning = Duration.between(s.created, Instant.now());
    }
    if (s.toRunning != null && (s.toOutput == null || s.kernel == null || !s.usedSeen)) {
      String log;
      try {
        log = c.getText("/api/v1/namespaces/" + ns + "/pods/" + s.name + "/log");
      } catch (RuntimeException e) {
        return;
      }
      for (String line : log.split("\n")) {
        int k = line.indexOf(KERNEL_MARK);
        if (k >= 0) {
          if (s.toOutput == null) {
            s.toOutput = Duration.between(s.created, Instant.now());
          }
          s.kernel = line.substring(k + KERNEL_MARK.length()).trim();
        }
        int u = line.indexOf(USED_MARK);
        if (u >= 0) {
          s.usedSeen = true;
          s.memUsedInside = usedInside(s, line.substring(u + USED_MARK.length()).trim().split("\\s+"));
        }
        int m = line.indexOf(MEM_MARK);
        if (m >= 0) {
          String kb = line.substring(m + MEM_MARK.length()).trim();
          try {
            s.memInside = Quantities.bytes(new BigDecimal(kb).multiply(BigDecimal.valueOf(1024)));
          } catch (NumberFormatException e) {
            s.memInside = "n/a";
          }
        }
      }
    }
  }

  /** A container's own cgroup usage, or a guest's used memory; "n/a" when neither is readable. */
  static String usedInside(Side s, String[] f) {
    try {
      if (s.runtimeClass.equals("vm") && f.length >= 1 && f[0].matches("\\d+")) {
        return Quantities.bytes(new BigDecimal(f[0]).multiply(BigDecimal.valueOf(1024))) + " (guest)";
      }
      if (f.length >= 2 && f[1].matches("\\d+")) {
        return Quantities.bytes(new BigDecimal(f[1])) + " (cgroup)";
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    return null;
  }

  /** Working-set memory from the metrics API (retried briefly: metrics lag a pod's start). */
  private static String memoryUsed(Cluster c, String ns, String name) {
    Instant until = Instant.now().plusSeconds(8);
    String reason = "n/a (no metrics API)";
    while (true) {
      try {
        JsonNode m = c.get("/apis/metrics.k8s.io/v1beta1/namespaces/" + ns + "/pods/" + name);
        BigDecimal total = BigDecimal.ZERO;
        for (JsonNode ctr : m.path("containers")) {
          total = total.add(Quantities.parse(ctr.path("usage").path("memory").asString("0")));
        }
        return Quantities.bytes(total);
      } catch (ApiException e) {
        String msg = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
        if (e.code() == 404 && msg.contains("could not find the requested resource")) {
          return reason; // the metrics API is not served at all
        }
        if (e.code() == 404 && msg.contains(name)) {
          reason = "n/a (no metrics yet)";
        } else if (e.code() != 404 && e.code() != 503) {
          return "n/a (" + e.getMessage() + ")";
        }
      } catch (RuntimeException e) {
        return "n/a";
      }
      if (Instant.now().isAfter(until)) {
        return reason;
      }
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return reason;
      }
    }
  }

  private static String seconds(Duration d) {
    return d == null ? "n/a" : String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }

  private static void print(List<Side> sides) {
    List<String> headers = new ArrayList<>();
    headers.add("");
    sides.forEach(s -> headers.add(s.label));
    TableView t = new TableView(headers);
    t.row(row("pod", sides, s -> s.name));
    t.row(row("node", sides, s -> s.node == null ? "n/a" : s.node));
    t.row(row("start -> Running", sides, s -> seconds(s.toRunning)));
    t.row(row("start -> first output", sides, s -> seconds(s.toOutput)));
    t.row(row("memory used", sides, s -> s.memUsed == null ? "n/a" : s.memUsed));
    t.row(row("memory seen inside", sides, s -> s.memInside == null ? "n/a" : s.memInside));
    t.row(row("kernel (uname -r)", sides, s -> s.kernel == null ? "n/a" : s.kernel));
    boolean anyFailure = sides.stream().anyMatch(s -> s.failure != null);
    if (anyFailure) {
      t.row(row("error", sides, s -> s.failure == null ? "-" : s.failure));
    }
    t.print(System.out, true);
    if (!anyFailure && sides.size() == 2 && sides.get(0).kernel != null
        && sides.get(0).kernel.equals(sides.get(1).kernel)) {
      System.out.println("note: both report the same kernel; is the vm runtime really a VM on this node?");
    }
  }

  private static List<String> row(String label, List<Side> sides, java.util.function.Function<Side, String> f) {
    List<String> r = new ArrayList<>();
    r.add(label);
    sides.forEach(s -> r.add(f.apply(s)));
    return r;
  }

  private static void cleanup(Cluster c, String ns, List<Side> sides) {
    for (Side s : sides) {
      if (s.name == null) {
        continue;
      }
      try {
        ObjectNode opts = Cluster.object();
        opts.put("gracePeriodSeconds", 0);
        c.delete("/api/v1/namespaces/" + ns + "/pods/" + s.name, opts);
      } catch (RuntimeException e) {
        // already gone, or the cluster went away
      }
    }
  }
}
