package io.keelson.agent.driver.qemu;

import io.keelson.agent.driver.AttachSession;
import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.ExitResult;
import io.keelson.agent.driver.SandboxConfig;
import io.keelson.agent.driver.SandboxHandle;
import io.keelson.agent.driver.TaskConfig;
import io.keelson.agent.driver.TaskHandle;
import io.keelson.agent.driver.TaskStats;
import io.keelson.agent.driver.TaskStatus;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Full VMs: pods annotated {@value #BOOT_ANNOTATION}={@value #BOOT_DISK} (made by the VirtualMachine
 * controller) boot the disk their single container's image carries, in KubeVirt's containerDisk
 * layout ({@code /disk/<file>}, raw or qcow2), with its own bootloader under SeaBIOS on a {@code pc}
 * machine — no Keelson kernel, no keelson-init. The sandbox is only the NIC's tap in the pod's
 * network namespace; the VM boots when the container starts. The guest's serial console (COM1) is
 * the container's stdio: its output goes to the container's CRI log, and attach sessions read it and
 * type into it. Without keelson-init there is no exec and no exec probe; the guest configures its
 * own network (the pod IP is the one the pod reports).
 */
final class DiskVms {

  static final String BOOT_ANNOTATION = "vm.keelson.io/boot";
  static final String BOOT_DISK = "disk";
  static final Path SEABIOS = Path.of("/usr/share/seabios/bios-256k.bin");
  private static final String STATE = "disk-boot";

  private static final Logger log = LoggerFactory.getLogger(DiskVms.class);

  private final Path qemu;
  private final Path runDir;
  private final Supplier<AccelProbe.Result> accel;
  /** Makes the VM's cgroup (path, memory limit, cpu millis) and returns its cgroup.procs files. */
  private final Cgroup cgroup;

  interface Cgroup {
    List<Path> setUp(String path, long memLimit, long cpuMillis);
  }
  private final Map<String, Sandbox> sandboxes = new ConcurrentHashMap<>();
  private final Map<String, Console> tasks = new ConcurrentHashMap<>();

  DiskVms(Path qemu, Path runDir, Supplier<AccelProbe.Result> accel, Cgroup cgroup) {
    this.qemu = qemu;
    this.runDir = runDir;
    this.accel = accel;
    this.cgroup = cgroup;
  }

  static boolean wants(SandboxConfig config) {
    return BOOT_DISK.equals(config.annotations().get(BOOT_ANNOTATION));
  }

  static boolean isDiskState(String driverState) {
    return driverState != null && driverState.startsWith(STATE);
  }

  boolean hasSandbox(String id) {
    return sandboxes.containsKey(id);
  }

  boolean hasTask(String id) {
    return tasks.containsKey(id);
  }

  /** The pod's sandbox: where the VM will live, and its NIC's tap (the VM boots with the container). */
  private static final class Sandbox {
    final String id;
    final Path dir;
    final Path run;
    final String qemuName;
    long ram;
    int vcpus;
    long cpuMillis;
    String mac;
    String netns;
    volatile Console console;

    Sandbox(String id, Path dir, Path run) {
      this.id = id;
      this.dir = dir;
      this.run = run;
      this.qemuName = "keelson-" + id;
    }

    Path pidFile() {
      return run.resolve("qemu.pid");
    }
  }

  SandboxHandle startSandbox(SandboxConfig config, long ram, int vcpus) throws DriverException {
    Sandbox known = sandboxes.get(config.sandboxId());
    if (known != null) {
      return handle(known);
    }
    Sandbox s = new Sandbox(config.sandboxId(), config.stateDir(), runDir.resolve(QemuDriver.shortId(config.sandboxId())));
    s.ram = ram;
    s.vcpus = vcpus;
    s.cpuMillis = config.cpuMillis();
    try {
      Files.createDirectories(s.dir);
      Files.createDirectories(s.run);
      if (config.network() != null) {
        s.mac = VmNetwork.attach(config.network());
        s.netns = config.network().netnsPath().toString();
      }
    } catch (IOException e) {
      throw new DriverException("FailedCreatePodSandBox", "cannot prepare the VM's network: " + e.getMessage(), e);
    }
    sandboxes.put(s.id, s);
    return handle(s);
  }

