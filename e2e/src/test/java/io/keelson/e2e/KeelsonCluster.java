package io.keelson.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Keelson cluster started the way a user starts one ({@code ./keelson up} or
 * {@code ./keelson lab up}) in a temporary directory on free ports, driven with the real kubectl
 * and ./keelctl. Every command and its output is echoed to the test log.
 */
final class KeelsonCluster implements AutoCloseable {
  /** A finished command. */
  record Result(int exit, String out, String err) {
    boolean ok() {
      return exit == 0;
    }

    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
    }
  }

  static final Path HOME = home();
  final Path dir;
  final int apiPort;
  final boolean lab;
  private boolean up;

  private KeelsonCluster(Path dir, int apiPort, boolean lab) {
    this.dir = dir;
    this.apiPort = apiPort;
    this.lab = lab;
  }

  private static Path home() {
    String env = System.getenv("KEELSON_HOME");
    Path p = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.dir")).getParent();
    return p.toAbsolutePath().normalize();
  }

  /** {@code ./keelson up --nodes N} (or {@code lab up}) in a fresh directory on free ports. */
  static KeelsonCluster start(int nodes, boolean lab) throws Exception {
    Path dir = Files.createTempDirectory("keelson-e2e-");
    KeelsonCluster c = new KeelsonCluster(dir, freePortBlock(), lab);
    List<String> cmd = new ArrayList<>();
    cmd.add(HOME.resolve("keelson").toString());
    if (lab) {
      cmd.add("lab");
    }
    cmd.addAll(List.of("up", "--dir", dir.toString(), "--api-port", Integer.toString(c.apiPort),
        "--nodes", Integer.toString(nodes)));
    c.up = true;
    Result r = c.run(Duration.ofMinutes(10), cmd);
    if (!r.ok()) {
      String logs = c.logTails();
      c.close();
      throw new AssertionError("keelson " + (lab ? "lab " : "") + "up failed: " + r + "\n" + logs);
    }
    assertThat(dir.resolve("kubeconfig")).exists();
    return c;
  }

  /** A port P such that P..P+30 look free (api, gRPC, etcd P+10/11, agents P+20+i). */
  static int freePortBlock() {
    for (int attempt = 0; attempt < 200; attempt++) {
      int p = ThreadLocalRandom.current().nextInt(20000, 32000) / 50 * 50; // below the ephemeral port range (32768+)
      boolean free = true;
      for (int off : new int[] {0, 1, 10, 11, 19, 20, 21, 22, 23, 24}) {
        try (ServerSocket s = new ServerSocket()) {
          s.bind(new InetSocketAddress("0.0.0.0", p + off));
        } catch (IOException e) {
          free = false;
          break;
        }
      }
      if (free) {
        return p;
      }
    }
    throw new IllegalStateException("no free port block");
  }

  Result kubectl(String... args) {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--request-timeout=30s"));
    cmd.addAll(List.of(args));
    return run(Duration.ofSeconds(90), cmd);
  }

  Result keelctl(String... args) {
    List<String> cmd = new ArrayList<>(List.of(HOME.resolve("keelctl").toString()));
    cmd.addAll(List.of(args));
    return run(Duration.ofMinutes(6), cmd);
  }

  Result keelctlWithInput(String stdin, String... args) {
    List<String> cmd = new ArrayList<>(List.of(HOME.resolve("keelctl").toString()));
    cmd.addAll(List.of(args));
    return run(Duration.ofMinutes(2), cmd, stdin);
  }

  Result keelson(String... args) {
    List<String> cmd = new ArrayList<>(List.of(HOME.resolve("keelson").toString()));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--dir", dir.toString()));
    return run(Duration.ofMinutes(3), cmd);
  }

  /** {@code kubectl apply -f -} with these manifests. */
  Result apply(String yaml) {
    return run(Duration.ofSeconds(60), List.of("kubectl", "apply", "-f", "-"), yaml);
  }

  /** {@code kubectl apply -f -}, failing the test with the output when it fails. */
  String applyOk(String yaml) {
    Result r = apply(yaml);
    assertThat(r.ok()).as(r.toString()).isTrue();
    return r.out();
  }

  /** kubectl, failing the test with the output when it fails. */
  String kubectlOk(String... args) {
    Result r = kubectl(args);
    assertThat(r.ok()).as("kubectl %s\n%s", String.join(" ", args), r).isTrue();
    return r.out();
  }

  String keelctlOk(String... args) {
    Result r = keelctl(args);
    assertThat(r.ok()).as("keelctl %s\n%s", String.join(" ", args), r).isTrue();
    return r.out();
  }

  Result run(Duration timeout, List<String> cmd) {
    return run(timeout, cmd, null);
  }

  Result run(Duration timeout, List<String> cmd, String stdin) {
    return Shell.run(timeout, cmd, stdin, Map.of("KUBECONFIG", dir.resolve("kubeconfig").toString()));
  }

  /** Runs commands from the repository root, echoing them and their output to the test log. */
  static Result exec(Duration timeout, List<String> cmd, String stdin, Map<String, String> extraEnv) {
    System.out.println("$ " + String.join(" ", cmd));
    try {
      Path out = Files.createTempFile("e2e-out", ".txt");
      Path err = Files.createTempFile("e2e-err", ".txt");
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(HOME.toFile())
          .redirectOutput(out.toFile()).redirectError(err.toFile());
      Map<String, String> env = pb.environment();
      env.putAll(extraEnv);
      env.put("NO_COLOR", "1");
      if (stdin == null) {
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      }
      Process p = pb.start();
      if (stdin != null) {
        try (var w = p.getOutputStream()) {
          w.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        p.waitFor(10, TimeUnit.SECONDS);
        p.destroyForcibly();
      }
      int code = p.isAlive() ? -1 : p.exitValue();
      Result r = new Result(code, Files.readString(out), Files.readString(err));
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
      System.out.print(r.out());
      if (!r.err().isBlank()) {
        System.out.print("[stderr] " + r.err());
      }
      System.out.println("[exit " + code + "]");
      return r;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The last lines of every component log, for failure messages. */
  String logTails() {
    StringBuilder sb = new StringBuilder();
    Path logs = dir.resolve("logs");
    if (!Files.isDirectory(logs)) {
      return "(no logs)";
    }
    try (Stream<Path> s = Files.list(logs)) {
      for (Path f : s.sorted().toList()) {
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        sb.append("--- ").append(f.getFileName()).append('\n');
        lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> sb.append(l).append('\n'));
      }
    } catch (IOException e) {
      sb.append("(cannot read logs: ").append(e.getMessage()).append(")");
    }
    return sb.toString();
  }

  /** What a user would look at when something hangs: pods, nodes and recent events. */
  String diagnostics() {
    return kubectl("get", "nodes,pods", "-A", "-o", "wide").out() + "\n"
        + kubectl("get", "events", "-A", "--sort-by=.lastTimestamp").out() + "\n" + logTails();
  }

  @Override
  public void close() {
    if (!up) {
      return;
    }
    up = false;
    if (lab) {
      run(Duration.ofMinutes(3), List.of(HOME.resolve("keelson").toString(), "lab", "down", "--dir", dir.toString()));
    }
    run(Duration.ofMinutes(3), List.of(HOME.resolve("keelson").toString(), "down", "--dir", dir.toString(), "--purge"));
  }
}
