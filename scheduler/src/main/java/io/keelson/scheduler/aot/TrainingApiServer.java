package io.keelson.scheduler.aot;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;

/**
 * Just enough of an api-server, in this process, for the scheduler's AOT training run: the lists
 * and watches its informers make (nodes, pods, PriorityClasses, RuntimeClasses), bindings, events
 * and status patches, answered with the JSON shapes the real api-server sends (managedFields,
 * defaulted specs, the agent's Running status after a binding). Nothing is stored beyond a
 * counter; a binding is answered and echoed on the pod watch as the real server would.
 */
final class TrainingApiServer {
  private static final byte[] EMPTY_WATCH_END = new byte[0];

  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final int nodes;
  private final int listedPods;
  private final int watchedPods;
  private final int unschedulablePods;
  /** Lines for the pod watch stream (each one event); an empty array ends the stream. */
  private final BlockingQueue<byte[]> podEvents = new LinkedBlockingQueue<>();
  private final AtomicLong resourceVersion = new AtomicLong(1000);
  final AtomicInteger bindings = new AtomicInteger();
  final AtomicInteger statusPatches = new AtomicInteger();
  final AtomicInteger events = new AtomicInteger();
  private volatile boolean closed;

  /**
   * @param ssl TLS for the server, or null for plain HTTP
   * @param nodes hollow-like nodes to list
   * @param listedPods pending pods in the first pod list
   * @param watchedPods pending pods that arrive afterwards as ADDED on the pod watch
   * @param unschedulablePods pending pods no node fits (requests more CPU than any node has)
   */
  TrainingApiServer(SSLContext ssl, int nodes, int listedPods, int watchedPods, int unschedulablePods) throws IOException {
    InetSocketAddress addr = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    if (ssl != null) {
      HttpsServer https = HttpsServer.create(addr, 128);
      https.setHttpsConfigurator(new HttpsConfigurator(ssl));
      server = https;
    } else {
      server = HttpServer.create(addr, 128);
    }
    this.nodes = nodes;
    this.listedPods = listedPods;
    this.watchedPods = watchedPods;
    this.unschedulablePods = unschedulablePods;
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  void start() {
    server.start();
  }

  String url() {
    return (server instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The pods that can be bound (the rest no node fits). */
  int schedulablePods() {
    return listedPods + watchedPods - unschedulablePods;
  }

  /** Pods arriving while the scheduler runs, as the real watch delivers created pods. */
  void addWatchedPods() {
    for (int i = 0; i < watchedPods; i++) {
      int n = listedPods + i;
      podEvents.add(event("ADDED", pendingPod(n, n >= listedPods + watchedPods - unschedulablePods)));
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      String query = ex.getRequestURI().getRawQuery();
      boolean watch = query != null && query.contains("watch=true");
      String method = ex.getRequestMethod();
      try (InputStream in = ex.getRequestBody()) {
        in.transferTo(OutputStream.nullOutputStream());
      }
      ex.getResponseHeaders().add("Content-Type", "application/json");
      if (method.equals("GET") && path.equals("/api/v1/pods")) {
        if (watch) {
          streamPodWatch(ex);
        } else {
          answer(ex, 200, podList());
        }
      } else if (method.equals("GET") && path.equals("/api/v1/nodes")) {
        if (watch) {
          idleWatch(ex);
        } else {
          answer(ex, 200, nodeList());
        }
      } else if (method.equals("GET") && (path.endsWith("/priorityclasses") || path.endsWith("/runtimeclasses"))) {
        if (watch) {
          idleWatch(ex);
        } else {
          String kind = path.endsWith("/priorityclasses") ? "PriorityClassList" : "RuntimeClassList";
          String group = path.endsWith("/priorityclasses") ? "scheduling.k8s.io/v1" : "node.k8s.io/v1";
          answer(ex, 200, "{\"kind\":\"" + kind + "\",\"apiVersion\":\"" + group + "\",\"metadata\":{\"resourceVersion\":\"" + resourceVersion.get() + "\"},\"items\":[]}");
        }
      } else if (method.equals("POST") && path.endsWith("/binding")) {
        bind(ex, path);
      } else if (method.equals("POST") && path.endsWith("/events")) {
        events.incrementAndGet();
        answer(ex, 201, "{\"kind\":\"Event\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"" + resourceVersion.incrementAndGet() + "\"}}");
      } else if (method.equals("PATCH") && path.endsWith("/status")) {
        statusPatches.incrementAndGet();
        answer(ex, 200, "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"" + resourceVersion.incrementAndGet() + "\"}}");
      } else {
        answer(ex, 404, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"not served by the training server\",\"reason\":\"NotFound\",\"code\":404}");
      }
    }
  }

  private static void answer(HttpExchange ex, int code, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(code, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  /** A binding: answered, then the pod bound (MODIFIED) and Running on its node (MODIFIED) on the watch. */
  private void bind(HttpExchange ex, String path) throws IOException {
    // /api/v1/namespaces/{ns}/pods/{name}/binding
    String[] parts = path.split("/");
    String name = parts[parts.length - 2];
    int n = Integer.parseInt(name.substring(name.lastIndexOf('-') + 1));
    int node = 1 + (n % nodes);
    answer(ex, 201, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\",\"code\":201}");
    podEvents.add(event("MODIFIED", boundPod(n, node, false)));
    podEvents.add(event("MODIFIED", boundPod(n, node, true)));
    bindings.incrementAndGet();
  }

  private void streamPodWatch(HttpExchange ex) throws IOException {
    ex.sendResponseHeaders(200, 0);
    try (OutputStream out = ex.getResponseBody()) {
      while (!closed) {
        byte[] line;
        try {
          line = podEvents.poll(200, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          return;
        }
        if (line == null) {
          out.flush();
          continue;
        }
        if (line == EMPTY_WATCH_END) {
          return;
        }
        out.write(line);
        // a burst goes out in one chunk, as the real server's buffered writer sends it
        if (podEvents.isEmpty()) {
          out.flush();
        }
      }
    }
  }

  /** A watch that stays open with nothing to say (nodes and classes do not change in training). */
  private void idleWatch(HttpExchange ex) throws IOException {
    ex.sendResponseHeaders(200, 0);
    try (OutputStream out = ex.getResponseBody()) {
      out.flush();
      while (!closed) {
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private byte[] event(String type, String object) {
    return ("{\"type\":\"" + type + "\",\"object\":" + object + "}\n").getBytes(StandardCharsets.UTF_8);
  }

  private String podList() {
    StringBuilder b = new StringBuilder(listedPods * 1800 + 200);
    b.append("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"").append(resourceVersion.get()).append("\"},\"items\":[");
    for (int i = 0; i < listedPods; i++) {
      if (i > 0) {
        b.append(',');
      }
      boolean unschedulable = watchedPods == 0 && i >= listedPods - unschedulablePods;
      b.append(pendingPod(i, unschedulable));
    }
    return b.append("]}").toString();
  }

  private String nodeList() {
    StringBuilder b = new StringBuilder(nodes * 2500 + 200);
    b.append("{\"kind\":\"NodeList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"").append(resourceVersion.get()).append("\"},\"items\":[");
    for (int i = 1; i <= nodes; i++) {
      if (i > 1) {
        b.append(',');
      }
      b.append(node(i));
    }
    return b.append("]}").toString();
  }

  private static String node(int i) {
    String name = "training-" + i;
    String ts = "2026-01-01T00:00:00Z";
    String cond = "{\"lastHeartbeatTime\":\"" + ts + "\",\"lastTransitionTime\":\"" + ts + "\",";
    return "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"labels\":{\"kubernetes.io/hostname\":\"" + name
        + "\",\"kubernetes.io/os\":\"linux\",\"kubernetes.io/arch\":\"amd64\",\"keelson.io/hollow\":\"true\"},\"name\":\"" + name
        + "\",\"uid\":\"" + UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)) + "\",\"creationTimestamp\":\"" + ts
        + "\",\"managedFields\":[{\"manager\":\"keelson-agent\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"time\":\"" + ts
        + "\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:keelson.io/hollow\":{},\"f:kubernetes.io/hostname\":{}}},\"f:spec\":{}}}],"
        + "\"resourceVersion\":\"" + (10 + i) + "\"},"
        + "\"spec\":" + (i % 10 == 0 ? "{\"taints\":[{\"key\":\"training/dedicated\",\"value\":\"x\",\"effect\":\"NoSchedule\"}]}" : "{}") + ","
        + "\"status\":{\"addresses\":[{\"address\":\"127.0.0.1\",\"type\":\"InternalIP\"},{\"address\":\"" + name + "\",\"type\":\"Hostname\"}],"
        + "\"allocatable\":{\"cpu\":\"2000m\",\"memory\":\"24731708Ki\",\"pods\":\"110\",\"ephemeral-storage\":\"264212084Ki\"},"
        + "\"capacity\":{\"cpu\":\"2\",\"memory\":\"24731708Ki\",\"pods\":\"110\",\"ephemeral-storage\":\"264212084Ki\"},"
        + "\"conditions\":[" + cond + "\"message\":\"ok\",\"reason\":\"KubeletHasSufficientMemory\",\"status\":\"False\",\"type\":\"MemoryPressure\"},"
        + cond + "\"message\":\"ok\",\"reason\":\"KubeletReady\",\"status\":\"True\",\"type\":\"Ready\"}],"
        + "\"nodeInfo\":{\"architecture\":\"amd64\",\"containerRuntimeVersion\":\"keelson://fake\",\"kubeletVersion\":\"v1.32.4-keelson\",\"operatingSystem\":\"linux\"}}}";
  }

  private static String uid(int n) {
    return UUID.nameUUIDFromBytes(("pod-" + n).getBytes(StandardCharsets.UTF_8)).toString();
  }

  private static final String MANAGED_FIELDS =
      "\"managedFields\":[{\"manager\":\"kubectl-create\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"time\":\"2026-01-01T00:00:00Z\","
          + "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}},\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":"
          + "{\".\":{},\"f:image\":{},\"f:name\":{},\"f:resources\":{\"f:requests\":{\".\":{},\"f:cpu\":{},\"f:memory\":{}}}}},\"f:dnsPolicy\":{},\"f:restartPolicy\":{}}}}]";

  /** A pod as the api-server returns it after defaulting and admission. */
  private String pod(int n, String cpu, String nodeName, String status, String rv) {
    String name = "train-" + n;
    String spread = n % 7 == 0
        ? ",\"topologySpreadConstraints\":[{\"maxSkew\":5,\"topologyKey\":\"kubernetes.io/hostname\",\"whenUnsatisfiable\":\"ScheduleAnyway\",\"labelSelector\":{\"matchLabels\":{\"app\":\"spread\"}}}]"
        : "";
    String affinity = n % 11 == 0
        ? ",\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"kubernetes.io/os\",\"operator\":\"In\",\"values\":[\"linux\"]}]}]}}}"
        : "";
    return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\",\"labels\":{\"app\":\"" + (n % 7 == 0 ? "spread" : "train")
        + "\"},\"namespace\":\"training\",\"uid\":\"" + uid(n) + "\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\",\"generation\":1,"
        + MANAGED_FIELDS + ",\"resourceVersion\":\"" + rv + "\"},"
        + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"keelson.local/busybox:latest\",\"resources\":{\"requests\":{\"cpu\":\"" + cpu
        + "\",\"memory\":\"16Mi\"}},\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":\"IfNotPresent\"}],"
        + "\"restartPolicy\":\"Always\",\"dnsPolicy\":\"ClusterFirst\",\"schedulerName\":\"default-scheduler\",\"terminationGracePeriodSeconds\":30,"
        + (nodeName == null ? "" : "\"nodeName\":\"" + nodeName + "\",")
        + "\"securityContext\":{},\"enableServiceLinks\":true,\"serviceAccountName\":\"default\",\"serviceAccount\":\"default\","
        + "\"preemptionPolicy\":\"PreemptLowerPriority\",\"priority\":0,"
        + "\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300},"
        + "{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}]"
        + spread + affinity + "},\"status\":" + status + "}";
  }

  private String pendingPod(int n, boolean unschedulable) {
    return pod(n, unschedulable ? "5000" : "10m", null, "{\"phase\":\"Pending\",\"qosClass\":\"Burstable\"}", "" + resourceVersion.incrementAndGet());
  }

  private String boundPod(int n, int node, boolean running) {
    String ts = "2026-01-01T00:00:01Z";
    String status = running
        ? "{\"phase\":\"Running\",\"conditions\":[{\"type\":\"PodReadyToStartContainers\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"},"
            + "{\"type\":\"Initialized\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"},{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"},"
            + "{\"type\":\"ContainersReady\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"},{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"}],"
            + "\"hostIP\":\"127.0.0.1\",\"hostIPs\":[{\"ip\":\"127.0.0.1\"}],\"podIP\":\"10.88.0." + (n % 250 + 2) + "\",\"startTime\":\"" + ts + "\","
            + "\"containerStatuses\":[{\"name\":\"c\",\"state\":{\"running\":{\"startedAt\":\"" + ts + "\"}},\"ready\":true,\"restartCount\":0,"
            + "\"image\":\"keelson.local/busybox:latest\",\"imageID\":\"sha256:0000\",\"containerID\":\"fake://" + uid(n) + "\",\"started\":true}],\"qosClass\":\"Burstable\"}"
        : "{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"}],\"qosClass\":\"Burstable\"}";
    return pod(n, "10m", "training-" + node, status, "" + resourceVersion.incrementAndGet());
  }

  void close() {
    closed = true;
    podEvents.add(EMPTY_WATCH_END);
    server.stop(0);
    executor.shutdownNow();
  }
}
