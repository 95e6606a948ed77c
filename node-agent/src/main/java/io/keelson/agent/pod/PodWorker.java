package io.keelson.agent.pod;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Probe;
import io.keelson.agent.dns.NodeDns;
import io.keelson.agent.dns.ResolvConf;
import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.ExitResult;
import io.keelson.agent.driver.PodNetwork;
import io.keelson.agent.driver.SandboxConfig;
import io.keelson.agent.driver.SandboxHandle;
import io.keelson.agent.driver.TaskConfig;
import io.keelson.agent.driver.TaskHandle;
import io.keelson.agent.driver.WorkloadDriver;
import io.keelson.agent.probe.Prober;
import io.keelson.agent.state.PodState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The level-triggered sync loop of one pod (on a virtual thread): whenever something changes — a
 * new pod spec, a container exit, a probe result, a back-off timer — it compares what runs with what
 * the spec wants and takes the next step: set up the sandbox, run init containers in order, start
 * app containers, restart them per restartPolicy with exponential back-off, kill on liveness
 * failure, terminate gracefully on deletion, and report the resulting status.
 */
public final class PodWorker {
  private static final Logger log = LoggerFactory.getLogger(PodWorker.class);
  private static final Duration BACKOFF_RESET = Duration.ofMinutes(10);

  private final NodeContext ctx;
  private final String uid;
  private final Runnable onFinished;
  /** Guards the pod's state; held while syncing (which may take long: pulls, graceful stops). */
  private final ReentrantLock lock = new ReentrantLock();
  /** Separate from {@link #lock} so that exit callbacks and probes can always wake the worker. */
  private final ReentrantLock signalLock = new ReentrantLock();
  private final Condition signal = signalLock.newCondition();
  private boolean dirty = true;
  private volatile Pod pod;
  private volatile boolean removed;
  private volatile boolean apiGone;
  private volatile boolean finished;

  // pod-level state (persisted through PodState)
  private String namespace;
  private String name;
  private WorkloadDriver driver;
  private SandboxHandle sandbox;
  private String podIp;
  // the pod's network namespace while its network is set up (port-forward dials inside it)
  private volatile Path netns;
  /**
   * The pod network while CNI ADD runs beside the sandbox's and first containers' creation (for a
   * driver that {@linkplain WorkloadDriver#startsBeforeNetworkReady() starts before it is ready});
   * null once taken over by {@link #absorbNetwork} or when the network was set up first.
   */
  private volatile CompletableFuture<PodNetwork> networkPending;
  private Instant startTime;
  private boolean terminal;
  private final Map<String, ContainerRun> runs = new LinkedHashMap<>();
  private volatile Map<String, ContainerView> views = Map.of();
  private final PodState recovered;
  /** The first start of a newly assigned pod, timed for keelson_agent_pod_start_seconds; null once recovered. */
  private final PodStartTrace startTrace;

  // not persisted
  private final Map<String, Instant> conditionSince = new HashMap<>();
  private final Map<String, Boolean> conditionValue = new HashMap<>();
  private final Map<String, List<ScheduledFuture<?>>> probes = new HashMap<>();
  private Pod qosOf;
  private String qos;
  private String sandboxError;
  private String sandboxErrorReason;
  private Instant sandboxRetryAt;
  private Map<String, Path> volumes = Map.of();
  private Path etcHosts;
  private Path resolvConf;
  private Path etcHostname;
  /**
   * Events of the sync running the pod's first start, posted when that sync ends: posting one
   * (the client's encoding, the api-server and etcd writing it) would otherwise take CPU from
   * runc on a small node while the container starts (Pulled comes just before it). Null otherwise.
   */
  private volatile List<Runnable> heldEvents;

  PodWorker(NodeContext ctx, String uid, PodState recovered, Runnable onFinished) {
    this.ctx = ctx;
    this.uid = uid;
    this.recovered = recovered;
    this.onFinished = onFinished;
    this.startTrace = recovered == null ? new PodStartTrace(System.nanoTime()) : null;
    if (recovered != null) {
      namespace = recovered.namespace();
      name = recovered.name();
      driver = ctx.drivers.byName(recovered.driver());
      sandbox = recovered.sandbox();
      podIp = recovered.podIp();
      startTime = recovered.startTime();
      terminal = recovered.terminal();
      recovered.containers().forEach(c -> runs.put(c.name(), ContainerRun.from(c)));
    }
  }

  void start() {
    Thread.ofVirtual().name("pod-" + uid).start(this::loop);
  }

  /** A newer version of the pod arrived. */
  void update(Pod p) {
    this.pod = p;
    this.namespace = p.getMetadata().getNamespace();
    this.name = p.getMetadata().getName();
    wake();
  }

  /**
   * The pod must go away from this node.
   *
   * @param objectGone the api-server no longer has the object (no ConfirmPodTermination needed)
   */
  void remove(boolean objectGone) {
    this.apiGone |= objectGone;
    this.removed = true;
    wake();
  }

  boolean finished() {
    return finished;
  }

  public String uid() {
    return uid;
  }

  public String namespace() {
    return namespace;
  }

  public String name() {
    return name;
  }

  public Pod pod() {
    return pod;
  }

  /** What the AgentService needs about a container (logs, exec, stats). */
  public record ContainerView(
      String name, WorkloadDriver driver, String taskId, boolean running, Path logPath, Path previousLogPath) {}

  /** The named container, or the first app container for an empty name; null if unknown. */
  public ContainerView container(String containerName) {
    Pod p = pod;
    String wanted = containerName;
    if ((wanted == null || wanted.isEmpty()) && p != null) {
      String def = p.getMetadata().getAnnotations() == null ? null
          : p.getMetadata().getAnnotations().get("kubectl.kubernetes.io/default-container");
      wanted = def != null ? def : p.getSpec().getContainers().get(0).getName();
    }
    return views.get(wanted);
  }

  /** Lock-free: logs, exec and stats must not wait for a long sync step (image pull, graceful stop). */
  public List<ContainerView> containers() {
    return List.copyOf(views.values());
  }

