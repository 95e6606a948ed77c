package io.keelson.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.keelson.agent.api.NodeServiceConnection;
import io.keelson.agent.driver.DriverCapabilities;
import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.ExitResult;
import io.keelson.agent.driver.Fingerprint;
import io.keelson.agent.driver.PodNetwork;
import io.keelson.agent.driver.SandboxConfig;
import io.keelson.agent.driver.SandboxHandle;
import io.keelson.agent.driver.TaskConfig;
import io.keelson.agent.driver.TaskHandle;
import io.keelson.agent.driver.TaskStats;
import io.keelson.agent.driver.TaskStatus;
import io.keelson.agent.driver.WorkloadDriver;
import io.keelson.agent.driver.fake.FakeDriver;
import io.keelson.agent.harness.FakeControlPlane;
import io.keelson.agent.harness.MemoryClusterObjects;
import io.keelson.agent.pod.FakeImages;
import io.keelson.agent.pod.FakeNetwork;
import io.keelson.agent.pod.NetworkProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A driver that starts containers before the pod network is ready (runc) gets CNI ADD running
 * beside the container's creation: the pod is reported Running only with its IP, and a network that
 * fails fails the sandbox with the plugin's message, runs no container and is cleaned up.
 */
class PodNetworkOverlapTest {
  @TempDir Path stateDir;
  FakeControlPlane controlPlane;
  NodeServiceConnection connection;
  Agent agent;
  final GatedDriver driver = new GatedDriver();
  final SlowNetwork network = new SlowNetwork();
  final MemoryClusterObjects objects = new MemoryClusterObjects();

  @BeforeEach
  void start() throws Exception {
    controlPlane = new FakeControlPlane();
    connection = new NodeServiceConnection(controlPlane.channel(), "test-token");
    AgentOptions options = new AgentOptions(null, "node-1", stateDir, 0, "127.0.0.1", stateDir.resolve("images"), 0, 0, 0, true);
    Agent.Runtime runtime = new Agent.Runtime(Map.of("runc", driver), "runc", new FakeImages(), () -> network, objects);
    agent = new Agent(options, runtime, connection).backoffBase(Duration.ofMillis(200)).start();
    await().atMost(Duration.ofSeconds(10)).until(() -> controlPlane.leases().containsKey("node-1"));
  }

  @AfterEach
  void stop() {
    network.release.countDown();
    agent.close();
    connection.close();
    controlPlane.close();
  }

