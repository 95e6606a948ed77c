package io.keelson.agent.driver.runc;

import io.keelson.agent.driver.AttachSession;
import io.keelson.agent.driver.DriverCapabilities;
import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.ExecSession;
import io.keelson.agent.driver.ExitResult;
import io.keelson.agent.driver.Fingerprint;
import io.keelson.agent.driver.SandboxConfig;
import io.keelson.agent.driver.SandboxHandle;
import io.keelson.agent.driver.TaskConfig;
import io.keelson.agent.driver.TaskHandle;
import io.keelson.agent.driver.TaskStats;
import io.keelson.agent.driver.TaskStatus;
import io.keelson.agent.driver.WorkloadDriver;
import io.keelson.agent.image.RootfsMounter;
import io.keelson.agent.network.PersistentNamespace;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs pods as runc containers, without a shim daemon.
 *
 * <p>A <b>sandbox</b> is what the pod's containers share: the network namespace set up by the CNI
 * component, an IPC namespace kept alive by a bind mount (no pause process), a directory for
 * {@code /dev/shm}, and a parent cgroup {@code /keelson/<sandboxId>}. A <b>task</b> is one runc
 * container whose bundle lives in {@code <stateDir>/tasks/<taskId>} with an overlayfs rootfs over
 * the image's shared rootfs.
 *
 * <p>Each container is started by a tiny monitor (one per container, detached with setsid and made
 * child subreaper): {@code keelson-monitor}, compiled from {@code keelson-monitor.c} with {@code gcc
 * -static} into the state dir when the driver starts, or {@code monitor.pl} (same contract) where
 * there is no gcc or {@code KEELSON_RUNC_MONITOR=perl} asks for it. It runs {@code runc run --detach}, so the
 * container becomes its child, writes stdout/stderr to the log in the CRI format, and leaves the
 * exit status (with OOM kills from the memory cgroup) in {@code exit.json}. The agent is nobody's
 * parent, so a killed agent leaves containers, logs and exit codes intact; {@link #recoverTask}
 * picks them up again from the persisted driver state.
 */
public final class RuncDriver implements WorkloadDriver {

  public static final String NAME = "runc";
  public static final String RUNTIME_LABEL = "keelson.io/runtime.runc";
  private static final Logger log = LoggerFactory.getLogger(RuncDriver.class);
  private static final Path PERL = Path.of("/usr/bin/perl");

  private final Path stateDir;
  private final Runc runc;
  private final Cgroups cgroups;
  private final RootfsMounter mounter;
  /** The monitor's command line before its arguments: the compiled C monitor, or perl and monitor.pl. */
  private final List<String> monitor;
  private final JsonMapper json = JsonMapper.builder().build();
  private final Map<String, Sandbox> sandboxes = new ConcurrentHashMap<>();
  private final Map<String, Task> tasks = new ConcurrentHashMap<>();
  private final ScheduledExecutorService watcher;
  private final AtomicLong ticks = new AtomicLong();

  /** Holds containers back while their pod's network is set up; null without grep/mkfifo (then the network comes first). */
  private final NetworkGates gates;
  /** {@code runc --version}, once known: the agent checks the fingerprint before every pod start. */
  private volatile String version;
  /** Gates of container starts in progress, by task id. */
  private final Map<String, NetworkGates.Gate> openGates = new ConcurrentHashMap<>();

  /** What the pod's containers share; {@code networkReady} completes once the pod network is set up. */
  record Sandbox(String id, String hostname, Path netns, Path ipc, Path shm, Path dir, String cgroupParent,
      CompletableFuture<?> networkReady) {}

  /** A tracked container; {@code exit} completes once its monitor has recorded the exit status. */
  static final class Task {
    final String id;
    final String sandboxId;
    final Path bundle;
    final String cgroupsPath;
    final Instant startedAt;
    final long pid;
    final CompletableFuture<ExitResult> exit = new CompletableFuture<>();

    Task(String id, String sandboxId, Path bundle, String cgroupsPath, Instant startedAt, long pid) {
      this.id = id;
      this.sandboxId = sandboxId;
      this.bundle = bundle;
      this.cgroupsPath = cgroupsPath;
      this.startedAt = startedAt;
      this.pid = pid;
    }

    Path exitFile() {
      return bundle.resolve("exit.json");
    }
  }

  /** A driver keeping its state (bundles, runc state) under {@code stateDir}, e.g. {@code <agent-state>/runc}. */
  public RuncDriver(Path stateDir) throws IOException {
    this(stateDir, Path.of("/usr/sbin/runc"), Cgroups.host(), null);
  }

  public RuncDriver(Path stateDir, Path runcBinary, Cgroups cgroups, RootfsMounter mounter) throws IOException {
    this.stateDir = stateDir.toAbsolutePath();
    Files.createDirectories(this.stateDir.resolve("tasks"));
    Files.createDirectories(this.stateDir.resolve("runc"));
    this.runc = new Runc(runcBinary, this.stateDir.resolve("runc"));
    this.cgroups = cgroups;
    this.mounter = mounter != null ? mounter : RootfsMounter.probe(this.stateDir);
    Path perlMonitor = install("monitor.pl", resource("monitor.pl"));
    Path compiled = "perl".equals(System.getenv("KEELSON_RUNC_MONITOR")) ? null : compileMonitor();
    this.monitor = compiled != null ? List.of(compiled.toString()) : List.of(PERL.toString(), perlMonitor.toString());
    if (compiled == null) {
      log.info("container monitor: {} {} (perl fallback)", PERL, perlMonitor);
    }
    PersistentNamespace.useMaker(this.stateDir); // the pods' IPC namespaces without a process each
    this.gates = NetworkGates.create(this.stateDir.resolve("gates"), onPath("grep").orElse(null), onPath("mkfifo").orElse(null));
    if (gates == null) {
      log.info("no grep or mkfifo on PATH: pod networks are set up before their containers are created");
    }
    this.watcher = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("runc-exit-watcher").unstarted(r));
    watcher.scheduleWithFixedDelay(this::pollExits, 100, 100, TimeUnit.MILLISECONDS);
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = RuncDriver.class.getResourceAsStream(name)) {
      return in.readAllBytes();
    }
  }

  /** Writes {@code content} to {@code <stateDir>/<name>} unless it is there already (atomically: monitors may be reading it). */
  private Path install(String name, byte[] content) throws IOException {
    Path target = stateDir.resolve(name);
    if (!Files.exists(target) || !java.util.Arrays.equals(Files.readAllBytes(target), content)) {
      Path tmp = target.resolveSibling(name + ".tmp");
      Files.write(tmp, content);
      Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    return target;
  }

  /**
   * Builds the C monitor ({@code gcc -static -O2}) into the state dir, unless the binary there was
   * built from the same source; null (use monitor.pl) when there is no gcc or the build fails. A
   * static binary starts in ~1 ms where perl took 20-50 ms on a loaded host, on every pod start.
   */
  private Path compileMonitor() {
    Path binary = stateDir.resolve("keelson-monitor");
    Path builtFrom = stateDir.resolve("keelson-monitor.c");
    try {
      byte[] source = resource("keelson-monitor.c");
      if (Files.isExecutable(binary) && Files.exists(builtFrom) && java.util.Arrays.equals(Files.readAllBytes(builtFrom), source)) {
        log.info("container monitor: {} (C, built before from the same source)", binary);
        return binary;
      }
      Optional<Path> gcc = onPath("gcc");
      if (gcc.isEmpty()) {
        log.info("no gcc on PATH: cannot build the C container monitor");
        return null;
      }
      Path src = stateDir.resolve("keelson-monitor.c.tmp");
      Path tmp = stateDir.resolve("keelson-monitor.tmp");
      Files.write(src, source);
      long t0 = System.nanoTime();
      Process p = new ProcessBuilder(gcc.get().toString(), "-static", "-O2", "-x", "c", "-o", tmp.toString(), src.toString())
          .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        Files.deleteIfExists(tmp);
        Files.deleteIfExists(src);
        log.warn("building the C container monitor failed: {}", out.lines().limit(5).toList());
        return null;
      }
      // running monitors keep their old binary (a rename replaces the directory entry, not the file)
      Files.move(tmp, binary, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.move(src, builtFrom, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      log.info("container monitor: {} (C, built with {} -static -O2 in {} ms)", binary, gcc.get(), (System.nanoTime() - t0) / 1_000_000);
      return binary;
    } catch (IOException e) {
      log.warn("building the C container monitor failed: {}", e.getMessage());
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static Optional<Path> onPath(String bin) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin").split(":")) {
      Path p = Path.of(d.isEmpty() ? "." : d, bin);
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** Whether containers are started by the compiled C monitor (rather than monitor.pl). */
  public boolean usesCompiledMonitor() {
    return monitor.size() == 1;
  }

  @Override
  public String name() {
    return NAME;
  }

  /** Containers join the pod's network namespace by path, so runc may create them while CNI ADD runs (see {@link NetworkGates}). */
  @Override
  public boolean startsBeforeNetworkReady() {
    return gates != null;
  }

  @Override
  public DriverCapabilities capabilities() {
    return new DriverCapabilities(true, true, DriverCapabilities.ISOLATION_CONTAINER, true, NAME);
  }

  @Override
  public Fingerprint fingerprint() {
    try {
      if (!Files.isExecutable(runc.binary())) {
        return Fingerprint.unhealthy("runc not found at " + runc.binary(), Map.of());
      }
      String version = runcVersion();
      String missing = !usesCompiledMonitor() && !Files.isExecutable(PERL) ? "no gcc to build the container monitor and no " + PERL + " (Debian's perl-base)"
          : !"root".equals(System.getProperty("user.name")) ? "the runc driver needs root"
          : cgroups.missing();
      if (missing != null) {
        return Fingerprint.unhealthy(missing, Map.of());
      }
      return new Fingerprint(true, "runc " + version + (cgroups.unified() ? ", cgroup v2" : ", cgroup v1/hybrid")
          + (mounter.usesOverlay() ? ", overlayfs" : ", rootfs copies"), Map.of(RUNTIME_LABEL, "true"));
    } catch (IOException e) {
      return Fingerprint.unhealthy("runc not usable at " + runc.binary() + ": " + e.getMessage(), Map.of());
    }
  }

  /** "1.1.5+ds1", for the node's containerRuntimeVersion. */
  public String runcVersion() throws IOException {
    String v = version;
    if (v == null) {
      v = runc.version(); // the binary does not change under a running agent: asked once, not per pod
      version = v;
    }
    return v;
  }

  // ---- sandboxes

  @Override
  public SandboxHandle startSandbox(SandboxConfig config) throws DriverException {
    Sandbox existing = sandboxes.get(config.sandboxId());
    if (existing != null) {
      return handle(existing);
    }
    try {
      Path dir = Files.createDirectories(config.stateDir().toAbsolutePath());
      Sandbox sb = new Sandbox(
          config.sandboxId(),
          // hostNetwork: the host's UTS namespace too, as kubelet's sandboxes share it with the network
          config.hostname() == null && config.network() == null ? ""
              : config.hostname() == null || config.hostname().isEmpty() ? config.name() : config.hostname(),
          config.network() == null ? null : config.network().netnsPath(),
          dir.resolve("ipc"),
          dir.resolve("shm"),
          dir,
          "/keelson/" + config.sandboxId(),
          config.networkReady());
      ensureSandboxNamespaces(sb, 0);
      sandboxes.put(sb.id(), sb);
      return handle(sb);
    } catch (IOException e) {
      throw new DriverException("FailedCreatePodSandBox", "failed to create sandbox " + config.sandboxId() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void recoverSandbox(SandboxHandle handle) throws DriverException {
    if (sandboxes.containsKey(handle.id())) {
      return;
    }
    JsonNode s = json.readTree(handle.driverState());
    Sandbox sb = new Sandbox(
        handle.id(),
        s.path("hostname").asString(),
        s.hasNonNull("netns") ? Path.of(s.get("netns").asString()) : null,
        Path.of(s.path("ipc").asString()),
        Path.of(s.path("shm").asString()),
        Path.of(s.path("dir").asString()),
        s.path("cgroupParent").asString(),
        CompletableFuture.completedFuture(null)); // the agent recovers a sandbox only with its network
    if (!Files.isDirectory(sb.dir())) {
      throw new DriverException("SandboxGone", "sandbox " + handle.id() + " is gone (" + sb.dir() + " missing)", null);
    }
    try {
      ensureSandboxNamespaces(sb, s.path("ipcInode").asLong(0));
    } catch (IOException e) {
      throw new DriverException("SandboxGone", "sandbox " + handle.id() + " cannot be recovered: " + e.getMessage(), e);
    }
    sandboxes.put(sb.id(), sb);
  }

  @Override
  public void destroySandbox(String sandboxId, Duration grace) throws DriverException {
    List<String> errors = new ArrayList<>();
    List<Task> members = tasks.values().stream().filter(t -> t.sandboxId.equals(sandboxId)).toList();
    // stop all containers of the pod in parallel, each with the full grace period
    List<CompletableFuture<Void>> stops = new ArrayList<>();
    for (Task t : members) {
      stops.add(CompletableFuture.runAsync(() -> {
        try {
          stopTask(t.id, grace);
          destroyTask(t.id, true);
        } catch (DriverException e) {
          synchronized (errors) {
            errors.add(e.getMessage());
          }
        }
      }, Executors.newVirtualThreadPerTaskExecutor()));
    }
    CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).join();
    Sandbox sb = sandboxes.remove(sandboxId);
    if (sb != null) {
      try {
        PersistentNamespace.remove(sb.ipc());
        deleteTree(sb.shm());
      } catch (IOException e) {
        errors.add(e.getMessage());
      }
      cgroups.remove(sb.cgroupParent());
    }
    if (!errors.isEmpty()) {
      throw new DriverException("KillPodSandboxError", "destroying sandbox " + sandboxId + ": " + String.join("; ", errors), null);
    }
  }

  /**
   * Makes sure the sandbox's IPC namespace is mounted here. After an agent restart into a new mount
   * namespace (lab mode) it is re-attached from a container of the pod that still runs ({@code
   * ipcInode} identifies it); only if none does is a new one made. The pod's /dev/shm is a plain
   * directory bind-mounted into each container, so it needs no host mount that could get lost.
   */
  private void ensureSandboxNamespaces(Sandbox sb, long ipcInode) throws IOException {
    Files.createDirectories(sb.shm());
    Files.setAttribute(sb.shm(), "unix:mode", 01777);
    if (!PersistentNamespace.isMounted(sb.ipc())) {
      if (ipcInode != 0 && PersistentNamespace.reattach(sb.ipc(), "ipc", ipcInode)) {
        log.info("re-attached IPC namespace of sandbox {}", sb.id());
      } else {
        PersistentNamespace.create(sb.ipc(), "ipc");
      }
    }
  }

  private SandboxHandle handle(Sandbox sb) {
    ObjectNode s = json.createObjectNode();
    s.put("hostname", sb.hostname());
    s.put("netns", sb.netns() == null ? null : sb.netns().toString());
    s.put("ipc", sb.ipc().toString());
    s.put("shm", sb.shm().toString());
    s.put("dir", sb.dir().toString());
    s.put("cgroupParent", sb.cgroupParent());
    s.put("ipcInode", PersistentNamespace.inode(sb.ipc()).orElse(0L));
    return new SandboxHandle(sb.id(), NAME, json.writeValueAsString(s));
  }

  // ---- tasks

  /** The process namespace of a running task of this node, for a task that joins it (kubectl debug --target). */
  private Path processNamespaceOf(String taskId) throws DriverException {
    Task target = tasks.get(taskId);
    Optional<Runc.State> st;
    try {
      st = target == null ? Optional.empty() : runc.state(taskId);
    } catch (IOException e) {
      throw new DriverException("CreateContainerError", "reading the state of task " + taskId + ": " + e.getMessage(), e);
    }
    if (st.isEmpty() || !st.get().running() || st.get().pid() <= 0) {
      throw new DriverException("CreateContainerError", "the target container (task " + taskId + ") is not running", null);
    }
    return Path.of("/proc", String.valueOf(st.get().pid()), "ns", "pid");
  }

  @Override
  public TaskHandle startTask(TaskConfig config) throws DriverException {
    Sandbox sb = sandboxes.get(config.sandboxId());
    if (sb == null) {
      throw new DriverException("CreateContainerError", "sandbox " + config.sandboxId() + " is not running on this node", null);
    }
    Task tracked = tasks.get(config.taskId());
    if (tracked != null) {
      return handle(tracked);
    }
    Path bundle = stateDir.resolve("tasks").resolve(config.taskId());
    String cgroupsPath = sb.cgroupParent() + "/" + config.taskId();
    if ((config.tty() || config.stdin()) && !usesCompiledMonitor()) {
      throw new DriverException("CreateContainerError", "container " + config.containerName()
          + " has stdin or tty: that needs the C container monitor, which is not built here (no gcc, or KEELSON_RUNC_MONITOR=perl)", null);
    }
    CompletableFuture<?> networkReady = sb.networkReady();
    if (networkReady.isCompletedExceptionally()) {
      throw new DriverException("CreateContainerError", "the pod network could not be set up: " + failure(networkReady), null);
    }
    Path pidns = config.targetTaskId() == null ? null : processNamespaceOf(config.targetTaskId());
    long t0 = System.nanoTime();
    long mounted;
    NetworkGates.Gate gate = null;
    try {
      Files.createDirectories(bundle);
      Files.deleteIfExists(bundle.resolve("exit.json"));
      // runc mounts the overlay inside the container: no mount process, nothing mounted on the host
      RootfsMounter.Rootfs rootfs = mounter.prepare(config.image().layers(), bundle);
      mounted = System.nanoTime();
      if (!networkReady.isDone()) {
        gate = gates.open(networkReady);
        openGates.put(config.taskId(), gate); // closed by cleanUp if the start fails
      }
      Files.write(bundle.resolve("config.json"),
          json.writeValueAsBytes(OciSpec.build(json, config, sb.hostname(), pidns, sb.netns(), sb.ipc(), sb.shm(), cgroupsPath,
              rootfs.overlayOptions(), gate == null ? null : gate.hook())));
      Files.createDirectories(config.logPath().toAbsolutePath().getParent());
    } catch (IOException | RuntimeException e) {
      cleanUp(config.taskId(), bundle, cgroupsPath);
      throw new DriverException("CreateContainerError", "preparing container " + config.containerName() + ": " + e.getMessage(), e);
    }
    List<String> argv = new ArrayList<>(monitor);
    try {
      argv.addAll(RuncAttachSession.monitorOptions(config, bundle));
    } catch (IOException e) {
      cleanUp(config.taskId(), bundle, cgroupsPath);
      throw new DriverException("CreateContainerError", "attach socket of " + config.containerName() + ": " + e.getMessage(), e);
    }
    argv.addAll(List.of(config.taskId(), bundle.toString(),
        runc.binary().toString(), runc.root().toString(), config.logPath().toAbsolutePath().toString(),
        bundle.resolve("exit.json").toString(), bundle.resolve("container.pid").toString()));
    cgroups.oomFiles(cgroupsPath).forEach(p -> argv.add(p.toString()));
    String answer;
    long prepared = System.nanoTime();
    try {
      Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
      answer = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor(60, TimeUnit.SECONDS);
    } catch (IOException e) {
      cleanUp(config.taskId(), bundle, cgroupsPath);
      throw new DriverException("RunContainerError", "starting the container monitor: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DriverException("RunContainerError", "interrupted", e);
    }
    if (!answer.startsWith("ok ")) {
      cleanUp(config.taskId(), bundle, cgroupsPath);
      if (networkReady.isCompletedExceptionally()) {
        // the gate failed the start: say why the network failed, not that a hook did
        throw new DriverException("CreateContainerError", "the pod network could not be set up: " + failure(networkReady), null);
      }
      String why = answer.startsWith("err ") ? Runc.message(answer.substring(4)) : answer;
      throw new DriverException("RunContainerError", why, null);
    }
    long pid = Long.parseLong(answer.substring(3).trim().split("\\s+")[0]);
    Task task = new Task(config.taskId(), config.sandboxId(), bundle, cgroupsPath, Instant.now(), pid);
    tasks.put(task.id, task);
    long done = System.nanoTime();
    if (gate != null) {
      openGates.remove(config.taskId());
      gate.close(true);
    }
    long ms = 1_000_000;
    String network = gate == null ? "" : gate.releasedNanos() <= prepared ? ", pod network ready before runc"
        : ", pod network ready " + (gate.releasedNanos() - prepared) / ms + " ms into it";
    log.info("started container {} (pid {}) in sandbox {} in {} ms (rootfs {}, bundle {}, monitor + runc run {}{})",
        task.id, pid, sb.id(), (done - t0) / ms, (mounted - t0) / ms, (prepared - mounted) / ms, (done - prepared) / ms, network);
    return handle(task);
  }

  private static String failure(CompletableFuture<?> f) {
    try {
      f.join();
      return "unknown";
    } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
      Throwable c = e.getCause() != null ? e.getCause() : e;
      return c.getMessage() != null ? c.getMessage() : c.toString();
    }
  }

  private TaskHandle handle(Task t) {
    ObjectNode s = json.createObjectNode();
    s.put("bundle", t.bundle.toString());
    s.put("cgroupsPath", t.cgroupsPath);
    s.put("pid", t.pid);
    return new TaskHandle(t.id, t.sandboxId, NAME, t.startedAt, json.writeValueAsString(s));
  }

  @Override
  public void recoverTask(TaskHandle handle) throws DriverException {
    if (tasks.containsKey(handle.id())) {
      return;
    }
    JsonNode s = json.readTree(handle.driverState());
    Task t = new Task(handle.id(), handle.sandboxId(), Path.of(s.path("bundle").asString()), s.path("cgroupsPath").asString(),
        handle.startedAt(), s.path("pid").asLong(0));
    if (!Files.exists(t.exitFile())) {
      try {
        if (runc.state(t.id).isEmpty()) {
          throw new DriverException("ContainerGone", "container " + t.id + " is gone", null);
        }
      } catch (IOException e) {
        throw new DriverException("ContainerGone", "container " + t.id + ": " + e.getMessage(), e);
      }
    }
    tasks.put(t.id, t);
    pollExit(t, true);
    log.info("recovered container {} ({})", t.id, t.exit.isDone() ? "exited" : "running");
  }

  @Override
  public CompletableFuture<ExitResult> awaitTask(String taskId) {
    Task t = tasks.get(taskId);
    if (t == null) {
      return CompletableFuture.failedFuture(new DriverException("ContainerGone", "unknown container " + taskId, null));
    }
    return t.exit.copy();
  }

  @Override
  public void stopTask(String taskId, Duration grace) throws DriverException {
    Task t = tasks.get(taskId);
    if (t == null || t.exit.isDone()) {
      return;
    }
    try {
      if (!grace.isZero() && !grace.isNegative() && runc.kill(taskId, "TERM")) {
        if (waitExit(t, grace)) {
          return;
        }
      }
      runc.kill(taskId, "KILL");
      if (!waitExit(t, Duration.ofSeconds(10))) {
        throw new DriverException("KillContainerError", "container " + taskId + " did not exit after SIGKILL", null);
      }
    } catch (IOException e) {
      throw new DriverException("KillContainerError", e.getMessage(), e);
    }
  }

  /** Waits for the exit status, polling the exit file itself (works even when the watcher is busy or closed). */
  private boolean waitExit(Task t, Duration d) {
    long deadline = System.nanoTime() + d.toNanos();
    while (true) {
      pollExit(t, true);
      if (t.exit.isDone()) {
        return true;
      }
      if (System.nanoTime() >= deadline) {
        return false;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  @Override
  public void destroyTask(String taskId, boolean force) throws DriverException {
    Task t = tasks.get(taskId);
    Path bundle = t != null ? t.bundle : stateDir.resolve("tasks").resolve(taskId);
    try {
      Optional<Runc.State> st = runc.state(taskId);
      if (st.isPresent() && st.get().running()) {
        if (!force) {
          throw new DriverException("RemoveContainerError", "container " + taskId + " is still running", null);
        }
        runc.kill(taskId, "KILL");
        if (t != null) {
          waitExit(t, Duration.ofSeconds(10));
        }
      }
    } catch (IOException e) {
      log.warn("destroy {}: {}", taskId, e.getMessage());
    }
    String cgroupsPath = t != null ? t.cgroupsPath : null;
    cleanUp(taskId, bundle, cgroupsPath);
    if (t != null) {
      tasks.remove(taskId);
      t.exit.complete(ExitResult.of(137, Instant.now()));
    }
  }

  private void cleanUp(String taskId, Path bundle, String cgroupsPath) {
    NetworkGates.Gate gate = openGates.remove(taskId);
    if (gate != null) {
      gate.close(false);
    }
    try {
      runc.delete(taskId);
    } catch (IOException e) {
      log.warn("runc delete {}: {}", taskId, e.getMessage());
    }
    RuncAttachSession.removeSocket(bundle);
    try {
      mounter.release(bundle);
      deleteTree(bundle);
    } catch (IOException e) {
      log.warn("removing bundle {}: {}", bundle, e.getMessage());
    }
    if (cgroupsPath != null) {
      cgroups.remove(cgroupsPath);
    }
  }

  @Override
  public TaskStatus inspectTask(String taskId) throws DriverException {
    Task t = tasks.get(taskId);
    if (t == null) {
      return new TaskStatus(TaskStatus.State.UNKNOWN, 0, null, null);
    }
    pollExit(t, true);
    if (t.exit.isDone()) {
      return new TaskStatus(TaskStatus.State.EXITED, t.pid, t.startedAt, t.exit.getNow(null));
    }
    try {
      Optional<Runc.State> st = runc.state(taskId);
      if (st.isEmpty()) {
        return new TaskStatus(TaskStatus.State.UNKNOWN, t.pid, t.startedAt, null);
      }
      TaskStatus.State state = st.get().status().equals("created") ? TaskStatus.State.CREATED : TaskStatus.State.RUNNING;
      return new TaskStatus(state, st.get().pid() > 0 ? st.get().pid() : t.pid, t.startedAt, null);
    } catch (IOException e) {
      throw new DriverException("InspectError", e.getMessage(), e);
    }
  }

  @Override
  public TaskStats taskStats(String taskId) throws DriverException {
    Task t = tasks.get(taskId);
    if (t == null) {
      throw new DriverException("ContainerGone", "unknown container " + taskId, null);
    }
    try {
      return new TaskStats(Instant.now(), cgroups.cpuUsageNanos(t.cgroupsPath), cgroups.memoryWorkingSet(t.cgroupsPath));
    } catch (IOException | RuntimeException e) {
      throw new DriverException("StatsError", "stats of " + taskId + ": " + e.getMessage(), e);
    }
  }

  @Override
  public ExecSession execTask(String taskId, List<String> command, boolean tty) throws DriverException {
    Task t = tasks.get(taskId);
    if (t == null || t.exit.isDone()) {
      throw new DriverException("ContainerNotRunning", "container " + taskId + " is not running", null);
    }
    if (command.isEmpty()) {
      throw new DriverException("ExecError", "no command given", null);
    }
    try {
      return RuncExecSession.start(runc, taskId, command, tty, t.bundle.resolve("exec-" + java.util.UUID.randomUUID() + ".pid"));
    } catch (IOException e) {
      throw new DriverException("ExecError", "exec in " + taskId + ": " + e.getMessage(), e);
    }
  }

  @Override
  public AttachSession attachTask(String taskId, boolean stdin) throws DriverException {
    Task t = tasks.get(taskId);
    if (t == null || t.exit.isDone() || exitedWithoutSocket(t)) {
      throw new DriverException("ContainerNotRunning", "container " + taskId + " is not running (it has exited;"
          + " kubectl logs shows its output)", null);
    }
    return RuncAttachSession.connect(taskId, t.bundle, stdin);
  }

  /**
   * The attach socket goes away when the container's process exits, a moment before the task's exit
   * is recorded: a quick command (kubectl run -i --rm) is then "not running", not "without stdin".
   */
  private static boolean exitedWithoutSocket(Task t) {
    if (Files.exists(RuncAttachSession.socketPath(t.bundle))) {
      return false;
    }
    try {
      t.exit.get(2, java.util.concurrent.TimeUnit.SECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The cgroup path runc uses for a task (for tests and diagnostics). */
  public Optional<String> cgroupsPath(String taskId) {
    return Optional.ofNullable(tasks.get(taskId)).map(t -> t.cgroupsPath);
  }

  public Cgroups cgroups() {
    return cgroups;
  }

  @Override
  public void close() {
    watcher.shutdownNow(); // containers and their monitors keep running
  }

  // ---- exit detection

  private void pollExits() {
    boolean deep = ticks.incrementAndGet() % 20 == 0; // every ~2 s also check that monitors are alive
    for (Task t : tasks.values()) {
      if (!t.exit.isDone()) {
        try {
          pollExit(t, deep);
        } catch (RuntimeException e) {
          log.warn("exit check of {} failed: {}", t.id, e.toString());
        }
      }
    }
  }

  private void pollExit(Task t, boolean checkMonitor) {
    if (t.exit.isDone()) {
      return;
    }
    Path f = t.exitFile();
    if (Files.exists(f)) {
      try {
        JsonNode e = json.readTree(Files.readAllBytes(f));
        int code = e.path("exitCode").asInt(255);
        Instant at = Instant.parse(e.path("finishedAt").asString(Instant.now().toString()));
        ExitResult r = e.path("oomKilled").asBoolean(false)
            ? new ExitResult(code, ExitResult.OOM_KILLED, at, null)
            : ExitResult.of(code, at);
        t.exit.complete(r);
      } catch (IOException | RuntimeException ex) {
        log.warn("unreadable exit file {}: {}", f, ex.toString());
      }
      return;
    }
    if (checkMonitor && !monitorAlive(t)) {
      try {
        Optional<Runc.State> st = runc.state(t.id);
        if (Files.exists(f)) {
          pollExit(t, false);
        } else if (st.isEmpty() || !st.get().running()) {
          t.exit.complete(new ExitResult(255, ExitResult.ERROR, Instant.now(), "exit status lost: the container monitor died"));
        }
      } catch (IOException e) {
        log.warn("runc state {}: {}", t.id, e.getMessage());
      }
    }
  }

  private static boolean monitorAlive(Task t) {
    try {
      long pid = Long.parseLong(Files.readString(t.bundle.resolve("monitor.pid")).trim());
      Optional<ProcessHandle> ph = ProcessHandle.of(pid);
      if (ph.isEmpty() || !ph.get().isAlive()) {
        return false;
      }
      String cmdline = Files.readString(Path.of("/proc", String.valueOf(pid), "cmdline"));
      // monitor.pl or keelson-monitor: a recovered container may have been started by either
      return (cmdline.contains("monitor.pl") || cmdline.contains("keelson-monitor")) && cmdline.contains(t.id);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
