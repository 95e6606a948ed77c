package io.keelson.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The scheduler in a real cluster (./keelson up: etcd, api-server, this scheduler,
 * controller-manager) with hollow nodes, checked with the real kubectl the way a user would.
 * Nodes small-1..3 have 500m CPU allocatable (agent --system-reserved-cpu 1500m); big-1 (2 CPU)
 * joins in the "too big" test.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SchedulerIT {
  static KeelsonCluster cluster;

  @BeforeAll
  static void up() throws Exception {
    // -Dkeelson.it.port: a port block of one's own on a shared host
    cluster = KeelsonCluster.up(Integer.getInteger("keelson.it.port", 25443 + (int) (ProcessHandle.current().pid() % 50) * 40));
    cluster.startHollowAgent("small", 3, "1500m");
    await("3 hollow nodes Ready")
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions()
        .until(() -> cluster.kubectl("get", "nodes", "--no-headers").lines().filter(l -> l.contains(" Ready")).count() >= 3);
  }

  @AfterAll
  static void down() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  static String pod(String name, String ns, String cpu, String extraSpec) {
    return """
        apiVersion: v1
        kind: Pod
        metadata: {name: %s, namespace: %s, labels: {app: %s}}
        spec:
          %s
          containers: [{name: c, image: keelson.local/busybox:latest, command: [sleep, "3600"], resources: {requests: {cpu: %s}}}]
        """.formatted(name, ns, name, extraSpec == null ? "" : extraSpec, cpu);
  }

  String nodeOf(String ns, String pod) throws Exception {
    return cluster.kubectl("get", "pod", "-n", ns, pod, "-o", "jsonpath={.spec.nodeName}");
  }

  void namespace(String ns) throws Exception {
    cluster.kubectl("create", "namespace", ns);
  }

  @Test
  @Order(1)
  void antiAffinitySpreadsThreeReplicasOverThreeNodes() throws Exception {
    namespace("spread");
    cluster.apply("""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: spread}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              affinity:
                podAntiAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                  - labelSelector: {matchLabels: {app: web}}
                    topologyKey: kubernetes.io/hostname
              containers: [{name: c, image: keelson.local/busybox:latest, command: [sleep, "3600"], resources: {requests: {cpu: 50m}}}]
        """);
    await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> boundNodes("spread", "app=web").size() == 3);
    assertThat(boundNodes("spread", "app=web")).doesNotHaveDuplicates().allMatch(n -> n.startsWith("small-"));
    cluster.kubectl("delete", "namespace", "spread", "--wait=false");
  }

  List<String> boundNodes(String ns, String selector) throws Exception {
    String out = cluster.kubectl("get", "pods", "-n", ns, "-l", selector, "-o", "jsonpath={range .items[*]}{.spec.nodeName}{\"\\n\"}{end}");
    return Arrays.stream(out.split("\n")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  @Test
  @Order(2)
  void taintedNodeIsAvoidedUnlessTolerated() throws Exception {
    namespace("taints");
    cluster.kubectl("taint", "nodes", "small-1", "dedicated=db:NoSchedule");
    try {
      for (int i = 0; i < 4; i++) {
        cluster.apply(pod("plain-" + i, "taints", "10m", null).replace("app: plain-" + i, "app: plain"));
      }
      cluster.apply(pod("tolerant", "taints", "10m", """
          nodeSelector: {kubernetes.io/hostname: small-1}
            tolerations: [{key: dedicated, operator: Equal, value: db, effect: NoSchedule}]"""));
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> boundNodes("taints", "app=plain").size() == 4);
      assertThat(boundNodes("taints", "app=plain")).doesNotContain("small-1");
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> nodeOf("taints", "tolerant").equals("small-1"));
    } finally {
      cluster.kubectl("taint", "nodes", "small-1", "dedicated=db:NoSchedule-");
      cluster.kubectl("delete", "namespace", "taints", "--wait=false");
    }
  }

  @Test
  @Order(3)
  void vmPodLandsOnlyOnAVmCapableNode() throws Exception {
    namespace("vms");
    cluster.kubectl("label", "node", "small-2", "keelson.io/runtime.vm=true", "--overwrite");
    try {
      for (int i = 0; i < 3; i++) {
        cluster.apply(pod("vm-" + i, "vms", "10m", "runtimeClassName: vm").replace("app: vm-" + i, "app: vm"));
      }
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> boundNodes("vms", "app=vm").size() == 3);
      assertThat(boundNodes("vms", "app=vm")).containsOnly("small-2");
    } finally {
      cluster.kubectl("label", "node", "small-2", "keelson.io/runtime.vm-");
      cluster.kubectl("delete", "namespace", "vms", "--wait=false");
    }
  }

  @Test
  @Order(4)
  void highPriorityPodPreempts() throws Exception {
    namespace("prio");
    cluster.apply("""
        apiVersion: scheduling.k8s.io/v1
        kind: PriorityClass
        metadata: {name: it-low}
        value: 100
        ---
        apiVersion: scheduling.k8s.io/v1
        kind: PriorityClass
        metadata: {name: it-high}
        value: 100000
        """);
    cluster.apply(pod("victim", "prio", "400m", """
        priorityClassName: it-low
          nodeSelector: {kubernetes.io/hostname: small-3}"""));
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> nodeOf("prio", "victim").equals("small-3"));
    cluster.apply(pod("vip", "prio", "400m", """
        priorityClassName: it-high
          nodeSelector: {kubernetes.io/hostname: small-3}"""));
    await("victim evicted")
        .atMost(Duration.ofSeconds(90))
        .ignoreExceptions()
        .until(() -> !cluster.kubectl("get", "pods", "-n", "prio", "--no-headers").contains("victim")
            || !cluster.kubectl("get", "pod", "-n", "prio", "victim", "-o", "jsonpath={.metadata.deletionTimestamp}").isEmpty());
    await("vip bound to small-3").atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> nodeOf("prio", "vip").equals("small-3"));
    String events = cluster.kubectl("get", "events", "-n", "prio", "-o", "jsonpath={range .items[*]}{.reason} {.message}{\"\\n\"}{end}");
    assertThat(events).contains("Preempted by pod prio/vip on node small-3");
    cluster.kubectl("delete", "namespace", "prio", "--wait=false");
  }

  @Test
  @Order(5)
  void tooBigPodStaysPendingWithReasonThenSchedulesWhenABigNodeJoins() throws Exception {
    namespace("big");
    cluster.apply(pod("big", "big", "1", null));
    await("FailedScheduling with Insufficient cpu")
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(() -> cluster.kubectl("get", "events", "-n", "big", "--field-selector", "involvedObject.name=big",
                "-o", "jsonpath={.items[*].message}")
            .contains("0/3 nodes are available: 3 Insufficient cpu."));
    assertThat(cluster.kubectl("get", "pod", "-n", "big", "big", "-o", "jsonpath={.status.phase}")).isEqualTo("Pending");
    String cond = cluster.kubectl("get", "pod", "-n", "big", "big", "-o",
        "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].reason} {.status.conditions[?(@.type==\"PodScheduled\")].message}");
    assertThat(cond).startsWith("Unschedulable 0/3 nodes are available: 3 Insufficient cpu.");

    cluster.startHollowAgent("big", 1, null);
    await("big pod bound to big-1").atMost(Duration.ofSeconds(120)).ignoreExceptions().until(() -> nodeOf("big", "big").equals("big-1"));
    String events = cluster.kubectl("get", "events", "-n", "big", "-o", "jsonpath={range .items[*]}{.reason} {.message}{\"\\n\"}{end}");
    assertThat(events).contains("Scheduled Successfully assigned big/big to big-1");
  }

  String scheduledBy(String ns, String pod) throws Exception {
    return cluster.kubectl("get", "events", "-n", ns, "--field-selector", "involvedObject.name=" + pod + ",reason=Scheduled",
        "-o", "jsonpath={.items[*].reportingInstance}");
  }

  @Test
  @Order(6)
  void standbyReplicaTakesOverWithin15sWhenTheLeaderDies() throws Exception {
    namespace("ha");
    String[] holder = new String[1];
    await("the launcher's scheduler holds the lease")
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(() -> !(holder[0] = cluster.kubectl("get", "lease", "-n", "kube-system", "keelson-scheduler",
            "-o", "jsonpath={.spec.holderIdentity}")).isEmpty());
    String leader = holder[0];
    cluster.startSchedulerReplica("standby");
    cluster.apply(pod("before", "ha", "10m", null));
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> !nodeOf("ha", "before").isEmpty());
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> !scheduledBy("ha", "before").isEmpty());
    assertThat(scheduledBy("ha", "before")).isEqualTo(leader); // only the leader binds
    // The clock starts when the standby is up and watching the Lease (it logs the holder it sees):
    // on a loaded machine its JVM start alone can take longer than the takeover being measured.
    Path standbyLog = cluster.dir.resolve("logs/scheduler-standby.log");
    await("the standby sees the leader's lease")
        .atMost(Duration.ofSeconds(90))
        .ignoreExceptions()
        .until(() -> Files.readString(standbyLog).contains("is held by " + leader));

    long killedAt = System.nanoTime();
    // the leader's host dies: its restart loop (the launcher's supervisor) with it, or it would come back and campaign too
    ProcessHandle.of(cluster.pidOf("scheduler-supervisor")).ifPresent(ProcessHandle::destroyForcibly);
    ProcessHandle.of(cluster.pidOf("scheduler")).ifPresent(ProcessHandle::destroyForcibly);
    await("standby holds the lease")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(() -> cluster.kubectl("get", "lease", "-n", "kube-system", "keelson-scheduler", "-o", "jsonpath={.spec.holderIdentity}")
            .equals("standby"));
    double takeover = (System.nanoTime() - killedAt) / 1e9;
    System.out.printf("standby took over %.1f s after the leader was killed%n", takeover);
    assertThat(takeover).isLessThan(15.0);
    cluster.apply(pod("after", "ha", "10m", null));
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> !nodeOf("ha", "after").isEmpty());
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> scheduledBy("ha", "after").equals("standby"));
  }

  /** The benchmark's scheduler_perf setting: nodes that are only API objects are Ready and take pods. */
  @Test
  @Order(7)
  void benchmarkFakeNodesAreReadyAndTakePods() throws Exception {
    // as deploy/bench/scheduler.sh runs it: from the scheduler's fat jar
    KeelsonCluster.Result r = cluster.run(120, ProcessHandle.current().info().command().orElse("java"),
        "-cp", cluster.root.resolve("scheduler/target/keelson-scheduler.jar").toString(),
        "-Dloader.main=io.keelson.scheduler.bench.SchedulerBenchmark", "org.springframework.boot.loader.launch.PropertiesLauncher",
        "fake-nodes", "--kubeconfig", cluster.kubeconfig().toString(), "--nodes", "2", "--prefix", "bench-fake-", "--cpu", "64");
    assertThat(r.code()).as(r.out()).isZero();
    assertThat(r.out()).contains("created 2 fake nodes");
    try {
      assertThat(cluster.kubectl("get", "nodes", "-l", "keelson.io/fake-node=true", "--no-headers").lines()
          .map(l -> l.split("\\s+")[0] + " " + l.split("\\s+")[1])).containsExactlyInAnyOrder("bench-fake-1 Ready", "bench-fake-2 Ready");
      assertThat(cluster.kubectl("get", "node", "bench-fake-1", "-o", "jsonpath={.status.allocatable.cpu}")).isEqualTo("64");
      namespace("fake");
      // more CPU than any agent's node has: only a fake node fits
      cluster.apply(pod("wide", "fake", "8", null));
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> !nodeOf("fake", "wide").isEmpty());
      assertThat(nodeOf("fake", "wide")).startsWith("bench-fake-");
    } finally {
      cluster.kubectl("delete", "namespace", "fake", "--wait=false");
      cluster.kubectl("delete", "node", "bench-fake-1", "bench-fake-2", "--wait=false");
    }
  }
}
