package io.keelson.agent.driver.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.ExecSession;
import io.keelson.agent.driver.ExitResult;
import io.keelson.agent.driver.Fingerprint;
import io.keelson.agent.driver.SandboxConfig;
import io.keelson.agent.driver.SandboxHandle;
import io.keelson.agent.driver.TaskConfig;
import io.keelson.agent.driver.TaskConfig.TaskMount;
import io.keelson.agent.driver.TaskConfig.TaskResources;
import io.keelson.agent.driver.TaskConfig.TaskUser;
import io.keelson.agent.driver.TaskHandle;
import io.keelson.agent.driver.TaskStatus;
import io.keelson.agent.image.ImageStore;
import io.keelson.agent.image.PullPolicy;
import io.keelson.agent.image.TestImages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real VMs through qemu (TCG unless KVM works): the busybox image booted under Debian's cloud
 * kernel with keelson-init. One VM serves the whole class (booting is the slow part under TCG);
 * the tests run in order: logs and exit codes, exec, a fresh driver recovering the VM, stop.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QemuDriverIT {

  @TempDir static Path dir;
  static TaskConfig.TaskImage busybox;
  static QemuDriver driver;
  static SandboxHandle sandbox;
  static String sandboxId;
  static TaskHandle sleeper;
  static String hostKernel;

  @BeforeAll
  static void boot() throws Exception {
    String why = TestImages.missing();
    if (why == null) {
      why = VmHost.missing();
    }
    if (why != null) {
      System.out.println("SKIP QemuDriverIT: " + why);
    }
    assumeTrue(why == null, why);
    Path images = dir.resolve("images");
    TestImages.preloadBusybox(images);
    ImageStore store = ImageStore.open(images);
    busybox = store.taskImage(store.ensure("keelson.local/busybox:latest", PullPolicy.IF_NOT_PRESENT));
    hostKernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
    driver = new QemuDriver(options());
    sandboxId = "vmit-" + UUID.randomUUID().toString().substring(0, 8);
    Files.createDirectories(dir.resolve("volumes/config"));
    Files.writeString(dir.resolve("volumes/config/greeting.txt"), "from a configMap\n");
    Files.createDirectories(dir.resolve("volumes/scratch"));
    long t0 = System.nanoTime();
    sandbox = driver.startSandbox(new SandboxConfig(sandboxId, "uid-" + sandboxId, "default", "vm-0", "vm-0", null,
        1000, 256L << 20, Map.of(), Map.of(),
        Map.of("config", dir.resolve("volumes/config"), "scratch", dir.resolve("volumes/scratch")),
        dir.resolve("logs"), dir.resolve("sandboxes").resolve(sandboxId)));
    System.out.printf("VM booted in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
  }

  static QemuDriver.Options options() {
    return QemuDriver.Options.defaults(null);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (driver != null && sandboxId != null) {
      driver.destroySandbox(sandboxId, Duration.ZERO);
      driver.close();
    }
  }

  static TaskConfig task(String name, List<TaskMount> mounts, String... command) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", "/bin:/usr/bin");
    env.put("GREETING", "hi there");
    return new TaskConfig(sandboxId + "-" + name, sandboxId, name, busybox, List.of(command), env, "/tmp", TaskUser.ROOT,
        mounts, false, TaskResources.NONE, false, false, dir.resolve("logs").resolve(name + ".log"));
  }

  static String log(TaskConfig t) throws IOException {
    return Files.exists(t.logPath()) ? Files.readString(t.logPath()) : "";
  }

  @Test
  @Order(1)
  void fingerprintReportsTheVmRuntime() {
    Fingerprint f = driver.fingerprint();
    assertThat(f.healthy()).as(f.healthDescription()).isTrue();
    assertThat(f.attributes()).containsEntry(QemuDriver.RUNTIME_LABEL, "true").containsKey(QemuDriver.ACCEL_LABEL);
    assertThat(f.attributes().get(QemuDriver.ACCEL_LABEL)).isIn("kvm", "tcg");
  }

  @Test
  @Order(2)
  void outputGoesToTheCriLogAndTheExitCodeComesBack() throws Exception {
    Path hosts = dir.resolve("hosts");
    Files.writeString(hosts, "127.0.0.1 localhost\n10.1.2.3 vm-0\n");
    TaskConfig t = task("echo", List.of(new TaskMount(hosts, "/etc/hosts", true)), "sh", "-c",
        "echo hello from the VM; echo kernel $(uname -r); echo \"$GREETING in $(pwd)\"; grep vm-0 /etc/hosts; echo oops >&2; exit 3");
    driver.startTask(t);
    ExitResult r = driver.awaitTask(t.taskId()).get(60, TimeUnit.SECONDS);
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.reason()).isEqualTo(ExitResult.ERROR);
    String log = log(t);
    assertThat(log).containsPattern("(?m)^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z stdout F hello from the VM$");
    assertThat(log).contains("stdout F hi there in /tmp", "stdout F 10.1.2.3 vm-0", "stderr F oops");
    String kernel = log.lines().filter(l -> l.contains("stdout F kernel ")).findFirst().orElseThrow().replaceAll(".* kernel ", "");
    assertThat(kernel).isEqualTo(VmAssets.locate(null).kernelRelease()).isNotEqualTo(hostKernel);
    assertThat(driver.inspectTask(t.taskId()).state()).isEqualTo(TaskStatus.State.EXITED);
    driver.destroyTask(t.taskId(), false);
  }

  @Test
  @Order(3)
  void theContainerRunsAsItsUser() throws Exception {
    TaskConfig root = task("user", List.of(), "sh", "-c", "echo ids $(id -u) $(id -g) $(id -G)");
    TaskConfig t = new TaskConfig(root.taskId(), sandboxId, "user", busybox, root.command(), root.env(), "/tmp",
        new TaskUser(1000, 1001, List.of(10L)), List.of(), false, TaskResources.NONE, false, false, root.logPath());
    driver.startTask(t);
    assertThat(driver.awaitTask(t.taskId()).get(60, TimeUnit.SECONDS).exitCode()).isZero();
    assertThat(log(t)).containsPattern("stdout F ids 1000 1001 .*\\b10\\b");
    driver.destroyTask(t.taskId(), false);
  }

  @Test
  @Order(3)
  void aMissingCommandFailsTheStart() {
    TaskConfig t = task("missing", List.of(), "no-such-command");
    assertThatThrownBy(() -> driver.startTask(t)).isInstanceOf(DriverException.class)
        .hasMessageContaining("executable file not found");
  }

  @Test
  @Order(3)
  void volumesAreSharedBetweenTheContainersOfTheVm() throws Exception {
    List<TaskMount> mounts = List.of(new TaskMount(dir.resolve("volumes/config"), "/etc/config", true),
        new TaskMount(dir.resolve("volumes/scratch"), "/data", false));
    TaskConfig writer = task("init", mounts, "sh", "-c", "cat /etc/config/greeting.txt > /data/copied; touch /etc/config/x || echo read-only");
    driver.startTask(writer);
    assertThat(driver.awaitTask(writer.taskId()).get(60, TimeUnit.SECONDS).exitCode()).isZero();
    assertThat(log(writer)).contains("stdout F read-only");
    TaskConfig reader = task("app", mounts, "cat", "/data/copied");
    driver.startTask(reader);
    assertThat(driver.awaitTask(reader.taskId()).get(60, TimeUnit.SECONDS).exitCode()).isZero();
    assertThat(log(reader)).contains("stdout F from a configMap");
    driver.destroyTask(writer.taskId(), false);
    driver.destroyTask(reader.taskId(), false);
  }

  @Test
  @Order(3)
  void restartedContainersGetAFreshRootfsAndExitedOnesGiveBackTheirDisk() throws Exception {
    // More attempts than disk slots, none destroyed (as a crash loop keeps its last attempt around).
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < QemuDriver.SLOTS + 2; i++) {
      TaskConfig t = task("crash-" + i, List.of(), "sh", "-c", "test ! -e /marker && touch /marker && echo attempt " + "ok");
      driver.startTask(t);
      ids.add(t.taskId());
      assertThat(driver.awaitTask(t.taskId()).get(60, TimeUnit.SECONDS).exitCode()).as(log(t)).isZero();
      assertThat(log(t)).contains("stdout F attempt ok");
    }
    for (String id : ids) {
      driver.destroyTask(id, false);
    }
  }

  @Test
  @Order(3)
  void runningOutOfGuestMemoryIsOomKilled() throws Exception {
    // The VM has 192 MiB (256 MiB pod limit less the RuntimeClass overhead); the kernel leaves ~158 MiB (~117 free): a 140 MiB
    // buffer fits the overcommit check but not into free memory once dd fills it.
    TaskConfig t = task("hog", List.of(), "dd", "if=/dev/zero", "of=/dev/null", "bs=140M", "count=1");
    driver.startTask(t);
    ExitResult r = driver.awaitTask(t.taskId()).get(120, TimeUnit.SECONDS);
    assertThat(r.exitCode()).isEqualTo(137);
    assertThat(r.reason()).isEqualTo(ExitResult.OOM_KILLED);
    driver.destroyTask(t.taskId(), false);
  }

  @Test
  @Order(4)
  void execShowsTheGuestKernel() throws Exception {
    TaskConfig t = task("sleeper", List.of(), "sh", "-c", "echo started; exec sleep 1000");
    sleeper = driver.startTask(t);
    await().atMost(Duration.ofSeconds(30)).until(() -> log(t).contains("stdout F started"));
    Exec v = exec(sleeper.id(), false, null, "cat", "/proc/version");
    assertThat(v.code()).isZero();
    assertThat(v.out()).contains(VmAssets.locate(null).kernelRelease()).doesNotContain(hostKernel);

    Exec piped = exec(sleeper.id(), false, "ping\n", "sh", "-c", "cat; echo to-stderr >&2; exit 4");
    assertThat(piped.code()).isEqualTo(4);
    assertThat(piped.out()).isEqualTo("ping\n");
    assertThat(piped.err()).isEqualTo("to-stderr\n");

    Exec tty = exec(sleeper.id(), true, "tty; stty size; exit 5\n", "sh");
    assertThat(tty.code()).isEqualTo(5);
    assertThat(tty.out()).contains("/dev/pts/", "24 80");
  }

  @Test
  @Order(5)
  void aFreshDriverRecoversTheVmWithoutStartingAnother() throws Exception {
    long pid = driver.qemuPid(sandboxId);
    driver.close(); // as if the agent was killed: the VM keeps running
    assertThat(QemuDriver.isOurQemu(pid, sandboxId)).isTrue();
    driver = new QemuDriver(options());
    driver.recoverSandbox(sandbox);
    driver.recoverSandbox(sandbox); // idempotent
    driver.recoverTask(sleeper);
    assertThat(driver.qemuPid(sandboxId)).isEqualTo(pid);
    assertThat(qemuCount()).isEqualTo(1);
    assertThat(driver.inspectTask(sleeper.id()).state()).isEqualTo(TaskStatus.State.RUNNING);
    assertThat(exec(sleeper.id(), false, null, "echo", "still here").out()).isEqualTo("still here\n");
    assertThat(driver.taskStats(sleeper.id()).memoryWorkingSetBytes()).isPositive();
  }

  @Test
  @Order(6)
  void stopEndsTheTaskAndDestroyLeavesNoQemu() throws Exception {
    CompletableFuture<ExitResult> exit = driver.awaitTask(sleeper.id());
    driver.stopTask(sleeper.id(), Duration.ofSeconds(5));
    assertThat(exit.get(30, TimeUnit.SECONDS).exitCode()).isEqualTo(143); // SIGTERM
    driver.destroyTask(sleeper.id(), false);
    long pid = driver.qemuPid(sandboxId);
    driver.destroySandbox(sandboxId, Duration.ofSeconds(5));
    assertThat(QemuDriver.isOurQemu(pid, sandboxId)).isFalse();
    assertThat(qemuCount()).isZero();
    driver.destroySandbox(sandboxId, Duration.ofSeconds(5)); // idempotent
    sandboxId = null;
  }

  static long qemuCount() throws IOException {
    try (var s = Files.list(Path.of("/proc"))) {
      return s.filter(p -> p.getFileName().toString().matches("\\d+"))
          .filter(p -> QemuDriver.isOurQemu(Long.parseLong(p.getFileName().toString()), sandboxId)).count();
    }
  }

  record Exec(int code, String out, String err) {}

  static Exec exec(String taskId, boolean tty, String stdin, String... cmd) throws Exception {
    try (ExecSession s = driver.execTask(taskId, List.of(cmd), tty)) {
      CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(s.stdout()));
      CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(s.stderr()));
      if (stdin != null) {
        s.stdin().write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      if (!tty) {
        s.stdin().close();
      }
      int code = s.exit().get(60, TimeUnit.SECONDS);
      return new Exec(code, new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8),
          new String(err.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    }
  }

  static byte[] readAll(InputStream in) {
    try {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
  }
}
