package io.keelson.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.keelson.agent.driver.fake.FakeDriver;
import io.keelson.agent.harness.AgentHarness;
import io.keelson.agent.harness.FakeControlPlane;
import io.keelson.agent.harness.MemoryClusterObjects;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent end to end (registration, pod lifecycle, termination, recovery) on the fake driver. */
class AgentTest {
  @TempDir Path stateDir;
  AgentHarness h;

  @BeforeEach
  void start() throws Exception {
    h = AgentHarness.start(stateDir);
    await().atMost(Duration.ofSeconds(10)).until(() -> h.controlPlane.leases().containsKey("node-1"));
  }

  @AfterEach
  void stop() {
    h.close();
    h.controlPlane.close();
  }

  static PodBuilder pod(String name) {
    return new PodBuilder()
        .withNewMetadata().withName(name).withNamespace("default").endMetadata()
        .withNewSpec().withNodeName("node-1")
        .addNewContainer().withName("main").withImage("keelson.local/busybox:latest").withCommand("sleep", "3600").endContainer()
        .endSpec();
  }

  PodStatus status(Pod p) {
    return h.controlPlane.status(p);
  }

  static String condition(PodStatus s, String type) {
    return s.getConditions().stream().filter(c -> c.getType().equals(type)).map(PodCondition::getStatus).findFirst().orElse(null);
  }

