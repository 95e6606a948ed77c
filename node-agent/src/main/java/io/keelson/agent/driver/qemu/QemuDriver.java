package io.keelson.agent.driver.qemu;

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
import io.keelson.agent.driver.qemu.GuestProtocol.Frame;
import io.keelson.agent.driver.runc.Cgroups;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs pods as qemu virtual machines with a guest kernel of their own.
 *
 * <p>A <b>sandbox</b> is one VM ({@code -M microvm}, KVM when a probe boot succeeds, else TCG):
 * Debian's cloud kernel and an initramfs whose /init is keelson-init (deploy/vm/). qemu is
 * daemonized, runs in the cgroup {@code /keelson/vm-<sandboxId>} and, when the pod has a network,
 * inside the pod's network namespace with a tap redirected to the pod interface ({@link
 * VmNetwork}). The VM gets a fixed number of sparse disk slots at boot; a <b>task</b> (one
 * container) is started by writing its image rootfs (plus the agent's bind-mounted files) as an
 * ext4 filesystem into a free slot on the host and asking the guest to mount it and run the
 * command. Everything after boot goes through one virtio-serial port with {@link GuestProtocol}:
 * output is written to the task's log in the CRI format, exit codes come back as frames, exec
 * sessions are multiplexed on the same port.
 *
 * <p>With a template directory configured (the agent's default) a sandbox of the template shape on a
 * pod network is not booted but <b>restored</b> from a {@link VmTemplate} the driver saved once
 * (qemu {@code -incoming}, guest RAM mapped copy-on-write), and told its seed, clock, network and
 * hostname in POD_CONFIG: see the "templates" section below.
 *
 * <p>The VM is not the agent's child and the guest queues frames while no agent is connected, so a
 * killed agent loses nothing: {@link #recoverSandbox} reconnects to the socket (no second VM) and
 * {@link #recoverTask} picks up the task's stream again.
 */
public final class QemuDriver implements WorkloadDriver {

  public static final String NAME = "qemu";
  public static final String RUNTIME_LABEL = "keelson.io/runtime.vm";
  public static final String ACCEL_LABEL = "keelson.io/vm.accel";
  public static final String KERNEL_LABEL = "keelson.io/vm.kernel";

  /** Containers a VM can hold at once (one disk slot each; exited ones give theirs back when destroyed). */
  static final int SLOTS = 6;
  /** Size of each sparse disk slot: the largest image rootfs a container can have. */
  static final long SLOT_BYTES = 2L << 30;
  static final long MIB = 1L << 20;
  /** Guest RAM when the pod sets no memory limit. */
  static final long DEFAULT_GUEST_MEMORY = 256 * MIB;
  static final long MIN_GUEST_MEMORY = 128 * MIB;
  /** The memory overhead the {@code vm} RuntimeClass declares (the scheduler counts it). */
  static final long RUNTIME_CLASS_OVERHEAD = 64 * MIB;
  /** What qemu itself needs beside guest RAM (TCG translation cache is capped at 64 MiB). */
  static final long QEMU_OVERHEAD = 160 * MIB;

  /** Output held for tasks not recovered yet (after an agent restart), per VM. */
  static final long ORPHAN_LIMIT = 8 * MIB;

  private static final Logger log = LoggerFactory.getLogger(QemuDriver.class);

  /**
   * Where things are and how to run.
   *
   * @param qemuBinary qemu-system-x86_64
   * @param assets guest kernel + initramfs
   * @param accel "auto" (probe KVM once, with a timeout), "kvm" or "tcg"
   * @param bootTimeout how long a VM may take to boot until its init answers
   * @param runDir short directory for the per-VM unix sockets (socket paths are limited to 107 bytes)
   * @param poolDir where warm VMs keep their disks (under the node's state dir, so that {@code keelson
   *     down} finds their qemu by path); null = no warm pool
   * @param warmPool how many idle pre-booted VMs to keep (0 = none)
   * @param templateDir where VM templates are kept (under the node's state dir); null = every VM
   *     boots (no restore from a template)
   */
  public record Options(Path qemuBinary, VmAssets assets, String accel, Duration bootTimeout, Path runDir,
      Path poolDir, int warmPool, Path templateDir) {
    public Options(Path qemuBinary, VmAssets assets, String accel, Duration bootTimeout, Path runDir) {
      this(qemuBinary, assets, accel, bootTimeout, runDir, null, 0, null);
    }

    /** qemu from PATH, assets from $KEELSON_VM_DIR or ~/.keelson/vm (or {@code vmDir}), accel auto. */
    public static Options defaults(Path vmDir) {
      return new Options(findQemu(), VmAssets.locate(vmDir), "auto", Duration.ofSeconds(120),
          Path.of(System.getProperty("java.io.tmpdir"), "keelson-vm"));
    }

    public Options withAccel(String a) {
      return new Options(qemuBinary, assets, a, bootTimeout, runDir, poolDir, warmPool, templateDir);
    }

    /** Keeps {@code n} warm VMs whose disks live under {@code dir}. */
    public Options withWarmPool(Path dir, int n) {
      return new Options(qemuBinary, assets, accel, bootTimeout, runDir, dir, Math.max(0, n), templateDir);
    }

    /** Restores VM pods of the template shape from a template kept under {@code dir} (null: always boot). */
    public Options withTemplates(Path dir) {
      return new Options(qemuBinary, assets, accel, bootTimeout, runDir, poolDir, warmPool, dir);
    }

    private static Path findQemu() {
      for (String d : Optional.ofNullable(System.getenv("PATH")).orElse("/usr/bin:/bin").split(":")) {
        Path p = Path.of(d.isEmpty() ? "." : d, "qemu-system-x86_64");
        if (Files.isExecutable(p)) {
          return p;
        }
      }
      return Path.of("/usr/bin/qemu-system-x86_64");
    }
  }

  private final Options options;
  private final Cgroups cgroups = Cgroups.host();
  private final JsonMapper json = JsonMapper.builder().build();
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Vm> vms = new ConcurrentHashMap<>();
  private final Map<String, Task> tasks = new ConcurrentHashMap<>();
  /** Full VMs: pods that boot their image's disk (vm.keelson.io/boot: disk) instead of keelson-init. */
  private final DiskVms diskVms;
  private volatile AccelProbe.Result accel;
  private volatile String qemuVersion;

  public QemuDriver(Options options) {
    this.options = options;
    this.diskVms = new DiskVms(options.qemuBinary(), options.runDir(), this::accel, this::setUpCgroup);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public DriverCapabilities capabilities() {
    return new DriverCapabilities(true, true, DriverCapabilities.ISOLATION_VM, true, NAME);
  }

  // ---- fingerprint

  @Override
  public Fingerprint fingerprint() {
    String why = unavailable();
    if (why != null) {
      return Fingerprint.unhealthy(why, Map.of());
    }
    AccelProbe.Result a = accel();
    startPool();
    ensureTemplate();
    String release = options.assets().kernelRelease();
    Map<String, String> attrs = new LinkedHashMap<>();
    attrs.put(RUNTIME_LABEL, "true");
    attrs.put(ACCEL_LABEL, a.accel());
    if (release.matches("[A-Za-z0-9][-A-Za-z0-9_.]{0,61}[A-Za-z0-9]")) {
      attrs.put(KERNEL_LABEL, release);
    }
    return new Fingerprint(true, "qemu " + qemuVersion + ", guest kernel " + release + ", " + a.accel() + " (" + a.why() + ")", attrs);
  }

  /**
   * Runs {@code argv} (a qemu with {@code -daemonize}, started through the wrapper that joins the
   * cgroup.procs files in KEELSON_CGROUP_PROCS) and waits until it has daemonized; its output goes to
   * {@code run}/qemu.err, which a failure quotes.
   */
  static void daemonize(List<String> argv, Path run, List<Path> procsFiles) throws IOException, InterruptedException {
    Path err = run.resolve("qemu.err");
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("KEELSON_CGROUP_PROCS", String.join(" ", procsFiles.stream().map(Path::toString).toList()));
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("qemu did not daemonize within 60s");
    }
    if (p.exitValue() != 0) {
      throw new IOException("qemu failed (exit " + p.exitValue() + "): " + Files.readString(err).strip());
    }
  }

  /**
   * Guest RAM for a pod whose limit (containers' limits + RuntimeClass overhead) is {@code podBytes}:
   * the limit less the {@code vm} RuntimeClass's 64 MiB overhead, at least {@link #MIN_GUEST_MEMORY};
   * {@link #DEFAULT_GUEST_MEMORY} when the containers set no limit. The qemu cgroup allows
   * {@link #QEMU_OVERHEAD} on top for qemu itself.
   */
  static long guestMemory(long podBytes) {
    long containers = podBytes - RUNTIME_CLASS_OVERHEAD;
    long ram = containers <= 0 ? DEFAULT_GUEST_MEMORY : Math.max(MIN_GUEST_MEMORY, containers);
    return (ram + MIB - 1) / MIB * MIB;
  }

  /** Why no VM can start on this node, or null. */
  private String unavailable() {
    if (!Files.isExecutable(options.qemuBinary())) {
      return "qemu not found at " + options.qemuBinary() + " (install qemu-system-x86)";
    }
    String missing = options.assets().missing();
    if (missing != null) {
      return missing;
    }
    if (qemuVersion == null) {
      try {
        String out = run(List.of(options.qemuBinary().toString(), "--version"), Duration.ofSeconds(10));
        qemuVersion = out.lines().findFirst().orElse("").replaceAll(".*version ([^ ]+).*", "$1");
      } catch (IOException e) {
        return "qemu at " + options.qemuBinary() + " does not run: " + e.getMessage();
      }
    }
    return null;
  }

  /** The acceleration, probed once (and cached on disk next to the kernel, keyed by qemu and host kernel). */
  AccelProbe.Result accel() {
    AccelProbe.Result a = accel;
    if (a != null) {
      return a;
    }
    synchronized (this) {
      if (accel != null) {
        return accel;
      }
      if (!"auto".equals(options.accel())) {
        accel = new AccelProbe.Result(options.accel(), "configured");
        return accel;
      }
      String key = qemuVersion + "|" + hostKernel();
      Path cache = options.assets().dir().resolve("accel.probe");
      try {
        List<String> lines = Files.readAllLines(cache);
        if (lines.size() == 3 && lines.get(0).equals(key)) {
          accel = new AccelProbe.Result(lines.get(1), lines.get(2) + ", cached");
          return accel;
        }
      } catch (IOException e) {
        // no cache yet
      }
      AccelProbe.Result r = AccelProbe.probe(options.qemuBinary(), options.assets(), Duration.ofSeconds(10));
      log.info("VM acceleration: {} ({})", r.accel(), r.why());
      try {
        Files.writeString(cache, key + "\n" + r.accel() + "\n" + r.why() + "\n");
      } catch (IOException e) {
        // read-only asset dir: probe again next start
      }
      accel = r;
      return r;
    }
  }

  private static String hostKernel() {
    try {
      return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
    } catch (IOException e) {
      return System.getProperty("os.version");
    }
  }

  // ---- sandboxes

  @Override
  public SandboxHandle startSandbox(SandboxConfig config) throws DriverException {
    String why = unavailable();
    if (why != null) {
      throw new DriverException("FailedCreatePodSandBox", "cannot run a VM on this node: " + why, null);
    }
    Vm existing = vms.get(config.sandboxId());
    if (existing != null) {
      return existing.handle();
    }
    String id = config.sandboxId();
    if (DiskVms.wants(config)) {
      killUntracked(id);
      return diskVms.startSandbox(config, guestMemory(config.memoryBytes()),
          (int) Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), config.cpuMillis() / 1000)));
    }
    AccelProbe.Result acc = accel();
    // A warm VM this sandbox took before an agent crash, not recorded as its sandbox: start afresh.
    discardTakenPoolVm(id);
    killUntracked(id);
    long ram = guestMemory(config.memoryBytes());
    int vcpus = (int) Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), config.cpuMillis() / 1000));
    if (config.network() != null) {
      Vm warm = takeWarm(vcpus, ram);
      if (warm != null) {
        try {
          return adoptWarm(warm, config, vcpus);
        } catch (DriverException e) {
          log.warn("sandbox {}: the warm VM {} could not take the pod ({}); booting one", id, warm.qemuName, e.getMessage());
          killQuietly(warm);
          cleanUpVm(warm);
        }
      }
      VmTemplate tpl = takeTemplate(vcpus, ram);
      if (tpl != null) {
        try {
          return restore(tpl, config, vcpus, ram);
        } catch (DriverException e) {
          log.warn("sandbox {}: restoring from the template failed ({}); booting the VM", id, e.getMessage());
        }
      }
    }
    long t0 = System.nanoTime();
    Vm vm = podVm(config);
    try {
      prepareDisks(vm);
      vm.volumes.putAll(config.volumes());
      if (!vm.volumes.isEmpty()) {
        writeVolumesDisk(vm);
      }
      long memLimit = ram + QEMU_OVERHEAD;
      List<Path> procsFiles = setUpCgroup(vm.cgroup, memLimit, config.cpuMillis() > 0 ? Math.max(config.cpuMillis(), vcpus * 1000L) : 0);

      String cmdline = "";
      String mac = null;
      if (config.network() != null) {
        mac = VmNetwork.attach(config.network());
        cmdline += " keelson.ip=" + config.network().ip() + "/" + config.network().prefixLength();
        if (config.network().gateway() != null) {
          cmdline += " keelson.gw=" + config.network().gateway();
        }
      }
      if (config.hostname() != null && config.hostname().matches("[A-Za-z0-9.-]{1,63}")) {
        cmdline += " keelson.hostname=" + config.hostname();
      }
      List<String> netArgs = mac == null ? List.of() : List.of("-netdev", "tap,id=n0,ifname=" + VmNetwork.TAP + ",script=no,downscript=no",
          "-device", "virtio-net-device,netdev=n0,mac=" + mac);
      boot(vm, ram, vcpus, cmdline, config.network() == null ? null : config.network().netnsPath().toString(), netArgs,
          !vm.volumes.isEmpty(), procsFiles, null);
      waitReady(vm, vm.ready, options.bootTimeout());
      log.info("sandbox {}: VM up in {} ms (qemu pid {}, {}, {} vCPU, {} MiB)", id, (System.nanoTime() - t0) / 1_000_000,
          vm.pid, acc.accel(), vcpus, ram / MIB);
      return vm.handle();
    } catch (IOException | DriverException e) {
      String console = consoleTail(vm.consoleLog);
      killQuietly(vm);
      cleanUpVm(vm);
      throw new DriverException("FailedCreatePodSandBox", "VM did not start: " + e.getMessage()
          + (console.isEmpty() ? "" : " (console: " + console + ")"), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      killQuietly(vm);
      cleanUpVm(vm);
      throw new DriverException("FailedCreatePodSandBox", "interrupted while starting the VM", e);
    }
  }

  /** Creates the VM's empty sparse disk slots (and its run dir). */
  private void prepareDisks(Vm vm) throws IOException {
    Files.createDirectories(vm.dir);
    Files.createDirectories(vm.run);
    Files.createDirectories(vm.consoleLog.getParent());
    Files.deleteIfExists(vm.ctl());
    Files.deleteIfExists(vm.qmp());
    Files.deleteIfExists(vm.run.resolve("qemu.pid"));
    for (int i = 0; i < SLOTS; i++) {
      emptyDisk(vm.slot(i));
    }
  }

  /** A sparse disk image of the slot size (its device exists from boot; what it holds comes later). */
  private static void emptyDisk(Path img) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
      f.setLength(SLOT_BYTES);
    }
  }

  /** A pod's VM record: state in the sandbox's state dir, the console log beside the pod's logs. */
  private Vm podVm(SandboxConfig config) {
    String id = config.sandboxId();
    Vm vm = new Vm(id, config.stateDir(), options.runDir().resolve(shortId(id)), "/keelson/vm-" + id);
    vm.consoleLog = (config.logDir() != null ? config.logDir() : config.stateDir()).resolve("vm-console.log");
    return vm;
  }

  /**
   * Guest RAM backed by a file instead of anonymous memory: a template VM's ({@code share}: the
   * file receives its RAM) or a restored VM's (private copy-on-write mapping of the template's
   * file; {@code incoming}: qemu waits for the saved state instead of booting).
   */
  private record Memory(Path file, boolean share, boolean incoming) {}

  /**
   * Starts qemu for {@code vm} (daemonized, in the cgroup whose {@code cgroup.procs} files are given,
   * inside {@code netns} when not null) and connects to its control port; the caller waits for READY.
   * With {@code memory.incoming()} qemu waits for its state (QMP {@code migrate-incoming}) and the
   * control port is not connected yet.
   */
  private void boot(Vm vm, long ram, int vcpus, String cmdlineExtra, String netns, List<String> netArgs,
      boolean volumesDisk, List<Path> procsFiles, Memory memory) throws IOException, InterruptedException {
    AccelProbe.Result acc = accel();
    // Boot-time savings that matter under TCG: no crypto self-tests, no LSM/audit setup (the VM is
    // the isolation boundary; its containers are one pod), no PCI/keyboard probing on microvm.
    StringBuilder cmdline = new StringBuilder("console=ttyS0 quiet panic=-1 reboot=t cryptomgr.notests audit=0"
        + " apparmor=0 security=none nokaslr mitigations=off pci=off i8042.noaux i8042.nokbd i8042.nopnp");
    if (acc.accel().equals("tcg")) {
      // TCG microvm has no PIT/HPET to calibrate the TSC against; it ticks at the host's rate.
      cmdline.append(" tsc_early_khz=").append(hostTscKhz()).append(" tsc=reliable");
    }
    cmdline.append(cmdlineExtra);
    List<String> argv = new ArrayList<>(List.of("sh", "-c", "for f in $KEELSON_CGROUP_PROCS; do echo $$ > $f; done; exec \"$@\"", "sh"));
    if (netns != null) {
      argv.addAll(List.of("nsenter", "--net=" + netns));
    }
    argv.addAll(List.of(options.qemuBinary().toString(), "-name", vm.qemuName,
        "-M", memory == null ? "microvm" : "microvm,memory-backend=mem", "-m", (ram / MIB) + "M", "-smp", String.valueOf(vcpus),
        "-nodefaults", "-no-user-config", "-no-reboot", "-display", "none",
        "-daemonize", "-pidfile", vm.run.resolve("qemu.pid").toString(),
        "-kernel", options.assets().kernel().toString(), "-initrd", options.assets().initramfs().toString(),
        "-append", cmdline.toString(),
        "-serial", "file:" + vm.consoleLog,
        "-qmp", "unix:" + vm.qmp() + ",server=on,wait=off",
        "-device", "virtio-serial-device",
        "-chardev", "socket,id=ctl,path=" + vm.ctl() + ",server=on,wait=off",
        "-device", "virtserialport,chardev=ctl,name=keelson.0"));
    if (acc.accel().equals("kvm")) {
      argv.addAll(List.of("-accel", "kvm", "-cpu", "host"));
    } else {
      argv.addAll(List.of("-accel", "tcg,tb-size=64"));
    }
    for (int i = 0; i < SLOTS; i++) {
      argv.addAll(List.of("-drive", "if=none,id=slot" + i + ",format=raw,file=" + vm.slot(i),
          "-device", "virtio-blk-device,drive=slot" + i + ",serial=slot" + i));
    }
    if (volumesDisk) {
      argv.addAll(List.of("-drive", "if=none,id=volumes,format=raw,file=" + vm.volumesDisk(),
          "-device", "virtio-blk-device,drive=volumes,serial=volumes"));
    }
    argv.addAll(netArgs);
    if (memory != null) {
      argv.addAll(List.of("-object", "memory-backend-file,id=mem,size=" + (ram / MIB) + "M,mem-path=" + memory.file()
          + ",share=" + (memory.share() ? "on" : "off")));
      if (memory.incoming()) {
        argv.addAll(List.of("-incoming", "defer"));
      }
    }
    daemonize(argv, vm.run, procsFiles);
    vm.pid = Long.parseLong(Files.readString(vm.run.resolve("qemu.pid")).strip());
    vm.startedAt = Instant.now();
    if (memory == null || !memory.incoming()) {
      attach(vm);
    }
  }

  @Override
  public void recoverSandbox(SandboxHandle handle) throws DriverException {
    if (vms.containsKey(handle.id()) || diskVms.hasSandbox(handle.id())) {
      return;
    }
    if (DiskVms.isDiskState(handle.driverState())) {
      diskVms.recoverSandbox(handle);
      return;
    }
    JsonNode s = json.readTree(handle.driverState());
    Vm vm = new Vm(handle.id(), Path.of(s.path("dir").asString()), Path.of(s.path("run").asString()), s.path("cgroup").asString());
    vm.pid = s.path("pid").asLong();
    vm.qemuName = s.path("name").asString("keelson-" + handle.id());
    vm.pooled = s.path("pooled").asBoolean(false);
    vm.consoleLog = Path.of(s.path("console").asString());
    vm.startedAt = Instant.parse(s.path("startedAt").asString(Instant.now().toString()));
    s.path("volumes").properties().forEach(e -> vm.volumes.put(e.getKey(), Path.of(e.getValue().asString())));
    if (!isQemuNamed(vm.pid, vm.qemuName)) {
      throw new DriverException("the VM of sandbox " + handle.id() + " (qemu pid " + vm.pid + ") is gone");
    }
    try {
      vms.put(vm.id, vm);
      attach(vm);
      vm.channel.send(GuestProtocol.HELLO, 0, "recover".getBytes(StandardCharsets.UTF_8));
      waitReady(vm, vm.helloAck, Duration.ofSeconds(30));
    } catch (IOException | DriverException e) {
      if (vm.channel != null) {
        vm.channel.close();
      }
      vms.remove(vm.id);
      throw new DriverException("RecoverError", "cannot re-attach to the VM of sandbox " + handle.id() + ": " + e.getMessage(), e);
    }
    log.info("sandbox {}: re-attached to VM (qemu pid {})", vm.id, vm.pid);
  }

  @Override
  public void destroySandbox(String sandboxId, Duration grace) throws DriverException {
    if (diskVms.hasSandbox(sandboxId)) {
      diskVms.destroySandbox(sandboxId);
      cgroups.remove(DiskVms.cgroupPath(sandboxId));
      return;
    }
    Vm vm = vms.get(sandboxId);
    if (vm == null) {
      // Not tracked (e.g. the pod was deleted while the agent was down): find its qemu by name.
      discardTakenPoolVm(sandboxId);
      long pid = findQemu(sandboxId);
      if (pid > 0) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        waitGone(pid, Duration.ofSeconds(10));
      }
      cgroups.remove("/keelson/vm-" + sandboxId);
      deleteTree(options.runDir().resolve(shortId(sandboxId)));
      return;
    }
    vm.closing = true;
    if (vm.channel != null && vm.channel.isOpen() && isQemuNamed(vm.pid, vm.qemuName)) {
      try {
        vm.channel.send(GuestProtocol.SHUTDOWN, 0, GuestProtocol.kv(Map.of("grace", Math.max(0, grace.toSeconds()))));
      } catch (IOException e) {
        // fall through to the kill
      }
      waitGone(vm.pid, grace.plusSeconds(10));
    }
    killQuietly(vm);
    lose(vm, "the VM was stopped");
    cleanUpVm(vm);
  }

  // ---- tasks

  @Override
  public TaskHandle startTask(TaskConfig config) throws DriverException {
    Task existing = tasks.get(config.taskId());
    if (existing != null) {
      return existing.handle();
    }
    if (diskVms.hasSandbox(config.sandboxId())) {
      return diskVms.startTask(config);
    }
    if (config.stdin() || config.tty()) {
      // the guest protocol carries no stdin or terminal yet: say so, rather than run it with stdin closed
      throw new DriverException("CreateContainerError", "container " + config.containerName() + " asks for "
          + (config.tty() ? "a tty" : "stdin") + ", which VM pods (runtimeClassName: vm) do not support yet;"
          + " use kubectl exec, or run it as a container", null);
    }
    Vm vm = vms.get(config.sandboxId());
    if (vm == null || vm.gone) {
      throw new DriverException("CreateContainerError", "the VM of sandbox " + config.sandboxId() + " is not running", null);
    }
    Path rootfs = config.image().rootfs() != null ? config.image().rootfs()
        : config.image().layers().size() == 1 ? config.image().layers().getFirst() : null;
    if (rootfs == null) {
      throw new DriverException("CreateContainerError", "image " + config.image().ref() + " has no flattened rootfs", null);
    }
    int slot = vm.takeSlot(config.taskId());
    if (slot < 0) {
      slot = reclaimSlot(vm, config.taskId());
    }
    if (slot < 0) {
      throw new DriverException("CreateContainerError", "the VM has no free disk slot (at most " + SLOTS + " containers at once)", null);
    }
    Task t = null;
    long t0 = System.nanoTime();
    try {
      writeDisk(vm, slot, rootfs, config);
      long written = System.nanoTime();
      awaitPodConfig(vm);
      int stream = newStream(vm);
      t = new Task(config.taskId(), vm, stream, slot, config.logPath());
      t.log = new CriLogWriter(config.logPath());
      CompletableFuture<Frame> reply = new CompletableFuture<>();
      vm.pending.put(stream, reply);
      vm.tasks.put(stream, t);
      tasks.put(t.id, t);
      Map<String, Object> req = new LinkedHashMap<>();
      req.put("arg", config.command());
      req.put("env", config.env().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
      req.put("cwd", config.workingDir() == null || config.workingDir().isEmpty() ? "/" : config.workingDir());
      req.put("uid", config.user().uid());
      req.put("gid", config.user().gid());
      req.put("group", config.user().supplementalGroups());
      req.put("disk", "slot" + slot);
      req.put("ro", config.readOnlyRootFilesystem() ? 1 : 0);
      req.put("bind", volumeBinds(vm, config.mounts()));
      vm.channel.send(GuestProtocol.TASK_START, stream, GuestProtocol.kv(req));
      Frame r = reply.get(60, TimeUnit.SECONDS);
      if (r.type() == GuestProtocol.START_FAILED) {
        throw new DriverException("RunContainerError", r.value("message").orElse("the guest could not start the container"), null);
      }
      t.guestPid = Long.parseLong(r.value("pid").orElse("0"));
      t.startedAt = Instant.now();
      refillAfterTake(vm);
      log.info("task {}: started in the VM in {} ms (rootfs disk {} ms)", t.id, (System.nanoTime() - t0) / 1_000_000,
          (written - t0) / 1_000_000);
      return t.handle();
    } catch (DriverException e) {
      dropTask(t, vm, slot, config.taskId());
      throw e;
    } catch (IOException | ExecutionException | TimeoutException e) {
      dropTask(t, vm, slot, config.taskId());
      throw new DriverException("RunContainerError", "starting the container in the VM failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      dropTask(t, vm, slot, config.taskId());
      throw new DriverException("RunContainerError", "interrupted", e);
    }
  }

  /** A warm VM's answer to POD_CONFIG (sent when the pod took it); the guest's error fails the container. */
  private static void awaitPodConfig(Vm vm) throws DriverException, InterruptedException, ExecutionException, TimeoutException {
    CompletableFuture<Frame> answer = vm.configured;
    if (answer == null) {
      return;
    }
    Frame r = answer.get(30, TimeUnit.SECONDS);
    if (r.value("error").isPresent()) {
      throw new DriverException("RunContainerError", "the VM could not take the pod's network: " + r.value("error").get(), null);
    }
  }

  /**
   * All slots hold containers: take the one of a container that has exited (the agent may keep
   * exited attempts around for their status). Its rootfs is released in the guest first.
   */
  private int reclaimSlot(Vm vm, String taskId) {
    for (Task old : List.copyOf(vm.tasks.values())) {
      if (old.exit.isDone() && vm.reassignSlot(old.slot, old.id, taskId)) {
        vm.released.add(old.stream);
        vm.tasks.remove(old.stream);
        release(vm, old.stream);
        return old.slot;
      }
    }
    return -1;
  }

  /**
   * Asks the guest to forget a task and unmount its rootfs, and waits for its answer: only then may
   * the slot be rewritten (an unmount after the rewrite would write stale metadata into it).
   */
  private void release(Vm vm, int stream) {
    if (vm.channel == null || !vm.channel.isOpen() || vm.gone) {
      return;
    }
    CompletableFuture<Frame> ack = new CompletableFuture<>();
    vm.releases.put(stream, ack);
    try {
      vm.channel.send(GuestProtocol.TASK_RELEASE, stream, new byte[0]);
      ack.get(10, TimeUnit.SECONDS);
    } catch (IOException | ExecutionException | TimeoutException e) {
      log.warn("sandbox {}: releasing stream {} in the guest: {}", vm.id, stream, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      vm.releases.remove(stream);
    }
  }

  private void dropTask(Task t, Vm vm, int slot, String taskId) {
    tasks.remove(taskId);
    if (t != null) {
      vm.tasks.remove(t.stream);
      vm.pending.remove(t.stream);
      closeLog(t);
      vm.released.add(t.stream);
      release(vm, t.stream); // in case it half-started
    }
    vm.freeSlot(slot, taskId);
  }

  @Override
  public void recoverTask(TaskHandle handle) throws DriverException {
    if (tasks.containsKey(handle.id()) || diskVms.hasTask(handle.id())) {
      return;
    }
    if (DiskVms.isDiskState(handle.driverState())) {
      diskVms.recoverTask(handle);
      return;
    }
    Vm vm = vms.get(handle.sandboxId());
    if (vm == null) {
      throw new DriverException("the VM of task " + handle.id() + " is not running");
    }
    JsonNode s = json.readTree(handle.driverState());
    int stream = s.path("stream").asInt();
    Frame state = vm.taskStates.get(stream);
    if (state == null) {
      throw new DriverException("task " + handle.id() + " is unknown to the guest");
    }
    Task t = new Task(handle.id(), vm, stream, s.path("slot").asInt(), Path.of(s.path("log").asString()));
    t.startedAt = handle.startedAt();
    t.guestPid = s.path("guestPid").asLong();
    try {
      t.log = new CriLogWriter(t.logPath);
    } catch (IOException e) {
      throw new DriverException("RecoverError", "cannot open the log " + t.logPath + ": " + e.getMessage(), e);
    }
    vm.claimSlot(t.slot, t.id);
    List<Frame> queued;
    synchronized (vm) {
      vm.tasks.put(stream, t);
      tasks.put(t.id, t);
      queued = vm.orphans.remove(stream);
    }
    if (queued != null) {
      synchronized (vm) {
        vm.orphanBytes -= queued.stream().mapToLong(f -> f.payload().length).sum();
      }
      queued.forEach(f -> onTaskFrame(t, f));
    }
    if (state.value("state").orElse("").equals("exited")) {
      onTaskFrame(t, state);
    }
  }

  @Override
  public CompletableFuture<io.keelson.agent.driver.ExitResult> awaitTask(String taskId) {
    if (diskVms.hasTask(taskId)) {
      return diskVms.awaitTask(taskId);
    }
    Task t = tasks.get(taskId);
    if (t == null) {
      return CompletableFuture.failedFuture(new DriverException("unknown task " + taskId));
    }
    return t.exit.thenApply(r -> r);
  }

  @Override
  public void stopTask(String taskId, Duration grace) throws DriverException {
    if (diskVms.hasTask(taskId)) {
      diskVms.stopTask(taskId, grace);
      return;
    }
    Task t = tasks.get(taskId);
    if (t == null || t.exit.isDone()) {
      return;
    }
    try {
      t.vm.channel.send(GuestProtocol.SIGNAL, t.stream, GuestProtocol.kv(Map.of("sig", 15)));
      t.exit.get(Math.max(0, grace.toMillis()), TimeUnit.MILLISECONDS);
      return;
    } catch (TimeoutException | ExecutionException | IOException e) {
      // not gone in time (or the channel broke): kill
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    try {
      t.vm.channel.send(GuestProtocol.SIGNAL, t.stream, GuestProtocol.kv(Map.of("sig", 9)));
      t.exit.get(10, TimeUnit.SECONDS);
    } catch (TimeoutException | ExecutionException | IOException e) {
      if (!isQemuNamed(t.vm.pid, t.vm.qemuName)) {
        lose(t.vm, "the VM stopped");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void destroyTask(String taskId, boolean force) throws DriverException {
    if (diskVms.hasTask(taskId)) {
      diskVms.destroyTask(taskId);
      return;
    }
    Task t = tasks.remove(taskId);
    if (t == null) {
      return;
    }
    Vm vm = t.vm;
    vm.released.add(t.stream);
    vm.tasks.remove(t.stream);
    release(vm, t.stream);
    t.exit.complete(new ExitResult(137, ExitResult.ERROR, Instant.now(), "destroyed"));
    vm.freeSlot(t.slot, t.id);
    closeLog(t);
  }

  @Override
  public TaskStatus inspectTask(String taskId) throws DriverException {
    if (diskVms.hasTask(taskId)) {
      return diskVms.inspectTask(taskId);
    }
    Task t = tasks.get(taskId);
    if (t == null) {
      return new TaskStatus(TaskStatus.State.UNKNOWN, 0, null, null);
    }
    if (t.exit.isDone()) {
      return new TaskStatus(TaskStatus.State.EXITED, t.vm.pid, t.startedAt, t.exit.join());
    }
    return new TaskStatus(t.startedAt == null ? TaskStatus.State.CREATED : TaskStatus.State.RUNNING, t.vm.pid, t.startedAt, null);
  }

  /** The VM's usage (the guest does not account per container): qemu's cgroup, else its RSS. */
  @Override
  public TaskStats taskStats(String taskId) throws DriverException {
    if (diskVms.hasTask(taskId)) {
      return diskVms.taskStats(taskId);
    }
    Task t = tasks.get(taskId);
    if (t == null) {
      throw new DriverException("unknown task " + taskId);
    }
    try {
      return new TaskStats(Instant.now(), cgroups.cpuUsageNanos(t.vm.cgroup), cgroups.memoryWorkingSet(t.vm.cgroup));
    } catch (IOException | RuntimeException e) {
      return new TaskStats(Instant.now(), 0, rssBytes(t.vm.pid));
    }
  }

  @Override
  public ExecSession execTask(String taskId, List<String> command, boolean tty) throws DriverException {
    if (diskVms.hasTask(taskId)) {
      throw new DriverException("ExecNotSupported", "exec is not available in a VM booted from its own disk"
          + " (no keelson-init inside); use its console: kubectl attach -it", null);
    }
    Task t = tasks.get(taskId);
    if (t == null || t.exit.isDone()) {
      throw new DriverException("container " + taskId + " is not running");
    }
    Vm vm = t.vm;
    int stream = newStream(vm);
    VmExecSession session = new VmExecSession(vm.channel, stream, () -> vm.execs.remove(stream));
    CompletableFuture<Frame> reply = new CompletableFuture<>();
    vm.pending.put(stream, reply);
    vm.execs.put(stream, session);
    Map<String, Object> req = new LinkedHashMap<>();
    req.put("task", Integer.toUnsignedString(t.stream));
    req.put("arg", command);
    req.put("tty", tty ? 1 : 0);
    req.put("cols", 80);
    req.put("rows", 24);
    try {
      vm.channel.send(GuestProtocol.EXEC_START, stream, GuestProtocol.kv(req));
      Frame r = reply.get(30, TimeUnit.SECONDS);
      if (r.type() == GuestProtocol.START_FAILED) {
        vm.execs.remove(stream);
        throw new DriverException("exec failed: " + r.value("message").orElse("unknown error"));
      }
      return session;
    } catch (IOException | ExecutionException | TimeoutException e) {
      vm.execs.remove(stream);
      vm.pending.remove(stream);
      throw new DriverException("RunContainerError", "exec in the VM failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      vm.execs.remove(stream);
      throw new DriverException("RunContainerError", "interrupted", e);
    }
  }

  /** A disk VM's serial console; VMs with keelson-init have no stdin or tty yet. */
  @Override
  public io.keelson.agent.driver.AttachSession attachTask(String taskId, boolean stdin) throws DriverException {
    if (diskVms.hasTask(taskId)) {
      return diskVms.attachTask(taskId);
    }
    return WorkloadDriver.super.attachTask(taskId, stdin);
  }

  /** Closes the control connections; the VMs keep running (a new driver recovers them). */
  @Override
  public void close() {
    diskVms.close();
    closePool();
    Vm building = templateVm;
    if (building != null) {
      killQuietly(building); // a half-built template is worth nothing to the next agent
    }
    for (Vm vm : vms.values()) {
      vm.closing = true;
      if (vm.channel != null) {
        vm.channel.close();
      }
    }
    for (Task t : tasks.values()) {
      closeLog(t);
    }
    vms.clear();
    tasks.clear();
  }

  // ---- templates

  /*
   * VM templates (Kata's "VM templating", Firecracker's snapshots): once per agent, in the
   * background, a VM of the template shape (POOL_VCPUS, POOL_RAM: a pod without limits) boots with
   * its guest RAM in a shared file, with every device a pod's VM has (disk slots, volumes disk, a
   * NIC on a tap qemu creates in the host namespace), until keelson-init is READY; the agent hangs
   * up, the guest idles, qemu saves the rest of its state (migrate x-ignore-shared: CPU and devices,
   * ~100 KB) and the template VM is killed: no qemu stays behind. A VM pod of that shape on a pod
   * network then starts as qemu -incoming with the template's RAM mapped copy-on-write and the
   * state loaded (~0.1 s of qemu work instead of a multi-second TCG boot), on its own fresh disk
   * slots and its own tap in the pod's namespace (host paths are not part of the saved state; the
   * guest never touched its disks beyond reading their empty first blocks, and flushes its block
   * cache before each mount). POD_CONFIG then gives it what must differ between VMs: CRNG seed
   * (otherwise every restored VM would continue the template's random stream), the clock (the
   * guest wakes at the template's time), MAC, IP and hostname. Other shapes boot cold.
   */
  private static final Duration TEMPLATE_SETTLE = Duration.ofSeconds(1);
  private static final Duration TEMPLATE_RETRY = Duration.ofMinutes(5);

  private final Object templateLock = new Object();
  private VmTemplate template;
  private CompletableFuture<VmTemplate> templateBuild;
  private long templateRetryAt;
  private volatile boolean templateLeftoversCleaned;
  /** The template VM while it is being built (killed if the driver closes meanwhile). */
  private volatile Vm templateVm;

  /**
   * The current template (completed), its build (running), or null (no templates here, or the last
   * build failed recently). Starts the build when the template for the current binaries is missing.
   */
  private CompletableFuture<VmTemplate> ensureTemplate() {
    Path root = options.templateDir();
    if (root == null || unavailable() != null) {
      return null;
    }
    String name;
    try {
      name = VmTemplate.name(options.qemuBinary(), options.assets(), accel().accel(), POOL_VCPUS, POOL_RAM);
    } catch (IOException e) {
      return null;
    }
    synchronized (templateLock) {
      if (template != null && template.dir().getFileName().toString().equals(name)) {
        return CompletableFuture.completedFuture(template);
      }
      if (templateBuild != null && !templateBuild.isDone()) {
        return templateBuild;
      }
      VmTemplate saved = VmTemplate.load(root.resolve(name));
      if (saved != null) {
        template = saved;
        log.info("VM template {} found (guest kernel {})", saved.dir(), saved.kernel());
        return CompletableFuture.completedFuture(saved);
      }
      if (System.nanoTime() < templateRetryAt) {
        return null;
      }
      CompletableFuture<VmTemplate> build = new CompletableFuture<>();
      templateBuild = build;
      Thread.ofPlatform().daemon().name("vm-template").start(() -> {
        try {
          VmTemplate t = buildTemplate(root, name);
          synchronized (templateLock) {
            template = t;
          }
          build.complete(t);
        } catch (IOException | DriverException | RuntimeException e) {
          log.warn("VM template not built ({}); VM pods boot until the next try in {} min", e.getMessage(),
              TEMPLATE_RETRY.toMinutes());
          synchronized (templateLock) {
            templateRetryAt = System.nanoTime() + TEMPLATE_RETRY.toNanos();
          }
          build.complete(null);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          build.complete(null);
        }
      });
      return build;
    }
  }

  /** The template for a VM of this shape, waiting for its build if one runs now; null = boot. */
  private VmTemplate takeTemplate(int vcpus, long ram) {
    if (vcpus != POOL_VCPUS || ram != POOL_RAM) {
      return null;
    }
    CompletableFuture<VmTemplate> t = ensureTemplate();
    if (t == null) {
      return null;
    }
    try {
      // A build under way ends sooner than a boot of our own would (and they would share the cores).
      return t.get(options.bootTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Boots the template VM, saves it under {@code root/name} and kills it. */
  private VmTemplate buildTemplate(Path root, String name) throws IOException, DriverException, InterruptedException {
    Files.createDirectories(root);
    cleanTemplateLeftovers(root, name);
    String hex = String.format("%08x", random.nextInt());
    String id = "template-" + hex;
    Path build = root.resolve(".build-" + hex);
    Vm vm = new Vm(id, build, options.runDir().resolve(shortId(id)), "/keelson/vm-" + id);
    vm.template = true;
    vm.consoleLog = build.resolve("console.log");
    long t0 = System.nanoTime();
    templateVm = vm;
    try {
      prepareDisks(vm);
      emptyDisk(vm.volumesDisk());
      List<Path> procs = setUpCgroup(vm.cgroup, POOL_RAM + QEMU_OVERHEAD, 0);
      String mac = String.format("52:54:00:%02x:%02x:%02x", random.nextInt(256), random.nextInt(256), random.nextInt(256));
      boot(vm, POOL_RAM, POOL_VCPUS, "", null, List.of("-netdev", "tap,id=n0,ifname=kvt" + hex + ",script=no,downscript=no",
          "-device", "virtio-net-device,netdev=n0,mac=" + mac), true, procs, new Memory(build.resolve("memory"), true, false));
      waitReady(vm, vm.ready, options.bootTimeout());
      long booted = System.nanoTime();
      if (!vm.ready.join().value("caps").orElse("").contains("seed")) {
        throw new IOException("the guest init in " + options.assets().initramfs()
            + " cannot be reseeded after a restore (rebuild it: deploy/vm/prepare.sh)");
      }
      // Saved while connected: a restored VM whose agent connects before its state loads sees no
      // change of the port's state, so its init reads POD_CONFIG at once (after a hang-up it would
      // look for the agent again only every 100 ms).
      vm.closing = true;
      Thread.sleep(TEMPLATE_SETTLE.toMillis()); // kernel work left from booting ends; the guest idles
      try (Qmp qmp = Qmp.connect(vm.qmp(), Duration.ofSeconds(10))) {
        qmp.enableCapabilities("x-ignore-shared");
        qmp.execute("migrate", Qmp.args().put("uri", "exec:cat > " + build.resolve("state")), Duration.ofSeconds(30));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
          JsonNode m = qmp.execute("query-migrate", null, Duration.ofSeconds(30));
          String status = m.path("status").asString("");
          if (status.equals("completed")) {
            break;
          }
          if (status.equals("failed") || status.equals("cancelled") || System.nanoTime() > deadline) {
            throw new IOException("saving the template VM: " + status + " " + m.path("error-desc").asString(""));
          }
          Thread.sleep(10);
        }
      }
      long saved = System.nanoTime();
      killQuietly(vm);
      cleanUpVm(vm);
      VmTemplate.complete(build, vm.kernel, "booted in " + (booted - t0) / 1_000_000 + " ms");
      Path dest = root.resolve(name);
      Files.move(build, dest, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      long touched = 0;
      try {
        touched = duBytes(dest.resolve("memory"));
      } catch (IOException | RuntimeException e) {
        // only for the log
      }
      log.info("VM template {} ready in {} ms (boot {} ms, save {} ms; {} MiB of guest RAM in use, kernel {})", dest,
          (System.nanoTime() - t0) / 1_000_000, (booted - t0) / 1_000_000, (saved - booted) / 1_000_000, touched / MIB, vm.kernel);
      return new VmTemplate(dest, vm.kernel);
    } catch (IOException | DriverException | InterruptedException | RuntimeException e) {
      killQuietly(vm);
      cleanUpVm(vm);
      deleteTree(build);
      throw e;
    } finally {
      templateVm = null;
    }
  }

  /** Blocks of a sparse file in use. */
  private static long duBytes(Path p) throws IOException {
    String out = run(List.of("du", "-k", p.toString()), Duration.ofSeconds(10));
    return Long.parseLong(out.strip().split("\\s+")[0]) * 1024;
  }

  /**
   * Before a build: kills a template VM a killed agent left half-built (once per driver; its qemu
   * names a file under {@code root}) and deletes templates of older binaries and unfinished builds.
   * VMs restored from a deleted template keep its memory file open.
   */
  private void cleanTemplateLeftovers(Path root, String keep) throws IOException {
    if (!templateLeftoversCleaned) {
      templateLeftoversCleaned = true;
      for (long pid : qemuPidsMentioning("keelson-template-", root.toString())) {
        log.info("killing the template VM (qemu pid {}) a previous agent left", pid);
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        waitGone(pid, Duration.ofSeconds(10));
      }
    }
    try (var dirs = Files.list(root)) {
      for (Path d : dirs.toList()) {
        if (!d.getFileName().toString().equals(keep)) {
          deleteTree(d);
        }
      }
    }
  }

  /**
   * Starts the pod's VM from the template: fresh disk slots and volumes disk, the pod's tap, qemu
   * -incoming with the template's RAM copy-on-write, the saved state loaded, then POD_CONFIG.
   */
  private SandboxHandle restore(VmTemplate tpl, SandboxConfig config, int vcpus, long ram) throws DriverException {
    String id = config.sandboxId();
    long t0 = System.nanoTime();
    Vm vm = podVm(config);
    try {
      prepareDisks(vm);
      vm.volumes.putAll(config.volumes());
      if (vm.volumes.isEmpty()) {
        emptyDisk(vm.volumesDisk()); // the template has the device: so must the restored VM
      } else {
        writeVolumesDisk(vm);
      }
      List<Path> procs = setUpCgroup(vm.cgroup, ram + QEMU_OVERHEAD,
          config.cpuMillis() > 0 ? Math.max(config.cpuMillis(), vcpus * 1000L) : 0);
      String mac = VmNetwork.attach(config.network());
      long prepared = System.nanoTime();
      boot(vm, ram, vcpus, "", config.network().netnsPath().toString(), List.of("-netdev",
          "tap,id=n0,ifname=" + VmNetwork.TAP + ",script=no,downscript=no", "-device", "virtio-net-device,netdev=n0,mac=" + mac),
          true, procs, new Memory(tpl.memory(), false, true));
      long started = System.nanoTime();
      // Connected before the state loads (the port is not live yet, nothing reaches the guest): the
      // template was saved connected, so the guest finds its agent as it left it (see buildTemplate).
      vm.kernel = tpl.kernel();
      attach(vm);
      try (Qmp qmp = Qmp.connect(vm.qmp(), Duration.ofSeconds(10))) {
        qmp.enableCapabilities("x-ignore-shared");
        qmp.execute("migrate-incoming", Qmp.args().put("uri", "exec:cat " + tpl.state()), Duration.ofSeconds(30));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        // Without -S the VM runs as soon as the state is loaded; a bad state makes qemu exit.
        while (!qmp.execute("query-status", null, Duration.ofSeconds(30)).path("status").asString("").equals("running")) {
          if (System.nanoTime() > deadline) {
            throw new IOException("the saved state did not load within 60 s");
          }
          Thread.sleep(5);
        }
      } catch (IOException e) {
        if (!isQemuNamed(vm.pid, vm.qemuName)) {
          invalidateTemplate(tpl, Files.exists(vm.run.resolve("qemu.err")) ? Files.readString(vm.run.resolve("qemu.err")).strip() : "");
        }
        throw e;
      }
      long loaded = System.nanoTime();
      sendPodConfig(vm, config, mac);
      vm.startedAt = Instant.now();
      log.info("sandbox {}: VM restored from template in {} ms (disks+network {} ms, qemu start {} ms, state load {} ms; "
              + "qemu pid {}, {} vCPU, {} MiB)", id, (System.nanoTime() - t0) / 1_000_000, (prepared - t0) / 1_000_000,
          (started - prepared) / 1_000_000, (loaded - started) / 1_000_000, vm.pid, vcpus, ram / MIB);
      return vm.handle();
    } catch (IOException e) {
      killQuietly(vm);
      cleanUpVm(vm);
      throw new DriverException("FailedCreatePodSandBox", "restoring the VM: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      killQuietly(vm);
      cleanUpVm(vm);
      throw new DriverException("FailedCreatePodSandBox", "interrupted while restoring the VM", e);
    }
  }

  /** qemu could not load the template: forget it (the next pod builds a new one after the retry pause). */
  private void invalidateTemplate(VmTemplate tpl, String why) {
    log.warn("VM template {} could not be restored, discarding it: {}", tpl.dir(), why);
    synchronized (templateLock) {
      if (template != null && template.dir().equals(tpl.dir())) {
        template = null;
        templateRetryAt = System.nanoTime() + Duration.ofMinutes(1).toNanos();
      }
    }
    deleteTree(tpl.dir());
  }

  /** For tests: waits for the template build the node registration started; null if none. */
  VmTemplate awaitTemplate(Duration timeout) throws Exception {
    CompletableFuture<VmTemplate> t = ensureTemplate();
    return t == null ? null : t.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * A qemu of this sandbox that the driver does not track (an agent killed after starting it but
   * before its sandbox was recorded): killed, so that the pod never ends up with two VMs.
   */
  private void killUntracked(String sandboxId) {
    long pid = findQemu(sandboxId);
    if (pid > 0) {
      log.info("sandbox {}: killing its untracked VM (qemu pid {}) before starting it again", sandboxId, pid);
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      waitGone(pid, Duration.ofSeconds(10));
    }
  }

  // ---- warm pool

  /*
   * The warm pool (the technique of Kata's VM templating and Firecracker warm pools): up to
   * Options.warmPool() VMs of one shape (POOL_VCPUS, POOL_RAM: what a pod without limits gets) are
   * booted ahead, each under <poolDir>/pool-<hex> with its disk slots, an empty volumes disk and a
   * NIC on a tap qemu created in the host namespace (left down), its init waiting for a pod. A pod
   * with a pod network whose VM would have that shape takes one (adoptWarm) instead of booting:
   * the qemu process moves into the pod's cgroup, the tap into the pod's namespace (re-plumbed as a
   * cold VM's), the volumes are written into the volumes disk and POD_CONFIG gives the guest its
   * address, MAC and hostname; containers then start exactly as in a cold VM (rootfs into a free
   * slot, TASK_START). microvm's virtio-mmio has no hot-plug, hence devices present from boot.
   * Pods of other shapes, and pods without a pod network, boot cold. A taken VM is replaced in the
   * background. Idle VMs cost CPU (~2.5 % of a core each under TCG), so the default size is small.
   *
   * Restarts: an idle VM left by a previous agent is re-adopted (HELLO; no tasks) or killed; a VM
   * marked as taken (file "sandbox") belongs to that sandbox: recoverSandbox finds it through the
   * handle, startSandbox/destroySandbox of that id kill it if the handle was never recorded.
   */
  static final int POOL_VCPUS = 1;
  static final long POOL_RAM = DEFAULT_GUEST_MEMORY;
  private static final Duration POOL_RETRY = Duration.ofSeconds(30);
  private static final Duration REFILL_DELAY = Duration.ofSeconds(10);

  private final Object poolLock = new Object();
  private final java.util.Deque<Vm> idle = new java.util.ArrayDeque<>();
  /** Boots queued or running (refill target); {@link #poolInFlight}: running now (what a pod may wait for). */
  private int poolBooting;
  private int poolInFlight;
  private int poolWaiters;
  private volatile java.util.concurrent.ExecutorService poolExec;
  private volatile boolean poolClosed;

  /** Starts the pool thread once: first re-adopt or kill what a previous agent left, then fill. */
  private void startPool() {
    if (options.poolDir() == null || poolExec != null || poolClosed) {
      return;
    }
    synchronized (poolLock) {
      if (poolExec != null || poolClosed) {
        return;
      }
      poolExec = java.util.concurrent.Executors.newSingleThreadExecutor(
          r -> Thread.ofPlatform().daemon().name("vm-warm-pool").unstarted(r));
      poolExec.execute(this::reconcilePool);
    }
  }

  private void refill() {
    synchronized (poolLock) {
      if (poolExec == null || poolClosed) {
        return;
      }
      while (idle.size() + poolBooting < options.warmPool()) {
        poolBooting++;
        poolExec.execute(this::bootWarm);
      }
    }
  }

  /**
   * An idle warm VM of this shape, or null. When none is idle but one is booting for the pool, waits
   * for it rather than booting a second VM beside it on the same cores.
   */
  private Vm takeWarm(int vcpus, long ram) {
    if (options.poolDir() == null || options.warmPool() <= 0 || vcpus != POOL_VCPUS || ram != POOL_RAM) {
      return null;
    }
    startPool();
    Vm taken = null;
    long deadline = System.nanoTime() + options.bootTimeout().toNanos();
    synchronized (poolLock) {
      while (taken == null && !poolClosed) {
        for (java.util.Iterator<Vm> it = idle.iterator(); it.hasNext();) {
          Vm vm = it.next();
          if (!vm.gone && vm.channel != null && vm.channel.isOpen()) {
            it.remove();
            taken = vm;
            break;
          }
        }
        long left = deadline - System.nanoTime();
        if (taken != null || poolInFlight <= poolWaiters || left <= 0) {
          break;
        }
        poolWaiters++;
        try {
          poolLock.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        } finally {
          poolWaiters--;
        }
      }
    }
    if (taken != null) {
      // The replacement boots once the pod's first container runs (startTask), or after a while if
      // none starts: a boot under TCG takes a core for seconds and would slow the very start the
      // warm VM was taken to speed up.
      taken.refillPending = true;
      Vm t = taken;
      CompletableFuture.delayedExecutor(REFILL_DELAY.toMillis(), TimeUnit.MILLISECONDS).execute(() -> refillAfterTake(t));
    }
    return taken;
  }

  private void refillAfterTake(Vm vm) {
    if (vm.refillPending) {
      vm.refillPending = false;
      refill();
    }
  }

  private void dropFromPool(Vm vm) {
    boolean removed;
    synchronized (poolLock) {
      removed = idle.remove(vm);
      poolLock.notifyAll();
    }
    if (removed) {
      refill();
    }
  }

  /** Boots one warm VM (on the pool thread). */
  private void bootWarm() {
    Vm vm = null;
    boolean ok = false;
    boolean inFlight = false;
    long t0 = System.nanoTime();
    try {
      if (poolClosed || unavailable() != null) {
        return;
      }
      synchronized (poolLock) {
        poolInFlight++;
        inFlight = true;
      }
      String hex = String.format("%08x", random.nextInt());
      String id = "pool-" + hex;
      vm = new Vm(id, options.poolDir().resolve(id), options.runDir().resolve(shortId(id)), "/keelson/vm-" + id);
      vm.pooled = true;
      vm.idle = true;
      vm.vcpus = POOL_VCPUS;
      vm.ram = POOL_RAM;
      vm.hostTap = "kvp" + hex;
      vm.consoleLog = vm.dir.resolve("console.log");
      prepareDisks(vm);
      emptyDisk(vm.volumesDisk()); // written when a pod with volumes takes the VM
      Files.writeString(vm.dir.resolve("shape"), vm.vcpus + " " + vm.ram + "\n");
      List<Path> procs = setUpCgroup(vm.cgroup, vm.ram + QEMU_OVERHEAD, 0);
      String mac = String.format("52:54:00:%02x:%02x:%02x", random.nextInt(256), random.nextInt(256), random.nextInt(256));
      // qemu creates the tap itself (not persistent): it disappears with qemu, never leaks on the host.
      boot(vm, vm.ram, vm.vcpus, "", null, List.of("-netdev", "tap,id=n0,ifname=" + vm.hostTap + ",script=no,downscript=no",
          "-device", "virtio-net-device,netdev=n0,mac=" + mac), true, procs, null);
      waitReady(vm, vm.ready, options.bootTimeout());
      synchronized (poolLock) {
        if (!poolClosed && !vm.gone) {
          idle.add(vm);
          ok = true;
        }
      }
      if (ok) {
        log.info("warm VM {} ready in {} ms (qemu pid {}, {} vCPU, {} MiB)", vm.qemuName, (System.nanoTime() - t0) / 1_000_000,
            vm.pid, vm.vcpus, vm.ram / MIB);
      }
    } catch (IOException | DriverException e) {
      log.warn("warm VM did not boot: {}", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (!ok && vm != null) {
        killQuietly(vm);
        cleanUpVm(vm);
      }
      synchronized (poolLock) {
        poolBooting--;
        if (inFlight) {
          poolInFlight--;
        }
        poolLock.notifyAll(); // a pod waiting for this VM takes it, or boots its own if it failed
      }
      if (!ok && !poolClosed && !Thread.currentThread().isInterrupted()) {
        try {
          Thread.sleep(POOL_RETRY.toMillis()); // do not boot-loop on a node where VMs fail
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        refill();
      }
    }
  }

  /**
   * Gives a warm VM to a pod: owner mark, cgroup, run dir, volumes, network, POD_CONFIG. Throws
   * (the caller kills the VM and boots cold) when any step fails.
   */
  private SandboxHandle adoptWarm(Vm vm, SandboxConfig config, int vcpus) throws DriverException {
    String id = config.sandboxId();
    long t0 = System.nanoTime();
    try {
      // Marked first: after a crash from here on, startSandbox/destroySandbox of this id find the VM.
      Files.writeString(vm.dir.resolve("sandbox"), id);
      vm.idle = false;
      // Into the pod's cgroup (v2: writing the pid to cgroup.procs moves the whole process, all its
      // threads). Memory charged while the VM booted idle (guest pages the kernel touched, qemu's
      // own) stays charged where it was: it is reparented to /keelson when the pool cgroup is
      // removed, so the pod's memory.current starts lower than a cold VM's and memory.max only
      // bounds what the VM charges from now on.
      String cg = "/keelson/vm-" + id;
      List<Path> procs = setUpCgroup(cg, vm.ram + QEMU_OVERHEAD,
          config.cpuMillis() > 0 ? Math.max(config.cpuMillis(), vcpus * 1000L) : 0);
      for (Path f : procs) {
        Files.writeString(f, String.valueOf(vm.pid));
      }
      String poolCgroup = vm.cgroup;
      vm.cgroup = cg;
      cgroups.remove(poolCgroup);
      // The run dir under the sandbox's name (connected sockets are unaffected by the rename).
      Path run = options.runDir().resolve(shortId(id));
      deleteTree(run);
      Files.move(vm.run, run);
      vm.run = run;
      vm.id = id;
      if (config.logDir() != null) {
        try {
          Files.createDirectories(config.logDir());
          Path console = config.logDir().resolve("vm-console.log");
          Files.deleteIfExists(console);
          Files.createLink(console, vm.consoleLog);
        } catch (IOException | UnsupportedOperationException e) {
          // the console stays in the warm VM's directory
        }
      }
      vm.volumes.putAll(config.volumes());
      if (!vm.volumes.isEmpty()) {
        writeVolumesDisk(vm);
      }
      long net0 = System.nanoTime();
      String mac = config.network() == null ? null : VmNetwork.adopt(config.network(), vm.hostTap);
      sendPodConfig(vm, config, mac);
      vm.startedAt = Instant.now();
      vms.put(id, vm);
      log.info("sandbox {}: took warm VM {} in {} ms (network {} ms; qemu pid {}, {} vCPU, {} MiB)", id,
          vm.qemuName, (System.nanoTime() - t0) / 1_000_000, (System.nanoTime() - net0) / 1_000_000, vm.pid, vm.vcpus, vm.ram / MIB);
      return vm.handle();
    } catch (IOException e) {
      throw new DriverException("FailedCreatePodSandBox", "taking a warm VM: " + e, e);
    }
  }

  /**
   * POD_CONFIG to a VM booted before its pod existed (warm or restored): fresh randomness for its
   * CRNG, the host's clock, the pod's network and hostname. Not awaited here: the guest handles
   * frames in order, so POD_CONFIG is done before any TASK_START; startTask checks the answer after
   * writing the rootfs (overlapping the two).
   */
  private void sendPodConfig(Vm vm, SandboxConfig config, String mac) throws IOException {
    Map<String, Object> req = new LinkedHashMap<>();
    byte[] seed = new byte[64];
    random.nextBytes(seed);
    req.put("seed", HexFormat.of().formatHex(seed));
    Instant now = Instant.now();
    req.put("time", now.getEpochSecond() + "." + String.format("%09d", now.getNano()));
    if (config.network() != null) {
      req.put("ip", config.network().ip() + "/" + config.network().prefixLength());
      if (config.network().gateway() != null) {
        req.put("gw", config.network().gateway());
      }
      req.put("mac", mac);
    }
    if (config.hostname() != null && config.hostname().matches("[A-Za-z0-9.-]{1,63}")) {
      req.put("hostname", config.hostname());
    }
    vm.configured = new CompletableFuture<>();
    vm.channel.send(GuestProtocol.POD_CONFIG, 0, GuestProtocol.kv(req));
  }

  /**
   * Kills the warm VM marked as taken by {@code sandboxId} unless this driver tracks it (an agent
   * that crashed between taking it and recording the sandbox; or a pod deleted while the agent
   * was down).
   */
  private void discardTakenPoolVm(String sandboxId) {
    Path poolDir = options.poolDir();
    if (poolDir == null || !Files.isDirectory(poolDir)) {
      return;
    }
    Vm tracked = vms.get(sandboxId);
    try (var dirs = Files.list(poolDir)) {
      for (Path d : dirs.toList()) {
        String owner;
        try {
          owner = Files.readString(d.resolve("sandbox")).strip();
        } catch (IOException e) {
          continue;
        }
        if (owner.equals(sandboxId) && (tracked == null || !tracked.dir.equals(d))) {
          String name = "keelson-" + d.getFileName();
          log.info("sandbox {}: killing warm VM {} it took before (not recorded)", sandboxId, name);
          killPoolLeftover(d);
        }
      }
    } catch (IOException e) {
      log.warn("listing {}: {}", poolDir, e.toString());
    }
  }

  /** Kills the qemu of the warm VM directory {@code d} (if alive) and removes what it left. */
  private void killPoolLeftover(Path d) {
    String id = d.getFileName().toString();
    long pid = findQemuNamed("keelson-" + id);
    if (pid > 0) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      waitGone(pid, Duration.ofSeconds(10));
    }
    cgroups.remove("/keelson/vm-" + id);
    deleteTree(options.runDir().resolve(shortId(id)));
    deleteTree(d);
  }

  /** On the pool thread, once: idle VMs of a previous agent are re-adopted (up to the pool size) or killed. */
  private void reconcilePool() {
    Path poolDir = options.poolDir();
    try {
      Files.createDirectories(poolDir);
      try (var dirs = Files.list(poolDir)) {
        for (Path d : dirs.toList()) {
          String id = d.getFileName().toString();
          if (!id.startsWith("pool-")) {
            continue;
          }
          long pid = findQemuNamed("keelson-" + id);
          if (Files.exists(d.resolve("sandbox"))) {
            if (pid == 0) {
              deleteTree(d); // its pod's VM is gone
            }
            continue; // a pod's VM: recovered (or destroyed) through its sandbox
          }
          int size;
          synchronized (poolLock) {
            size = idle.size();
          }
          if (pid > 0 && size < options.warmPool() && readopt(d, pid)) {
            continue;
          }
          log.info("warm VM keelson-{} of a previous agent: {}", id, pid > 0 ? "killed" : "cleaned up");
          killPoolLeftover(d);
        }
      }
    } catch (IOException e) {
      log.warn("warm pool {}: {}", poolDir, e.toString());
    }
    refill();
  }

  private boolean readopt(Path d, long pid) {
    String id = d.getFileName().toString();
    Vm vm = new Vm(id, d, options.runDir().resolve(shortId(id)), "/keelson/vm-" + id);
    vm.pooled = true;
    vm.idle = true;
    vm.pid = pid;
    vm.hostTap = "kvp" + id.substring("pool-".length());
    vm.consoleLog = d.resolve("console.log");
    try {
      String[] shape = Files.readString(d.resolve("shape")).strip().split(" ");
      vm.vcpus = Integer.parseInt(shape[0]);
      vm.ram = Long.parseLong(shape[1]);
      if (vm.vcpus != POOL_VCPUS || vm.ram != POOL_RAM) {
        return false;
      }
      attach(vm);
      vm.channel.send(GuestProtocol.HELLO, 0, "pool".getBytes(StandardCharsets.UTF_8));
      waitReady(vm, vm.helloAck, Duration.ofSeconds(15));
      if (!vm.taskStates.isEmpty()) {
        throw new IOException("it runs tasks");
      }
      synchronized (poolLock) {
        idle.add(vm);
        poolLock.notifyAll();
      }
      log.info("warm VM {} of a previous agent re-adopted (qemu pid {})", vm.qemuName, pid);
      return true;
    } catch (IOException | DriverException | RuntimeException e) {
      log.info("warm VM {}: not re-adopted: {}", vm.qemuName, e.getMessage());
      vm.closing = true;
      if (vm.channel != null) {
        vm.channel.close();
      }
      return false;
    }
  }

  /** Closes the pool to new takes and refills; returns the idle VMs it held. */
  private List<Vm> drainPool() {
    synchronized (poolLock) {
      poolClosed = true;
      List<Vm> left = List.copyOf(idle);
      idle.clear();
      poolLock.notifyAll();
      return left;
    }
  }

  /** Agent shutdown: idle VMs keep running for the next agent to re-adopt; their channels close. */
  private void closePool() {
    List<Vm> left = drainPool();
    if (poolExec != null) {
      poolExec.shutdownNow();
    }
    for (Vm vm : left) {
      vm.closing = true;
      if (vm.channel != null) {
        vm.channel.close();
      }
    }
  }

  /** For tests: kills the idle warm VMs (close() leaves them to the next agent). */
  void killWarmPool() {
    List<Vm> left = drainPool();
    if (poolExec != null) {
      poolExec.shutdownNow();
      try {
        poolExec.awaitTermination(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (Vm vm : left) {
      killQuietly(vm);
      cleanUpVm(vm);
    }
  }

  /** For tests: how many warm VMs are idle. */
  int idleWarmVms() {
    synchronized (poolLock) {
      return idle.size();
    }
  }

  // ---- frames from the guest

  private void attach(Vm vm) throws IOException {
    if (!vm.idle && !vm.template) {
      vms.put(vm.id, vm);
    }
    vm.channel = GuestChannel.connect(vm.ctl(), Duration.ofSeconds(30), f -> {
      try {
        onFrame(vm, f);
      } catch (RuntimeException e) {
        log.warn("sandbox {}: bad frame {}: {}", vm.id, f.type(), e.toString());
      }
    }, () -> onChannelClosed(vm), vm.id);
    ProcessHandle.of(vm.pid).ifPresent(ph -> ph.onExit().thenRun(() -> {
      if (!vm.closing) {
        lose(vm, "the VM exited unexpectedly" + panicLine(vm));
      }
    }));
  }

  private void waitReady(Vm vm, CompletableFuture<Frame> answer, Duration timeout) throws DriverException {
    try {
      Frame r = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      r.value("kernel").ifPresent(k -> vm.kernel = k);
    } catch (TimeoutException e) {
      throw new DriverException("FailedCreatePodSandBox", "the guest did not answer within " + timeout.toSeconds() + "s", e);
    } catch (ExecutionException e) {
      throw new DriverException("FailedCreatePodSandBox", "the VM stopped while booting" + panicLine(vm), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DriverException("FailedCreatePodSandBox", "interrupted", e);
    }
  }

  private void onFrame(Vm vm, Frame f) {
    switch (f.type()) {
      case GuestProtocol.READY -> vm.ready.complete(f);
      case GuestProtocol.HELLO_ACK -> vm.helloAck.complete(f);
      case GuestProtocol.CONFIGURED -> {
        CompletableFuture<Frame> w = vm.configured;
        if (w != null) {
          w.complete(f);
        }
      }
      case GuestProtocol.RELEASED -> {
        CompletableFuture<Frame> w = vm.releases.get(f.stream());
        if (w != null) {
          w.complete(f);
        }
      }
      case GuestProtocol.STARTED, GuestProtocol.START_FAILED -> {
        CompletableFuture<Frame> w = vm.pending.remove(f.stream());
        if (w != null) {
          w.complete(f);
        }
      }
      case GuestProtocol.STDOUT, GuestProtocol.STDERR, GuestProtocol.EXIT, GuestProtocol.TASK_STATE -> {
        if (f.type() == GuestProtocol.TASK_STATE) {
          vm.taskStates.put(f.stream(), f);
        }
        VmExecSession x = vm.execs.get(f.stream());
        if (x != null) {
          if (f.type() == GuestProtocol.EXIT) {
            x.onExit(Integer.parseInt(f.value("code").orElse("255")));
          } else if (f.type() != GuestProtocol.TASK_STATE) {
            x.onOutput(f.type() == GuestProtocol.STDERR, f.payload());
          }
          return;
        }
        Task t;
        synchronized (vm) {
          t = vm.tasks.get(f.stream());
          if (t == null && vm.released.contains(f.stream())) {
            return; // the tail of a destroyed task
          }
          if (t == null) {
            // Output of a task not recovered yet (agent restart): keep it for recoverTask.
            if (vm.orphanBytes + f.payload().length <= ORPHAN_LIMIT) {
              vm.orphans.computeIfAbsent(f.stream(), k -> new ArrayList<>()).add(f);
              vm.orphanBytes += f.payload().length;
            }
            return;
          }
        }
        onTaskFrame(t, f);
      }
      default -> log.debug("sandbox {}: ignoring frame type {}", vm.id, f.type());
    }
  }

  private void onTaskFrame(Task t, Frame f) {
    try {
      switch (f.type()) {
        case GuestProtocol.STDOUT -> t.log.write(false, f.payload());
        case GuestProtocol.STDERR -> t.log.write(true, f.payload());
        case GuestProtocol.EXIT, GuestProtocol.TASK_STATE -> {
          if (f.type() == GuestProtocol.TASK_STATE && !f.value("state").orElse("").equals("exited")) {
            return;
          }
          t.log.flushPartial();
          int code = Integer.parseInt(f.value("code").orElse("255"));
          t.exit.complete(f.value("oom").isPresent()
              ? new ExitResult(code, ExitResult.OOM_KILLED, Instant.now(), "the VM ran out of memory (guest OOM killer)")
              : ExitResult.of(code, Instant.now()));
        }
        default -> { }
      }
    } catch (IOException e) {
      log.warn("task {}: writing log {} failed: {}", t.id, t.logPath, e.toString());
    }
  }

  private void onChannelClosed(Vm vm) {
    if (vm.closing) {
      return;
    }
    vm.ready.completeExceptionally(new IOException("control channel closed"));
    vm.helloAck.completeExceptionally(new IOException("control channel closed"));
    if (!isQemuNamed(vm.pid, vm.qemuName)) {
      lose(vm, "the VM exited unexpectedly" + panicLine(vm));
    }
  }

  /** The VM is gone: every task still running ends with 137 and the reason. */
  private void lose(Vm vm, String message) {
    vm.gone = true;
    if (vm.idle) {
      log.warn("warm VM {}: {}", vm.qemuName, message);
      dropFromPool(vm);
    }
    if (vm.configured != null) {
      vm.configured.completeExceptionally(new IOException(message));
    }
    vm.ready.completeExceptionally(new IOException(message));
    vm.helloAck.completeExceptionally(new IOException(message));
    for (Task t : List.copyOf(vm.tasks.values())) {
      try {
        t.log.flushPartial();
      } catch (IOException | RuntimeException e) {
        // best effort
      }
      t.exit.complete(new ExitResult(137, ExitResult.ERROR, Instant.now(), message));
    }
    for (VmExecSession x : List.copyOf(vm.execs.values())) {
      x.onLost();
    }
    vm.pending.values().forEach(w -> w.completeExceptionally(new IOException(message)));
    vm.releases.values().forEach(w -> w.completeExceptionally(new IOException(message)));
  }

  // ---- helpers

  /** Builds the container's root filesystem (image rootfs + the agent's files) into a disk slot. */
  private void writeDisk(Vm vm, int slot, Path rootfs, TaskConfig config) throws IOException {
    Path stage = vm.dir.resolve("stage-" + config.taskId());
    deleteTree(stage);
    try {
      // Hard links make the staging copy cheap; every file we replace is unlinked first.
      if (!tryRun(List.of("cp", "-al", rootfs.toString(), stage.toString()))) {
        deleteTree(stage);
        run(List.of("cp", "-a", rootfs.toString(), stage.toString()), Duration.ofMinutes(5));
      }
      for (TaskConfig.TaskMount m : config.mounts()) {
        if (!Files.exists(m.hostPath()) || volumeOf(vm, m.hostPath()) != null) {
          continue; // volumes are bind-mounted from the pod's volumes disk in the guest
        }
        Path target = stage.resolve(m.containerPath().replaceFirst("^/+", "")).normalize();
        if (!target.startsWith(stage)) {
          continue;
        }
        run(List.of("rm", "-rf", target.toString()), Duration.ofSeconds(30));
        Files.createDirectories(target.getParent());
        if (Files.isDirectory(m.hostPath())) {
          // Volumes are copied in when the container starts (no shared filesystem in this kernel).
          Files.createDirectories(target);
          run(List.of("cp", "-a", m.hostPath() + "/.", target.toString()), Duration.ofMinutes(5));
        } else {
          run(List.of("cp", "-L", m.hostPath().toString(), target.toString()), Duration.ofSeconds(30));
        }
      }
      Path img = vm.slot(slot);
      try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
        f.setLength(0); // drop the previous container's blocks
        f.setLength(SLOT_BYTES);
      }
      run(List.of("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=1,lazy_journal_init=1", "-d", stage.toString(), img.toString()),
          Duration.ofMinutes(5));
    } finally {
      deleteTree(stage);
    }
  }

  /** "name/sub/path" inside the volumes disk when {@code hostPath} lies in one of the pod's volumes. */
  private static String volumeOf(Vm vm, Path hostPath) {
    Path p = hostPath.toAbsolutePath().normalize();
    for (Map.Entry<String, Path> v : vm.volumes.entrySet()) {
      Path root = v.getValue().toAbsolutePath().normalize();
      if (p.startsWith(root)) {
        String rel = root.relativize(p).toString();
        return rel.isEmpty() ? v.getKey() : v.getKey() + "/" + rel;
      }
    }
    return null;
  }

  private static List<String> volumeBinds(Vm vm, List<TaskConfig.TaskMount> mounts) {
    List<String> binds = new ArrayList<>();
    for (TaskConfig.TaskMount m : mounts) {
      String src = volumeOf(vm, m.hostPath());
      if (src != null) {
        binds.add((m.readOnly() ? "ro" : "rw") + "\n" + src + "\n" + m.containerPath());
      }
    }
    return binds;
  }

  /**
   * The pod's volumes as one ext4 disk, mounted once in the guest: the kernel has no shared
   * filesystem (no 9p, no virtiofs daemon here), so volume contents are copied in at boot and
   * shared between the pod's containers inside the VM (an emptyDir works as in a pod; later
   * changes on the host, e.g. an updated ConfigMap, do not reach the guest).
   */
  private void writeVolumesDisk(Vm vm) throws IOException {
    Path stage = vm.dir.resolve("volumes-stage");
    deleteTree(stage);
    try {
      Files.createDirectories(stage);
      for (Map.Entry<String, Path> v : vm.volumes.entrySet()) {
        if (!v.getKey().matches("[A-Za-z0-9._-]+") || !Files.exists(v.getValue())) {
          continue;
        }
        Path target = stage.resolve(v.getKey());
        if (Files.isDirectory(v.getValue())) {
          Files.createDirectories(target);
          run(List.of("cp", "-a", v.getValue() + "/.", target.toString()), Duration.ofMinutes(5));
        } else {
          run(List.of("cp", "-a", v.getValue().toString(), target.toString()), Duration.ofMinutes(5));
        }
      }
      try (RandomAccessFile f = new RandomAccessFile(vm.volumesDisk().toFile(), "rw")) {
        f.setLength(0);
        f.setLength(SLOT_BYTES);
      }
      run(List.of("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=1,lazy_journal_init=1", "-d", stage.toString(),
          vm.volumesDisk().toString()), Duration.ofMinutes(5));
    } finally {
      deleteTree(stage);
    }
  }

  private int newStream(Vm vm) {
    while (true) {
      int s = random.nextInt(1, Integer.MAX_VALUE);
      if (!vm.tasks.containsKey(s) && !vm.execs.containsKey(s) && !vm.taskStates.containsKey(s) && !vm.pending.containsKey(s)) {
        return s;
      }
    }
  }

  private List<Path> setUpCgroup(String path, long memLimit, long cpuMillis) {
    List<Path> procs = new ArrayList<>();
    try {
      if (cgroups.unified()) {
        Path d = cgroups.dir("memory", path);
        Files.createDirectories(d);
        writeQuietly(d.resolve("memory.max"), String.valueOf(memLimit));
        if (cpuMillis > 0) {
          writeQuietly(d.resolve("cpu.max"), (cpuMillis * 100) + " 100000");
        }
        procs.add(d.resolve("cgroup.procs"));
      } else {
        for (String c : List.of("memory", "cpu", "cpuacct", "pids")) {
          Path d = cgroups.dir(c, path);
          if (!Files.isDirectory(d.getParent().getParent()) && !Files.isDirectory(cgroups.dir(c, "/"))) {
            continue;
          }
          Files.createDirectories(d);
          procs.add(d.resolve("cgroup.procs"));
        }
        writeQuietly(cgroups.dir("memory", path).resolve("memory.limit_in_bytes"), String.valueOf(memLimit));
        if (cpuMillis > 0) {
          writeQuietly(cgroups.dir("cpu", path).resolve("cpu.cfs_period_us"), "100000");
          writeQuietly(cgroups.dir("cpu", path).resolve("cpu.cfs_quota_us"), String.valueOf(cpuMillis * 100));
        }
      }
    } catch (IOException e) {
      log.warn("cgroup {} for qemu: {}", path, e.toString());
    }
    return procs;
  }

  private static void writeQuietly(Path p, String v) {
    try {
      Files.writeString(p, v);
    } catch (IOException e) {
      log.warn("writing {} to {}: {}", v, p, e.toString());
    }
  }

  private void killQuietly(Vm vm) {
    vm.closing = true;
    if (vm.pid > 0 && isQemuNamed(vm.pid, vm.qemuName)) {
      ProcessHandle.of(vm.pid).ifPresent(ProcessHandle::destroyForcibly);
      waitGone(vm.pid, Duration.ofSeconds(10));
    }
    if (vm.channel != null) {
      vm.channel.close();
    }
  }

  private void cleanUpVm(Vm vm) {
    if (vm.idle) {
      dropFromPool(vm);
    }
    vms.remove(vm.id);
    tasks.values().removeIf(t -> {
      if (t.vm == vm) {
        closeLog(t);
        return true;
      }
      return false;
    });
    cgroups.remove(vm.cgroup);
    for (int i = 0; i < SLOTS; i++) {
      try {
        Files.deleteIfExists(vm.slot(i));
      } catch (IOException e) {
        // the agent deletes the state dir anyway
      }
    }
    try {
      Files.deleteIfExists(vm.volumesDisk());
    } catch (IOException e) {
      // same
    }
    deleteTree(vm.run);
    if (vm.pooled) {
      deleteTree(vm.dir); // the warm VM's own directory (console, shape, owner)
    }
  }

  private static void closeLog(Task t) {
    if (t != null && t.log != null) {
      try {
        t.log.close();
      } catch (IOException e) {
        // nothing to do
      }
    }
  }

  static void waitGone(long pid, Duration timeout) {
    Optional<ProcessHandle> ph = ProcessHandle.of(pid);
    if (ph.isEmpty()) {
      return;
    }
    try {
      ph.get().onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // still there
    }
  }

  /** The pid is alive and is the qemu of this sandbox, booted for it (pids are reused). */
  static boolean isOurQemu(long pid, String sandboxId) {
    return isQemuNamed(pid, "keelson-" + sandboxId);
  }

  /** The pid is alive and is the qemu started with {@code -name name}. */
  static boolean isQemuNamed(long pid, String name) {
    if (pid <= 0) {
      return false;
    }
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline"));
      return List.of(new String(raw, StandardCharsets.UTF_8).split("\0")).contains(name);
    } catch (IOException e) {
      return false;
    }
  }

  private static long findQemu(String sandboxId) {
    return findQemuNamed("keelson-" + sandboxId);
  }

  private static long findQemuNamed(String name) {
    try (var s = Files.list(Path.of("/proc"))) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d+")).mapToLong(Long::parseLong)
          .filter(pid -> isQemuNamed(pid, name)).findFirst().orElse(0);
    } catch (IOException e) {
      return 0;
    }
  }

  /** qemu processes with an argument starting with {@code namePrefix} and one containing {@code path}. */
  private static List<Long> qemuPidsMentioning(String namePrefix, String path) {
    List<Long> pids = new ArrayList<>();
    try (var s = Files.list(Path.of("/proc"))) {
      for (String n : s.map(p -> p.getFileName().toString()).filter(x -> x.matches("\\d+")).toList()) {
        try {
          byte[] raw = Files.readAllBytes(Path.of("/proc", n, "cmdline"));
          List<String> args = List.of(new String(raw, StandardCharsets.UTF_8).split("\0"));
          if (args.stream().anyMatch(a -> a.startsWith(namePrefix)) && args.stream().anyMatch(a -> a.contains(path))) {
            pids.add(Long.parseLong(n));
          }
        } catch (IOException e) {
          // gone
        }
      }
    } catch (IOException e) {
      // no /proc
    }
    return pids;
  }

  static long rssBytes(long pid) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
        if (l.startsWith("VmRSS:")) {
          return Long.parseLong(l.replaceAll("\\D", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // gone
    }
    return 0;
  }

  private static long hostTscKhz() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (l.startsWith("cpu MHz")) {
          return Math.round(Double.parseDouble(l.substring(l.indexOf(':') + 1).strip()) * 1000);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // fall back
    }
    return 2_000_000;
  }

  static String shortId(String id) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private String panicLine(Vm vm) {
    String tail = consoleTail(vm.consoleLog);
    return tail.isEmpty() ? "" : ": " + tail;
  }

  /** The most telling line of the guest console: a panic if there is one, else the last line. */
  static String consoleTail(Path console) {
    if (console == null) {
      return "";
    }
    try {
      List<String> lines = Files.readAllLines(console, StandardCharsets.ISO_8859_1);
      for (String l : lines) {
        if (l.contains("Kernel panic")) {
          return l.strip();
        }
      }
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (!lines.get(i).isBlank()) {
          return lines.get(i).strip();
        }
      }
    } catch (IOException e) {
      // no console yet
    }
    return "";
  }

  private static boolean tryRun(List<String> argv) {
    try {
      run(argv, Duration.ofMinutes(5));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static String run(List<String> argv, Duration timeout) throws IOException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    try {
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException(argv.getFirst() + " timed out");
      }
      String s = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IOException(String.join(" ", argv) + " failed: " + s.strip());
      }
      return s;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  static void deleteTree(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try {
      run(List.of("rm", "-rf", p.toString()), Duration.ofMinutes(2));
    } catch (IOException e) {
      log.warn("removing {}: {}", p, e.toString());
    }
  }

  // ---- state

  /** One VM: its qemu process, control channel, disk slots and the tasks in it. */
  private final class Vm {
    /** The sandbox id; a warm VM's pool name until a pod takes it. */
    volatile String id;
    final Path dir;
    volatile Path run;
    volatile String cgroup;
    /** qemu's -name, how its process is recognised: keelson-<sandbox id>, or keelson-pool-… for a warm VM. */
    volatile String qemuName;
    /** Booted for the warm pool (its {@link #dir} is its own, deleted with it). */
    volatile boolean pooled;
    /** In the pool, not taken by a pod yet. */
    volatile boolean idle;
    /** Booted to be saved as a template, never a sandbox. */
    volatile boolean template;
    /** A warm VM's shape and NIC (host tap) while idle. */
    int vcpus;
    long ram;
    String hostTap;
    /** A warm VM's answer to POD_CONFIG, null for a VM booted for its pod. */
    volatile CompletableFuture<Frame> configured;
    /** Taken from the pool, replacement not started yet. */
    volatile boolean refillPending;
    Path consoleLog;
    volatile long pid;
    Instant startedAt;
    volatile GuestChannel channel;
    volatile boolean closing;
    volatile boolean gone;
    String kernel;
    final CompletableFuture<Frame> ready = new CompletableFuture<>();
    /** Completes after the guest reported the state of all its tasks (recovery). */
    final CompletableFuture<Frame> helloAck = new CompletableFuture<>();
    final Map<Integer, Task> tasks = new ConcurrentHashMap<>();
    final Map<Integer, VmExecSession> execs = new ConcurrentHashMap<>();
    final Map<Integer, CompletableFuture<Frame>> pending = new ConcurrentHashMap<>();
    final Map<Integer, CompletableFuture<Frame>> releases = new ConcurrentHashMap<>();
    final Map<Integer, Frame> taskStates = new ConcurrentHashMap<>();
    final Map<Integer, List<Frame>> orphans = new ConcurrentHashMap<>();
    /** The pod's volumes (name → host dir) as copied into the volumes disk at boot. */
    final Map<String, Path> volumes = new ConcurrentHashMap<>();
    long orphanBytes;
    /** Streams of destroyed tasks: late frames for them are dropped. */
    final java.util.Set<Integer> released = ConcurrentHashMap.newKeySet();
    /** Slot owner task ids; null = free. Slots freed longest ago are reused first. */
    private final String[] slotOwner = new String[SLOTS];
    private final long[] slotFreedAt = new long[SLOTS];

    Vm(String id, Path dir, Path run, String cgroup) {
      this.id = id;
      this.qemuName = "keelson-" + id;
      this.dir = dir;
      this.run = run;
      this.cgroup = cgroup;
    }

    Path ctl() {
      return run.resolve("ctl.sock");
    }

    Path qmp() {
      return run.resolve("qmp.sock");
    }

    Path slot(int i) {
      return dir.resolve("slot" + i + ".img");
    }

    Path volumesDisk() {
      return dir.resolve("volumes.img");
    }

    synchronized int takeSlot(String taskId) {
      int best = -1;
      for (int i = 0; i < SLOTS; i++) {
        if (slotOwner[i] == null && (best < 0 || slotFreedAt[i] < slotFreedAt[best])) {
          best = i;
        }
      }
      if (best >= 0) {
        slotOwner[best] = taskId;
      }
      return best;
    }

    synchronized void claimSlot(int i, String taskId) {
      if (i >= 0 && i < SLOTS) {
        slotOwner[i] = taskId;
      }
    }

    synchronized boolean reassignSlot(int i, String from, String to) {
      if (i >= 0 && i < SLOTS && from.equals(slotOwner[i])) {
        slotOwner[i] = to;
        return true;
      }
      return false;
    }

    /** Frees slot {@code i} if {@code taskId} still owns it. */
    synchronized void freeSlot(int i, String taskId) {
      if (i >= 0 && i < SLOTS && taskId.equals(slotOwner[i])) {
        slotOwner[i] = null;
        slotFreedAt[i] = System.nanoTime();
      }
    }

    SandboxHandle handle() {
      ObjectNode s = json.createObjectNode();
      s.put("pid", pid);
      s.put("dir", dir.toString());
      s.put("run", run.toString());
      s.put("cgroup", cgroup);
      s.put("name", qemuName);
      s.put("pooled", pooled);
      s.put("console", consoleLog.toString());
      s.put("startedAt", startedAt == null ? Instant.now().toString() : startedAt.toString());
      s.put("kernel", kernel);
      ObjectNode v = s.putObject("volumes");
      volumes.forEach((name, path) -> v.put(name, path.toString()));
      return new SandboxHandle(id, NAME, s.toString());
    }
  }

  /** One container in a VM. */
  private final class Task {
    final String id;
    final Vm vm;
    final int stream;
    final int slot;
    final Path logPath;
    CriLogWriter log;
    volatile Instant startedAt;
    volatile long guestPid;
    final CompletableFuture<ExitResult> exit = new CompletableFuture<>();

    Task(String id, Vm vm, int stream, int slot, Path logPath) {
      this.id = id;
      this.vm = vm;
      this.stream = stream;
      this.slot = slot;
      this.logPath = logPath;
    }

    TaskHandle handle() {
      ObjectNode s = json.createObjectNode();
      s.put("stream", stream);
      s.put("slot", slot);
      s.put("log", logPath.toString());
      s.put("guestPid", guestPid);
      return new TaskHandle(id, vm.id, NAME, startedAt, s.toString());
    }
  }

  /** For tests and the benchmark: the qemu pid of a sandbox, 0 if not tracked. */
  long qemuPid(String sandboxId) {
    Vm vm = vms.get(sandboxId);
    return vm == null ? 0 : vm.pid;
  }

  /** For tests: the guest kernel release the VM reported at boot. */
  String guestKernel(String sandboxId) {
    Vm vm = vms.get(sandboxId);
    return vm == null ? null : vm.kernel;
  }
}