  @Test
  void theContainerIsCreatedWhileCniRunsAndTheRunningStatusHasTheIp() throws Exception {
    Pod p = controlPlane.apply(AgentTest.pod("web").build());
    await().atMost(Duration.ofSeconds(10)).untilTrue(driver.startedWhileNetworkPending);
    PodStatus waiting = controlPlane.status(p);
    assertThat(waiting == null || !"Running".equals(waiting.getPhase())).isTrue();
    assertThat(waiting == null ? null : waiting.getPodIP()).isNull();

    network.release.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> controlPlane.status(p) != null && "Running".equals(controlPlane.status(p).getPhase()));
    PodStatus s = controlPlane.status(p);
    assertThat(s.getPodIP()).startsWith("10.244.0.");
    // the container's /etc/hosts (bind-mounted before the IP was known) has it before the container runs
    assertThat(Files.readString(hostsFile())).contains(s.getPodIP() + "\tweb");
  }

  @Test
  void aFailedCniAddFailsTheSandboxWithItsMessageStartsNothingAndCleansUp() throws Exception {
    network.failing.set(true);
    Pod p = controlPlane.apply(AgentTest.pod("web").build());
    await().atMost(Duration.ofSeconds(10)).untilTrue(driver.startedWhileNetworkPending);
    network.release.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> controlPlane.status(p) != null
        && "FailedCreatePodSandBox".equals(controlPlane.status(p).getReason()));
    PodStatus s = controlPlane.status(p);
    assertThat(s.getPhase()).isEqualTo("Pending");
    assertThat(s.getMessage()).contains("no IP addresses available in range set");
    assertThat(s.getPodIP()).isNull();
    assertThat(s.getContainerStatuses().get(0).getState().getWaiting().getReason()).isEqualTo("ContainerCreating");
    assertThat(s.getContainerStatuses().get(0).getRestartCount()).isZero();
    assertThat(driver.started).hasValue(0);
    await().atMost(Duration.ofSeconds(5)).until(() -> network.tornDown.get() >= 1 && driver.sandboxes.isEmpty());
    assertThat(objects.reasons("web")).contains("FailedCreatePodSandBox");

    network.failing.set(false); // the sandbox is retried and the pod starts
    await().atMost(Duration.ofSeconds(15)).until(() -> "Running".equals(controlPlane.status(p).getPhase()));
    assertThat(controlPlane.status(p).getPodIP()).startsWith("10.244.0.");
  }

  @Test
  void aPodArrivingWhileAnotherPodsNetworkIsSetUpGetsItsNetworkFirst() throws Exception {
    Pod a = controlPlane.apply(AgentTest.pod("a").build());
    await().atMost(Duration.ofSeconds(10)).untilTrue(driver.startedWhileNetworkPending);
    Pod b = controlPlane.apply(AgentTest.pod("b").build());
    await().atMost(Duration.ofSeconds(10)).until(() -> network.setUps.get() == 2); // b's set-up waits too
    network.release.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> controlPlane.status(a) != null && controlPlane.status(b) != null
        && "Running".equals(controlPlane.status(a).getPhase()) && "Running".equals(controlPlane.status(b).getPhase()));
    // only a's container was created before its network was ready: b's set-up ran first, the serial way
    assertThat(driver.createdBeforeNetwork).containsExactly(a.getMetadata().getUid());
    assertThat(controlPlane.status(b).getPodIP()).startsWith("10.244.0.");
  }

  private Path hostsFile() throws Exception {
    try (Stream<Path> files = Files.walk(stateDir)) {
      return files.filter(f -> f.endsWith(Path.of("etc", "hosts"))).findFirst().orElseThrow();
    }
  }

  /** CNI ADD that waits for {@link #release} and then succeeds or fails like an exhausted host-local range. */
  static final class SlowNetwork implements NetworkProvider {
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicBoolean failing = new AtomicBoolean();
    final AtomicInteger tornDown = new AtomicInteger();
    final AtomicInteger setUps = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();
    private final FakeNetwork ips = new FakeNetwork();

    @Override
    public boolean busy() {
      return inFlight.get() > 0;
    }

    @Override
    public PodNetwork createNamespace(String sandboxId, String podUid, String podCidr) {
      return new PodNetwork(Path.of("/dev/null"), "eth0", null, 0, null, null);
    }

    @Override
    public PodNetwork setUp(String sandboxId, String podUid, String namespace, String name, String podCidr) throws DriverException {
      setUps.incrementAndGet();
      inFlight.incrementAndGet();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        inFlight.decrementAndGet();
      }
      if (failing.get()) {
        throw new DriverException("FailedCreatePodSandBox", "failed to set up the network of sandbox " + sandboxId
            + ": bridge ADD: failed to allocate for range 0: no IP addresses available in range set: 10.244.0.1-10.244.0.254", null);
      }
      return ips.setUp(sandboxId, podUid, namespace, name, podCidr);
    }

    @Override
    public void tearDown(String sandboxId, String podUid) {
      tornDown.incrementAndGet();
      ips.tearDown(sandboxId, podUid);
    }
  }

  /** The fake driver, holding each container's start until its sandbox's network is ready, as runc's gate does. */
  static final class GatedDriver implements WorkloadDriver {
    final FakeDriver fake = new FakeDriver(false);
    final Map<String, CompletableFuture<PodNetwork>> sandboxes = new ConcurrentHashMap<>();
    final AtomicBoolean startedWhileNetworkPending = new AtomicBoolean();
    final List<String> createdBeforeNetwork = new java.util.concurrent.CopyOnWriteArrayList<>();

    final AtomicInteger started = new AtomicInteger();

    @Override
    public boolean startsBeforeNetworkReady() {
      return true;
    }

    @Override
    public String name() {
      return "runc";
    }

    @Override
    public DriverCapabilities capabilities() {
      return fake.capabilities();
    }

    @Override
    public Fingerprint fingerprint() {
      return fake.fingerprint();
    }

    @Override
    public SandboxHandle startSandbox(SandboxConfig config) throws DriverException {
      sandboxes.put(config.sandboxId(), config.networkReady());
      return fake.startSandbox(config);
    }

    @Override
    public void recoverSandbox(SandboxHandle handle) throws DriverException {
      fake.recoverSandbox(handle);
    }

    @Override
    public void destroySandbox(String sandboxId, Duration grace) throws DriverException {
      sandboxes.remove(sandboxId);
      fake.destroySandbox(sandboxId, grace);
    }

    @Override
    public TaskHandle startTask(TaskConfig config) throws DriverException {
      CompletableFuture<PodNetwork> ready = sandboxes.get(config.sandboxId());
      if (ready != null && !ready.isDone()) {
        createdBeforeNetwork.add(config.sandboxId());
        startedWhileNetworkPending.set(true);
      }
      try {
        if (ready != null) {
          ready.get(30, TimeUnit.SECONDS);
        }
      } catch (Exception e) {
        throw new DriverException("CreateContainerError", "the pod network could not be set up: " + e.getMessage(), e);
      }
      TaskHandle t = fake.startTask(config);
      started.incrementAndGet();
      return t;
    }

    @Override
    public void recoverTask(TaskHandle handle) throws DriverException {
      fake.recoverTask(handle);
    }

    @Override
    public CompletableFuture<ExitResult> awaitTask(String taskId) {
      return fake.awaitTask(taskId);
    }

    @Override
    public void stopTask(String taskId, Duration grace) throws DriverException {
      fake.stopTask(taskId, grace);
    }

    @Override
    public void destroyTask(String taskId, boolean force) throws DriverException {
      fake.destroyTask(taskId, force);
    }

    @Override
    public TaskStatus inspectTask(String taskId) throws DriverException {
      return fake.inspectTask(taskId);
    }

    @Override
    public TaskStats taskStats(String taskId) throws DriverException {
      return fake.taskStats(taskId);
    }
  }
}
