package io.keelson.apiserver.aot;

import com.google.protobuf.ByteString;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.keelson.proto.node.v1.ConfirmPodTerminationRequest;
import io.keelson.proto.node.v1.NodeServiceGrpc;
import io.keelson.proto.node.v1.PodAssignment;
import io.keelson.proto.node.v1.PodStatusUpdate;
import io.keelson.proto.node.v1.RegisterNodeRequest;
import io.keelson.proto.node.v1.RenewLeaseRequest;
import io.keelson.proto.node.v1.ReportPodStatusRequest;
import io.keelson.proto.node.v1.ReportPodStatusResponse;
import io.keelson.proto.node.v1.UpdateNodeStatusRequest;
import io.keelson.proto.node.v1.WatchPodAssignmentsRequest;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The requests a benchmark cluster sends a fresh api-server, in the shapes its real clients send
 * them, so that the training run goes through the same server paths: hollow agents over gRPC
 * (RegisterNode, RenewLease, UpdateNodeStatus, WatchPodAssignments, ReportPodStatus,
 * ConfirmPodTermination), informers' lists and watches of pods and nodes, discovery, pod creates
 * (bare and owned by a ReplicaSet), the scheduler's bindings, events and unschedulable status
 * patches, leader-election Leases, Deployment and ReplicaSet status updates, kubectl's Table
 * reads, and graceful pod deletes that the agent confirms.
 */
final class TrainingWorkload {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern LIST_RV = Pattern.compile("\"resourceVersion\":\"(\\d+)\"");
  private static final String NS = "training";
  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** What the run went through. */
  record Summary(int created, int bound, int running, int deleted, long watchEvents, boolean complete) {}

  private final Path dir;
  private final String base;
  private final int grpcPort;
  private final int nodes;
  private final int pods;
  private final String token;
  private final HttpClient http;
  private final ExecutorService workers = Executors.newFixedThreadPool(16);
  private final List<Thread> watchers = new ArrayList<>();
  private final AtomicInteger created = new AtomicInteger();
  private final AtomicInteger bound = new AtomicInteger();
  private final AtomicLong watchEvents = new AtomicLong();
  /** Pods the agent role has reported Running / seen deleted (by name). */
  private final Set<String> running = ConcurrentHashMap.newKeySet();
  private final Set<String> deleted = ConcurrentHashMap.newKeySet();
  private volatile boolean stopping;

