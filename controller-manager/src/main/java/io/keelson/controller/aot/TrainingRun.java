package io.keelson.controller.aot;

import io.keelson.client.fake.InMemoryApiServer;
import io.keelson.client.fake.InMemoryApiServer.Change;
import io.keelson.controller.ControllerManagerMain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import picocli.CommandLine;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The controller-manager's AOT training run ({@code keelson-controller-manager --aot-training}):
 * the real controller-manager (kubeconfig, TLS, discovery, leader election, shared informers, every
 * controller) against an {@link InMemoryApiServer} in this process, through what a benchmark
 * cluster puts it through: bursts of pods created, bound and started (pod add and update events at
 * scale, node Lease renewals), a Deployment's ReplicaSet creating and scaling its pods, a rollout,
 * a DaemonSet, and deletes that the garbage collector cascades. The training plays the scheduler
 * and the kubelets: pods are bound as they appear and then reported Running and Ready. The
 * launcher runs it once per jar build and JDK with {@code -XX:AOTCacheOutput} (JDK 25, JEPs
 * 483/514/515), so that a fresh controller-manager finds its classes loaded and linked and its hot
 * methods' profiles recorded.
 */
public final class TrainingRun {
  private static final String NS = "training";
  private static final String TS = "2026-01-01T00:00:01Z";

  private final InMemoryApiServer api;
  private final int nodes;
  /** Pods to bind, then to start (the scheduler's and the kubelets' work), done in order. */
  private final BlockingQueue<String[]> kubelet = new LinkedBlockingQueue<>();

  private TrainingRun(InMemoryApiServer api, int nodes) {
    this.api = api;
    this.nodes = nodes;
  }