  static String cgroupPath(String sandboxId) {
    return "/keelson/vm-" + sandboxId;
  }

  private static SandboxHandle handle(Sandbox s) {
    // what a restarted agent needs to find the VM again, and to boot it again if its guest powers off
    return new SandboxHandle(s.id, QemuDriver.NAME, String.join("\n", STATE, s.dir.toString(), s.run.toString(),
        String.valueOf(s.ram), String.valueOf(s.vcpus), String.valueOf(s.cpuMillis), s.mac == null ? "" : s.mac,
        s.netns == null ? "" : s.netns));
  }

  /** Boots the disk in the task's image; returns once the guest runs with its console connected. */
  TaskHandle startTask(TaskConfig config) throws DriverException {
    Console existing = tasks.get(config.taskId());
    if (existing != null) {
      return existing.handle();
    }
    Sandbox s = sandboxes.get(config.sandboxId());
    if (s == null) {
      throw new DriverException("CreateContainerError", "the sandbox " + config.sandboxId() + " is gone", null);
    }
    if (s.console != null && !s.console.exit.isDone()) {
      throw new DriverException("CreateContainerError", "a disk VM runs one container; " + s.console.taskId + " runs already", null);
    }
    if (!Files.isReadable(SEABIOS)) {
      throw new DriverException("CreateContainerError", "no BIOS for disk VMs at " + SEABIOS + " (apt-get install seabios)", null);
    }
    Path disk = findDisk(config.image());
    try {
      Path overlay = overlay(s, disk);
      Console c = new Console(config.taskId(), s, config.logPath());
      boot(s, overlay);
      c.pid = Long.parseLong(Files.readString(s.pidFile()).strip());
      c.connect(Duration.ofSeconds(10));
      // qemu waits (-S) until the console is read, so the first bytes the guest writes are kept
      try (Qmp q = Qmp.connect(s.run.resolve("qmp.sock"), Duration.ofSeconds(10))) {
        q.execute("cont", null, Duration.ofSeconds(10));
      }
      s.console = c;
      tasks.put(c.taskId, c);
      c.follow();
      log.info("sandbox {}: disk VM up (qemu pid {}, {}, {} vCPU, {} MiB, disk {})", s.id, c.pid, accel.get().accel(),
          s.vcpus, s.ram / QemuDriver.MIB, disk.getFileName());
      return c.handle();
    } catch (IOException e) {
      kill(s);
      throw new DriverException("CreateContainerError", "the disk VM did not start: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill(s);
      throw new DriverException("CreateContainerError", "interrupted while starting the disk VM", e);
    }
  }

  /** {@code /disk/<file>}: the first regular file there, looked up from the top layer down. */
  static Path findDisk(TaskConfig.TaskImage image) throws DriverException {
    List<Path> roots = new ArrayList<>();
    if (image.rootfs() != null) {
      roots.add(image.rootfs());
    }
    roots.addAll(image.layers().reversed());
    for (Path root : roots) {
      Path dir = root.resolve("disk");
      if (Files.isDirectory(dir)) {
        try (Stream<Path> files = Files.list(dir)) {
          List<Path> disks = files.filter(Files::isRegularFile).sorted().toList();
          if (!disks.isEmpty()) {
            return disks.getFirst();
          }
        } catch (IOException e) {
          throw new DriverException("CreateContainerError", "cannot read /disk of " + image.ref() + ": " + e.getMessage(), e);
        }
      }
    }
    throw new DriverException("CreateContainerError", "image " + image.ref() + " holds no disk: a VirtualMachine's"
        + " disk image needs its disk as a file in /disk (e.g. /disk/disk.img, raw or qcow2)", null);
  }

  /** A per-pod copy-on-write view of the (shared, read-only) disk: a qcow2 overlay, or a plain copy without qemu-img. */
  private static Path overlay(Sandbox s, Path disk) throws IOException, InterruptedException {
    String format = isQcow2(disk) ? "qcow2" : "raw";
    Path qemuImg = Path.of("/usr/bin/qemu-img");
    if (Files.isExecutable(qemuImg)) {
      Path o = s.dir.resolve("disk.qcow2");
      Files.deleteIfExists(o);
      Process p = new ProcessBuilder(qemuImg.toString(), "create", "-q", "-f", "qcow2", "-F", format, "-b",
          disk.toAbsolutePath().toString(), o.toString()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("qemu-img create failed: " + out.strip());
      }
      return o;
    }
    Path copy = s.dir.resolve("disk." + format);
    Files.copy(disk, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return copy;
  }

  private static boolean isQcow2(Path disk) throws IOException {
    try (InputStream in = Files.newInputStream(disk)) {
      byte[] magic = in.readNBytes(4);
      return magic.length == 4 && magic[0] == 'Q' && magic[1] == 'F' && magic[2] == 'I' && magic[3] == (byte) 0xfb;
    }
  }

  private void boot(Sandbox s, Path disk) throws IOException, InterruptedException {
    Files.deleteIfExists(s.run.resolve("console.sock"));
    Files.deleteIfExists(s.run.resolve("qmp.sock"));
    Files.deleteIfExists(s.pidFile());
    // as for VM pods: qemu in the pod's cgroup, its RAM plus what qemu itself needs, the pod's cpu limit
    List<Path> procs = cgroup.setUp(cgroupPath(s.id), s.ram + QemuDriver.QEMU_OVERHEAD,
        s.cpuMillis > 0 ? Math.max(s.cpuMillis, s.vcpus * 1000L) : 0);
    List<String> argv = new ArrayList<>(List.of("sh", "-c", "for f in $KEELSON_CGROUP_PROCS; do echo $$ > $f; done; exec \"$@\"", "sh"));
    if (s.netns != null) {
      argv.addAll(List.of("nsenter", "--net=" + s.netns));
    }
    String format = disk.getFileName().toString().endsWith(".qcow2") ? "qcow2" : "raw";
    argv.addAll(List.of(qemu.toString(), "-name", s.qemuName, "-M", "pc", "-m", (s.ram / QemuDriver.MIB) + "M",
        "-smp", String.valueOf(s.vcpus), "-nodefaults", "-no-user-config", "-display", "none", "-S",
        "-daemonize", "-pidfile", s.pidFile().toString(), "-bios", SEABIOS.toString(),
        "-drive", "file=" + disk + ",format=" + format + ",if=ide,index=0,media=disk",
        "-chardev", "socket,id=con0,path=" + s.run.resolve("console.sock") + ",server=on,wait=off",
        "-serial", "chardev:con0",
        "-qmp", "unix:" + s.run.resolve("qmp.sock") + ",server=on,wait=off"));
    argv.addAll(accel.get().accel().equals("kvm") ? List.of("-accel", "kvm", "-cpu", "host") : List.of("-accel", "tcg"));
    if (s.mac != null) {
      // e1000: the NIC nearly every operating system has a driver for
      argv.addAll(List.of("-netdev", "tap,id=n0,ifname=" + VmNetwork.TAP + ",script=no,downscript=no",
          "-device", "e1000,netdev=n0,mac=" + s.mac));
    }
    QemuDriver.daemonize(argv, s.run, procs);
  }

  /** The running VM's serial console: the task's stdio. */
  private static final class Console {
    final String taskId;
    final Sandbox sandbox;
    final Path logPath;
    final CompletableFuture<ExitResult> exit = new CompletableFuture<>();
    final List<BlockingQueue<AttachSession.Output>> readers = new CopyOnWriteArrayList<>();
    final Instant startedAt = Instant.now();
    volatile long pid;
    volatile boolean stopping;
    SocketChannel channel;

    Console(String taskId, Sandbox sandbox, Path logPath) {
      this.taskId = taskId;
      this.sandbox = sandbox;
      this.logPath = logPath;
    }

    TaskHandle handle() {
      return new TaskHandle(taskId, sandbox.id, QemuDriver.NAME, startedAt, STATE + "\n" + logPath);
    }

    void connect(Duration wait) throws IOException {
      long deadline = System.nanoTime() + wait.toNanos();
      while (true) {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
          ch.connect(UnixDomainSocketAddress.of(sandbox.run.resolve("console.sock")));
          channel = ch;
          return;
        } catch (IOException e) {
          ch.close();
          if (System.nanoTime() > deadline) {
            throw new IOException("the VM's console " + sandbox.run.resolve("console.sock") + ": " + e.getMessage(), e);
          }
          try {
            Thread.sleep(10);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", ie);
          }
        }
      }
    }

    /** Copies console output into the log and to attached sessions until qemu closes it. */
    void follow() throws IOException {
      CriLogWriter logWriter = new CriLogWriter(logPath);
      Thread.ofVirtual().name("console-" + taskId).start(() -> {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        try {
          while (channel.read(buf.clear()) > 0) {
            byte[] data = java.util.Arrays.copyOf(buf.array(), buf.position());
            logWriter.write(false, data);
            logWriter.flushAsPartial(); // a prompt shows in kubectl logs before its line ends
            for (BlockingQueue<AttachSession.Output> r : readers) {
              r.offer(new AttachSession.Output(false, data));
            }
          }
        } catch (IOException e) {
          log.debug("console of {}: {}", taskId, e.toString());
        }
        try {
          logWriter.close();
        } catch (IOException e) {
          log.debug("closing the log of {}: {}", taskId, e.toString());
        }
        QemuDriver.waitGone(pid, Duration.ofSeconds(10));
        if (QemuDriver.isQemuNamed(pid, sandbox.qemuName)) {
          return; // the agent let go of the console (closing); the VM runs on
        }
        // a guest that powers off (or reboots: -no-reboot is not set, so only a power-off) completes;
        // one we stopped was killed
        exit.complete(stopping ? new ExitResult(137, ExitResult.ERROR, Instant.now(), "the VM was stopped")
            : ExitResult.of(0, Instant.now()));
        for (BlockingQueue<AttachSession.Output> r : readers) {
          r.offer(EOF);
        }
      });
    }

    synchronized void type(byte[] data) throws IOException {
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) {
        channel.write(b);
      }
    }
  }

