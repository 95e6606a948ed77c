package io.keelson.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The controllers against a real cluster from {@code ./keelson up} with three hollow nodes (pods
 * become Ready at once), the controller-manager run as two real processes, and the real kubectl.
 * Needs the built jars; skipped with the reason printed when the launcher or jars are missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControllersIT {
  private static final String NS = "default";
  private Path root;
  private Path dir;
  private KubernetesClient client;
  private final List<Process> managers = new ArrayList<>();

  @BeforeAll
  void cluster() throws Exception {
    root = Path.of("..").toAbsolutePath().normalize();
    for (String jar : List.of("api-server", "scheduler", "node-agent", "controller-manager")) {
      Path p = root.resolve(jar + "/target/keelson-" + jar + ".jar");
      if (!Files.exists(p)) skip("missing " + p + " (build with mvn install -DskipTests first)");
    }
    if (!Files.isExecutable(root.resolve("keelson"))) skip("no ./keelson launcher");
    if (!Files.isExecutable(Path.of("/usr/bin/kubectl"))) skip("no kubectl");
    dir = Files.createTempDirectory("cm-it");
    int port = freePortBlock();
    var up =
        new ProcessBuilder(root.resolve("keelson").toString(), "up", "--dir", dir.toString(), "--api-port", Integer.toString(port),
                "--nodes", "0", "--hollow-nodes", "3", "--without", "controller-manager")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("up.log").toFile());
    up.environment().put("KEELSON_NO_BUILD", "1");
    Process p = up.start();
    if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException("./keelson up failed: " + Files.readString(dir.resolve("up.log")));
    }
    Path kubeconfig = dir.resolve("kubeconfig");
    Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
    config.setOnlyHttpWatches(true);
    client = new KubernetesClientBuilder().withConfig(config).build();
    managers.add(startManager("a"));
    managers.add(startManager("b"));
  }

  private static void skip(String why) {
    System.out.println("ControllersIT skipped: " + why);
    Assumptions.abort(why);
  }

  private Process startManager(String name) throws IOException {
    return new ProcessBuilder(
            ProcessHandle.current().info().command().orElse("java"), "-jar",
            root.resolve("controller-manager/target/keelson-controller-manager.jar").toString(),
            "--kubeconfig", dir.resolve("kubeconfig").toString(), "--metrics-port", "0",
            "--node-monitor-grace-period", "20s", "--default-unreachable-toleration-seconds", "3")
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("cm-" + name + ".log").toFile())
        .start();
  }

  private static int freePortBlock() throws IOException {
    Integer fixed = Integer.getInteger("keelson.it.port"); // a port block of one's own on a shared host
    if (fixed != null) return fixed;
    for (int i = 0; i < 50; i++) {
      int base = 20000 + (int) (Math.random() * 12000); // below the ephemeral port range (32768+)
      try (ServerSocket a = new ServerSocket(base); ServerSocket b = new ServerSocket(base + 10)) {
        return base;
      } catch (IOException busy) {
        // try another
      }
    }
    throw new IOException("no free ports");
  }

  @AfterAll
  void down() throws Exception {
    managers.forEach(Process::destroyForcibly);
    if (client != null) client.close();
    if (dir != null) {
      new ProcessBuilder(root.resolve("keelson").toString(), "down", "--dir", dir.toString(), "--purge")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(120, TimeUnit.SECONDS);
    }
  }

  private String kubectl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", dir.resolve("kubeconfig").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor(60, TimeUnit.SECONDS);
    return out;
  }

  private Deployment web() {
    return client.apps().deployments().inNamespace(NS).withName("web").get();
  }

  private static int n(Integer i) {
    return i == null ? 0 : i;
  }

  private List<Pod> livePods(String app) {
    return client.pods().inNamespace(NS).withLabel("app", app).list().getItems().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
  }

  private static Deployment deployment(String name, int replicas, String image) {
    return new DeploymentBuilder()
        .withNewMetadata().withName(name).endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
        .withNewStrategy().withType("RollingUpdate")
        .withNewRollingUpdate().withNewMaxSurge(1).withNewMaxUnavailable(0).endRollingUpdate()
        .endStrategy()
        .withNewTemplate()
        .withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
        .withNewSpec()
        .withNodeSelector(Map.of("keelson.io/hollow", "true"))
        .addNewContainer().withName(name).withImage(image).withCommand("sleep", "3600").endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  @Test
  @Order(1)
  void deploymentBecomesAvailableAndRollsWithoutLosingReadyPods() throws Exception {
    client.apps().deployments().inNamespace(NS).resource(deployment("web", 3, "keelson.local/busybox:1")).create();
    await("3/3 available").atMost(Duration.ofSeconds(90)).until(() -> n(web().getStatus() == null ? null : web().getStatus().getAvailableReplicas()) == 3);

    AtomicInteger minReady = new AtomicInteger(Integer.MAX_VALUE);
    Thread watcher = Thread.ofVirtual().start(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        try {
          minReady.accumulateAndGet(n(web().getStatus().getReadyReplicas()), Math::min);
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException ignored) {
          // keep watching
        }
      }
    });
    kubectl("set", "image", "deploy/web", "web=keelson.local/busybox:2");
    assertThat(kubectl("rollout", "status", "deploy/web", "--timeout=120s")).contains("successfully rolled out");
    watcher.interrupt();
    assertThat(minReady.get()).as("ready replicas never below 3 (maxUnavailable=0)").isGreaterThanOrEqualTo(3);
    assertThat(livePods("web")).hasSize(3).allSatisfy(p -> assertThat(p.getSpec().getContainers().get(0).getImage()).isEqualTo("keelson.local/busybox:2"));
    assertThat(kubectl("get", "events", "--field-selector", "involvedObject.kind=Deployment,involvedObject.name=web"))
        .contains("ScalingReplicaSet").contains("Scaled up replica set web-");
  }

  @Test
  @Order(2)
  void undoRestoresThePreviousTemplate() throws Exception {
    assertThat(kubectl("rollout", "history", "deploy/web")).containsPattern("(?m)^1 ").containsPattern("(?m)^2 ");
    kubectl("rollout", "undo", "deploy/web");
    await("undone").atMost(Duration.ofSeconds(90)).until(() ->
        web().getSpec().getTemplate().getSpec().getContainers().get(0).getImage().equals("keelson.local/busybox:1")
            && n(web().getStatus().getUpdatedReplicas()) == 3 && n(web().getStatus().getAvailableReplicas()) == 3
            && n(web().getStatus().getReplicas()) == 3);
    assertThat(kubectl("rollout", "history", "deploy/web")).containsPattern("(?m)^3 ");
  }

  @Test
  @Order(3)
  void scalesUpAndDown() throws Exception {
    kubectl("scale", "deploy/web", "--replicas=10");
    await("10 available").atMost(Duration.ofSeconds(90)).until(() -> n(web().getStatus().getAvailableReplicas()) == 10);
    kubectl("scale", "deploy/web", "--replicas=2");
    await("2 pods").atMost(Duration.ofSeconds(90)).until(() -> livePods("web").size() == 2);
  }

  @Test
  @Order(4)
  void deletingCascadesAndOrphanKeepsPods() throws Exception {
    kubectl("delete", "deploy/web", "--wait=false");
    await("replica sets and pods deleted").atMost(Duration.ofSeconds(90)).until(() ->
        client.apps().replicaSets().inNamespace(NS).withLabel("app", "web").list().getItems().isEmpty() && livePods("web").isEmpty());

    // Foreground: the Deployment stays (with the foregroundDeletion finalizer) until its
    // ReplicaSets and their pods are gone.
    client.apps().deployments().inNamespace(NS).resource(deployment("fg", 2, "keelson.local/busybox:1")).create();
    await().atMost(Duration.ofSeconds(90)).until(() -> livePods("fg").size() == 2);
    kubectl("delete", "deploy/fg", "--cascade=foreground", "--wait=false");
    await("foreground deletion completes").atMost(Duration.ofSeconds(90)).until(() ->
        client.apps().deployments().inNamespace(NS).withName("fg").get() == null
            && client.apps().replicaSets().inNamespace(NS).withLabel("app", "fg").list().getItems().isEmpty()
            && client.pods().inNamespace(NS).withLabel("app", "fg").list().getItems().isEmpty());

    client.apps().deployments().inNamespace(NS).resource(deployment("keep", 2, "keelson.local/busybox:1")).create();
    await().atMost(Duration.ofSeconds(90)).until(() -> livePods("keep").size() == 2);
    kubectl("delete", "deploy/keep", "--cascade=orphan");
    await("orphaned").atMost(Duration.ofSeconds(60)).until(() ->
        client.apps().deployments().inNamespace(NS).withName("keep").get() == null
            && client.apps().replicaSets().inNamespace(NS).withLabel("app", "keep").list().getItems().stream()
                .allMatch(rs -> rs.getMetadata().getOwnerReferences() == null || rs.getMetadata().getOwnerReferences().isEmpty()));
    assertThat(livePods("keep")).hasSize(2);
  }

  @Test
  @Order(5)
  void aDaemonSetRunsOnEveryNodeAndRollsBackThroughItsHistory() throws Exception {
    var ds = new io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder()
        .withNewMetadata().withName("agent").endMetadata()
        .withNewSpec()
        .withNewSelector().withMatchLabels(Map.of("app", "agent")).endSelector()
        .withNewTemplate()
        .withNewMetadata().withLabels(Map.of("app", "agent")).endMetadata()
        .withNewSpec()
        .withNodeSelector(Map.of("keelson.io/hollow", "true"))
        .addNewContainer().withName("agent").withImage("keelson.local/busybox:1").withCommand("sleep", "3600").endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
    client.apps().daemonSets().inNamespace(NS).resource(ds).create();
    await("one pod per hollow node").atMost(Duration.ofSeconds(90)).until(() -> rolledOut("agent", "keelson.local/busybox:1"));

    kubectl("set", "image", "ds/agent", "agent=keelson.local/busybox:2");
    await("rolled to :2").atMost(Duration.ofSeconds(120)).until(() -> rolledOut("agent", "keelson.local/busybox:2"));
    assertThat(kubectl("rollout", "history", "ds/agent")).containsPattern("(?m)^1 ").containsPattern("(?m)^2 ");
    assertThat(kubectl("get", "controllerrevisions", "-l", "app=agent"))
        .containsPattern("(?m)^agent-\\w+\\s+daemonset\\.apps/agent\\s+2\\s");

    // kubectl applies revision 1's recorded template; that revision becomes number 3, as in kube
    assertThat(kubectl("rollout", "undo", "ds/agent")).contains("rolled back");
    await("rolled back to :1").atMost(Duration.ofSeconds(120)).until(() -> rolledOut("agent", "keelson.local/busybox:1"));
    assertThat(kubectl("rollout", "history", "ds/agent")).containsPattern("(?m)^2 ").containsPattern("(?m)^3 ")
        .doesNotContainPattern("(?m)^1 ");

    client.apps().daemonSets().inNamespace(NS).withName("agent").delete();
    await("its pods and revisions collected").atMost(Duration.ofSeconds(90)).until(() -> livePods("agent").isEmpty()
        && client.apps().controllerRevisions().inNamespace(NS).withLabel("app", "agent").list().getItems().isEmpty());
  }

  /** Every hollow node runs one available pod of the DaemonSet, with this image. */
  private boolean rolledOut(String name, String image) {
    var ds = client.apps().daemonSets().inNamespace(NS).withName(name).get();
    List<Pod> pods = livePods(name);
    return ds.getStatus() != null && n(ds.getStatus().getDesiredNumberScheduled()) == 3
        && n(ds.getStatus().getUpdatedNumberScheduled()) == 3 && n(ds.getStatus().getNumberAvailable()) == 3
        && pods.size() == 3 && pods.stream().map(p -> p.getSpec().getNodeName()).distinct().count() == 3
        && pods.stream().allMatch(p -> p.getSpec().getContainers().get(0).getImage().equals(image));
  }

  @Test
  @Order(5)
  void deletingANamespaceDeletesItsContents() {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("gone").endMetadata().build()).create();
    client.configMaps().inNamespace("gone").resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
        .withNewMetadata().withName("x").endMetadata().withData(Map.of("a", "b")).build()).create();
    client.namespaces().withName("gone").delete();
    await("namespace gone").atMost(Duration.ofSeconds(60)).until(() -> client.namespaces().withName("gone").get() == null);
  }

  @Test
  @Order(5)
  void everyNamespaceHasADefaultServiceAccountThatComesBack() throws Exception {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("accounts").endMetadata().build()).create();
    await("default service account").atMost(Duration.ofSeconds(30))
        .until(() -> kubectl("get", "serviceaccount", "default", "-n", "accounts", "-o", "name").trim().equals("serviceaccount/default"));
    String uid = client.serviceAccounts().inNamespace("accounts").withName("default").get().getMetadata().getUid();
    kubectl("delete", "serviceaccount", "default", "-n", "accounts");
    await("default service account again").atMost(Duration.ofSeconds(30)).until(() -> {
      var sa = client.serviceAccounts().inNamespace("accounts").withName("default").get();
      return sa != null && !sa.getMetadata().getUid().equals(uid);
    });
    assertThat(kubectl("get", "serviceaccounts", "-A", "--no-headers")).contains("default ", "kube-system ", "accounts ");
    client.namespaces().withName("accounts").delete();
  }

  // By pod name: hollow nodes have no podCIDR, so pods on different hollow nodes may share an IP.

  /** The app's live pods that are Ready and have an IP. */
  private java.util.Set<String> readyPods(String app) {
    return livePods(app).stream()
        .filter(p -> p.getStatus() != null && p.getStatus().getPodIP() != null && p.getStatus().getConditions() != null
            && p.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())))
        .map(p -> p.getMetadata().getName()).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
  }

  /** The pods of the Service's Endpoints' ready addresses (null when it has no Endpoints). */
  private java.util.Set<String> endpointPods(String name) {
    io.fabric8.kubernetes.api.model.Endpoints ep = client.endpoints().inNamespace(NS).withName(name).get();
    if (ep == null) return null;
    java.util.Set<String> pods = new java.util.TreeSet<>();
    ep.getSubsets().forEach(s -> s.getAddresses().forEach(a -> pods.add(a.getTargetRef().getName())));
    return pods;
  }

  private List<io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice> slicesOf(String service) {
    return client.discovery().v1().endpointSlices().inNamespace(NS).withLabel("kubernetes.io/service-name", service).list().getItems();
  }

  /** The pods of the Service's slices' ready endpoints. */
  private java.util.Set<String> slicePods(String service) {
    java.util.Set<String> pods = new java.util.TreeSet<>();
    for (var s : slicesOf(service)) {
      for (var e : s.getEndpoints()) if (Boolean.TRUE.equals(e.getConditions().getReady())) pods.add(e.getTargetRef().getName());
    }
    return pods;
  }

  @Test
  @Order(5)
  void aServiceGetsEndpointsAndAnEndpointSliceThatFollowItsPods() throws Exception {
    client.apps().deployments().inNamespace(NS).resource(deployment("front", 2, "keelson.local/busybox:1")).create();
    await("2 ready pods").atMost(Duration.ofSeconds(90)).until(() -> readyPods("front").size() == 2);
    assertThat(kubectl("expose", "deploy/front", "--port=80", "--target-port=8080", "--labels=tier=front")).contains("service/front exposed");
    await("endpoints list the ready pods").atMost(Duration.ofSeconds(30)).until(() -> readyPods("front").equals(endpointPods("front")));
    var ep = client.endpoints().inNamespace(NS).withName("front").get();
    assertThat(ep.getMetadata().getLabels()).as("the Service's labels").isEqualTo(Map.of("tier", "front"));
    assertThat(ep.getSubsets()).singleElement().satisfies(s -> {
      assertThat(s.getPorts()).singleElement().satisfies(p -> {
        assertThat(p.getPort()).isEqualTo(8080);
        assertThat(p.getProtocol()).isEqualTo("TCP");
      });
      assertThat(s.getAddresses()).allSatisfy(a -> {
        assertThat(a.getTargetRef().getKind()).isEqualTo("Pod");
        assertThat(a.getTargetRef().getName()).startsWith("front-");
        assertThat(a.getNodeName()).startsWith("hollow-");
      });
    });
    String ips = String.join(",", ep.getSubsets().get(0).getAddresses().stream().map(a -> a.getIp() + ":8080").toList());
    assertThat(kubectl("get", "endpoints", "front")).containsPattern("front +" + java.util.regex.Pattern.quote(ips) + " ");
    await("an endpoint slice lists them").atMost(Duration.ofSeconds(30)).until(() -> readyPods("front").equals(slicePods("front")));
    assertThat(slicesOf("front")).singleElement().satisfies(s -> {
      assertThat(s.getMetadata().getName()).startsWith("front-");
      assertThat(s.getMetadata().getLabels()).containsEntry("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io");
      assertThat(s.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
        assertThat(o.getKind()).isEqualTo("Service");
        assertThat(o.getName()).isEqualTo("front");
        assertThat(o.getController()).isTrue();
      });
      assertThat(s.getAddressType()).isEqualTo("IPv4");
      assertThat(s.getPorts()).singleElement().satisfies(p -> assertThat(p.getPort()).isEqualTo(8080));
    });
    assertThat(kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=front"))
        .containsPattern("front-\\w+ +IPv4 +8080 +\\d");
    // nothing changes, nothing is written (both controllers run in two processes; one leads)
    String epVersion = client.endpoints().inNamespace(NS).withName("front").get().getMetadata().getResourceVersion();
    String sliceVersion = slicesOf("front").get(0).getMetadata().getResourceVersion();
    Thread.sleep(3000);
    assertThat(client.endpoints().inNamespace(NS).withName("front").get().getMetadata().getResourceVersion()).isEqualTo(epVersion);
    assertThat(slicesOf("front").get(0).getMetadata().getResourceVersion()).isEqualTo(sliceVersion);

    kubectl("scale", "deploy/front", "--replicas=3");
    await("3 endpoints").atMost(Duration.ofSeconds(60)).until(() -> {
      var ready = readyPods("front");
      return ready.size() == 3 && ready.equals(endpointPods("front")) && ready.equals(slicePods("front"));
    });
    kubectl("scale", "deploy/front", "--replicas=1");
    await("1 endpoint").atMost(Duration.ofSeconds(60)).until(() -> {
      var ready = readyPods("front");
      return ready.size() == 1 && ready.equals(endpointPods("front")) && ready.equals(slicePods("front"));
    });

    kubectl("delete", "svc", "front");
    await("endpoints and slices deleted with the service").atMost(Duration.ofSeconds(30)).until(() ->
        client.endpoints().inNamespace(NS).withName("front").get() == null && slicesOf("front").isEmpty());
    assertThat(kubectl("get", "endpoints", "front")).contains("NotFound");
    kubectl("delete", "deploy/front", "--wait=false");
  }

  @Test
  @Order(6)
  void aStandbyTakesOverWithin15Seconds() throws Exception {
    String holder = client.leases().inNamespace("kube-system").withName("keelson-controller-manager").get().getSpec().getHolderIdentity();
    // Which process leads: the one whose log says so.
    int leader = Files.readString(dir.resolve("cm-a.log")).contains("controllers running") ? 0 : 1;
    long killed = System.nanoTime();
    managers.get(leader).destroyForcibly();
    client.apps().deployments().inNamespace(NS).resource(deployment("after", 1, "keelson.local/busybox:1")).create();
    await("new leader acts").atMost(Duration.ofSeconds(20)).until(() -> {
      Deployment d = client.apps().deployments().inNamespace(NS).withName("after").get();
      return d != null && d.getStatus() != null && n(d.getStatus().getAvailableReplicas()) == 1;
    });
    Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
    System.out.println("controller-manager failover: deployment available " + takeover.toMillis() + " ms after killing the leader");
    assertThat(client.leases().inNamespace("kube-system").withName("keelson-controller-manager").get().getSpec().getHolderIdentity()).isNotEqualTo(holder);
    assertThat(takeover).isLessThan(Duration.ofSeconds(15));
  }

  @Test
  @Order(7)
  void podsOfASilentNodeAreEvictedAndReplacedElsewhereAndGarbageCollectedWithTheNode() {
    // A node that never heartbeats (no agent, no Lease), with a ready pod on it that a
    // ReplicaSet adopts by its labels.
    client.nodes().resource(new io.fabric8.kubernetes.api.model.NodeBuilder()
        .withNewMetadata().withName("ghost").withLabels(Map.of("kubernetes.io/hostname", "ghost")).endMetadata().build()).create();
    Pod ghostPod = client.pods().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withName("ha-ghost").withLabels(Map.of("app", "ha")).endMetadata()
        .withNewSpec().withNodeName("ghost").addNewContainer().withName("ha").withImage("keelson.local/busybox:1").withCommand("sleep", "3600").endContainer().endSpec()
        .build()).create();
    ghostPod.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Running")
        .addNewCondition().withType("Ready").withStatus("True").withLastTransitionTime(java.time.Instant.now().toString()).endCondition().build());
    client.pods().inNamespace(NS).resource(ghostPod).updateStatus();
    client.apps().replicaSets().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder()
        .withNewMetadata().withName("ha").endMetadata()
        .withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(Map.of("app", "ha")).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "ha")).endMetadata()
        .withNewSpec().addNewContainer().withName("ha").withImage("keelson.local/busybox:1").withCommand("sleep", "3600").endContainer().endSpec()
        .endTemplate().endSpec().build()).create();
    await("adopted").atMost(Duration.ofSeconds(30)).until(() -> {
      Pod p = client.pods().inNamespace(NS).withName("ha-ghost").get();
      return p.getMetadata().getOwnerReferences() != null && p.getMetadata().getOwnerReferences().stream().anyMatch(r -> "ha".equals(r.getName()));
    });
    await("ghost unreachable").atMost(Duration.ofSeconds(60)).until(() -> unreachable(client.nodes().withName("ghost").get()));
    await("evicted and replaced on a live node").atMost(Duration.ofSeconds(60)).until(() -> {
      Pod old = client.pods().inNamespace(NS).withName("ha-ghost").get();
      boolean evicted = old == null || old.getMetadata().getDeletionTimestamp() != null;
      boolean replaced = livePods("ha").stream().anyMatch(p -> p.getSpec().getNodeName() != null && p.getSpec().getNodeName().startsWith("hollow-")
          && p.getStatus() != null && "Running".equals(p.getStatus().getPhase()));
      return evicted && replaced;
    });
    client.nodes().withName("ghost").delete();
    await("pod GC removes pods bound to a deleted node").atMost(Duration.ofSeconds(60)).until(() ->
        client.pods().inNamespace(NS).withName("ha-ghost").get() == null);
  }

  @Test
  @Order(8)
  void silentNodesAreTaintedAndTheirPodsEvicted() throws Exception {
    Path agentPid = dir.resolve("run/agent-hollow.pid");
    Assumptions.assumeTrue(Files.exists(agentPid), "no hollow agent pid file");
    long pid = Long.parseLong(Files.readString(agentPid).trim());
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    await("nodes unreachable").atMost(Duration.ofSeconds(60)).until(() ->
        client.nodes().list().getItems().stream().filter(n -> n.getMetadata().getName().startsWith("hollow-")).allMatch(ControllersIT::unreachable));
    await("pods evicted after their toleration").atMost(Duration.ofSeconds(30)).until(() ->
        client.pods().inNamespace(NS).withLabel("app", "after").list().getItems().stream()
            .filter(p -> p.getSpec().getNodeName() != null)
            .allMatch(p -> p.getMetadata().getDeletionTimestamp() != null));
  }

  private static boolean unreachable(Node n) {
    boolean tainted = n.getSpec() != null && n.getSpec().getTaints() != null
        && n.getSpec().getTaints().stream().anyMatch(t -> "node.kubernetes.io/unreachable".equals(t.getKey()) && "NoExecute".equals(t.getEffect()));
    boolean unknown = n.getStatus() == null || n.getStatus().getConditions() == null || n.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "Unknown".equals(c.getStatus()));
    return tainted && unknown;
  }

}
