package io.keelson.apiserver.aot;

import io.keelson.apiserver.ApiServerMain;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * The api-server's AOT training run ({@code keelson server --aot-training}): a private etcd (the
 * {@code etcd} on PATH, free ports, a temporary data directory), the real api-server in this process
 * on free ports, and a {@link TrainingWorkload} that plays kubectl, the scheduler, the
 * controller-manager and hollow agents against it. The launcher runs it once per jar build and JDK
 * with {@code -XX:AOTCacheOutput}, so that a freshly started api-server finds its classes (Spring,
 * Tomcat, gRPC, jetcd, Jackson and its own) loaded and linked and its hot methods' profiles
 * recorded (JDK 25, JEPs 483/514/515) instead of paying for them during the first burst of pods.
 *
 * <p>Nothing outlives the run: etcd is killed and the directory (etcd data, TLS material) deleted;
 * the caller exits the JVM right after, which is when the cache is written.
 */
public final class TrainingRun {
  private TrainingRun() {}

  /** Runs the workload; 0 when pods went through every path (all of them unless the time limit cut it short). */
  public static int run(int nodes, int pods, int timeoutSeconds) throws Exception {
    long t0 = System.nanoTime();
    Path dir = Files.createTempDirectory("keelson-aot-training");
    Process etcd = null;
    ApiServerMain server = new ApiServerMain();
    // the open watches would hold a graceful shutdown for its full timeout
    System.setProperty("spring.lifecycle.timeout-per-shutdown-phase", "1s");
    System.setProperty("server.shutdown", "immediate");
    try {
      int[] ports = freePorts(4);
      String etcdUrl = "http://127.0.0.1:" + ports[2];
      etcd = startEtcd(dir, ports[2], ports[3]);
      int code = new CommandLine(server).execute(
          "--dir", dir.toString(), "--api-port", "" + ports[0], "--grpc-port", "" + ports[1], "--etcd-servers", etcdUrl);
      if (code != 0) {
        System.err.println("keelson server: aot training: the api-server did not start");
        return 1;
      }
      TrainingWorkload workload = new TrainingWorkload(dir, ports[0], ports[1], nodes, pods);
      TrainingWorkload.Summary s = workload.run(System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds));
      System.out.printf(
          "keelson server: aot training %s: %d nodes, %d/%d pods created, %d bound, %d running, %d deleted, %d watch events, %.1f s%n",
          s.complete() ? "done" : "cut short", nodes, s.created(), pods, s.bound(), s.running(), s.deleted(), s.watchEvents(),
          (System.nanoTime() - t0) / 1e9);
      return s.bound() > 0 && s.running() > 0 ? 0 : 1;
    } finally {
      // the server first, so that it does not log etcd's disappearance
      if (server.context() != null) {
        server.context().close();
      }
      if (etcd != null) {
        etcd.destroyForcibly();
        etcd.waitFor(10, TimeUnit.SECONDS);
      }
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // a leftover temp dir is not worth failing the training
      }
    }
  }

  private static Process startEtcd(Path dir, int client, int peer) throws Exception {
    String url = "http://127.0.0.1:" + client;
    String peerUrl = "http://127.0.0.1:" + peer;
    Path log = dir.resolve("etcd.log");
    Process p;
    try {
      p = new ProcessBuilder("etcd", "--name", "training", "--data-dir", dir.resolve("etcd").toString(),
          "--listen-client-urls", url, "--advertise-client-urls", url,
          "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
          "--initial-cluster", "training=" + peerUrl, "--log-level", "warn")
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    } catch (IOException e) {
      throw new IOException("no etcd on PATH (" + e.getMessage() + ")", e);
    }
    // etcd must not outlive a training JVM that is killed (the launcher's time limit sends SIGTERM)
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IOException("etcd exited: " + Files.readString(log).trim());
      }
      try {
        String body = http.send(HttpRequest.newBuilder(URI.create(url + "/health")).timeout(Duration.ofSeconds(1)).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        if (body.contains("\"health\":\"true\"")) {
          return p;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    p.destroyForcibly();
    throw new IOException("etcd did not become healthy in 30 s");
  }

  private static int[] freePorts(int n) throws IOException {
    List<ServerSocket> held = new ArrayList<>();
    try {
      int[] out = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(s);
        out[i] = s.getLocalPort();
      }
      return out;
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
  }
}