  private static final AttachSession.Output EOF = new AttachSession.Output(false, new byte[0]);

  CompletableFuture<ExitResult> awaitTask(String taskId) {
    Console c = tasks.get(taskId);
    return c == null ? CompletableFuture.failedFuture(new DriverException("unknown task " + taskId)) : c.exit;
  }

  /** ACPI power button first (a guest OS shuts down cleanly), the kill after {@code grace}. */
  void stopTask(String taskId, Duration grace) {
    Console c = tasks.get(taskId);
    if (c == null || c.exit.isDone()) {
      return;
    }
    c.stopping = true;
    try (Qmp q = Qmp.connect(c.sandbox.run.resolve("qmp.sock"), Duration.ofSeconds(2))) {
      q.execute("system_powerdown", null, Duration.ofSeconds(5));
    } catch (IOException e) {
      log.debug("powerdown of {}: {}", taskId, e.toString());
    }
    try {
      c.exit.get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      kill(c.sandbox);
      c.exit.completeOnTimeout(null, 10, TimeUnit.SECONDS).join();
    }
  }

  void destroyTask(String taskId) {
    Console c = tasks.remove(taskId);
    if (c != null) {
      c.stopping = true;
      kill(c.sandbox);
    }
  }

  TaskStatus inspectTask(String taskId) throws DriverException {
    Console c = tasks.get(taskId);
    if (c == null) {
      throw new DriverException("unknown task " + taskId);
    }
    ExitResult done = c.exit.getNow(null);
    return new TaskStatus(done != null ? TaskStatus.State.EXITED : TaskStatus.State.RUNNING, c.pid, c.startedAt, done);
  }

