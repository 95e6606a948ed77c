package io.keelson.agent.aot;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.keelson.agent.AgentMain;
import io.keelson.client.fake.InMemoryApiServer;
import io.keelson.client.fake.SelfSignedTls;
import io.keelson.proto.node.v1.PodAssignment;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * The hollow agent's AOT training run ({@code keelson-node-agent --aot-training}): the real agent
 * process (kubeconfig, TLS, gRPC NodeService client, hollow nodes on the fake driver, pod workers,
 * status reports, events over REST) serving 100 hollow nodes against a {@link TrainingNodeService}
 * and the client module's {@link InMemoryApiServer} in this process (gRPC on the REST port + 1, as
 * the api-server serves it), through a benchmark's burst of bound pods and some graceful deletes.
 * The launcher runs it once per jar build and JDK with {@code -XX:AOTCacheOutput} (JDK 25, JEPs
 * 483/514/515), so that a fresh hollow agent finds its classes loaded and linked and its hot
 * methods' profiles recorded. Only the hollow agent starts from the cache (it is what the
 * benchmarks run; real agents keep their own JVM flags).
 */
public final class TrainingRun {
  private static final String NS = "training";

  private TrainingRun() {}

  /** What a run went through. */
  record Outcome(boolean complete, int registered, int running, int deleted, int leaseRenewals, double seconds) {}

  /** Runs the workload and prints what it did; 0 when pods were started (all of them unless the time limit cut it short). */
  public static int run(int nodes, int pods, int timeoutSeconds) throws Exception {
    Outcome o = train(nodes, pods, timeoutSeconds);
    System.out.printf("keelson-node-agent: aot training %s: %d hollow nodes, %d/%d pods running, %d/%d deleted, %d lease renewals, %.1f s%n",
        o.complete() ? "done" : "cut short", o.registered(), o.running(), pods, o.deleted(), pods / 5, o.leaseRenewals(), o.seconds());
    // a run cut short (a slow machine) still went through the paths it reached
    return o.running() > 0 ? 0 : 1;
  }

  static Outcome train(int nodes, int pods, int timeoutSeconds) throws Exception {
    long t0 = System.nanoTime();
    long deadline = t0 + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    Path dir = Files.createTempDirectory("keelson-aot-training");
    TrainingNodeService service = new TrainingNodeService();
    Server grpc = null;
    try {
      SelfSignedTls tls = null;
      try {
        tls = SelfSignedTls.create(dir);
      } catch (Exception e) {
        System.err.println("keelson-node-agent: aot training: no TLS (" + e.getMessage() + "); training over plain HTTP and gRPC");
      }
      // the agent dials NodeService on its kubeconfig's port + 1: find a REST port whose next one is free
      InMemoryApiServer api = null;
      for (int attempt = 0; grpc == null && attempt < 20; attempt++) {
        api = InMemoryApiServer.start(tls);
        NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", api.port() + 1)).addService(service);
        if (tls != null) {
          b.sslContext(GrpcSslContexts.configure(SslContextBuilder.forServer(tls.keys())).build());
        }
        try {
          grpc = b.build().start();
        } catch (IOException busy) {
          api.close();
        }
      }
      if (grpc == null) {
        throw new IOException("no free port pair for REST and gRPC");
      }
      Path kubeconfig = api.writeKubeconfig(dir.resolve("kubeconfig"));
      String[] args = {"--kubeconfig", kubeconfig.toString(), "--hollow-nodes", Integer.toString(nodes), "--node-name", "training",
          "--state-dir", dir.resolve("state").toString(), "--port", Integer.toString(freePort()), "--address", "127.0.0.1",
          "--images-dir", dir.resolve("images").toString()};
      Thread agent = Thread.ofPlatform().name("training-agent").daemon().start(() -> new CommandLine(new AgentMain()).execute(args));
      boolean ok = await(deadline, () -> service.registered.size() >= nodes && service.openStreams() > 0 || !agent.isAlive());
      // a burst of pods bound to the nodes, as the scheduler binds them
      for (int i = 0; i < pods; i++) {
        service.assign(PodAssignment.Type.ADDED, nodeName(1 + i % nodes), podName(i), pod(i, nodes, false));
      }
      ok &= await(deadline, () -> running(service) >= pods);
      // graceful deletes: the agent stops the pods and confirms their termination
      int deletes = pods / 5;
      for (int i = 0; i < deletes; i++) {
        service.assign(PodAssignment.Type.MODIFIED, nodeName(1 + i % nodes), podName(i), pod(i, nodes, true));
      }
      ok &= await(deadline, () -> service.terminated.size() >= deletes);
      return new Outcome(ok, service.registered.size(), running(service), service.terminated.size(), service.leaseRenewals.get(),
          (System.nanoTime() - t0) / 1e9);
    } finally {
      if (grpc != null) {
        grpc.shutdownNow();
      }
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // a leftover temp dir is not worth failing the training
      }
    }
  }

  private static int running(TrainingNodeService service) {
    return (int) service.phases.values().stream().filter("Running"::equals).count();
  }

  private static boolean await(long deadline, BooleanSupplier done) throws InterruptedException {
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(50);
    }
    return true;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String nodeName(int i) {
    return "training-" + i;
  }

  private static String podName(int n) {
    return "train-" + n;
  }

  /** A bound pod as the api-server streams it to the agent (deleting: with its deletionTimestamp). */
  private static String pod(int n, int nodes, boolean deleting) {
    String name = podName(n);
    String uid = UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    String ts = "2026-01-01T00:00:00Z";
    return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + NS + "\",\"uid\":\"" + uid
        + "\",\"resourceVersion\":\"" + (2000 + n) + "\",\"creationTimestamp\":\"" + ts + "\",\"labels\":{\"app\":\"train\"}"
        + (deleting ? ",\"deletionTimestamp\":\"2026-01-01T00:01:00Z\",\"deletionGracePeriodSeconds\":30" : "") + "},"
        + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"keelson.local/busybox:latest\",\"resources\":{\"requests\":{\"cpu\":\"10m\","
        + "\"memory\":\"16Mi\"}},\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\","
        + "\"imagePullPolicy\":\"IfNotPresent\"}],\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\","
        + "\"serviceAccountName\":\"default\",\"nodeName\":\"" + nodeName(1 + n % nodes) + "\",\"schedulerName\":\"default-scheduler\","
        + "\"enableServiceLinks\":true,\"priority\":0,\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\","
        + "\"effect\":\"NoExecute\",\"tolerationSeconds\":300}]},"
        + "\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"}],"
        + "\"qosClass\":\"Burstable\"}}";
  }
}