  static ContainerStatus container(PodStatus s, String name) {
    return s.getContainerStatuses().stream().filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void registersTheNodeWithCapacityLabelsAndReadyCondition() {
    var node = h.controlPlane.nodes().get("node-1");
    assertThat(node.getMetadata().getLabels())
        .containsEntry("kubernetes.io/hostname", "node-1")
        .containsEntry("kubernetes.io/os", "linux")
        .containsEntry("keelson.io/runtime.fake", "true");
    assertThat(node.getStatus().getCapacity()).containsKeys("cpu", "memory", "pods", "ephemeral-storage");
    assertThat(node.getStatus().getCapacity().get("pods").getAmount()).isEqualTo("110");
    assertThat(node.getStatus().getConditions()).anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
    assertThat(node.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort()).isEqualTo(h.agent.port());
    assertThat(node.getStatus().getAddresses()).anyMatch(a -> a.getType().equals("InternalIP"));
  }

  @Test
  void podBecomesRunningAndReadyWithKubectlStatus() {
    Pod p = h.controlPlane.apply(pod("web").build());
    await().atMost(Duration.ofSeconds(10)).until(() -> status(p) != null && "True".equals(condition(status(p), "Ready")));
    PodStatus s = status(p);
    assertThat(s.getPhase()).isEqualTo("Running");
    assertThat(s.getPodIP()).startsWith("10.244.0.");
    assertThat(s.getHostIP()).isEqualTo("127.0.0.1");
    assertThat(s.getStartTime()).isNotNull();
    assertThat(condition(s, "Initialized")).isEqualTo("True");
    assertThat(condition(s, "ContainersReady")).isEqualTo("True");
    assertThat(condition(s, "PodScheduled")).isEqualTo("True");
    ContainerStatus c = container(s, "main");
    assertThat(c.getState().getRunning()).isNotNull();
    assertThat(c.getContainerID()).startsWith("fake://");
    assertThat(c.getRestartCount()).isZero();
    assertThat(c.getReady()).isTrue();
    assertThat(h.objects.reasons("web")).contains("Pulled", "Created", "Started");
  }

  @Test
  void crashingContainerRestartsWithBackOffAndKeepsLastState() {
    h.driver.behaviour(cfg -> new FakeDriver.Behaviour.ExitAfter(Duration.ofMillis(50), 3));
    Pod p = h.controlPlane.apply(pod("crash").build());
    await().atMost(Duration.ofSeconds(15)).until(() -> status(p) != null && container(status(p), "main").getRestartCount() >= 2);
    ContainerStatus c = container(status(p), "main");
    assertThat(c.getLastState().getTerminated().getExitCode()).isEqualTo(3);
    assertThat(c.getLastState().getTerminated().getReason()).isEqualTo("Error");
    assertThat(status(p).getPhase()).isEqualTo("Running");
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      var w = container(status(p), "main").getState().getWaiting();
      return w != null && w.getReason().equals("CrashLoopBackOff");
    });
    assertThat(h.objects.reasons("crash")).contains("BackOff");
  }

  @Test
  void restartPolicyNeverEndsFailedAndOnFailureEndsSucceeded() {
    h.driver.behaviour(cfg -> new FakeDriver.Behaviour.ExitAfter(Duration.ofMillis(50), cfg.containerName().equals("bad") ? 1 : 0));
    Pod never = h.controlPlane.apply(pod("never").editSpec().withRestartPolicy("Never").editFirstContainer().withName("bad").endContainer().endSpec().build());
    Pod ok = h.controlPlane.apply(pod("ok").editSpec().withRestartPolicy("OnFailure").endSpec().build());
    await().atMost(Duration.ofSeconds(10)).until(() -> status(never) != null && "Failed".equals(status(never).getPhase()));
    await().atMost(Duration.ofSeconds(10)).until(() -> status(ok) != null && "Succeeded".equals(status(ok).getPhase()));
    assertThat(container(status(never), "bad").getState().getTerminated().getExitCode()).isEqualTo(1);
    assertThat(container(status(never), "bad").getRestartCount()).isZero();
    assertThat(container(status(ok), "main").getState().getTerminated().getReason()).isEqualTo("Completed");
    // a finished pod releases its sandbox
    await().atMost(Duration.ofSeconds(5)).until(() -> h.driver.sandboxes().isEmpty());
  }

  @Test
  void initContainersRunInOrderBeforeAppContainers() {
    h.driver.behaviour(cfg -> cfg.containerName().startsWith("init")
        ? new FakeDriver.Behaviour.ExitAfter(Duration.ofMillis(100), 0) : new FakeDriver.Behaviour.RunForever());
    Pod p = h.controlPlane.apply(pod("inits").editSpec()
        .addNewInitContainer().withName("init-1").withImage("busybox").withCommand("true").endInitContainer()
        .addNewInitContainer().withName("init-2").withImage("busybox").withCommand("true").endInitContainer()
        .endSpec().build());
    await().atMost(Duration.ofSeconds(10)).until(() -> status(p) != null && "Running".equals(status(p).getPhase()));
    List<String> started = h.objects.events.stream()
        .filter(e -> e.pod().equals("inits") && e.reason().equals("Started")).map(e -> e.message()).toList();
    assertThat(started).containsExactly("Started container init-1", "Started container init-2", "Started container main");
    assertThat(condition(status(p), "Initialized")).isEqualTo("True");
    assertThat(status(p).getInitContainerStatuses()).allMatch(s -> s.getState().getTerminated().getExitCode() == 0);
  }

  @Test
  void failingLivenessProbeRestartsTheContainer() {
    h.driver.exec(cmd -> new FakeDriver.ExecResult(cmd.contains("healthy") ? 1 : 0, "unhealthy"));
    Pod p = h.controlPlane.apply(pod("live").editSpec().editFirstContainer()
        .withNewLivenessProbe().withNewExec().withCommand("cat", "healthy").endExec()
        .withPeriodSeconds(1).withFailureThreshold(1).endLivenessProbe().endContainer().endSpec().build());
    await().atMost(Duration.ofSeconds(15)).until(() -> status(p) != null && container(status(p), "main").getRestartCount() >= 1);
    assertThat(h.objects.reasons("live")).contains("Unhealthy", "Killing");
  }

  @Test
  void readinessProbeDrivesTheReadyCondition() {
    h.driver.exec(cmd -> new FakeDriver.ExecResult(1, "not yet"));
    Pod p = h.controlPlane.apply(pod("ready").editSpec().editFirstContainer()
        .withNewReadinessProbe().withNewExec().withCommand("check").endExec().withPeriodSeconds(1).endReadinessProbe()
        .endContainer().endSpec().build());
    await().atMost(Duration.ofSeconds(10)).until(() -> status(p) != null && "Running".equals(status(p).getPhase()));
    assertThat(condition(status(p), "Ready")).isEqualTo("False");
    h.driver.exec(cmd -> new FakeDriver.ExecResult(0, ""));
    await().atMost(Duration.ofSeconds(10)).until(() -> "True".equals(condition(status(p), "Ready")));
  }

  @Test
  void envFromConfigMapsSecretsAndDownwardApi() {
    h.objects.configMaps.put("default/cfg", new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
        .withNewMetadata().withName("cfg").endMetadata().addToData("color", "blue").build());
    h.objects.secrets.put("default/sec", new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withName("sec").endMetadata().addToData("pw", "czNjcjN0").build());
    Pod p = h.controlPlane.apply(pod("env").editSpec().editFirstContainer()
        .addNewEnv().withName("COLOR").withNewValueFrom().withNewConfigMapKeyRef("color", "cfg", false).endValueFrom().endEnv()
        .addNewEnv().withName("PW").withNewValueFrom().withNewSecretKeyRef("pw", "sec", false).endValueFrom().endEnv()
        .addNewEnv().withName("ME").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef().endValueFrom().endEnv()
        .addNewEnv().withName("GREETING").withValue("$(ME) likes $(COLOR)").endEnv()
        .endContainer().endSpec().build());
    await().atMost(Duration.ofSeconds(10)).until(() -> status(p) != null && "Running".equals(status(p).getPhase()));
    var env = h.driver.taskConfig(h.driver.runningTasks().getFirst()).env();
    assertThat(env).containsEntry("COLOR", "blue").containsEntry("PW", "s3cr3t").containsEntry("ME", "env")
        .containsEntry("GREETING", "env likes blue");
  }

  @Test
  void missingConfigMapIsCreateContainerConfigError() {
    Pod p = h.controlPlane.apply(pod("nocfg").editSpec().editFirstContainer()
        .addNewEnv().withName("X").withNewValueFrom().withNewConfigMapKeyRef("k", "missing", false).endValueFrom().endEnv()
        .endContainer().endSpec().build());
    await().atMost(Duration.ofSeconds(10)).until(() -> status(p) != null && container(status(p), "main").getState().getWaiting() != null
        && "CreateContainerConfigError".equals(container(status(p), "main").getState().getWaiting().getReason()));
    assertThat(container(status(p), "main").getState().getWaiting().getMessage()).isEqualTo("configmap \"missing\" not found");
    assertThat(status(p).getPhase()).isEqualTo("Pending");
  }

  @Test
  void gracefulDeletionStopsEverythingAndConfirms() {
    Pod p = h.controlPlane.apply(pod("del").build());
    await().atMost(Duration.ofSeconds(10)).until(() -> status(p) != null && "Running".equals(status(p).getPhase()));
    h.controlPlane.delete("default", "del", 5);
    await().atMost(Duration.ofSeconds(10)).until(() -> h.controlPlane.confirmed().contains("default/del"));
    assertThat(h.controlPlane.pod("default", "del")).isNull();
    assertThat(h.driver.tasks()).isEmpty();
    assertThat(h.driver.sandboxes()).isEmpty();
    assertThat(h.objects.reasons("del")).contains("Killing");
    await().atMost(Duration.ofSeconds(5)).until(() -> !stateDir.resolve("pods").resolve(p.getMetadata().getUid()).toFile().exists());
  }

  @Test
  void restartedAgentRecoversRunningPodsAndCleansUpDeletedOnes() throws Exception {
    Pod keep = h.controlPlane.apply(pod("keep").build());
    Pod gone = h.controlPlane.apply(pod("gone").build());
    await().atMost(Duration.ofSeconds(10)).until(() -> status(keep) != null && status(gone) != null
        && "Running".equals(status(keep).getPhase()) && "Running".equals(status(gone).getPhase()));
    String taskId = container(status(keep), "main").getContainerID();
    h.stopAgent(); // kill -9: the workloads keep running
    h.controlPlane.remove("default", "gone"); // deleted while the agent was away
    int tasksBefore = h.driver.tasks().size();
    assertThat(tasksBefore).isEqualTo(2);

    AgentHarness again = new AgentHarness(h.controlPlane, h.driver, h.objects, stateDir, "node-1", 0);
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> h.driver.tasks().size() == 1);
      assertThat(h.driver.tasks()).hasSize(1);
      assertThat("fake://" + h.driver.tasks().getFirst()).isEqualTo(taskId); // same container, not a new one
      int writes = h.controlPlane.statusWrites();
      await().atMost(Duration.ofSeconds(10)).until(() -> h.controlPlane.statusWrites() > writes || writes > 0);
      assertThat(container(status(keep), "main").getRestartCount()).isZero();
      assertThat(container(status(keep), "main").getContainerID()).isEqualTo(taskId);
    } finally {
      again.close();
    }
  }

  @Test
  void hollowNodesRunManyPodsCheaply() throws Exception {
    FakeControlPlane cp = new FakeControlPlane();
    try (AgentHarness hollow = new AgentHarness(cp, new FakeDriver(false), new MemoryClusterObjects(),
        stateDir.resolve("hollow"), "hollow", 50)) {
      await().atMost(Duration.ofSeconds(20)).until(() -> cp.nodes().size() == 50 && cp.leases().size() == 50);
      assertThat(cp.nodes().get("hollow-7").getMetadata().getLabels()).containsEntry("keelson.io/hollow", "true");
      List<Pod> pods = new java.util.ArrayList<>();
      for (int i = 0; i < 200; i++) {
        // mounting a volume, as every pod mounts its API credentials: a hollow node writes none but must not fail
        pods.add(cp.apply(pod("p" + i).editSpec().withNodeName("hollow-" + (i % 50 + 1))
            .addNewVolume().withName("kube-api-access-x1y2z").withNewEmptyDir().endEmptyDir().endVolume()
            .editFirstContainer().addNewVolumeMount().withName("kube-api-access-x1y2z")
            .withMountPath("/var/run/secrets/kubernetes.io/serviceaccount").withReadOnly(true).endVolumeMount().endContainer()
            .endSpec().build()));
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> pods.stream()
          .allMatch(p -> cp.status(p) != null && "True".equals(condition(cp.status(p), "Ready"))));
      assertThat(hollow.objects.events).isEmpty(); // hollow nodes stay quiet
      cp.delete("default", "p3", 30);
      await().atMost(Duration.ofSeconds(10)).until(() -> cp.pod("default", "p3") == null);
    } finally {
      cp.close();
    }
  }
}
