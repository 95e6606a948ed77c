package io.keelson.scheduler.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real cluster for *IT tests: `./keelson up` from the checkout (api-server, etcd, this scheduler,
 * controller-manager) plus hollow-node agents started here with chosen reservations, driven with
 * the real kubectl.
 */
final class KeelsonCluster implements AutoCloseable {
  final Path root;
  final Path dir;
  final int port;
  private final List<Process> agents = new ArrayList<>();

  private KeelsonCluster(Path root, Path dir, int port) {
    this.root = root;
    this.dir = dir;
    this.port = port;
  }

  static Path checkoutRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isExecutable(p.resolve("keelson"))) {
      p = p.getParent();
    }
    return p;
  }

  /** Starts the control plane with no nodes; aborts (skips) the tests when the host cannot. */
  static KeelsonCluster up(int port) throws Exception {
    Path root = checkoutRoot();
    Assumptions.assumeTrue(root != null, "no ./keelson launcher above " + Path.of("").toAbsolutePath());
    for (String m : List.of("api-server", "scheduler", "controller-manager", "node-agent")) {
      Path jar = root.resolve(m + "/target/keelson-" + m + ".jar");
      Assumptions.assumeTrue(Files.exists(jar), "missing " + jar + " (build the modules first)");
    }
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/kubectl")), "no /usr/bin/kubectl on this host");
    Assumptions.assumeTrue(onPath("etcd"), "no etcd on this host");
    Path dir = Files.createTempDirectory("keelson-sched-it");
    KeelsonCluster c = new KeelsonCluster(root, dir, port);
    Result r = c.run(900, root.resolve("keelson").toString(), "up", "--dir", dir.toString(), "--api-port", "" + port, "--nodes", "0");
    if (r.code != 0) {
      c.close();
      throw new IllegalStateException("./keelson up failed: " + r.out);
    }
    return c;
  }

  private static boolean onPath(String cmd) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(d, cmd))) {
        return true;
      }
    }
    return false;
  }

  Path kubeconfig() {
    return dir.resolve("kubeconfig");
  }

  /** Starts an agent serving `count` hollow nodes named prefix-1..count. */
  void startHollowAgent(String prefix, int count, String reservedCpu) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(
        java, "-Xmx512m", "-jar", root.resolve("node-agent/target/keelson-node-agent.jar").toString(),
        "--kubeconfig", kubeconfig().toString(), "--hollow-nodes", "" + count, "--node-name", prefix,
        "--state-dir", dir.resolve("nodes/" + prefix).toString(),
        // each agent serves AgentService on its own port (the default 10250 may be taken)
        "--port", "" + (port + 20 + agents.size())));
    if (reservedCpu != null) {
      cmd.add("--system-reserved-cpu");
      cmd.add(reservedCpu);
    }
    Path log = dir.resolve("logs/agent-" + prefix + ".log");
    Files.createDirectories(log.getParent());
    agents.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start());
  }

  /** Starts another scheduler replica (same jar the launcher uses) with the given identity. */
  Process startSchedulerReplica(String identity) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    Path jar = Files.exists(dir.resolve("lib/keelson-scheduler.jar"))
        ? dir.resolve("lib/keelson-scheduler.jar")
        : root.resolve("scheduler/target/keelson-scheduler.jar");
    Path log = dir.resolve("logs/scheduler-" + identity + ".log");
    Process p = new ProcessBuilder(java, "-Xmx512m", "-jar", jar.toString(), "--kubeconfig", kubeconfig().toString(),
            "--identity", identity, "--metrics-port", "" + (port + 35))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    agents.add(p);
    return p;
  }

  long pidOf(String component) throws IOException {
    return Long.parseLong(Files.readString(dir.resolve("run/" + component + ".pid")).trim());
  }

  record Result(int code, String out) {}

  Result run(int timeoutSec, String... cmd) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("KUBECONFIG", kubeconfig().toString());
    pb.environment().put("KEELSON_NO_BUILD", "1");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeoutSec, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-1, "timeout: " + String.join(" ", cmd));
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** Runs the real kubectl; returns stdout+stderr (throws on non-zero exit). */
  String kubectl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add("kubectl");
    cmd.add("--request-timeout=30s");
    cmd.addAll(List.of(args));
    Result r = run(60, cmd.toArray(String[]::new));
    if (r.code != 0) {
      throw new IllegalStateException("kubectl " + String.join(" ", args) + " -> " + r.code + ": " + r.out);
    }
    return r.out.trim();
  }

  /** kubectl apply -f - with the given YAML. */
  String apply(String yaml) throws Exception {
    Path f = Files.createTempFile(dir, "manifest", ".yaml");
    Files.writeString(f, yaml);
    return kubectl("apply", "--validate=false", "-f", f.toString());
  }

  @Override
  public void close() throws Exception {
    for (Process a : agents) {
      a.destroy();
    }
    for (Process a : agents) {
      if (!a.waitFor(20, TimeUnit.SECONDS)) {
        a.destroyForcibly();
      }
    }
    if (root != null) {
      run(120, root.resolve("keelson").toString(), "down", "--dir", dir.toString(), "--purge");
    }
  }
}
