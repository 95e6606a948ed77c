package io.keelson.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three "hosts" on one machine (`./keelson lab up --nodes 3`): pods spread over them and reach
 * each other by pod IP; a partitioned host goes NotReady, its pods are replaced elsewhere, and it
 * rejoins cleanly after `heal`; `lab down` leaves no namespace behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LabJourneyIT {
  private KeelsonCluster cluster;
  private String labId;

  @BeforeAll
  void up() throws Exception {
    String lacks = Host.lacksLab();
    if (lacks != null) {
      System.out.println("SKIP LabJourneyIT: " + lacks);
    }
    Assumptions.assumeTrue(lacks == null, lacks);
    cluster = KeelsonCluster.start(3, true);
    labId = Files.readAllLines(cluster.dir.resolve("lab/state")).stream()
        .filter(l -> l.startsWith("LAB_ID=")).map(l -> l.substring(7)).findFirst().orElseThrow();
  }

  @AfterAll
  void down() throws Exception {
    if (cluster == null) {
      return;
    }
    cluster.close();
    KeelsonCluster.Result ns = cluster.run(Duration.ofSeconds(30), List.of("ip", "netns", "list"));
    assertThat(ns.out()).as("lab down leaves no namespace").doesNotContain("klab-" + labId);
    KeelsonCluster.Result links = cluster.run(Duration.ofSeconds(30), List.of("ip", "-br", "link"));
    assertThat(links.out()).as("lab down leaves no bridge or veth").doesNotContain("klab0-" + labId)
        .doesNotContain("kv" + labId);
  }

  private List<String> lines(String s) {
    return Arrays.stream(s.split("\n")).map(String::strip).filter(l -> !l.isEmpty()).toList();
  }

  @Test
  @Order(1)
  void threeReadyHostsWithTheirOwnAddresses() {
    await().atMost(Duration.ofSeconds(120)).until(() ->
        lines(cluster.kubectl("get", "nodes", "--no-headers").out()).stream()
            .filter(l -> l.matches("lab-[1-3]\\s+Ready.*")).count() == 3);
    List<String> ips = lines(cluster.kubectlOk("get", "nodes", "-o",
        "jsonpath={range .items[*]}{.status.addresses[?(@.type==\"InternalIP\")].address}{\"\\n\"}{end}"));
    assertThat(ips).hasSize(3).doesNotHaveDuplicates();
    assertThat(cluster.keelctlOk("nodes")).contains("lab-1").contains("lab-2").contains("lab-3");
  }

  @Test
  @Order(2)
  void podsSpreadOverHosts() {
    String yaml = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: spread}
        spec:
          replicas: 3
          selector: {matchLabels: {app: spread}}
          template:
            metadata: {labels: {app: spread}}
            spec:
              terminationGracePeriodSeconds: 2
              affinity:
                podAntiAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                  - {labelSelector: {matchLabels: {app: spread}}, topologyKey: kubernetes.io/hostname}
              containers:
              - name: web
                image: keelson.local/busybox:latest
                command: ["sh", "-c", "hostname > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"]
        """;
    assertThat(cluster.keelctlWithInput(yaml, "apply", "-f", "-").out()).contains("created");
    String jp = "jsonpath={range .items[?(@.status.phase==\"Running\")]}{.metadata.name} {.spec.nodeName} {.status.podIP}{\"\\n\"}{end}";
    try {
      await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(2)).until(() ->
          lines(cluster.kubectl("get", "pods", "-l", "app=spread", "-o", jp).out()).stream()
              .map(l -> l.split(" ")[1]).distinct().count() == 3);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("pods did not spread over 3 hosts\n" + cluster.diagnostics(), e);
    }
  }

  @Test
  @Order(3)
  void podsOnDifferentHostsReachEachOtherByPodIp() {
    String jp = "jsonpath={range .items[?(@.status.phase==\"Running\")]}{.metadata.name} {.spec.nodeName} {.status.podIP}{\"\\n\"}{end}";
    List<String[]> pods = lines(cluster.kubectlOk("get", "pods", "-l", "app=spread", "-o", jp)).stream()
        .map(l -> l.split(" ")).toList();
    assertThat(pods).as("running spread pods").hasSize(3).allSatisfy(p -> assertThat(p).as("pod %s has an IP", p[0]).hasSize(3));
    // one range per host: two hosts with the same pod CIDR was why cross-host traffic timed out
    assertThat(pods.stream().map(p -> p[2]).toList()).as("pod IPs").doesNotHaveDuplicates();
    assertThat(cluster.keelson("lab", "status").out()).as("lab status shows every pod route").doesNotContain("MISSING");
    for (String[] from : pods) {
      for (String[] to : pods) {
        if (from[1].equals(to[1])) {
          continue;
        }
        assertFetches(from, to);
      }
    }
  }

  /** {@code from} (name, node, IP) fetches {@code to}'s page by pod IP; it answers with its name. */
  private void assertFetches(String[] from, String[] to) {
    try {
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
        // busybox nc, not wget: Debian's static busybox wget crashes (exit 139) on this platform
        KeelsonCluster.Result r = cluster.keelctl("exec", from[0], "--", "sh", "-c",
            "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 3 " + to[2] + " 8080");
        assertThat(r.out()).as("pod on %s fetches from pod on %s (%s) by pod IP\n%s", from[1], to[1], to[2], r).contains(to[0]);
      });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("pod on " + from[1] + " cannot reach " + to[2] + " on " + to[1] + "\n"
          + cluster.keelson("lab", "status").out() + "\n" + cluster.diagnostics(), e);
    }
  }

  @Test
  @Order(3)
  void aClusterIpReachesPodsOnEveryHostAndPodsReachTheApi() {
    cluster.kubectlOk("expose", "deployment", "spread", "--port", "80", "--target-port", "8080");
    String ip = cluster.kubectlOk("get", "service", "spread", "-o", "jsonpath={.spec.clusterIP}").trim();
    List<String> names = List.of(cluster.kubectlOk("get", "pods", "-l", "app=spread", "-o", "jsonpath={.items[*].metadata.name}")
        .trim().split("\\s+"));
    String from = names.get(0);
    java.util.Set<String> answered = new java.util.HashSet<>();
    // the Service's endpoints are on all three hosts: two of them only across the lab's links
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      KeelsonCluster.Result r = cluster.kubectl("exec", from, "--", "sh", "-c",
          "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 3 " + ip + " 80 | tail -1");
      answered.add(r.out().trim());
      assertThat(answered).containsAll(names);
    });
    // the API through default/kubernetes (10.96.0.1:443 -> the lab gateway)
    KeelsonCluster.Result api = cluster.kubectl("exec", from, "--", "sh", "-c", "nc -w 3 10.96.0.1 443 </dev/null");
    assertThat(api.exit()).as("pod connects to 10.96.0.1:443\n%s", api).isZero();
    cluster.kubectlOk("delete", "service", "spread");
  }

  /** Whether pod {@code from} gets pod {@code to}'s page by its IP within nc's 2 s. */
  private boolean fetches(String[] from, String[] to) {
    return cluster.kubectl("exec", from[0], "--", "sh", "-c",
        "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 2 " + to[2] + " 8080").out().contains(to[0]);
  }

  @Test
  @Order(3)
  void networkPoliciesHoldAcrossHosts() {
    String jp = "jsonpath={range .items[?(@.status.phase==\"Running\")]}{.metadata.name} {.spec.nodeName} {.status.podIP}{\"\\n\"}{end}";
    List<String[]> pods = lines(cluster.kubectlOk("get", "pods", "-l", "app=spread", "-o", jp)).stream().map(l -> l.split(" ")).toList();
    String[] a = pods.get(0);
    String[] b = pods.get(1);
    String[] c = pods.get(2);
    cluster.kubectlOk("label", "pod", a[0], "peer=yes");
    cluster.applyOk("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: spread-peers}
        spec:
          podSelector: {matchLabels: {app: spread}}
          ingress: [{from: [{podSelector: {matchLabels: {peer: "yes"}}}], ports: [{port: 8080}]}]
        """);
    // each host polices its own pods against peers on the others, routed between hosts
    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500)).until(() -> !fetches(c, b));
    assertThat(fetches(a, b)).as("peer=yes on %s reaches %s on %s", a[1], b[0], b[1]).isTrue();
    assertThat(fetches(a, c)).as("peer=yes on %s reaches %s on %s", a[1], c[0], c[1]).isTrue();
    assertThat(fetches(b, a)).as("%s on %s is not a peer", b[0], b[1]).isFalse();
    // through a Service too: the endpoint's host sees the client pod (not masqueraded between hosts)
    cluster.kubectlOk("expose", "deployment", "spread", "--name", "spread-np", "--port", "80", "--target-port", "8080");
    String ip = cluster.kubectlOk("get", "service", "spread-np", "-o", "jsonpath={.spec.clusterIP}").trim();
    String get = "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 2 " + ip + " 80 | tail -1";
    java.util.Set<String> answered = new java.util.HashSet<>();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      answered.add(cluster.kubectl("exec", a[0], "--", "sh", "-c", get).out().trim());
      assertThat(answered).as("the peer reaches every host's pod through the Service").contains(b[0], c[0]);
    });
    for (int i = 0; i < 6; i++) {
      assertThat(cluster.kubectl("exec", c[0], "--", "sh", "-c", get).out()).as("not a peer, through the Service").doesNotContain("spread-");
    }
    cluster.kubectlOk("delete", "service", "spread-np");
    cluster.kubectlOk("delete", "netpol", "spread-peers");
    cluster.kubectlOk("label", "pod", a[0], "peer-");
    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500)).until(() -> fetches(c, b));
  }

  @Test
  @Order(4)
  void kubectlTopShowsEachPodAndHost() {
    // metrics.k8s.io computed from the agents' stats: every spread pod and every host has a usage row
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
      KeelsonCluster.Result pods = cluster.kubectl("top", "pod", "-l", "app=spread", "--no-headers");
      assertThat(lines(pods.out())).as("kubectl top pod\n%s", pods).hasSize(3)
          .allMatch(l -> l.matches("spread-\\S+\\s+\\d+m\\s+\\d+Mi\\s*"));
      KeelsonCluster.Result nodes = cluster.kubectl("top", "node", "--no-headers");
      assertThat(lines(nodes.out())).as("kubectl top node\n%s", nodes).hasSize(3)
          .allMatch(l -> l.matches("lab-[123]\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%\\s*"));
    });
  }

  @Test
  @Order(5)
  void aDaemonSetRunsOnEveryHostAndKeelctlRollsItBack() {
    String yaml = """
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: hostd}
        spec:
          selector: {matchLabels: {app: hostd}}
          template:
            metadata: {labels: {app: hostd}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - {name: main, image: "keelson.local/busybox:latest", command: ["sleep", "3600"]}
        """;
    cluster.keelctlWithInput(yaml, "apply", "-f", "-");
    KeelsonCluster.Result status = cluster.keelctl("rollout", "status", "ds/hostd", "--timeout=180s");
    assertThat(status.exit()).as(status.toString()).isZero();
    assertThat(status.out()).contains("daemon set \"hostd\" successfully rolled out");
    String jp = "jsonpath={range .items[?(@.status.phase==\"Running\")]}{.spec.nodeName}{\"\\n\"}{end}";
    await().atMost(Duration.ofSeconds(60)).until(() ->
        lines(cluster.kubectl("get", "pods", "-l", "app=hostd", "-o", jp).out()).stream().sorted().toList()
            .equals(List.of("lab-1", "lab-2", "lab-3")));

    cluster.kubectlOk("set", "env", "ds/hostd", "VERSION=2");
    status = cluster.keelctl("rollout", "status", "ds/hostd", "--timeout=180s");
    assertThat(status.exit()).as(status.toString()).isZero();
    assertThat(cluster.keelctlOk("rollout", "history", "ds/hostd")).startsWith("daemonset.apps/hostd")
        .containsPattern("(?m)^1 ").containsPattern("(?m)^2 ");

    assertThat(cluster.keelctlOk("rollout", "undo", "ds/hostd")).contains("daemonset.apps/hostd rolled back");
    status = cluster.keelctl("rollout", "status", "ds/hostd", "--timeout=180s");
    assertThat(status.exit()).as(status.toString()).isZero();
    assertThat(cluster.kubectlOk("get", "ds", "hostd", "-o", "jsonpath={.spec.template.spec.containers[0].env}"))
        .doesNotContain("VERSION");
    // revision 1's template is now revision 3, as in kube; kubectl reads the same history
    assertThat(cluster.keelctlOk("rollout", "history", "ds/hostd")).containsPattern("(?m)^2 ").containsPattern("(?m)^3 ")
        .doesNotContainPattern("(?m)^1 ");
    assertThat(cluster.keelctlOk("rollout", "undo", "ds/hostd", "--to-revision=3"))
        .contains("skipped rollback (current template already matches revision 3)");
    assertThat(cluster.kubectlOk("rollout", "history", "ds/hostd")).containsPattern("(?m)^3 ");

    cluster.kubectlOk("delete", "ds", "hostd");
    await().atMost(Duration.ofSeconds(90)).until(() ->
        lines(cluster.kubectl("get", "pods", "-l", "app=hostd", "-o", "name").out()).isEmpty());
  }

  @Test
  @Order(6)
  void partitionedHostsPodsAreReplacedAndItRejoins() {
    // Tolerating the unreachable/not-ready taints for 10 s (instead of the default 300 s) is how a
    // user asks for fast failover; it also keeps this journey short.
    String yaml = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: failover}
        spec:
          replicas: 2
          selector: {matchLabels: {app: failover}}
          template:
            metadata: {labels: {app: failover}}
            spec:
              terminationGracePeriodSeconds: 2
              tolerations:
              - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 10}
              - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 10}
              containers:
              - {name: main, image: "keelson.local/busybox:latest", command: ["sleep", "3600"]}
        """;
    cluster.keelctlWithInput(yaml, "apply", "-f", "-");
    String jp = "jsonpath={range .items[?(@.status.phase==\"Running\")]}{.metadata.name} {.spec.nodeName}{\"\\n\"}{end}";
    await().atMost(Duration.ofSeconds(120)).until(() ->
        lines(cluster.kubectl("get", "pods", "-l", "app=failover", "-o", jp).out()).size() == 2);
    String victim = lines(cluster.kubectlOk("get", "pods", "-l", "app=failover", "-o", jp)).get(0).split(" ")[1];

    assertThat(cluster.keelson("lab", "partition", victim).exit()).isZero();
    try {
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).until(() ->
          cluster.kubectl("get", "node", victim, "--no-headers").out().contains("NotReady"));
      // the node lifecycle controller evicts its pods; the Deployment replaces them on healthy hosts
      await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofSeconds(3)).until(() ->
          lines(cluster.kubectl("get", "pods", "-l", "app=failover", "-o", jp).out()).stream()
              .filter(l -> !l.endsWith(" " + victim)).count() == 2);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("partitioned node " + victim + " was not handled\n" + cluster.diagnostics(), e);
    }

    assertThat(cluster.keelson("lab", "heal", victim).exit()).isZero();
    // (agents' gRPC reconnect backoff can take up to ~2 min after a long partition)
    await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(2)).until(() ->
        cluster.kubectl("get", "node", victim, "--no-headers").out().matches("(?s)" + victim + "\\s+Ready.*"));
    // rejoined cleanly: exactly the Deployment's 2 pods, none left behind on the healed host
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).until(() ->
        lines(cluster.kubectl("get", "pods", "-l", "app=failover", "-o", "name").out()).size() == 2);
    // the healed host still has its pod routes to the others, and kept its /24 of the cluster's range
    // (which range depends on what else runs on this host, so it is read from the Node)
    String podCidr = cluster.kubectlOk("get", "node", victim, "-o", "jsonpath={.spec.podCIDR}").trim();
    assertThat(podCidr).matches("10\\.\\d+\\.\\d+\\.0/24");
    assertThat(cluster.keelson("lab", "status").out()).as("lab status after heal").doesNotContain("MISSING")
        .contains(victim + " pod-cidr=" + podCidr + " routes:");
  }
}