  /** Publishes the containers' current attempts for {@link #container}; called whenever they change. */
  private void publishViews() {
    Map<String, ContainerView> v = new LinkedHashMap<>();
    for (ContainerRun r : runs.values()) {
      v.put(r.name, new ContainerView(
          r.name, driver, r.task == null ? null : r.task.id(), r.running(), r.logPath, r.previousLogPath));
    }
    views = v;
  }

  public String podIp() {
    return podIp;
  }

  /**
   * The pod's network namespace, null with hostNetwork, before the network is set up and after an
   * agent restart (then the pod IP is all there is).
   */
  public Path netns() {
    return netns;
  }

  /** The driver running the pod's sandbox ("runc", "qemu", ...), null before it is chosen. */
  public String driverName() {
    WorkloadDriver d = driver;
    return d == null ? null : d.name();
  }

  private void wake() {
    signalLock.lock();
    try {
      dirty = true;
      signal.signalAll();
    } finally {
      signalLock.unlock();
    }
  }

  private void wakeAt(Instant when) {
    long delay = Math.max(0, Duration.between(Instant.now(), when).toMillis());
    try {
      ctx.timers.schedule(this::wake, delay + 5, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // the agent is shutting down
    }
  }

  /** Stops this worker's loop and probes; the workload keeps running (agent shutdown). */
  void shutdown() {
    finished = true;
    wake();
  }

  private void loop() {
    try {
      if (recovered != null) {
        recover();
      }
      while (!finished) {
        signalLock.lock();
        try {
          while (!dirty && !finished) {
            signal.await();
          }
          dirty = false;
        } finally {
          signalLock.unlock();
        }
        if (finished) {
          break;
        }
        try {
          sync();
        } catch (Exception e) {
          log.error("sync of pod {}/{} failed; retrying", namespace, name, e);
          wakeAt(Instant.now().plusSeconds(2));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      cancelAllProbes();
    }
  }

  /** Re-attach to what was running before the agent restarted; nothing is started twice. */
  private void recover() {
    lock.lock();
    try {
      if (driver == null) {
        log.warn("pod {}/{}: driver {} is gone; its containers are lost", namespace, name, recovered.driver());
        for (ContainerRun r : runs.values()) {
          if (r.running()) {
            r.exit = new ExitResult(255, "ContainerStatusUnknown", Instant.now(), "the runtime is gone");
          }
        }
        return;
      }
      if (sandbox != null && !terminal) {
        try {
          driver.recoverSandbox(sandbox);
        } catch (DriverException e) {
          log.warn("pod {}/{}: sandbox lost: {}", namespace, name, e.getMessage());
          sandbox = null;
        }
        if (sandbox != null && podIp == null) {
          // the agent stopped while the pod network was being set up (no container ran yet): start over
          log.info("pod {}/{}: the pod network was not finished before the agent stopped; setting up the sandbox again", namespace, name);
          releaseSandbox();
        }
      }
      for (ContainerRun r : runs.values()) {
        if (!r.running()) {
          continue;
        }
        try {
          driver.recoverTask(r.task);
          watchExit(r, r.task);
          r.started = true; // re-proven by the startup probe only on new attempts
          r.everRan = true;
        } catch (DriverException e) {
          log.warn("pod {}/{}: container {} lost: {}", namespace, name, r.name, e.getMessage());
          r.exit = new ExitResult(255, "ContainerStatusUnknown", Instant.now(), "The container could not be located when the agent restarted");
        }
      }
      persist();
      log.info("pod {}/{}: recovered {} container(s)", namespace, name, runs.size());
    } finally {
      lock.unlock();
    }
  }

  private void sync() throws InterruptedException {
    if (removed || (pod != null && pod.getMetadata().getDeletionTimestamp() != null)) {
      terminate();
      return;
    }
    Pod p = pod;
    if (p == null) {
      return; // recovered from disk, waiting for the api-server's copy
    }
    if (startTime == null) {
      startTime = Instant.now();
    }
    trace(PodStartTrace.QUEUED);
    if (startTrace != null && !startTrace.done() && !ctx.hollow) {
      heldEvents = new ArrayList<>();
    }
    lock.lock();
    try {
      observeExits();
      if (!terminal) {
        step(p);
      }
      PodStatus status = status(p);
      boolean justStarted = false;
      if (startTrace != null && !startTrace.done() && "Running".equals(status.getPhase())) {
        Duration took = startTrace.finish(System.nanoTime());
        ctx.starts.podStarted(namespace, name, took, startTrace.phases());
        justStarted = true;
      }
      if (!terminal && ("Succeeded".equals(status.getPhase()) || "Failed".equals(status.getPhase()))) {
        releaseSandbox();
        terminal = true;
        persist();
      }
      ctx.controlPlane.reportStatus(namespace, name, uid, PodStatusJson.write(status));
      if (justStarted) {
        ctx.network.settled(sandboxId()); // after the status: the network's background work may run now
      }
    } finally {
      lock.unlock();
      postHeldEvents();
    }
  }

  /** Posts the events held back while the pod's first start was under way (see {@link #event}). */
  private void postHeldEvents() {
    List<Runnable> held = heldEvents;
    if (held == null) {
      return;
    }
    heldEvents = null;
    synchronized (held) {
      held.forEach(Runnable::run);
    }
  }

  /** One step towards the desired state. Runs under the lock. */
  private void step(Pod p) throws InterruptedException {
    if (sandbox == null) {
      if (sandboxRetryAt != null && Instant.now().isBefore(sandboxRetryAt)) {
        return;
      }
      if (!startSandbox(p)) {
        return;
      }
    }
    if (!absorbNetwork(p)) {
      return;
    }
    if (volumes.isEmpty() && p.getSpec().getVolumes() != null && !p.getSpec().getVolumes().isEmpty() && !ctx.hollow) {
      try {
        volumes = ctx.volumes.materialise(p, ctx.state.podDir(uid));
      } catch (DriverException e) {
        failSandbox(p, e);
        return;
      }
    }
    String policy = restartPolicy(p);
    // init containers, in order, each to successful completion
    for (Container c : initContainers(p)) {
      ContainerRun r = run(c, true);
      if (r.succeeded()) {
        continue;
      }
      if (r.running()) {
        ensureProbes(p, c, r);
        return;
      }
      if (r.exited() && policy.equals("Never")) {
        return; // the pod failed
      }
      maybeStart(p, c, r, policy);
      return;
    }
    for (Container c : p.getSpec().getContainers()) {
      ContainerRun r = run(c, false);
      if (r.running()) {
        ensureProbes(p, c, r);
        continue;
      }
      if (r.exited() && !willRestart(policy, r)) {
        continue;
      }
      maybeStart(p, c, r, policy);
    }
    // ephemeral containers (kubectl debug): started once, never restarted, whatever the policy
    for (Container c : EphemeralContainers.of(p)) {
      ContainerRun r = run(c, false);
      if (r.task == null) {
        startContainer(p, c, r);
      }
    }
  }

  private ContainerRun run(Container c, boolean init) {
    return runs.computeIfAbsent(c.getName(), n -> new ContainerRun(n, init));
  }

  private static boolean willRestart(String policy, ContainerRun r) {
    return policy.equals("Always") || (policy.equals("OnFailure") && !r.succeeded());
  }

  private static String restartPolicy(Pod p) {
    String policy = p.getSpec().getRestartPolicy();
    return policy == null || policy.isEmpty() ? "Always" : policy;
  }

  private static List<Container> initContainers(Pod p) {
    return p.getSpec().getInitContainers() == null ? List.of() : p.getSpec().getInitContainers();
  }

  private boolean startSandbox(Pod p) {
    try {
      driver = ctx.drivers.select(p);
      String sandboxId = sandboxId();
      Path podDir = ctx.state.podDir(uid);
      makeDirs(podDir);
      boolean hostNetwork = Boolean.TRUE.equals(p.getSpec().getHostNetwork());
      String hostname = hostname(p);
      PodNetwork network = null;
      if (!hostNetwork) {
        // a driver whose containers join the namespace by path needs only the namespace now: CNI ADD
        // then runs while the sandbox and the first container are created (their process waits for it)
        // (not while other pods' networks are being set up: see NetworkProvider.busy)
        // (a network set up ahead of the pod comes with its address either way: nothing left to do)
        network = driver.startsBeforeNetworkReady() && !ctx.hollow && !ctx.network.busy()
            ? ctx.network.createNamespace(sandboxId, uid, ctx.podCidr) : null;
        if (network == null) {
          network = ctx.network.setUp(sandboxId, uid, namespace, name, ctx.podCidr);
        }
        podIp = network.ip();
        netns = network.netnsPath();
      } else {
        podIp = ctx.hostIp;
      }
      trace(PodStartTrace.NETWORK);
      if (!ctx.hollow) {
        writeEtcFiles(p, podDir, hostname);
      }
      CompletableFuture<PodNetwork> networkReady = null;
      if (network != null && network.ip() == null) {
        networkReady = setUpNetworkInBackground(p, sandboxId, hostname);
      }
      if (!ctx.hollow) {
        volumes = ctx.volumes.materialise(p, podDir);
      } else {
        volumes = hollowVolumes(p);
      }
      long cpu = 0;
      long mem = 0;
      for (Container c : p.getSpec().getContainers()) {
        var r = TaskConfigFactory.resources(c);
        cpu += r.cpuLimitMillis();
        mem += r.memoryLimitBytes();
      }
      if (p.getSpec().getOverhead() != null) {
        cpu += TaskConfigFactory.cpuMillis(p.getSpec().getOverhead().get("cpu"));
        mem += TaskConfigFactory.bytes(p.getSpec().getOverhead().get("memory"));
      }
      SandboxConfig config =
          new SandboxConfig(
              sandboxId,
              uid,
              namespace,
              name,
              hostNetwork ? null : hostname,
              network,
              cpu,
              mem,
              p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels(),
              p.getMetadata().getAnnotations() == null ? Map.of() : p.getMetadata().getAnnotations(),
              volumes,
              podDir.resolve("logs"),
              podDir.resolve("sandbox"),
              networkReady);
      makeDirs(config.logDir(), config.stateDir());
      sandbox = driver.startSandbox(config);
      trace(PodStartTrace.SANDBOX);
      sandboxError = null;
      sandboxErrorReason = null;
      persist();
      return true;
    } catch (DriverException e) {
      failSandbox(p, e);
      return false;
    } catch (IOException e) {
      failSandbox(p, new DriverException("FailedCreatePodSandBox", e.toString(), e));
      return false;
    }
  }

  private void failSandbox(Pod p, DriverException e) {
    log.warn("pod {}/{}: {}: {}", namespace, name, e.reason(), e.getMessage());
    ctx.network.settled(sandboxId());
    boolean first = sandboxError == null || !sandboxError.equals(e.getMessage());
    sandboxError = e.getMessage();
    sandboxErrorReason = e.reason();
    sandboxRetryAt = Instant.now().plusSeconds(5);
    wakeAt(sandboxRetryAt);
    if (first) {
      event(p, null, "Warning", e.reason().equals("FailedMount") ? "FailedMount" : "FailedCreatePodSandBox", e.getMessage());
    }
  }

  /**
   * Runs CNI ADD for the pod's namespace on a virtual thread. The returned future completes once the
   * pod IP is also in the pod's /etc/hosts (rewritten in place: containers created meanwhile have it
   * bind-mounted already, and their processes run only after this), and wakes the worker.
   */
  private CompletableFuture<PodNetwork> setUpNetworkInBackground(Pod p, String sandboxId, String hostname) {
    CompletableFuture<PodNetwork> ready = new CompletableFuture<>();
    String cidr = ctx.podCidr;
    Path hosts = etcHosts;
    Thread.ofVirtual().name("pod-network-" + uid).start(() -> {
      try {
        PodNetwork net = ctx.network.setUp(sandboxId, uid, namespace, name, cidr);
        if (hosts != null) {
          writeHosts(hosts, hostname, net.ip());
        }
        ready.complete(net);
      } catch (Throwable e) {
        ready.completeExceptionally(e);
      }
      wake();
    });
    networkPending = ready;
    return ready;
  }

  /**
   * Takes the pod network over once CNI ADD has finished: its IP goes into the status. If it failed,
   * the sandbox is released (no container ran: their processes wait for the network) and retried
   * like any failed sandbox. Returns false then; true when the network is there or still coming.
   */
  private boolean absorbNetwork(Pod p) {
    return absorbNetwork(p, true);
  }

  private boolean absorbNetwork(Pod p, boolean persistIp) {
    CompletableFuture<PodNetwork> f = networkPending;
    if (f == null || !f.isDone()) {
      return true;
    }
    networkPending = null;
    try {
      podIp = f.join().ip();
      if (persistIp) {
        persist();
      }
      return true;
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      DriverException de = cause instanceof DriverException d ? d
          : new DriverException("FailedCreatePodSandBox", "failed to set up the pod network: " + cause, cause);
      releaseSandbox();
      persist();
      failSandbox(p, de);
      return false;
    }
  }

  /** Waits for a pod network still being set up (a container needs its IP in its environment). */
  private boolean awaitNetwork(Pod p) {
    CompletableFuture<PodNetwork> f = networkPending;
    if (f != null) {
      try {
        f.join();
      } catch (CompletionException | java.util.concurrent.CancellationException e) {
        // absorbNetwork reports it
      }
    }
    return absorbNetwork(p);
  }

  /**
   * A hollow pod's volumes: names only (its containers run nothing, so nothing is written), enough
   * for its mounts to resolve — every pod mounts at least its API credentials volume.
   */
  private static Map<String, Path> hollowVolumes(Pod p) {
    Map<String, Path> names = new java.util.LinkedHashMap<>();
    if (p.getSpec().getVolumes() != null) {
      p.getSpec().getVolumes().forEach(v -> names.put(v.getName(), Path.of("/hollow-volumes", v.getName())));
    }
    return names;
  }

  private static boolean needsPodIp(Container c) {
    return c.getEnv() != null && c.getEnv().stream().anyMatch(e -> e.getValueFrom() != null
        && e.getValueFrom().getFieldRef() != null && e.getValueFrom().getFieldRef().getFieldPath() != null
        && e.getValueFrom().getFieldRef().getFieldPath().startsWith("status.podIP"));
  }

  /** The hostname the pod's containers see: the node's for a hostNetwork pod (as with kubelet), else spec.hostname or the pod name. */
  private String hostname(Pod p) {
    if (Boolean.TRUE.equals(p.getSpec().getHostNetwork())) return ctx.hostname;
    String h = p.getSpec().getHostname() != null && !p.getSpec().getHostname().isEmpty()
        ? p.getSpec().getHostname()
        : p.getMetadata().getName();
    return h.length() > 63 ? h.substring(0, 63) : h;
  }

  private void writeEtcFiles(Pod p, Path podDir, String hostname) throws IOException {
    Path etc = podDir.resolve("etc");
    Files.createDirectories(etc);
    etcHosts = etc.resolve("hosts");
    writeHosts(etcHosts, hostname, podIp);
    etcHostname = etc.resolve("hostname");
    Files.writeString(etcHostname, hostname + "\n");
    resolvConf = etc.resolve("resolv.conf");
    Files.writeString(resolvConf, ctx.dns.resolvConf(p, ResolvConf.read(NodeDns.HOST_RESOLV_CONF), ctx.clusterDns).render());
  }

  /** The pod's /etc/hosts, with its IP when known; written in place (containers bind-mount the file). */
  private static void writeHosts(Path hosts, String hostname, String ip) throws IOException {
    Files.writeString(
        hosts,
        "# Kubernetes-managed hosts file (keelson).\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
            + (ip == null ? "" : ip + "\t" + hostname + "\n"));
  }

  /** Starts (or restarts) a container unless it is backing off. */
  private void maybeStart(Pod p, Container c, ContainerRun r, String policy) throws InterruptedException {
    Instant now = Instant.now();
    if (r.exited()) {
      if (r.restartNotBefore == null) {
        // first restart is immediate, then 10s, 20s, ... up to 5 min; a long healthy run resets it
        boolean ranLong = r.task.startedAt() != null
            && Duration.between(r.task.startedAt(), r.exit.finishedAt()).compareTo(BACKOFF_RESET) > 0;
        if (r.restartDelay == null || ranLong) {
          r.restartDelay = Duration.ZERO;
        } else if (r.restartDelay.isZero()) {
          r.restartDelay = ctx.backoffBase;
        } else {
          r.restartDelay = min(r.restartDelay.multipliedBy(2), ctx.backoffMax);
        }
        r.restartNotBefore = r.exit.finishedAt().plus(r.restartDelay);
        if (r.restartNotBefore.isBefore(now)) {
          r.restartNotBefore = now;
        }
      }
      if (now.isBefore(r.restartNotBefore)) {
        String msg = "back-off " + seconds(r.restartDelay) + " restarting failed container=" + r.name
            + " pod=" + name + "_" + namespace + "(" + uid + ")";
        if (!"CrashLoopBackOff".equals(r.waitingReason)) {
          event(p, c, "Warning", "BackOff", "Back-off restarting failed container " + r.name + " in pod " + name + "_" + namespace + "(" + uid + ")");
        }
        r.waitingReason = "CrashLoopBackOff";
        r.waitingMessage = msg;
        wakeAt(r.restartNotBefore);
        return;
      }
    }
    startContainer(p, c, r);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) < 0 ? a : b;
  }

  private static String seconds(Duration d) {
    long s = d.toSeconds();
    return s >= 60 && s % 60 == 0 ? (s / 60) + "m0s" : d.toMillis() < 1000 ? d.toMillis() + "ms" : s + "s";
  }

  private void startContainer(Pod p, Container c, ContainerRun r) throws InterruptedException {
    Instant now = Instant.now();
    if (r.pullNotBefore != null && now.isBefore(r.pullNotBefore)) {
      r.waitingReason = "ImagePullBackOff";
      r.waitingMessage = "Back-off pulling image \"" + c.getImage() + "\"";
      wakeAt(r.pullNotBefore);
      return;
    }
    ImageProvider.ResolvedImage image;
    try {
      image = pull(p, c);
      trace(PodStartTrace.IMAGE);
      r.pullNotBefore = null;
      r.pullDelay = null;
    } catch (DriverException e) {
      r.pullDelay = r.pullDelay == null ? ctx.backoffBase : min(r.pullDelay.multipliedBy(2), ctx.backoffMax);
      r.pullNotBefore = now.plus(r.pullDelay);
      boolean wasPullError = r.waitingReason != null && r.waitingReason.startsWith("ErrImage");
      r.waitingReason = e.reason() == null || e.reason().equals("RunContainerError") ? "ErrImagePull" : e.reason();
      r.waitingMessage = e.getMessage();
      event(p, c, "Warning", "Failed", "Failed to pull image \"" + c.getImage() + "\": " + e.getMessage());
      event(p, c, "Warning", "Failed", "Error: " + r.waitingReason);
      if (wasPullError) {
        event(p, c, "Normal", "BackOff", "Back-off pulling image \"" + c.getImage() + "\"");
      }
      wakeAt(r.pullNotBefore);
      return;
    }
    if (networkPending != null && needsPodIp(c) && !awaitNetwork(p)) {
      return;
    }
    int attempt = r.task == null ? 0 : r.restartCount + 1;
    String taskId = uid + "-" + c.getName() + "-" + attempt;
    Path logPath = ctx.state.podDir(uid).resolve("logs").resolve(c.getName()).resolve(attempt + ".log");
    TaskConfig config;
    try {
      makeDirs(logPath.getParent());
      config =
          ctx.tasks.build(
              new TaskConfigFactory.PodContext(
                  p, ctx.nodeName, podIp, ctx.hostIp, hostname(p), volumes, etcHosts, resolvConf, etcHostname),
              c,
              image,
              taskId,
              sandbox.id(),
              logPath);
      String target = EphemeralContainers.targetOf(p, c.getName());
      if (target != null) {
        ContainerRun t = runs.get(target);
        if (t == null || !t.running()) {
          throw new DriverException("CreateContainerError", "target container " + target + " is not running", null);
        }
        config = config.inProcessNamespaceOf(t.task.id());
      }
    } catch (DriverException | IOException e) {
      String reason = e instanceof DriverException de ? de.reason() : "CreateContainerError";
      if (!e.getMessage().equals(r.waitingMessage)) {
        event(p, c, "Warning", "Failed", "Error: " + e.getMessage());
      }
      r.waitingReason = reason;
      r.waitingMessage = e.getMessage();
      wakeAt(now.plusSeconds(ctx.hollow ? 30 : Math.max(1, ctx.backoffBase.toSeconds())));
      return;
    }
    // the previous attempt becomes lastState, its resources are freed (its log is kept for --previous)
    if (r.task != null) {
      r.lastTermination = r.exit;
      r.lastTaskId = r.task.id();
      r.lastStartedAt = r.task.startedAt();
      r.previousLogPath = r.logPath;
      destroyQuietly(r.task.id());
      r.restartCount = attempt;
      r.task = null;
      r.exit = null;
    }
    r.imageId = image.image().imageId();
    r.logPath = logPath;
    r.restartNotBefore = null;
    r.exitSeen = null;
    r.ready = false;
    r.started = c.getStartupProbe() == null;
    TaskHandle handle;
    try {
      handle = driver.startTask(config);
      trace(PodStartTrace.CONTAINER);
    } catch (DriverException e) {
      CompletableFuture<PodNetwork> pending = networkPending;
      if (pending != null && pending.isCompletedExceptionally()) {
        absorbNetwork(p); // the container never ran: the sandbox failed, not this container
        return;
      }
      // a start failure is a terminated attempt (containerd: exit 128, StartError) and backs off
      r.task = new TaskHandle(taskId, sandbox.id(), driver.name(), Instant.now(), "{}");
      r.exit = new ExitResult(128, "StartError", Instant.now(), e.getMessage());
      r.everRan = true;
      r.waitingReason = null;
      persist();
      event(p, c, "Warning", "Failed", "Error: " + e.getMessage());
      wakeAt(Instant.now());
      return;
    }
    r.task = handle;
    r.everRan = true;
    r.waitingReason = null;
    r.waitingMessage = null;
    absorbNetwork(p, false); // done: the container's process runs only once the network is ready
    persist();
    event(p, c, "Normal", "Created", "Created container " + c.getName());
    event(p, c, "Normal", "Started", "Started container " + c.getName());
    watchExit(r, handle);
    ensureProbes(p, c, r);
  }

  private void trace(String phase) {
    if (startTrace != null) {
      startTrace.mark(phase);
    }
  }

  private ImageProvider.ResolvedImage pull(Pod p, Container c) throws DriverException {
    String ref = c.getImage();
    if (ref == null || ref.isEmpty()) {
      throw new DriverException("InvalidImageName", "container " + c.getName() + " has no image", null);
    }
    if (ctx.hollow) {
      return ctx.images.resolve(ref, false);
    }
    String policy = c.getImagePullPolicy();
    if (policy == null || policy.isEmpty()) {
      boolean latest = !ref.contains("@") && (ref.endsWith(":latest") || !ref.substring(ref.lastIndexOf('/') + 1).contains(":"));
      policy = latest ? "Always" : "IfNotPresent";
    }
    boolean present = ctx.images.present(ref);
    if (policy.equals("Never")) {
      if (!present) {
        throw new DriverException("ErrImageNeverPull", "Container image \"" + ref + "\" is not present with pull policy of Never", null);
      }
      return ctx.images.resolve(ref, false);
    }
    boolean force = policy.equals("Always");
    if (present && !force) {
      event(p, c, "Normal", "Pulled", "Container image \"" + ref + "\" already present on machine");
      return ctx.images.resolve(ref, false);
    }
    event(p, c, "Normal", "Pulling", "Pulling image \"" + ref + "\"");
    long t0 = System.nanoTime();
    ImageProvider.ResolvedImage image = ctx.images.resolve(ref, force);
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    event(p, c, "Normal", "Pulled", "Successfully pulled image \"" + ref + "\" in " + took.toMillis() + "ms");
    return image;
  }

  private void watchExit(ContainerRun r, TaskHandle handle) {
    driver.awaitTask(handle.id()).whenComplete((exit, err) -> {
      if (r.task != null && r.task.id().equals(handle.id())) {
        r.exitSeen = exit != null ? exit : new ExitResult(255, "Unknown", Instant.now(), String.valueOf(err));
        wake();
      }
    });
  }

  /** Moves exits seen by the driver callbacks into the container records. */
  private void observeExits() {
    boolean changed = false;
    for (ContainerRun r : runs.values()) {
      ExitResult seen = r.exitSeen;
      if (seen != null && r.running()) {
        r.exit = seen;
        r.ready = false;
        r.started = false;
        cancelProbes(r.name);
        changed = true;
      }
    }
    if (changed) {
      persist();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // probes

  private void ensureProbes(Pod p, Container c, ContainerRun r) {
    if (r.task == null || probes.containsKey(r.name)) {
      return;
    }
    List<ScheduledFuture<?>> futures = new ArrayList<>();
    probes.put(r.name, futures);
    if (ctx.hollow) {
      r.started = true;
      r.ready = true;
      return;
    }
    String taskId = r.task.id();
    if (c.getStartupProbe() == null) {
      r.started = true;
    } else {
      futures.add(schedule(p, c, r, taskId, c.getStartupProbe(), "Startup"));
    }
    if (c.getReadinessProbe() == null) {
      r.ready = r.started;
    } else {
      futures.add(schedule(p, c, r, taskId, c.getReadinessProbe(), "Readiness"));
    }
    if (c.getLivenessProbe() != null) {
      futures.add(schedule(p, c, r, taskId, c.getLivenessProbe(), "Liveness"));
    }
    if (r.init) {
      r.ready = false;
    }
  }

  private ScheduledFuture<?> schedule(Pod p, Container c, ContainerRun r, String taskId, Probe probe, String kind) {
    int initial = probe.getInitialDelaySeconds() == null ? 0 : probe.getInitialDelaySeconds();
    int period = probe.getPeriodSeconds() == null || probe.getPeriodSeconds() <= 0 ? 10 : probe.getPeriodSeconds();
    int failureThreshold = probe.getFailureThreshold() == null ? 3 : probe.getFailureThreshold();
    int successThreshold = probe.getSuccessThreshold() == null ? 1 : probe.getSuccessThreshold();
    int[] successes = {0};
    int[] failures = {0};
    boolean[] done = {false};
    Runnable once = () -> {
      if (done[0] || r.task == null || !r.task.id().equals(taskId) || r.exitSeen != null) {
        return;
      }
      if (!kind.equals("Startup") && !r.started) {
        return; // liveness/readiness wait for the startup probe
      }
      if (kind.equals("Startup") && r.started) {
        done[0] = true;
        return;
      }
      Prober.Result result = Prober.run(probe, c, driver, taskId, podIp);
      if (result.success()) {
        failures[0] = 0;
        successes[0]++;
        if (successes[0] >= successThreshold) {
          switch (kind) {
            case "Startup" -> {
              r.started = true;
              done[0] = true;
              if (c.getReadinessProbe() == null) {
                r.ready = true;
              }
              wake();
            }
            case "Readiness" -> {
              if (!r.ready) {
                r.ready = true;
                wake();
              }
            }
            default -> {}
          }
        }
        return;
      }
      successes[0] = 0;
      failures[0]++;
      event(p, c, "Warning", "Unhealthy", kind + " probe failed: " + result.message());
      if (failures[0] < failureThreshold) {
        return;
      }
      switch (kind) {
        case "Readiness" -> {
          if (r.ready) {
            r.ready = false;
            wake();
          }
        }
        default -> {
          // liveness or startup failure: kill, restartPolicy decides what happens next
          done[0] = true;
          event(p, c, "Normal", "Killing",
              "Container " + c.getName() + " failed " + kind.toLowerCase() + " probe, will be restarted");
          Duration grace = Duration.ofSeconds(
              probe.getTerminationGracePeriodSeconds() != null ? probe.getTerminationGracePeriodSeconds() : gracePeriod(p));
          try {
            driver.stopTask(taskId, grace);
          } catch (DriverException e) {
            log.warn("killing {} failed: {}", taskId, e.getMessage());
          }
        }
      }
    };
    Runnable onVirtual = () -> Thread.ofVirtual().start(once);
    return ctx.timers.scheduleWithFixedDelay(onVirtual, initial * 1000L, period * 1000L, TimeUnit.MILLISECONDS);
  }

  private void cancelProbes(String container) {
    List<ScheduledFuture<?>> fs = probes.remove(container);
    if (fs != null) {
      fs.forEach(f -> f.cancel(false));
    }
  }

  private void cancelAllProbes() {
    new ArrayList<>(probes.keySet()).forEach(this::cancelProbes);
  }

  // ---------------------------------------------------------------------------------------------
  // termination

  private static long gracePeriod(Pod p) {
    if (p == null) {
      return 30;
    }
    if (p.getMetadata().getDeletionGracePeriodSeconds() != null) {
      return p.getMetadata().getDeletionGracePeriodSeconds();
    }
    Long g = p.getSpec().getTerminationGracePeriodSeconds();
    return g == null ? 30 : g;
  }

  /** Graceful stop of everything, then cleanup and (if the object still exists) confirmation. */
  private void terminate() throws InterruptedException {
    Pod p = pod;
    lock.lock();
    try {
      cancelAllProbes();
      observeExits();
      long grace = gracePeriod(p);
      Instant deadline = Instant.now().plusSeconds(grace);
      List<Thread> stoppers = new ArrayList<>();
      for (ContainerRun r : runs.values()) {
        if (!r.running() || driver == null) {
          continue;
        }
        Container spec = p == null ? null : findContainer(p, r.name);
        String taskId = r.task.id();
        event(p, spec, "Normal", "Killing", "Stopping container " + r.name);
        stoppers.add(Thread.ofVirtual().start(() -> {
          try {
            if (spec != null && spec.getLifecycle() != null && spec.getLifecycle().getPreStop() != null
                && spec.getLifecycle().getPreStop().getExec() != null && !ctx.hollow) {
              Probe hook = new Probe();
              hook.setExec(spec.getLifecycle().getPreStop().getExec());
              hook.setTimeoutSeconds((int) Math.max(1, grace));
              Prober.Result res = Prober.run(hook, spec, driver, taskId, podIp);
              if (!res.success()) {
                event(p, spec, "Warning", "FailedPreStopHook", "PreStopHook failed: " + res.message());
              }
            }
            Duration left = Duration.between(Instant.now(), deadline);
            driver.stopTask(taskId, left.isNegative() ? Duration.ZERO : left);
            driver.awaitTask(taskId).get(left.toMillis() + 5000, TimeUnit.MILLISECONDS);
          } catch (Exception e) {
            log.warn("stopping {} failed: {}", taskId, e.toString());
          }
        }));
      }
      for (Thread t : stoppers) {
        t.join();
      }
      releaseSandbox();
    } finally {
      lock.unlock();
    }
    if (!apiGone && namespace != null) {
      confirm();
    }
    ctx.controlPlane.forget(uid);
    ctx.state.delete(uid);
    finished = true;
    onFinished.run();
    log.info("pod {}/{} ({}) terminated and cleaned up", namespace, name, uid);
  }

  private void confirm() throws InterruptedException {
    io.keelson.agent.api.Backoff backoff = io.keelson.agent.api.Backoff.reconnect();
    for (int i = 0; i < 20 && !apiGone; i++) {
      try {
        ctx.controlPlane.confirmTermination(namespace, name, uid);
        return;
      } catch (Exception e) {
        log.warn("confirming termination of {}/{} failed: {}", namespace, name, e.toString());
        backoff.sleep();
      }
    }
  }

  private static Container findContainer(Pod p, String n) {
    for (Container c : p.getSpec().getContainers()) {
      if (c.getName().equals(n)) {
        return c;
      }
    }
    for (Container c : initContainers(p)) {
      if (c.getName().equals(n)) {
        return c;
      }
    }
    return null;
  }

  /** Destroys every task and the sandbox, and gives the pod IP back. Idempotent. */
  private void releaseSandbox() {
    CompletableFuture<PodNetwork> pending = networkPending;
    if (pending != null) {
      // let CNI ADD finish first, so that the teardown below removes what it made
      try {
        pending.join();
      } catch (CompletionException | java.util.concurrent.CancellationException e) {
        // it cleaned up after itself
      }
      networkPending = null;
    }
    if (driver != null) {
      for (ContainerRun r : runs.values()) {
        if (r.task != null) {
          destroyQuietly(r.task.id());
        }
        if (r.running()) {
          r.exit = r.exitSeen != null ? r.exitSeen : new ExitResult(137, ExitResult.ERROR, Instant.now(), null);
        }
      }
      if (sandbox != null) {
        try {
          driver.destroySandbox(sandbox.id(), Duration.ZERO);
        } catch (DriverException e) {
          log.warn("destroying sandbox {} failed: {}", sandbox.id(), e.getMessage());
        }
      }
    }
    if (sandbox != null || podIp != null || netns != null) {
      netns = null;
      try {
        ctx.network.tearDown(sandboxId(), uid);
      } catch (DriverException | RuntimeException e) {
        log.warn("network teardown of {} failed: {}", uid, e.getMessage());
      }
    }
    sandbox = null;
    publishViews();
  }

  /** The pod uid: unique per pod incarnation, safe as a file, cgroup and netns name. */
  private String sandboxId() {
    return uid;
  }

  private void destroyQuietly(String taskId) {
    try {
      driver.destroyTask(taskId, true);
    } catch (DriverException | RuntimeException e) {
      log.warn("destroying task {} failed: {}", taskId, e.toString());
    }
  }

  private void persist() {
    publishViews();
    if (ctx.hollow) {
      return; // hollow pods run nothing that could survive a restart: keep the disk out of it
    }
    List<PodState.ContainerState> cs = new ArrayList<>();
    runs.values().forEach(r -> cs.add(r.toState()));
    ctx.state.save(
        new PodState(uid, namespace, name, ctx.nodeName, driver == null ? null : driver.name(), sandbox, podIp,
            startTime, terminal, cs));
  }

  private void event(Pod p, Container c, String type, String reason, String message) {
    if (ctx.hollow || p == null) {
      return;
    }
    String fieldPath = null;
    if (c != null) {
      boolean init = initContainers(p).stream().anyMatch(ic -> ic.getName().equals(c.getName()));
      fieldPath = (init ? "spec.initContainers{" : "spec.containers{") + c.getName() + "}";
    }
    String path = fieldPath;
    Runnable post = () -> {
      try {
        ctx.objects.event(p, path, type, reason, message);
      } catch (RuntimeException e) {
        log.debug("event {} for {}/{} dropped: {}", reason, namespace, name, e.toString());
      }
    };
    List<Runnable> held = heldEvents;
    if (held != null) {
      synchronized (held) {
        if (heldEvents == held) {
          held.add(post);
          return;
        }
      }
    }
    post.run();
  }

  // ---------------------------------------------------------------------------------------------
  // status

  private PodStatus status(Pod p) {
    String scheme = driver == null ? "keelson" : driver.capabilities().containerIdScheme();
    String policy = restartPolicy(p);
    List<ContainerStatus> initStatuses = new ArrayList<>();
    boolean initialized = true;
    boolean initFailed = false;
    for (Container c : initContainers(p)) {
      ContainerRun r = run(c, true);
      initStatuses.add(containerStatus(c, r, scheme, "PodInitializing"));
      if (!r.succeeded()) {
        initialized = false;
        if (r.exited() && policy.equals("Never")) {
          initFailed = true;
        }
      }
    }
    List<ContainerStatus> statuses = new ArrayList<>();
    int running = 0;
    int waiting = 0;
    int succeeded = 0;
    int failed = 0;
    boolean allReady = true;
    for (Container c : p.getSpec().getContainers()) {
      ContainerRun r = run(c, false);
      ContainerStatus cs = containerStatus(c, r, scheme, initialized ? "ContainerCreating" : "PodInitializing");
      statuses.add(cs);
      allReady &= Boolean.TRUE.equals(cs.getReady());
      if (r.running()) {
        running++;
      } else if (r.exited()) {
        if (!terminal && willRestart(policy, r)) {
          running++;
        } else if (r.succeeded()) {
          succeeded++;
        } else {
          failed++;
        }
      } else {
        waiting++;
      }
    }
    List<ContainerStatus> ephemeralStatuses = new ArrayList<>();
    for (Container c : EphemeralContainers.of(p)) {
      ContainerStatus cs = containerStatus(c, run(c, false), scheme, "ContainerCreating");
      cs.setReady(false); // never part of the pod's readiness
      ephemeralStatuses.add(cs);
    }
    String phase;
    if (initFailed) {
      phase = "Failed";
    } else if (!initialized || waiting > 0) {
      phase = "Pending";
    } else if (running > 0) {
      phase = "Running";
    } else if (failed > 0) {
      phase = "Failed";
    } else {
      phase = "Succeeded";
    }
    if (terminal && "Pending".equals(phase)) {
      phase = "Failed";
    }
    boolean containersReady = allReady && !terminal;
    List<PodCondition> conditions = new ArrayList<>();
    conditions.add(cond("PodReadyToStartContainers", sandbox != null, null));
    conditions.add(cond("Initialized", initialized, "ContainersNotInitialized"));
    conditions.add(cond("Ready", containersReady, "ContainersNotReady"));
    conditions.add(cond("ContainersReady", containersReady, "ContainersNotReady"));
    conditions.add(cond("PodScheduled", true, null));
    // setters, not PodStatusBuilder: a builder deep-copies every condition and container status twice
    PodStatus b = new PodStatus();
    b.setPhase(phase);
    b.setConditions(conditions);
    b.setHostIP(ctx.hostIp);
    b.setHostIPs(List.of(new io.fabric8.kubernetes.api.model.HostIP(ctx.hostIp)));
    b.setStartTime(PodStatusFactory.time(startTime));
    b.setQosClass(qosClass(p));
    b.setContainerStatuses(statuses);
    if (!initStatuses.isEmpty()) {
      b.setInitContainerStatuses(initStatuses);
    }
    if (!ephemeralStatuses.isEmpty()) {
      b.setEphemeralContainerStatuses(ephemeralStatuses);
    }
    if (podIp != null) {
      b.setPodIP(podIp);
      b.setPodIPs(List.of(new PodIP(podIp)));
    }
    if (sandboxError != null && sandbox == null) {
      b.setMessage(sandboxError);
      b.setReason(sandboxErrorReason);
    }
    return b;
  }

  /**
   * Creates the pod's directories, except on a hollow node: a hollow pod writes nothing there (no
   * state, etc files, volumes or logs), and they were four mkdirs on the state dir's disk per pod.
   */
  private void makeDirs(Path... dirs) throws IOException {
    if (ctx.hollow) {
      return;
    }
    for (Path d : dirs) {
      Files.createDirectories(d);
    }
  }

  /** The pod's QoS class, worked out again only for a new version of the pod (it parses quantities). */
  private String qosClass(Pod p) {
    if (p != qosOf) {
      qos = PodStatusFactory.qosClass(p);
      qosOf = p;
    }
    return qos;
  }

  private PodCondition cond(String type, boolean value, String reason) {
    Boolean prev = conditionValue.put(type, value);
    if (prev == null || prev != value) {
      conditionSince.put(type, Instant.now());
    }
    return PodStatusFactory.condition(type, value, conditionSince.get(type), reason);
  }

  private ContainerStatus containerStatus(Container c, ContainerRun r, String scheme, String pendingReason) {
    ContainerState state;
    ContainerState last = null;
    String lastId = r.lastTaskId == null ? null : scheme + "://" + r.lastTaskId;
    if (r.lastTermination != null) {
      last = PodStatusFactory.terminated(r.lastTermination, r.lastStartedAt, lastId);
    }
    String id = r.task == null ? null : scheme + "://" + r.task.id();
    if (r.running()) {
      state = PodStatusFactory.running(r.task.startedAt());
    } else if (r.exited() && r.waitingReason != null && !terminal) {
      // restarting: waiting now, the attempt that just ended is the last state
      state = PodStatusFactory.waiting(r.waitingReason, r.waitingMessage);
      last = PodStatusFactory.terminated(r.exit, r.task.startedAt(), id);
    } else if (r.exited()) {
      state = PodStatusFactory.terminated(r.exit, r.task.startedAt(), id);
    } else {
      String reason = r.waitingReason != null ? r.waitingReason
          : sandboxErrorReason != null && sandbox == null ? "ContainerCreating" : pendingReason;
      state = PodStatusFactory.waiting(reason, r.waitingMessage);
    }
    boolean ready = r.running() && r.ready && !r.init;
    if (r.init && r.succeeded()) {
      ready = true;
    }
    return PodStatusFactory.status(c, r, scheme, state, last, ready);
  }
}
