package io.keelson.agent.driver.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keelson.agent.driver.AttachSession;
import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.ExitResult;
import io.keelson.agent.driver.SandboxConfig;
import io.keelson.agent.driver.SandboxHandle;
import io.keelson.agent.driver.TaskConfig;
import io.keelson.agent.driver.TaskConfig.TaskResources;
import io.keelson.agent.driver.TaskConfig.TaskUser;
import io.keelson.agent.driver.TaskHandle;
import io.keelson.agent.image.ImageStore;
import io.keelson.agent.image.PullPolicy;
import io.keelson.agent.image.TestImages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Full VM through the qemu driver: keelson.local/bootsector-disk (KeelsonDOS, a 512-byte BIOS boot
 * sector) booted from its image's /disk under SeaBIOS, its serial console as the container's stdio.
 * One VM for the class, in order: the banner in the log, typing into the console, no exec, a fresh
 * driver re-attaching to the console, stop.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DiskVmIT {

  @TempDir static Path dir;
  static QemuDriver driver;
  static String sandboxId;
  static SandboxHandle sandbox;
  static TaskConfig task;
  static TaskHandle handle;

  @BeforeAll
  static void boot() throws Exception {
    String why = VmHost.missing();
    Path images = dir.resolve("images");
    if (why == null) {
      why = TestImages.preloadBootsectorDisk(images);
    }
    if (why != null) {
      System.out.println("SKIP DiskVmIT: " + why);
    }
    assumeTrue(why == null, why);
    ImageStore store = ImageStore.open(images);
    TaskConfig.TaskImage disk = store.taskImage(store.ensure("keelson.local/bootsector-disk:latest", PullPolicy.IF_NOT_PRESENT));
    driver = new QemuDriver(QemuDriver.Options.defaults(null));
    sandboxId = "diskit-" + UUID.randomUUID().toString().substring(0, 8);
    sandbox = driver.startSandbox(new SandboxConfig(sandboxId, "uid-" + sandboxId, "default", "dos", "dos", null,
        1000, 128L << 20, Map.of(), Map.of(DiskVms.BOOT_ANNOTATION, DiskVms.BOOT_DISK), Map.of(),
        dir.resolve("logs"), dir.resolve("sandboxes").resolve(sandboxId)));
    task = new TaskConfig(sandboxId + "-vm", sandboxId, "vm", disk, List.of("/disk"), Map.of(), "/", TaskUser.ROOT,
        List.of(), false, TaskResources.NONE, true, true, dir.resolve("logs/vm.log"));
    handle = driver.startTask(task);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (driver != null && sandboxId != null) {
      driver.destroySandbox(sandboxId, Duration.ZERO);
      driver.close();
    }
  }

  /** The log as kubectl logs shows it: partial (P) records joined with the rest of their line. */
  static String log() throws IOException {
    return log(task.logPath());
  }

  static String log(Path path) throws IOException {
    StringBuilder text = new StringBuilder();
    if (Files.exists(path)) {
      for (String record : Files.readAllLines(path)) {
        String[] parts = record.split(" ", 4);
        text.append(parts.length == 4 ? parts[3] : "").append(parts[2].equals("P") ? "" : "\n");
      }
    }
    return text.toString();
  }

  /** Reads the session until {@code text} has appeared; returns what was read. */
  static String readUntil(AttachSession s, String text) throws Exception {
    StringBuilder seen = new StringBuilder();
    var reader = Thread.ofVirtual().start(() -> {
      try {
        AttachSession.Output o;
        while (!seen.toString().contains(text) && (o = s.read()) != null) {
          synchronized (seen) {
            seen.append(new String(o.data(), StandardCharsets.ISO_8859_1));
          }
        }
      } catch (IOException e) {
        // ends the wait
      }
    });
    reader.join(Duration.ofSeconds(20));
    synchronized (seen) {
      return seen.toString();
    }
  }

  @Test
  @Order(1)
  void theGuestsConsoleOutputIsTheContainerLog() throws Exception {
    await().atMost(30, TimeUnit.SECONDS).untilAsserted(() -> assertThat(log()).contains("KeelsonDOS 1.0 ready").contains("A> "));
    assertThat(Files.readAllLines(task.logPath())).allMatch(l -> l.matches("\\S+Z stdout [PF] .*"), "CRI format");
    assertThat(driver.inspectTask(handle.id()).state()).hasToString("RUNNING");
    // qemu runs in the pod's cgroup, as for VM pods
    long pid = driver.inspectTask(handle.id()).pid();
    assertThat(Files.readString(Path.of("/proc", String.valueOf(pid), "cgroup"))).contains("/keelson/vm-" + sandboxId);
  }

  @Test
  @Order(2)
  void typedBytesEchoOnTheConsole() throws Exception {
    try (AttachSession s = driver.attachTask(handle.id(), true)) {
      s.write("dir\r".getBytes(StandardCharsets.US_ASCII));
      String out = readUntil(s, "dir\r\nA> ");
      assertThat(out).contains("dir\r\nA> ");
    }
    await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> assertThat(log()).contains("A> dir"));
  }

  @Test
  @Order(3)
  void execIsRefusedWithAPointerToTheConsole() {
    assertThatThrownBy(() -> driver.execTask(handle.id(), List.of("sh"), true))
        .isInstanceOf(DriverException.class).hasMessageContaining("kubectl attach");
  }

  @Test
  @Order(4)
  void aRestartedAgentReattachesToTheConsole() throws Exception {
    driver.close();
    driver = new QemuDriver(QemuDriver.Options.defaults(null));
    driver.recoverSandbox(sandbox);
    driver.recoverTask(handle);
    try (AttachSession s = driver.attachTask(handle.id(), true)) {
      s.write("ver".getBytes(StandardCharsets.US_ASCII));
      assertThat(readUntil(s, "ver")).contains("ver");
    }
    await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> assertThat(log()).contains("A> ver"));
  }

  @Test
  @Order(5)
  void stoppingKillsAGuestThatIgnoresThePowerButton() throws Exception {
    long pid = driver.inspectTask(handle.id()).pid();
    driver.stopTask(handle.id(), Duration.ofSeconds(1));
    ExitResult r = driver.awaitTask(handle.id()).get(20, TimeUnit.SECONDS);
    assertThat(r.exitCode()).isEqualTo(137);
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
  }

  @Test
  @Order(6)
  void theRestartedContainerBootsTheVmAgainInTheSameSandbox() throws Exception {
    // as the agent does after the VM ended (restartPolicy Always), here through the driver that recovered the sandbox
    TaskConfig again = new TaskConfig(sandboxId + "-vm-1", sandboxId, "vm", task.image(), List.of("/disk"), Map.of(), "/",
        TaskUser.ROOT, List.of(), false, TaskResources.NONE, true, true, dir.resolve("logs/vm-1.log"));
    driver.startTask(again);
    await().atMost(30, TimeUnit.SECONDS).untilAsserted(() ->
        assertThat(log(again.logPath())).contains("KeelsonDOS 1.0 ready"));
    // the same shape as the first boot: the recovered sandbox kept the pod's size
    long pid = driver.inspectTask(again.taskId()).pid();
    List<String> argv = List.of(Files.readString(Path.of("/proc", String.valueOf(pid), "cmdline")).split("\0"));
    assertThat(argv.get(argv.indexOf("-m") + 1)).isEqualTo("128M");
    assertThat(argv.get(argv.indexOf("-smp") + 1)).isEqualTo("1");
  }
}
