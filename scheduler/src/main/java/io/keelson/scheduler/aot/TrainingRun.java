package io.keelson.scheduler.aot;

import io.keelson.client.fake.InMemoryApiServer;
import io.keelson.scheduler.SchedulerMain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The scheduler's AOT training run ({@code keelson-scheduler --aot-training}): the real scheduler
 * (kubeconfig, TLS, informers, the lean pod watch, the scheduling loop, bindings, events, status
 * patches of unschedulable pods) against the client module's {@link InMemoryApiServer} in this
 * process, with the objects of {@link TrainingObjects}, until every pod that fits is bound (and
 * started: the training plays the agents). The launcher runs it once per jar build and JDK with
 * {@code -XX:AOTCacheOutput}, so that a freshly started scheduler finds its classes loaded and
 * linked and its hot methods' profiles recorded (JDK 25, JEPs 483/514/515) instead of paying for
 * class loading and profiling again during the burst of pods it meets first.
 *
 * <p>No cluster is needed and nothing leaves the process: the server listens on 127.0.0.1 and its
 * TLS key (made with the JDK's keytool, or plain HTTP if that fails) is thrown away.
 */
public final class TrainingRun {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private TrainingRun() {}

  /** Runs the workload; 0 when pods were bound (all of them, unless the time limit cut it short). */
  public static int run(int nodes, int pods, int timeoutSeconds) throws Exception {
    long t0 = System.nanoTime();
    Path dir = Files.createTempDirectory("keelson-aot-training");
    try {
      int listed = pods / 2;
      int unschedulable = Math.max(1, pods / 200);
      int schedulable = pods - unschedulable;
      // left running: the scheduler's threads still talk to it until the JVM exits right after this
      InMemoryApiServer api = InMemoryApiServer.start(dir);
      api.onChange(c -> startBoundPod(api, c));
      for (int i = 1; i <= nodes; i++) {
        api.create("nodes", TrainingObjects.node(i));
      }
      // half the pods are in the first list, the rest arrive on the watch while the first are scheduled
      for (int n = 0; n < listed; n++) {
        api.create("pods", TrainingObjects.pendingPod(n, n >= pods - unschedulable));
      }
      Path kubeconfig = api.writeKubeconfig(dir.resolve("kubeconfig"));
      Thread scheduler =
          Thread.ofPlatform()
              .name("training-scheduler")
              .daemon()
              .start(
                  () ->
                      new CommandLine(new SchedulerMain())
                          .execute("--kubeconfig", kubeconfig.toString(), "--metrics-port", "-1", "--leader-elect=false"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
      while (api.requests("POST pods/binding") == 0 && System.nanoTime() < deadline && scheduler.isAlive()) {
        Thread.sleep(10);
      }
      for (int n = listed; n < pods; n++) {
        api.create("pods", TrainingObjects.pendingPod(n, n >= pods - unschedulable));
      }
      while (api.requests("POST pods/binding") < schedulable && System.nanoTime() < deadline && scheduler.isAlive()) {
        Thread.sleep(20);
      }
      // the events trail the bindings: give them a moment
      long eventsDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      while (api.requests("POST events") < schedulable && System.nanoTime() < eventsDeadline) {
        Thread.sleep(20);
      }
      double s = (System.nanoTime() - t0) / 1e9;
      int bound = api.requests("POST pods/binding");
      System.out.printf(
          "keelson-scheduler: aot training %s: %d/%d pods bound on %d nodes, %d events, %d unschedulable reported, %.1f s%n",
          bound >= schedulable ? "done" : "cut short", bound, schedulable, nodes,
          api.requests("POST events"), api.requests("PATCH pods/status"), s);
      // a run cut short (a slow machine) still went through every path the scheduler takes
      return bound > 0 ? 0 : 1;
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** The agent's part: a pod the scheduler has just bound is reported Running on its node. */
  private static void startBoundPod(InMemoryApiServer api, InMemoryApiServer.Change c) {
    ObjectNode pod = c.object();
    if (!c.kind().plural().equals("pods") || !c.type().equals("MODIFIED") || !pod.path("spec").has("nodeName")
        || "Running".equals(pod.path("status").path("phase").asString())) {
      return;
    }
    String name = pod.path("metadata").path("name").asString();
    int n = Integer.parseInt(name.substring(name.lastIndexOf('-') + 1));
    String status = TrainingObjects.runningStatus(n, pod.path("metadata").path("uid").asString());
    api.update("pods", "training", name, p -> {
      p.set("status", JSON.readTree(status));
      return p;
    });
  }
}