  TrainingWorkload(Path dir, int apiPort, int grpcPort, int nodes, int pods) throws Exception {
    this.dir = dir;
    this.base = "https://127.0.0.1:" + apiPort;
    this.grpcPort = grpcPort;
    this.nodes = nodes;
    this.pods = pods;
    this.token = Files.readString(dir.resolve("tls/admin.token")).trim();
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trustingCa())
        .connectTimeout(Duration.ofSeconds(10)).executor(Executors.newVirtualThreadPerTaskExecutor()).build();
  }

  Summary run(long deadline) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort)
        .sslContext(GrpcSslContexts.forClient().trustManager(dir.resolve("tls/ca.crt").toFile()).build())
        .overrideAuthority("127.0.0.1").maxInboundMessageSize(64 << 20).build();
    try {
      NodeServiceGrpc.NodeServiceBlockingStub blocking = NodeServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer());
      NodeServiceGrpc.NodeServiceStub async = NodeServiceGrpc.newStub(channel).withCallCredentials(bearer());
      waitReady(deadline);
      discovery();
      call("POST", "/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + NS + "\"}}", 201);
      registerNodes(blocking);
      watch("/api/v1/pods");
      watch("/api/v1/pods");
      watch("/api/v1/nodes");
      watch("/apis/apps/v1/replicasets");
      watch("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases");
      StreamObserver<ReportPodStatusRequest> status = async.reportPodStatus(ignore());
      watchAssignments(async, blocking, status);
      workloadObjects();
      // pods in waves: create, (some) report unschedulable, bind, event; the agent role answers with status
      int rs = pods / 10;
      List<Future<?>> all = new ArrayList<>();
      for (int i = 0; i < pods; i++) {
        int n = i;
        all.add(workers.submit(() -> schedulePod(n, n < rs)));
        if (i % 200 == 199) {
          renewLeases(blocking);
          leaderElection(i / 200);
        }
      }
      for (Future<?> f : all) {
        f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
      while (running.size() < pods && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      readsAsKubectl();
      // graceful deletes the agent confirms; then a relist like an informer's after a 410
      int toDelete = pods / 10;
      List<Future<?>> deletes = new ArrayList<>();
      for (int i = 0; i < toDelete; i++) {
        int n = pods - 1 - i;
        deletes.add(workers.submit(() -> call("DELETE", "/api/v1/namespaces/" + NS + "/pods/" + podName(n), null, 200)));
      }
      for (Future<?> f : deletes) {
        f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
      while (deleted.size() < toDelete && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      call("GET", "/api/v1/pods", null, 200);
      status.onCompleted();
      return new Summary(created.get(), bound.get(), running.size(), deleted.size(), watchEvents.get(),
          running.size() >= pods && deleted.size() >= toDelete);
    } finally {
      stopping = true;
      workers.shutdownNow();
      watchers.forEach(Thread::interrupt);
      channel.shutdownNow();
    }
  }

  private void waitReady(long deadline) throws Exception {
    while (System.nanoTime() < deadline) {
      try {
        if (send("GET", "/readyz", null).statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException e) {
        // not serving yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the api-server did not become ready");
  }

  /** What kubectl and fabric8 ask before their first request. */
  private void discovery() throws Exception {
    for (String p : List.of("/version", "/api", "/apis", "/api/v1", "/apis/apps/v1", "/apis/coordination.k8s.io/v1", "/openapi/v3")) {
      call("GET", p, null, 200);
    }
  }

  /** Hollow agents register their nodes, report node status and renew their Leases. */
  private void registerNodes(NodeServiceGrpc.NodeServiceBlockingStub grpc) throws Exception {
    List<Future<?>> all = new ArrayList<>();
    for (int i = 1; i <= nodes; i++) {
      int n = i;
      all.add(workers.submit(() -> {
        grpc.withDeadlineAfter(30, TimeUnit.SECONDS).registerNode(RegisterNodeRequest.newBuilder()
            .setNodeJson(ByteString.copyFromUtf8(node(n))).setAgentToken("training-agent-" + n).build());
        return null;
      }));
    }
    for (Future<?> f : all) {
      f.get(60, TimeUnit.SECONDS);
    }
    renewLeases(grpc);
    for (int i = 1; i <= Math.min(nodes, 20); i++) {
      grpc.updateNodeStatus(UpdateNodeStatusRequest.newBuilder().setNodeName(nodeName(i))
          .setStatusJson(ByteString.copyFromUtf8("{\"conditions\":" + nodeConditions("2026-01-01T00:00:10Z") + "}")).build());
    }
  }

  private void renewLeases(NodeServiceGrpc.NodeServiceBlockingStub grpc) {
    RenewLeaseRequest.Builder req = RenewLeaseRequest.newBuilder().setLeaseDurationSeconds(40);
    for (int i = 1; i <= nodes; i++) {
      req.addNodeNames(nodeName(i));
    }
    grpc.withDeadlineAfter(30, TimeUnit.SECONDS).renewLease(req.build());
  }

  /**
   * The agent's side of a pod: bound pods arrive on the assignment stream, the agent answers with
   * a Running status; a pod with a deletionTimestamp is confirmed terminated.
   */
  private void watchAssignments(NodeServiceGrpc.NodeServiceStub async, NodeServiceGrpc.NodeServiceBlockingStub blocking,
      StreamObserver<ReportPodStatusRequest> status) {
    WatchPodAssignmentsRequest.Builder req = WatchPodAssignmentsRequest.newBuilder();
    for (int i = 1; i <= nodes; i++) {
      req.addNodeNames(nodeName(i));
    }
    async.watchPodAssignments(req.build(), new StreamObserver<>() {
      @Override
      public void onNext(PodAssignment a) {
        if (a.getType() == PodAssignment.Type.SYNCED) {
          return;
        }
        JsonNode pod = JSON.readTree(a.getPodJson().toStringUtf8());
        JsonNode meta = pod.path("metadata");
        String name = meta.path("name").asString();
        String uid = meta.path("uid").asString();
        if (a.getType() == PodAssignment.Type.DELETED) {
          deleted.add(name);
        } else if (meta.has("deletionTimestamp")) {
          workers.submit(() -> blocking.confirmPodTermination(ConfirmPodTerminationRequest.newBuilder()
              .setNamespace(NS).setName(name).setUid(uid).build()));
        } else if (!"Running".equals(pod.path("status").path("phase").asString()) && running.add(name)) {
          synchronized (status) {
            status.onNext(ReportPodStatusRequest.newBuilder().addUpdates(PodStatusUpdate.newBuilder()
                .setNamespace(NS).setName(name).setUid(uid)
                .setStatusJson(ByteString.copyFromUtf8(runningStatus(name, uid, a.getNodeName())))).build());
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        if (!stopping) {
          System.err.println("keelson server: aot training: assignment stream: " + t);
        }
      }

      @Override
      public void onCompleted() {}
    });
  }

  /** The objects the controller-manager keeps: a Deployment, its ReplicaSet, status updates. */
  private void workloadObjects() throws Exception {
    String template = "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
        + "\"image\":\"keelson.local/busybox:latest\",\"resources\":{\"requests\":{\"cpu\":\"10m\",\"memory\":\"16Mi\"}}}]}}";
    String deploy = call("POST", "/apis/apps/v1/namespaces/" + NS + "/deployments",
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":" + (pods / 10)
            + ",\"selector\":{\"matchLabels\":{\"app\":\"web\"}}," + template + "}}", 201);
    String deployUid = JSON.readTree(deploy).path("metadata").path("uid").asString();
    call("POST", "/apis/apps/v1/namespaces/" + NS + "/replicasets",
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"web-1\",\"labels\":{\"app\":\"web\"},"
            + "\"annotations\":{\"deployment.kubernetes.io/revision\":\"1\"},\"ownerReferences\":[{\"apiVersion\":\"apps/v1\","
            + "\"kind\":\"Deployment\",\"name\":\"web\",\"uid\":\"" + deployUid + "\",\"controller\":true,\"blockOwnerDeletion\":true}]},"
            + "\"spec\":{\"replicas\":" + (pods / 10) + ",\"selector\":{\"matchLabels\":{\"app\":\"web\"}}," + template + "}}", 201);
    for (int i = 0; i < 5; i++) {
      JsonNode rs = JSON.readTree(call("GET", "/apis/apps/v1/namespaces/" + NS + "/replicasets/web-1", null, 200));
      String rv = rs.path("metadata").path("resourceVersion").asString();
      call("PUT", "/apis/apps/v1/namespaces/" + NS + "/replicasets/web-1/status",
          "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"web-1\",\"namespace\":\"" + NS
              + "\",\"resourceVersion\":\"" + rv + "\"},\"spec\":{\"replicas\":" + (pods / 10) + ",\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
              + template + "},\"status\":{\"replicas\":" + i + ",\"fullyLabeledReplicas\":" + i + ",\"observedGeneration\":1}}", 200);
      call("PATCH", "/apis/apps/v1/namespaces/" + NS + "/deployments/web/status",
          "{\"status\":{\"observedGeneration\":1,\"replicas\":" + i + ",\"updatedReplicas\":" + i + "}}", 200,
          "application/merge-patch+json");
    }
  }

  /** One pod through the control plane, as the benchmark's client, the scheduler and the controller-manager do. */
  private Void schedulePod(int n, boolean owned) throws Exception {
    String name = podName(n);
    call("POST", "/api/v1/namespaces/" + NS + "/pods", pod(n, owned), 201);
    created.incrementAndGet();
    String path = "/api/v1/namespaces/" + NS + "/pods/" + name;
    if (n % 25 == 0) {
      // the scheduler's unschedulable report first (strategic merge on status), then a retry that fits
      call("PATCH", path + "/status", "{\"status\":{\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\","
          + "\"reason\":\"Unschedulable\",\"message\":\"0/" + nodes + " nodes are available.\"}]}}", 200,
          "application/strategic-merge-patch+json");
    }
    String node = nodeName(1 + n % nodes);
    call("POST", path + "/binding", "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"" + name
        + "\",\"namespace\":\"" + NS + "\"},\"target\":{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\"" + node + "\"}}", 201);
    bound.incrementAndGet();
    String now = "2026-01-01T00:00:01Z";
    call("POST", "/api/v1/namespaces/" + NS + "/events", "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"name\":\"" + name
        + "." + Long.toHexString(n * 7919L + 1) + "\",\"namespace\":\"" + NS + "\"},\"involvedObject\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
        + "\"name\":\"" + name + "\",\"namespace\":\"" + NS + "\"},\"reason\":\"Scheduled\",\"message\":\"Successfully assigned " + NS + "/"
        + name + " to " + node + "\",\"source\":{\"component\":\"default-scheduler\"},\"firstTimestamp\":\"" + now
        + "\",\"lastTimestamp\":\"" + now + "\",\"count\":1,\"type\":\"Normal\",\"reportingComponent\":\"default-scheduler\"}", 201);
    if (n % 10 == 0) {
      call("GET", path, null, 200);
    }
    return null;
  }

  /** The scheduler's and controller-manager's leader election: create the Lease, then renew it by update. */
  private void leaderElection(int round) throws Exception {
    for (String holder : List.of("keelson-scheduler", "keelson-controller-manager")) {
      String path = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/" + holder;
      String now = "2026-01-01T00:00:0" + (round % 10) + ".000000Z";
      String spec = "\"spec\":{\"holderIdentity\":\"training_" + holder + "\",\"leaseDurationSeconds\":8,\"acquireTime\":\"2026-01-01T00:00:00.000000Z\","
          + "\"renewTime\":\"" + now + "\",\"leaseTransitions\":0}";
      HttpResponse<String> got = send("GET", path, null);
      if (got.statusCode() == 404) {
        call("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases",
            "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\"" + holder + "\",\"namespace\":\"kube-system\"}," + spec + "}", 201);
      } else {
        String rv = JSON.readTree(got.body()).path("metadata").path("resourceVersion").asString();
        call("PUT", path, "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\"" + holder
            + "\",\"namespace\":\"kube-system\",\"resourceVersion\":\"" + rv + "\"}," + spec + "}", 200);
      }
    }
  }

  /** kubectl get pods / nodes (Tables), a label-selected list, a paged list. */
  private void readsAsKubectl() throws Exception {
    String table = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
    sendAccept("/api/v1/namespaces/" + NS + "/pods?limit=500", table);
    sendAccept("/api/v1/nodes?limit=500", table);
    call("GET", "/api/v1/namespaces/" + NS + "/pods?labelSelector=app%3Dweb", null, 200);
    call("GET", "/api/v1/pods?resourceVersion=0", null, 200);
    call("GET", "/apis/apps/v1/namespaces/" + NS + "/deployments/web", null, 200);
  }

  /** An informer's list then watch from the list's resourceVersion, counting events until stopped. */
  private void watch(String collection) throws Exception {
    String list = call("GET", collection + "?resourceVersion=0", null, 200);
    Matcher m = LIST_RV.matcher(list);
    String rv = m.find() ? m.group(1) : "0";
    Thread t = Thread.ofPlatform().daemon().name("training-watch").start(() -> {
      try {
        HttpResponse<InputStream> r = http.send(request("GET",
                collection + "?watch=true&allowWatchBookmarks=true&resourceVersion=" + rv + "&timeoutSeconds=300", null, null).build(),
            HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
          byte[] buf = new byte[65536];
          int k;
          while (!stopping && (k = in.read(buf)) >= 0) {
            for (int i = 0; i < k; i++) {
              if (buf[i] == '\n') {
                watchEvents.incrementAndGet();
              }
            }
          }
        }
      } catch (Exception e) {
        if (!stopping) {
          System.err.println("keelson server: aot training: watch " + collection + ": " + e);
        }
      }
    });
    watchers.add(t);
  }

  private void sendAccept(String path, String accept) throws Exception {
    HttpResponse<String> r = http.send(request("GET", path, null, null).header("Accept", accept).build(),
        HttpResponse.BodyHandlers.ofString());
    expect(r, "GET", path, 200);
  }

  private String call(String method, String path, String body, int want) throws Exception {
    return call(method, path, body, want, null);
  }

  private String call(String method, String path, String body, int want, String contentType) throws Exception {
    HttpResponse<String> r = http.send(request(method, path, body, contentType).build(), HttpResponse.BodyHandlers.ofString());
    expect(r, method, path, want);
    return r.body();
  }

  private static void expect(HttpResponse<String> r, String method, String path, int want) {
    // a create answered 200 or an update 201 is as good; anything else means the path was not trained
    if (r.statusCode() != want && r.statusCode() / 100 != 2) {
      throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
    }
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return http.send(request(method, path, body, null).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest.Builder request(String method, String path, String body, String contentType) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token).header("Accept", "application/json");
    if (body == null) {
      return b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return b.header("Content-Type", contentType != null ? contentType : "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body));
  }

  private SSLContext trustingCa() throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(dir.resolve("tls/ca.crt"))) {
      ks.setCertificateEntry("keelson-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  private CallCredentials bearer() {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + token);
        applier.apply(headers);
      }
    };
  }

  private static StreamObserver<ReportPodStatusResponse> ignore() {
    return new StreamObserver<>() {
      @Override
      public void onNext(ReportPodStatusResponse value) {}

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }

  private static String podName(int n) {
    return "train-" + n;
  }

  private static String nodeName(int i) {
    return "training-" + i;
  }

  /** A pod as the benchmark's client creates it; every tenth one owned by the ReplicaSet (as the controller creates them). */
  private static String pod(int n, boolean owned) {
    String owner = owned
        ? ",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"web-1\","
            + "\"uid\":\"00000000-0000-0000-0000-000000000001\",\"controller\":true,\"blockOwnerDeletion\":true}]"
        : "";
    return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + podName(n) + "\",\"labels\":{\"app\":\""
        + (owned ? "web" : "train") + "\"}" + owner + "},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"keelson.local/busybox:latest\","
        + "\"resources\":{\"requests\":{\"cpu\":\"10m\",\"memory\":\"16Mi\"}}}],\"terminationGracePeriodSeconds\":" + (n % 2 == 0 ? 30 : 0) + "}}";
  }

  private static String runningStatus(String name, String uid, String node) {
    String ts = "2026-01-01T00:00:02Z";
    return "{\"phase\":\"Running\",\"conditions\":[{\"type\":\"PodReadyToStartContainers\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"},"
        + "{\"type\":\"Initialized\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"},{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"},"
        + "{\"type\":\"ContainersReady\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"},{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"}],"
        + "\"hostIP\":\"127.0.0.1\",\"hostIPs\":[{\"ip\":\"127.0.0.1\"}],\"podIP\":\"10.88.0." + (Math.abs(name.hashCode()) % 250 + 2)
        + "\",\"podIPs\":[{\"ip\":\"10.88.0." + (Math.abs(name.hashCode()) % 250 + 2) + "\"}],\"startTime\":\"" + ts + "\","
        + "\"containerStatuses\":[{\"name\":\"c\",\"state\":{\"running\":{\"startedAt\":\"" + ts + "\"}},\"ready\":true,\"restartCount\":0,"
        + "\"image\":\"keelson.local/busybox:latest\",\"imageID\":\"sha256:0000\",\"containerID\":\"fake://" + uid + "\",\"started\":true}],"
        + "\"qosClass\":\"Burstable\"}";
  }

  private static String nodeConditions(String ts) {
    StringBuilder b = new StringBuilder("[");
    String[][] conds = {
      {"MemoryPressure", "False", "KubeletHasSufficientMemory"}, {"DiskPressure", "False", "KubeletHasNoDiskPressure"},
      {"PIDPressure", "False", "KubeletHasSufficientPID"}, {"Ready", "True", "KubeletReady"}};
    for (String[] c : conds) {
      if (b.length() > 1) {
        b.append(',');
      }
      b.append("{\"type\":\"").append(c[0]).append("\",\"status\":\"").append(c[1]).append("\",\"reason\":\"").append(c[2])
          .append("\",\"message\":\"keelson agent\",\"lastHeartbeatTime\":\"").append(ts).append("\",\"lastTransitionTime\":\"").append(ts).append("\"}");
    }
    return b.append(']').toString();
  }

  /** A hollow node as the agent registers it. */
  private static String node(int i) {
    String name = nodeName(i);
    return "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"" + name + "\",\"labels\":{\"kubernetes.io/hostname\":\"" + name
        + "\",\"kubernetes.io/os\":\"linux\",\"kubernetes.io/arch\":\"amd64\",\"beta.kubernetes.io/os\":\"linux\",\"beta.kubernetes.io/arch\":\"amd64\","
        + "\"keelson.io/hollow\":\"true\"}},\"status\":{\"capacity\":{\"cpu\":\"2\",\"memory\":\"24731708Ki\",\"pods\":\"110\",\"ephemeral-storage\":\"264212084Ki\"},"
        + "\"allocatable\":{\"cpu\":\"1900m\",\"memory\":\"24207420Ki\",\"pods\":\"110\",\"ephemeral-storage\":\"264212084Ki\"},"
        + "\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"127.0.0.1\"},{\"type\":\"Hostname\",\"address\":\"" + name + "\"}],"
        + "\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":" + (20000 + i) + "}},"
        + "\"nodeInfo\":{\"architecture\":\"amd64\",\"operatingSystem\":\"linux\",\"osImage\":\"Debian GNU/Linux 12\",\"kernelVersion\":\"6.1.0\","
        + "\"containerRuntimeVersion\":\"keelson://fake\",\"kubeletVersion\":\"v1.32.4-keelson\",\"kubeProxyVersion\":\"\",\"machineID\":\"m" + i
        + "\",\"bootID\":\"b" + i + "\",\"systemUUID\":\"m" + i + "\"},\"conditions\":" + nodeConditions("2026-01-01T00:00:00Z") + "}}";
  }
}
