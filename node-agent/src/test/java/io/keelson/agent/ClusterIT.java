package io.keelson.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The agent in a real cluster: {@code ./keelson up} (etcd, api-server, one agent on runc, no
 * scheduler), then a Pod with spec.nodeName set is driven with the real kubectl: it becomes
 * Ready, its log and exec work (exit code passed through), and deleting it removes it.
 */
class ClusterIT {
  static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  static Path dir;
  static Path kubeconfig;

  record Result(int code, String out) {}

  static Result run(List<String> cmd, String stdin, int timeoutSeconds) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true);
    pb.environment().put("KEELSON_NO_BUILD", "1");
    Process p = pb.start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-1, new String(out, StandardCharsets.UTF_8));
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  static Result kubectl(String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    return run(cmd, stdin, 120);
  }

  static boolean onPath(String bin) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      if (Files.isExecutable(Path.of(d, bin))) {
        return true;
      }
    }
    return false;
  }

  static void require(boolean ok, String why) {
    if (!ok) {
      System.out.println("ClusterIT skipped: " + why);
    }
    assumeTrue(ok, why);
  }

  static int freePortBlock() throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(20000, 29000);
      boolean free = true;
      for (int p : new int[] {base, base + 1, base + 10, base + 11, base + 21}) {
        try (ServerSocket s = new ServerSocket(p)) {
          s.setReuseAddress(true);
        } catch (IOException e) {
          free = false;
        }
      }
      if (free) {
        return base;
      }
    }
    throw new IOException("no free port block");
  }

  @BeforeAll
  static void up() throws Exception {
    require("root".equals(System.getProperty("user.name")), "runc containers and pod networks need root");
    require(Files.isExecutable(ROOT.resolve("keelson")), "no ./keelson launcher at " + ROOT);
    require(Files.isRegularFile(ROOT.resolve("api-server/target/keelson-api-server.jar")), "api-server jar not built");
    require(Files.isRegularFile(ROOT.resolve("node-agent/target/keelson-node-agent.jar")), "node-agent jar not built");
    require(onPath("kubectl") && onPath("etcd") && onPath("runc"), "kubectl, etcd and runc are needed");
    dir = Files.createTempDirectory("keelson-agent-it");
    kubeconfig = dir.resolve("kubeconfig");
    int port = freePortBlock();
    Result up = run(List.of("./keelson", "up", "--dir", dir.toString(), "--api-port", Integer.toString(port),
        "--without", "scheduler,controller-manager"), null, 600);
    assertThat(up.code()).as("keelson up:\n" + up.out()).isZero();
  }

  @AfterAll
  static void down() throws Exception {
    if (dir != null) {
      run(List.of("./keelson", "down", "--dir", dir.toString(), "--purge"), null, 120);
    }
  }

  @Test
  void podWithNodeNameRunsAndIsUsableWithKubectl() throws Exception {
    String pod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: it-web
        spec:
          nodeName: node-1
          # no controller-manager here: no default ServiceAccount or kube-root-ca.crt to project
          automountServiceAccountToken: false
          terminationGracePeriodSeconds: 3
          containers:
          - name: main
            image: keelson.local/busybox:latest
            command: ["sh", "-c", "echo hello from $(hostname); trap 'exit 0' TERM; while true; do sleep 1; done"]
            readinessProbe:
              exec:
                command: ["true"]
              periodSeconds: 1
        """;
    assertThat(kubectl(pod, "apply", "-f", "-").code()).isZero();
    Result ready = kubectl(null, "wait", "--for=condition=Ready", "pod/it-web", "--timeout=120s");
    assertThat(ready.out()).as(kubectl(null, "describe", "pod", "it-web").out()).contains("condition met");
    // the pod's IP comes from its node's /24 of the cluster's range (10.244.0.0/16 unless another
    // cluster on this host holds it: `keelson up` then picks the next 10.X.0.0/16)
    String nodeRange = kubectl(null, "get", "node", "node-1", "-o", "jsonpath={.spec.podCIDR}").out().trim();
    assertThat(nodeRange).matches("10\\.\\d+\\.\\d+\\.0/24");
    assertThat(kubectl(null, "get", "pod", "it-web", "-o", "jsonpath={.status.phase} {.status.podIP}").out())
        .startsWith("Running " + nodeRange.substring(0, nodeRange.lastIndexOf('.') + 1));
    await().atMost(Duration.ofSeconds(20)).until(() -> kubectl(null, "logs", "it-web").out().contains("hello from it-web"));
    Result exec = kubectl(null, "exec", "it-web", "--", "sh", "-c", "echo inside; exit 3");
    assertThat(exec.out()).contains("inside");
    assertThat(exec.code()).isEqualTo(3);
    // events are posted after the status that made the pod Ready (the agent holds them back during a
    // first start), each a request of its own: on a loaded machine they can trail it by seconds
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(
        () -> kubectl(null, "get", "events", "--field-selector", "involvedObject.name=it-web").out().contains("Started"));

    assertThat(kubectl(null, "delete", "pod", "it-web", "--wait=false").code()).isZero();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
        .until(() -> kubectl(null, "get", "pod", "it-web").out().contains("NotFound"));
  }
}