  TaskStats taskStats(String taskId) throws DriverException {
    Console c = tasks.get(taskId);
    if (c == null) {
      throw new DriverException("unknown task " + taskId);
    }
    long rss = 0;
    try {
      for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(c.pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          rss = Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // gone
    }
    long cpu = ProcessHandle.of(c.pid).flatMap(h -> h.info().totalCpuDuration()).map(Duration::toNanos).orElse(0L);
    return new TaskStats(Instant.now(), cpu, rss);
  }

  AttachSession attachTask(String taskId) throws DriverException {
    Console c = tasks.get(taskId);
    if (c == null || c.exit.isDone()) {
      throw new DriverException("ContainerNotRunning", "the VM is not running", null);
    }
    BlockingQueue<AttachSession.Output> q = new LinkedBlockingQueue<>();
    c.readers.add(q);
    return new AttachSession() {
      private volatile boolean closed;

      @Override
      public Output read() throws IOException {
        try {
          Output o = closed ? EOF : q.take();
          return o == EOF ? null : o;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return null;
        }
      }

      @Override
      public void write(byte[] stdin) throws IOException {
        if (!closed && !c.exit.isDone()) {
          c.type(stdin);
        }
      }

      @Override
      public void closeStdin() {
        // the console stays: the next session types into it again
      }

      @Override
      public void resize(int width, int height) {
        // a serial line has no window size
      }

      @Override
      public void close() {
        closed = true;
        c.readers.remove(q);
        q.offer(EOF);
      }
    };
  }

  void destroySandbox(String sandboxId) {
    Sandbox s = sandboxes.remove(sandboxId);
    if (s == null) {
      return;
    }
    if (s.console != null) {
      s.console.stopping = true;
      tasks.remove(s.console.taskId);
    }
    kill(s);
    QemuDriver.deleteTree(s.run);
  }

  /** After an agent restart: the VM still runs (its pid file names our qemu), the console is connected again. */
  void recoverSandbox(SandboxHandle handle) throws DriverException {
    String[] state = handle.driverState().split("\n", -1);
    Sandbox s = new Sandbox(handle.id(), Path.of(state[1]), Path.of(state[2]));
    try {
      s.ram = Long.parseLong(state[3]);
      s.vcpus = Integer.parseInt(state[4]);
      s.cpuMillis = Long.parseLong(state[5]);
      s.mac = state[6].isEmpty() ? null : state[6];
      s.netns = state[7].isEmpty() ? null : state[7];
    } catch (RuntimeException e) {
      throw new DriverException("RecoverError", "unreadable state of the disk VM sandbox " + handle.id() + ": " + e.getMessage(), e);
    }
    sandboxes.put(s.id, s);
  }

  void recoverTask(TaskHandle handle) throws DriverException {
    Sandbox s = sandboxes.get(handle.sandboxId());
    long pid = 0;
    try {
      pid = s == null ? 0 : Long.parseLong(Files.readString(s.pidFile()).strip());
    } catch (IOException | NumberFormatException e) {
      // no VM
    }
    if (s == null || !QemuDriver.isQemuNamed(pid, s.qemuName)) {
      throw new DriverException("RecoverError", "the disk VM of " + handle.sandboxId() + " is gone", null);
    }
    Console c = new Console(handle.id(), s, Path.of(handle.driverState().split("\n")[1]));
    c.pid = pid;
    try {
      c.connect(Duration.ofSeconds(5));
      s.console = c;
      tasks.put(c.taskId, c);
      c.follow();
    } catch (IOException e) {
      throw new DriverException("RecoverError", "cannot reconnect to the disk VM's console: " + e.getMessage(), e);
    }
  }

  private static void kill(Sandbox s) {
    try {
      long pid = Long.parseLong(Files.readString(s.pidFile()).strip());
      if (QemuDriver.isQemuNamed(pid, s.qemuName)) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        QemuDriver.waitGone(pid, Duration.ofSeconds(10));
      }
    } catch (IOException | NumberFormatException e) {
      // never started
    }
  }

  void close() {
    for (Console c : tasks.values()) {
      try {
        if (c.channel != null) {
          c.channel.close();
        }
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}