  /** Runs the workload; 0 when the controllers went through it (all of it, unless the time limit cut it short). */
  public static int run(int nodes, int pods, int timeoutSeconds) throws Exception {
    long t0 = System.nanoTime();
    long deadline = t0 + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    Path dir = Files.createTempDirectory("keelson-aot-training");
    // left running: the controllers' threads still talk to it until the JVM exits right after this
    InMemoryApiServer api = InMemoryApiServer.start(dir);
    try {
      TrainingRun t = new TrainingRun(api, nodes);
      api.onChange(t::observe);
      Thread.ofPlatform().name("training-kubelet").daemon().start(t::kubeletLoop);
      t.seed();
      Path kubeconfig = api.writeKubeconfig(dir.resolve("kubeconfig"));
      Thread manager = Thread.ofPlatform().name("training-controller-manager").daemon().start(() ->
          new CommandLine(new ControllerManagerMain()).execute("--kubeconfig", kubeconfig.toString(), "--metrics-port", "0"));
      Thread.ofPlatform().name("training-leases").daemon().start(t::renewLeases);
      boolean ok = t.await(deadline, () -> api.requests("POST leases") > 0 || !manager.isAlive()) && manager.isAlive();
      // bare pods in a burst, as a benchmark creates them: add, bind, status
      int bare = pods / 2;
      for (int i = 0; i < bare; i++) {
        api.create("pods", t.pod("bare-" + i, "app", "bare"));
      }
      ok &= t.await(deadline, () -> t.running("app=bare") >= bare);
      // a Deployment: its ReplicaSet creates the pods, scales, and a rollout replaces them
      int replicas = pods / 4;
      api.create("deployments.apps", t.deployment("web", replicas, "v1"));
      ok &= t.await(deadline, () -> t.running("app=web") >= replicas);
      api.update("deployments.apps", NS, "web", d -> {
        ((ObjectNode) d.path("spec").path("template").path("metadata").path("labels")).put("version", "v2");
        return d;
      });
      ok &= t.await(deadline, () -> t.readyReplicas("web", 2) >= replicas);
      // a DaemonSet: a pod per node
      api.create("daemonsets.apps", t.daemonSet("agent"));
      ok &= t.await(deadline, () -> t.running("app=agent") >= nodes);
      // deletes: bare pods one by one, then the Deployment (the garbage collector removes its ReplicaSets and pods)
      for (int i = 0; i < bare / 2; i++) {
        api.delete("pods", NS, "bare-" + i);
      }
      api.delete("deployments.apps", NS, "web");
      ok &= t.await(deadline, () -> t.running("app=web") == 0 && api.count("replicasets.apps") == 0);
      System.out.printf(
          "keelson-controller-manager: aot training %s: %d nodes, %d pods created (%d by the controllers), %d deleted, %d events,"
              + " %.1f s (phases: leader, bare pods, deployment, rollout, daemonset, deletes: %s s)%n",
          ok ? "done" : "cut short", nodes, api.requests("POST pods") + bare, api.requests("POST pods"),
          api.requests("DELETE pods"), api.requests("POST events"), (System.nanoTime() - t0) / 1e9, t.phases);
      // a run cut short (a slow machine) still went through the paths it reached
      return api.requests("POST pods") > 0 ? 0 : 1;
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // a leftover temp dir is not worth failing the training
      }
    }
  }

  private final StringBuilder phases = new StringBuilder();
  private long phaseStart = System.nanoTime();

  /** Waits for a phase's outcome, noting how long it took. */
  private boolean await(long deadline, BooleanSupplier done) throws InterruptedException {
    try {
      while (!done.getAsBoolean()) {
        if (System.nanoTime() > deadline) {
          return false;
        }
        Thread.sleep(100);
      }
      return true;
    } finally {
      long now = System.nanoTime();
      phases.append(phases.isEmpty() ? "" : " ").append(String.format("%.1f", (now - phaseStart) / 1e9));
      phaseStart = now;
    }
  }

  /** Namespaces, Ready nodes with their Leases. */
  private void seed() {
    for (String ns : new String[] {"default", "kube-system", "kube-node-lease", NS}) {
      api.create("namespaces", "{\"metadata\":{\"name\":\"" + ns + "\"},\"spec\":{\"finalizers\":[\"kubernetes\"]},\"status\":{\"phase\":\"Active\"}}");
    }
    for (int i = 1; i <= nodes; i++) {
      api.create("nodes", node(i));
      api.create("leases.coordination.k8s.io", "{\"metadata\":{\"name\":\"" + nodeName(i) + "\",\"namespace\":\"kube-node-lease\"},\"spec\":{\"holderIdentity\":\""
          + nodeName(i) + "\",\"leaseDurationSeconds\":40,\"renewTime\":\"" + micros(Instant.now()) + "\"}}");
    }
    // a Service in front of the Deployment's pods: the endpoints and endpointslice controllers follow them
    api.create("services", "{\"metadata\":{\"name\":\"web\",\"namespace\":\"" + NS + "\",\"uid\":\"svc-web\"},\"spec\":{\"selector\":"
        + "{\"app\":\"web\"},\"clusterIP\":\"10.96.0.80\",\"ports\":[{\"port\":80,\"protocol\":\"TCP\",\"targetPort\":8080}]}}");
  }

  /** The agents renew every node's Lease (every 10 s each; here a tenth of them every second). */
  private void renewLeases() {
    for (int round = 0; ; round++) {
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        return;
      }
      String now = micros(Instant.now());
      for (int i = 1 + round % 10; i <= nodes; i += 10) {
        api.update("leases.coordination.k8s.io", "kube-node-lease", nodeName(i), l -> {
          ((ObjectNode) l.path("spec")).put("renewTime", now);
          return l;
        });
      }
    }
  }

  /** New pods without a node go to the kubelet queue (bound, then started); pods already bound but not Running too. */
  private void observe(Change c) {
    if (!c.kind().plural().equals("pods") || c.type().equals("DELETED")) {
      return;
    }
    ObjectNode pod = c.object();
    if (pod.path("metadata").has("deletionTimestamp") || "Running".equals(pod.path("status").path("phase").asString())) {
      return;
    }
    String name = pod.path("metadata").path("name").asString();
    String node = pod.path("spec").path("nodeName").asString("");
    if (node.isEmpty()) {
      kubelet.add(new String[] {"bind", name});
    } else if (!pod.path("status").path("conditions").isArray()) {
      kubelet.add(new String[] {"start", name});
    }
  }

  private void kubeletLoop() {
    int n = 0;
    while (true) {
      String[] job;
      try {
        job = kubelet.take();
      } catch (InterruptedException e) {
        return;
      }
      String node = nodeName(1 + n++ % nodes);
      api.update("pods", NS, job[1], p -> {
        if (job[0].equals("bind")) {
          // a DaemonSet's pods come with their node in their affinity; the scheduler puts them there
          String wanted = p.path("spec").path("affinity").path("nodeAffinity").path("requiredDuringSchedulingIgnoredDuringExecution")
              .path("nodeSelectorTerms").path(0).path("matchFields").path(0).path("values").path(0).asString("");
          ((ObjectNode) p.path("spec")).put("nodeName", wanted.isEmpty() ? node : wanted);
          (p.has("status") ? (ObjectNode) p.get("status") : p.putObject("status")).put("phase", "Pending");
        } else {
          p.set("status", runningStatus(p));
        }
        return p;
      });
    }
  }

  private ObjectNode runningStatus(ObjectNode pod) {
    ObjectNode s = pod.objectNode();
    s.put("phase", "Running");
    ArrayNode conditions = s.putArray("conditions");
    for (String type : new String[] {"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"}) {
      conditions.addObject().put("type", type).put("status", "True").put("lastTransitionTime", TS);
    }
    s.put("hostIP", "127.0.0.1").put("podIP", "10.88.0." + (Math.abs(pod.path("metadata").path("name").asString().hashCode()) % 250 + 2))
        .put("startTime", TS).put("qosClass", "Burstable");
    ArrayNode statuses = s.putArray("containerStatuses");
    statuses.addObject().put("name", "c").put("ready", true).put("restartCount", 0).put("started", true)
        .put("image", "keelson.local/busybox:latest").put("imageID", "sha256:0000")
        .put("containerID", "fake://" + pod.path("metadata").path("uid").asString())
        .putObject("state").putObject("running").put("startedAt", TS);
    return s;
  }

  /** Running pods with a label (name=value). */
  private int running(String label) {
    String[] kv = label.split("=");
    return api.count("pods", p -> kv[1].equals(p.path("metadata").path("labels").path(kv[0]).asString())
        && "Running".equals(p.path("status").path("phase").asString()));
  }

  /** readyReplicas of the Deployment once it has observed its generation {@code generation}. */
  private int readyReplicas(String name, int generation) {
    int[] ready = {0};
    api.count("deployments.apps", d -> {
      if (d.path("metadata").path("name").asString().equals(name)
          && d.path("status").path("observedGeneration").asInt() >= generation
          && d.path("status").path("updatedReplicas").asInt() == d.path("spec").path("replicas").asInt()) {
        ready[0] = d.path("status").path("readyReplicas").asInt();
      }
      return false;
    });
    return ready[0];
  }

  private static final String CONTAINERS =
      "\"containers\":[{\"name\":\"c\",\"image\":\"keelson.local/busybox:latest\",\"resources\":{\"requests\":{\"cpu\":\"10m\",\"memory\":\"16Mi\"}},"
          + "\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":\"IfNotPresent\"}],"
          + "\"restartPolicy\":\"Always\",\"dnsPolicy\":\"ClusterFirst\",\"schedulerName\":\"default-scheduler\",\"terminationGracePeriodSeconds\":30,"
          + "\"securityContext\":{},\"enableServiceLinks\":true,\"serviceAccountName\":\"default\",\"priority\":0,"
          + "\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300},"
          + "{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}]";

  /** A pending pod as the api-server returns it after defaulting. */
  private String pod(String name, String label, String value) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + NS + "\",\"labels\":{\"" + label
        + "\":\"" + value + "\"}},\"spec\":{" + CONTAINERS + "},\"status\":{\"phase\":\"Pending\",\"qosClass\":\"Burstable\"}}";
  }

  private String template(String app, String version) {
    return "\"selector\":{\"matchLabels\":{\"app\":\"" + app + "\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"" + app
        + "\",\"version\":\"" + version + "\"}},\"spec\":{" + CONTAINERS + "}}";
  }

  private String deployment(String name, int replicas, String version) {
    return "{\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + NS + "\"},\"spec\":{\"replicas\":" + replicas
        + ",\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":\"25%\",\"maxUnavailable\":\"25%\"}},"
        + "\"revisionHistoryLimit\":10,\"progressDeadlineSeconds\":600," + template(name, version) + "}}";
  }

  private String daemonSet(String name) {
    return "{\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + NS + "\"},\"spec\":{\"updateStrategy\":{\"type\":\"RollingUpdate\","
        + "\"rollingUpdate\":{\"maxUnavailable\":1}},\"revisionHistoryLimit\":10," + template(name, "v1") + "}}";
  }

  private static String nodeName(int i) {
    return "training-" + i;
  }

  private static final DateTimeFormatter MICROS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  /** A Lease's MicroTime. */
  private static String micros(Instant t) {
    return MICROS.format(t);
  }

  /** A hollow node as the agent registers it (Ready, with its heartbeat). */
  private static String node(int i) {
    String name = nodeName(i);
    String now = Instant.now().toString();
    String cond = "{\"lastHeartbeatTime\":\"" + now + "\",\"lastTransitionTime\":\"" + TS + "\",";
    return "{\"metadata\":{\"labels\":{\"kubernetes.io/hostname\":\"" + name + "\",\"kubernetes.io/os\":\"linux\",\"kubernetes.io/arch\":\"amd64\","
        + "\"keelson.io/hollow\":\"true\"},\"name\":\"" + name + "\",\"uid\":\"" + UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)) + "\"},"
        + "\"spec\":{\"podCIDR\":\"10.244." + i % 250 + ".0/24\"},"
        + "\"status\":{\"addresses\":[{\"address\":\"127.0.0.1\",\"type\":\"InternalIP\"},{\"address\":\"" + name + "\",\"type\":\"Hostname\"}],"
        + "\"allocatable\":{\"cpu\":\"2000m\",\"memory\":\"24731708Ki\",\"pods\":\"110\"},\"capacity\":{\"cpu\":\"2\",\"memory\":\"24731708Ki\",\"pods\":\"110\"},"
        + "\"conditions\":[" + cond + "\"message\":\"ok\",\"reason\":\"KubeletHasSufficientMemory\",\"status\":\"False\",\"type\":\"MemoryPressure\"},"
        + cond + "\"message\":\"ok\",\"reason\":\"KubeletReady\",\"status\":\"True\",\"type\":\"Ready\"}],"
        + "\"nodeInfo\":{\"architecture\":\"amd64\",\"containerRuntimeVersion\":\"keelson://fake\",\"kubeletVersion\":\"v1.32.4-keelson\",\"operatingSystem\":\"linux\"}}}";
  }
}
