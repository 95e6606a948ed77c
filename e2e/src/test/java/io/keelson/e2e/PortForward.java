package io.keelson.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A {@code kubectl port-forward} running in the background, as a user leaves it running in
 * another terminal; its stdout and stderr are kept (and echoed to the test log on close).
 */
final class PortForward implements AutoCloseable {
  final int localPort;
  private final Process process;
  private final Path log;

  private PortForward(int localPort, Process process, Path log) {
    this.localPort = localPort;
    this.process = process;
    this.log = log;
  }

  /** {@code kubectl port-forward TARGET LOCAL:REMOTE} on a free local port; returns once it listens. */
  static PortForward start(KeelsonCluster cluster, String target, int remotePort) throws IOException {
    return start(cluster, target, remotePort, Map.of());
  }

  /** The same with extra environment for kubectl (e.g. to turn its WebSocket transport off). */
  static PortForward start(KeelsonCluster cluster, String target, int remotePort, Map<String, String> env)
      throws IOException {
    return start(cluster, List.of(target), remotePort, env);
  }

  /** {@code kubectl port-forward -n NAMESPACE TARGET LOCAL:REMOTE}. */
  static PortForward startIn(KeelsonCluster cluster, String namespace, String target, int remotePort) throws IOException {
    return start(cluster, List.of("-n", namespace, target), remotePort, Map.of());
  }

  private static PortForward start(KeelsonCluster cluster, List<String> target, int remotePort, Map<String, String> env)
      throws IOException {
    int local;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      local = s.getLocalPort();
    }
    Path log = Files.createTempFile("e2e-port-forward", ".txt");
    List<String> cmd = new ArrayList<>(List.of("kubectl", "port-forward"));
    cmd.addAll(target);
    cmd.add(local + ":" + remotePort);
    System.out.println("$ " + (env.isEmpty() ? "" : env + " ") + String.join(" ", cmd) + " &");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("KUBECONFIG", cluster.dir.resolve("kubeconfig").toString());
    pb.environment().putAll(env);
    PortForward pf = new PortForward(local, pb.start(), log);
    try {
      await().atMost(Duration.ofSeconds(30)).until(() ->
          pf.output().contains("Forwarding from 127.0.0.1:" + local) || !pf.process.isAlive());
    } catch (RuntimeException e) {
      pf.close();
      throw e;
    }
    if (!pf.process.isAlive()) {
      String out = pf.output();
      pf.close();
      throw new AssertionError("kubectl port-forward " + String.join(" ", target) + " exited at start:\n" + out);
    }
    return pf;
  }

  /** What kubectl printed so far (stdout and stderr). */
  String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  boolean alive() {
    return process.isAlive();
  }

  /** {@code curl -sS http://127.0.0.1:LOCAL/PATH}, as the user would fetch through the forward. */
  KeelsonCluster.Result curl(KeelsonCluster cluster, String path, String... curlArgs) {
    List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "30"));
    cmd.addAll(List.of(curlArgs));
    cmd.add("http://127.0.0.1:" + localPort + path);
    return cluster.run(Duration.ofSeconds(60), cmd);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    System.out.println("--- kubectl port-forward :" + localPort + " printed:\n" + output());
    try {
      Files.deleteIfExists(log);
    } catch (IOException e) {
      // temp file
    }
  }
}
