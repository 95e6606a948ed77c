package io.keelson.scheduler.aot;

import io.keelson.scheduler.SchedulerMain;
import java.io.FileInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import picocli.CommandLine;

/**
 * The scheduler's AOT training run ({@code keelson-scheduler --aot-training}): the real scheduler
 * (kubeconfig, TLS, informers, the lean pod watch, the scheduling loop, bindings, events, status
 * patches of unschedulable pods) against a {@link TrainingApiServer} in this process, until every
 * pod that fits is bound. The launcher runs it once per jar build and JDK with
 * {@code -XX:AOTCacheOutput}, so that a freshly started scheduler finds its classes loaded and
 * linked and its hot methods' profiles recorded (JDK 25, JEPs 483/514/515) instead of paying for
 * class loading and profiling again during the burst of pods it meets first.
 *
 * <p>No cluster is needed and nothing leaves the process: the server listens on 127.0.0.1 and its
 * TLS key (made with the JDK's keytool, or plain HTTP if that fails) is thrown away.
 */
public final class TrainingRun {
  private TrainingRun() {}

  /** Runs the workload; 0 when pods were bound (all of them, unless the time limit cut it short). */
  public static int run(int nodes, int pods, int timeoutSeconds) throws Exception {
    long t0 = System.nanoTime();
    Path dir = Files.createTempDirectory("keelson-aot-training");
    try {
      String caPem = null;
      SSLContext ssl = null;
      try {
        ssl = selfSignedTls(dir);
        caPem = Files.readString(dir.resolve("server.pem"));
      } catch (Exception e) {
        System.err.println("keelson-scheduler: aot training: no TLS (" + e.getMessage() + "); training over plain HTTP");
      }
      int listed = pods / 2;
      int watched = pods - listed;
      int unschedulable = Math.max(1, pods / 200);
      // left running: the scheduler's threads still talk to it until the JVM exits right after this
      TrainingApiServer server = new TrainingApiServer(ssl, nodes, listed, watched, unschedulable);
      server.start();
      Path kubeconfig = dir.resolve("kubeconfig");
      Files.writeString(kubeconfig, kubeconfig(server.url(), caPem));
      Thread scheduler =
          Thread.ofPlatform()
              .name("training-scheduler")
              .daemon()
              .start(
                  () ->
                      new CommandLine(new SchedulerMain())
                          .execute("--kubeconfig", kubeconfig.toString(), "--metrics-port", "-1", "--leader-elect=false"));
      // half the pods are in the first list, the rest arrive on the watch while the first are scheduled
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
      while (server.bindings.get() == 0 && System.nanoTime() < deadline && scheduler.isAlive()) {
        Thread.sleep(10);
      }
      server.addWatchedPods();
      while (server.bindings.get() < server.schedulablePods() && System.nanoTime() < deadline && scheduler.isAlive()) {
        Thread.sleep(20);
      }
      // the events trail the bindings: give them a moment
      long eventsDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      while (server.events.get() < server.schedulablePods() && System.nanoTime() < eventsDeadline) {
        Thread.sleep(20);
      }
      double s = (System.nanoTime() - t0) / 1e9;
      int bound = server.bindings.get();
      System.out.printf(
          "keelson-scheduler: aot training %s: %d/%d pods bound on %d nodes, %d events, %d unschedulable reported, %.1f s%n",
          bound >= server.schedulablePods() ? "done" : "cut short", bound, server.schedulablePods(), nodes,
          server.events.get(), server.statusPatches.get(), s);
      // a run cut short (a slow machine) still went through every path the scheduler takes
      return bound > 0 ? 0 : 1;
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** An EC P-256 key and self-signed certificate for 127.0.0.1 (the api-server's kind of key), made with keytool. */
  private static SSLContext selfSignedTls(Path dir) throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Path store = dir.resolve("server.p12");
    String pass = "training";
    exec(keytool.toString(), "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
        "-sigalg", "SHA256withECDSA", "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-validity", "2",
        "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", pass, "-keypass", pass);
    exec(keytool.toString(), "-exportcert", "-rfc", "-alias", "server", "-keystore", store.toString(),
        "-storetype", "PKCS12", "-storepass", pass, "-file", dir.resolve("server.pem").toString());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (FileInputStream in = new FileInputStream(store.toFile())) {
      ks.load(in, pass.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, pass.toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx;
  }

  private static void exec(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + out);
    }
  }

  private static String kubeconfig(String server, String caPem) {
    String ca = caPem == null ? "" : "    certificate-authority-data: " + Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.UTF_8)) + "\n";
    return "apiVersion: v1\nkind: Config\nclusters:\n- name: training\n  cluster:\n    server: " + server + "\n" + ca
        + "users:\n- name: training\n  user:\n    token: training-token\n"
        + "contexts:\n- name: training\n  context:\n    cluster: training\n    user: training\n    namespace: default\n"
        + "current-context: training\n";
  }
}
