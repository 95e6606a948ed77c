package io.keelson.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Services that route, on one `./keelson up` node: a ClusterIP reached from another pod and from
 * its own endpoints (hairpin), spreading over both pods; a NodePort reached from the host; a
 * Service without endpoints refusing at once; scaling to zero and back; the API through
 * default/kubernetes at 10.96.0.1:443; and NetworkPolicies, for container and VM pods. Busybox nc, not wget: Debian's static busybox wget crashes
 * (exit 139) on this platform.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServiceRoutingIT {
  /** How soon a change must be routed: the proxy coalesces for 150 ms; a lagging watch took 20 s. */
  private static final Duration ROUTED = Duration.ofSeconds(10);
  private KeelsonCluster cluster;
  private String clusterIp;

  @BeforeAll
  void up() throws Exception {
    String lacks = Host.lacksContainers();
    if (lacks == null && !Host.onPath("nft")) {
      lacks = "nft (nftables) not installed";
    }
    if (lacks != null) {
      System.out.println("SKIP ServiceRoutingIT: " + lacks);
    }
    Assumptions.assumeTrue(lacks == null, lacks);
    cluster = KeelsonCluster.start(1, false);
    String yaml = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: httpd
                image: keelson.local/busybox:latest
                command: ["sh", "-c", "mkdir -p /www && echo $HOSTNAME > /www/index.html && exec httpd -f -p 8080 -h /www"]
                ports: [{name: http, containerPort: 8080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: client}
        spec:
          terminationGracePeriodSeconds: 0
          containers:
          - name: main
            image: keelson.local/busybox:latest
            command: ["sleep", "3600"]
        """;
    cluster.applyOk(yaml);
    cluster.kubectlOk("expose", "deployment", "web", "--port", "80", "--target-port", "http");
    cluster.kubectlOk("expose", "deployment", "web", "--name", "web-np", "--type", "NodePort", "--port", "80", "--target-port", "8080");
    cluster.kubectlOk("create", "service", "clusterip", "empty", "--tcp", "80:80");
    KeelsonCluster.Result ready = cluster.kubectl("wait", "--for=condition=Ready", "pod", "--all", "--timeout=120s");
    if (!ready.ok()) {
      throw new AssertionError("pods not ready\n" + ready + "\n" + cluster.diagnostics());
    }
    clusterIp = cluster.kubectlOk("get", "service", "web", "-o", "jsonpath={.spec.clusterIP}").trim();
  }

  @AfterAll
  void down() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** An HTTP GET through busybox nc in {@code pod}: the body's last line (a pod name), or nc's error. */
  private KeelsonCluster.Result get(String pod, String host, int port) {
    return cluster.kubectl("exec", pod, "--", "sh", "-c",
        "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 " + host + " " + port + " | tail -1");
  }

  private List<String> webPods() {
    return List.of(cluster.kubectlOk("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].metadata.name}").trim().split("\\s+"));
  }

  @Test
  @Order(1)
  void clusterIpSpreadsOverBothPods() {
    List<String> pods = webPods();
    Set<String> answered = new HashSet<>();
    await().atMost(ROUTED).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      answered.add(get("client", clusterIp, 80).out().trim());
      assertThat(answered).containsAll(pods);
    });
  }

  @Test
  @Order(1)
  void aPodReachesItselfThroughItsService() {
    String self = webPods().get(0);
    await().atMost(ROUTED).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
        assertThat(get(self, clusterIp, 80).out().trim()).isEqualTo(self));
  }

  @Test
  @Order(1)
  void nodePortAnswersOnTheHostsAddress() throws Exception {
    int nodePort = Integer.parseInt(cluster.kubectlOk("get", "service", "web-np", "-o", "jsonpath={.spec.ports[0].nodePort}").trim());
    // the node reports 127.0.0.1 in `keelson up`, and loopback NodePorts are not served (as in
    // kube-proxy's nftables mode): the host's own address, the one the api-server advertises, is
    String host = cluster.kubectlOk("get", "endpoints", "kubernetes", "-o", "jsonpath={.subsets[0].addresses[0].ip}").trim();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    await().atMost(ROUTED).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + nodePort + "/"))
          .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.body().trim()).isIn(webPods());
    });
  }

  @Test
  @Order(1)
  void aServiceWithoutEndpointsRefusesAtOnce() {
    String emptyIp = cluster.kubectlOk("get", "service", "empty", "-o", "jsonpath={.spec.clusterIP}").trim();
    await().atMost(ROUTED).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      long start = System.nanoTime();
      KeelsonCluster.Result r = get("client", emptyIp, 80);
      assertThat(r.err() + r.out()).contains("Connection refused");
      // nc waits 3 s for a connection that hangs; a refusal comes back at once (kubectl exec ~0.3 s)
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
    });
  }

  @Test
  @Order(1)
  void podsReachTheApiThroughTheKubernetesService() {
    assertThat(cluster.kubectlOk("get", "service", "kubernetes", "-o", "jsonpath={.spec.clusterIP} {.spec.ports[0].port}"))
        .isEqualTo("10.96.0.1 443");
    assertThat(cluster.kubectlOk("get", "endpointslice", "kubernetes", "-o", "jsonpath={.metadata.labels.kubernetes\\.io/service-name}"))
        .isEqualTo("kubernetes");
    await().atMost(ROUTED).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      KeelsonCluster.Result r = cluster.kubectl("exec", "client", "--", "sh", "-c", "nc -w 3 10.96.0.1 443 </dev/null");
      assertThat(r.exit()).as(r.toString()).isZero();
    });
  }

  @Test
  @Order(2)
  void scalingToZeroAndBackUpdatesTheRules() {
    cluster.kubectlOk("scale", "deployment", "web", "--replicas=0");
    await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      KeelsonCluster.Result r = get("client", clusterIp, 80);
      assertThat(r.err() + r.out()).contains("Connection refused");
    });
    cluster.kubectlOk("scale", "deployment", "web", "--replicas=1");
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
        assertThat(get("client", clusterIp, 80).out().trim()).startsWith("web-"));
  }

  /** A GET from {@code pod} to {@code host}: whether db's page ("db") came back within nc's 2 s. */
  private boolean dbAnswers(String pod, String host) {
    return answers(pod, host, "db");
  }

  /** Whether {@code server}'s httpd on :8080 (serving its own name) answers {@code pod} at {@code host}. */
  private boolean answers(String pod, String host, String server) {
    KeelsonCluster.Result r = cluster.kubectl("exec", pod, "--", "sh", "-c",
        "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 " + host + " 8080 | tail -1");
    return r.out().trim().equals(server);
  }

  @Test
  @Order(3)
  void networkPoliciesIsolateAPodAndLetItsClientsIn() {
    String yaml = """
        apiVersion: v1
        kind: Pod
        metadata: {name: db, labels: {app: db}}
        spec:
          terminationGracePeriodSeconds: 0
          containers:
          - name: httpd
            image: keelson.local/busybox:latest
            command: ["sh", "-c", "mkdir -p /www && echo $HOSTNAME > /www/index.html && exec httpd -f -p 8080 -h /www"]
            ports: [{name: http, containerPort: 8080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: friend, labels: {role: client}}
        spec:
          terminationGracePeriodSeconds: 0
          containers: [{name: main, image: keelson.local/busybox:latest, command: ["sleep", "3600"]}]
        """;
    cluster.applyOk(yaml);
    cluster.kubectlOk("wait", "--for=condition=Ready", "pod/db", "pod/friend", "--timeout=60s");
    cluster.kubectlOk("expose", "pod", "db", "--port", "8080");
    String dbIp = cluster.kubectlOk("get", "pod", "db", "-o", "jsonpath={.status.podIP}").trim();
    String dbService = cluster.kubectlOk("get", "service", "db", "-o", "jsonpath={.spec.clusterIP}").trim();
    await().atMost(ROUTED).pollInterval(Duration.ofMillis(300)).until(() -> dbAnswers("client", dbIp));

    // default deny for db: nobody gets in, by its IP or through its Service (policy sees the client before masquerading)
    cluster.applyOk("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: db-deny}
        spec:
          podSelector: {matchLabels: {app: db}}
        """);
    assertThat(cluster.kubectlOk("get", "netpol", "db-deny", "-o", "jsonpath={.spec.policyTypes}")).isEqualTo("[\"Ingress\"]");
    assertThat(cluster.kubectlOk("get", "networkpolicies")).contains("POD-SELECTOR").contains("app=db");
    await().atMost(ROUTED).pollInterval(Duration.ofMillis(300)).until(() -> !dbAnswers("client", dbIp));
    assertThat(dbAnswers("friend", dbIp)).isFalse();
    assertThat(dbAnswers("friend", dbService)).isFalse();

    // role=client pods may reach db's named port: friend gets in, the unlabelled client stays out
    cluster.applyOk("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: db-clients}
        spec:
          podSelector: {matchLabels: {app: db}}
          ingress:
          - from: [{podSelector: {matchLabels: {role: client}}}]
            ports: [{port: http}]
        """);
    assertThat(cluster.kubectlOk("describe", "netpol", "db-clients")).contains("PodSelector:", "role=client", "Allowing ingress traffic");
    await().atMost(ROUTED).pollInterval(Duration.ofMillis(300)).until(() -> dbAnswers("friend", dbIp));
    assertThat(dbAnswers("friend", dbService)).as("through the Service too").isTrue();
    assertThat(dbAnswers("client", dbIp)).isFalse();
    assertThat(dbAnswers("client", dbService)).isFalse();

    // the policies gone, db is open again
    cluster.kubectlOk("delete", "netpol", "db-deny", "db-clients");
    await().atMost(ROUTED).pollInterval(Duration.ofMillis(300)).until(() -> dbAnswers("client", dbIp));

    // bad input gets kube's 422 and says what to fix
    KeelsonCluster.Result bad = cluster.apply("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: bad}
        spec:
          podSelector: {}
          ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}}]}]
        """);
    assertThat(bad.ok()).isFalse();
    assertThat(bad.err()).contains("spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: \"192.168.0.0/16\": must be a strict subset of `cidr`");
  }

  @Test
  @Order(3)
  void egressIsolatedPodsNeedARuleForTheNodesDns() {
    cluster.applyOk("""
        apiVersion: v1
        kind: Pod
        metadata: {name: lonely, labels: {app: lonely}}
        spec:
          terminationGracePeriodSeconds: 0
          containers: [{name: main, image: keelson.local/busybox:latest, command: ["sleep", "3600"]}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: lonely-egress}
        spec:
          podSelector: {matchLabels: {app: lonely}}
          policyTypes: [Egress]
        """);
    cluster.kubectlOk("wait", "--for=condition=Ready", "pod/lonely", "--timeout=60s");
    String lookup = "timeout 4 nslookup kubernetes.default.svc.cluster.local";
    // egress-isolated without rules: not even DNS
    await().atMost(ROUTED).pollInterval(Duration.ofMillis(300)).until(() ->
        !cluster.kubectl("exec", "lonely", "--", "sh", "-c", lookup).out().contains("10.96.0.1"));

    // kube's usual DNS rule: the node's DNS answers as kube-system's k8s-app=kube-dns pods do
    cluster.applyOk("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: lonely-dns}
        spec:
          podSelector: {matchLabels: {app: lonely}}
          policyTypes: [Egress]
          egress:
          - to:
            - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
              podSelector: {matchLabels: {k8s-app: kube-dns}}
            ports: [{port: dns, protocol: UDP}, {port: dns-tcp, protocol: TCP}]
        """);
    await().atMost(ROUTED).pollInterval(Duration.ofMillis(300)).untilAsserted(() ->
        assertThat(cluster.kubectl("exec", "lonely", "--", "sh", "-c", lookup).out()).contains("10.96.0.1"));
    // and nothing else
    assertThat(get("lonely", clusterIp, 80).out().trim()).doesNotStartWith("web-");
    cluster.kubectlOk("delete", "netpol", "lonely-egress", "lonely-dns");
    await().atMost(ROUTED).pollInterval(Duration.ofMillis(300)).untilAsserted(() ->
        assertThat(get("lonely", clusterIp, 80).out().trim()).startsWith("web-"));
  }

  /**
   * A VM pod is on the pod network like a container (its guest NIC sits behind the pod's veth
   * through a tc redirect inside the pod's namespace), so the node's Service rules and policy
   * hooks see its traffic as a container's: a VM server behind a Service, isolated by a policy
   * that lets container and VM clients labelled role=client in, and a VM client held by an egress
   * policy. The first VM pod of a cluster waits for the VM template (20-60 s).
   */
  @Test
  @Order(4)
  void networkPoliciesHoldForVmPods() {
    String lacks = Host.lacksVms();
    Assumptions.assumeTrue(lacks == null, lacks);
    String busybox = """
        apiVersion: v1
        kind: Pod
        metadata: {name: %s, labels: {%s}}
        spec:
          runtimeClassName: %s
          terminationGracePeriodSeconds: 0
          containers:
          - name: main
            image: keelson.local/busybox:latest
            command: ["sh", "-c", "%s"]
            ports: [{name: http, containerPort: 8080}]
        ---
        """;
    String httpd = "mkdir -p /www && echo $HOSTNAME > /www/index.html && exec httpd -f -p 8080 -h /www";
    String yaml = busybox.formatted("vm-db", "app: vm-db", "vm", httpd)
        + busybox.formatted("vm-friend", "app: vm-friend, role: client", "vm", httpd)
        + busybox.formatted("pal", "role: client", "runc", "exec sleep 3600");
    cluster.applyOk(yaml);
    KeelsonCluster.Result ready = cluster.kubectl("wait", "--for=condition=Ready", "pod/vm-db", "pod/vm-friend", "pod/pal",
        "--timeout=180s");
    if (!ready.ok()) {
      throw new AssertionError("pods not ready\n" + ready + "\n" + cluster.diagnostics());
    }
    cluster.kubectlOk("expose", "pod", "vm-db", "--port", "8080");
    String dbIp = cluster.kubectlOk("get", "pod", "vm-db", "-o", "jsonpath={.status.podIP}").trim();
    String dbService = cluster.kubectlOk("get", "service", "vm-db", "-o", "jsonpath={.spec.clusterIP}").trim();
    // open: a container and a VM reach the VM server through its Service (and its DNS name)
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).until(() ->
        answers("client", dbService, "vm-db") && answers("vm-friend", dbService, "vm-db"));
    assertThat(answers("client", "vm-db.default.svc.cluster.local", "vm-db")).isTrue();

    cluster.applyOk("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: vm-db-clients}
        spec:
          podSelector: {matchLabels: {app: vm-db}}
          ingress:
          - from: [{podSelector: {matchLabels: {role: client}}}]
            ports: [{port: http}]
        """);
    await().atMost(ROUTED).pollInterval(Duration.ofMillis(300)).until(() -> !answers("client", dbService, "vm-db"));
    assertThat(answers("client", dbIp, "vm-db")).as("unlabelled container, by pod IP").isFalse();
    assertThat(answers("pal", dbService, "vm-db")).as("role=client container").isTrue();
    assertThat(answers("vm-friend", dbService, "vm-db")).as("role=client VM").isTrue();
    assertThat(answers("vm-friend", dbIp, "vm-db")).as("role=client VM, by pod IP").isTrue();

    // egress from a VM: vm-friend may reach vm-db only, not the web Service
    assertThat(get("vm-friend", clusterIp, 80).out().trim()).startsWith("web-");
    cluster.applyOk("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: vm-friend-out}
        spec:
          podSelector: {matchLabels: {app: vm-friend}}
          policyTypes: [Egress]
          egress: [{to: [{podSelector: {matchLabels: {app: vm-db}}}]}]
        """);
    await().atMost(ROUTED).pollInterval(Duration.ofMillis(300)).untilAsserted(() ->
        assertThat(get("vm-friend", clusterIp, 80).out().trim()).doesNotStartWith("web-"));
    assertThat(answers("vm-friend", dbService, "vm-db")).as("vm-db stays allowed").isTrue();
    // the VM server is isolated for ingress only: it still reaches the web Service
    assertThat(get("vm-db", clusterIp, 80).out().trim()).startsWith("web-");

    cluster.kubectlOk("delete", "netpol", "vm-db-clients", "vm-friend-out");
    cluster.kubectlOk("delete", "pod", "vm-db", "vm-friend", "pal", "--wait=false");
    cluster.kubectlOk("delete", "service", "vm-db");
  }
}
