package io.keelson.agent.driver.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keelson.agent.driver.ExecSession;
import io.keelson.agent.driver.PodNetwork;
import io.keelson.agent.driver.SandboxConfig;
import io.keelson.agent.driver.SandboxHandle;
import io.keelson.agent.driver.TaskConfig;
import io.keelson.agent.driver.TaskConfig.TaskMount;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * VM pods restored from a VM template: the template is built once in the background (its qemu
 * gone afterwards), two pods on a pod network are restored from it and each has the guest kernel,
 * its own pod IP, hostname, volume and a current clock, reaches its gateway and is reached from the
 * node, and the two do not share their guest's random state; exec works, and after an agent
 * restart (a new driver) the restored VM is re-attached, not started again.
 */
class QemuTemplateIT {

  @TempDir Path dir;
  final List<QemuDriver> drivers = new ArrayList<>();
  final List<String> sandboxes = new ArrayList<>();
  final TestPodNetworks nets = new TestPodNetworks();

  @Test
  void podsRestoredFromTheTemplateAreDistinctWorkingVms() throws Exception {
    String why = TestPodNetworks.missing();
    if (why != null) {
      System.out.println("SKIP QemuTemplateIT: " + why);
    }
    assumeTrue(why == null, why);
    Path images = dir.resolve("images");
    TestImages.preloadBusybox(images);
    ImageStore store = ImageStore.open(images);
    TaskConfig.TaskImage busybox = store.taskImage(store.ensure("keelson.local/busybox:latest", PullPolicy.IF_NOT_PRESENT));
    String hostKernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
    Path templates = dir.resolve("vm-template");

    QemuDriver d = driver(QemuDriverIT.options().withTemplates(templates));
    assertThat(d.fingerprint().healthy()).isTrue(); // the node registering starts the template build
    long t0 = System.nanoTime();
    VmTemplate tpl = d.awaitTemplate(Duration.ofMinutes(4));
    System.out.printf("template built in %d ms: %s%n", (System.nanoTime() - t0) / 1_000_000, tpl);
    assertThat(tpl).isNotNull();
    assertThat(QemuProcesses.under(templates)).as("the template VM is gone once saved").isEmpty();

    Pod a = startPod(d, busybox, "a");
    Pod b = startPod(d, busybox, "b");
    System.out.printf("restored pod start (sandbox + container started): %d ms, %d ms%n", a.millis, b.millis);
    List<String> randoms = new ArrayList<>();
    for (Pod p : List.of(a, b)) {
      await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
          .until(() -> Files.readString(p.log).contains("PING-OK") || !d.inspectTask(p.taskId).state().name().equals("RUNNING"));
      String log = Files.readString(p.log);
      assertThat(log).as(p.name).contains("kernel=" + tpl.kernel(), "inet " + p.podIp + "/24", "hostname=" + p.name + "-pod",
          "volume of " + p.name, "PING-OK");
      assertThat(log).as(p.name + ": the guest kernel").doesNotContain("kernel=" + hostKernel + "\n");
      assertThat(qemuArgs(d.qemuPid(p.sandboxId))).as(p.name + ": restored, not booted").contains("-incoming");
      Matcher time = Pattern.compile("time=(\\d+)").matcher(log);
      assertThat(time.find()).isTrue();
      assertThat(Math.abs(Long.parseLong(time.group(1)) - System.currentTimeMillis() / 1000)).as(p.name + ": guest clock")
          .isLessThan(120);
      Matcher rand = Pattern.compile("rand=([0-9a-f]{32})").matcher(log);
      assertThat(rand.find()).as(log).isTrue();
      randoms.add(rand.group(1));
      assertThat(TestImages.run("/bin/busybox", "ping", "-c", "1", "-W", "10", p.podIp)).contains("1 packets received");
    }
    assertThat(randoms.get(0)).as("restored VMs have their own randomness").isNotEqualTo(randoms.get(1));
    assertThat(exec(d, a.taskId, "hostname")).isEqualTo("a-pod\n");

    // Agent restart: the new driver re-attaches to the restored VM (same qemu) and exec still works.
    long pid = d.qemuPid(a.sandboxId);
    d.close();
    QemuDriver next = driver(QemuDriverIT.options().withTemplates(templates));
    next.recoverSandbox(a.sandbox);
    next.recoverTask(a.task);
    assertThat(next.qemuPid(a.sandboxId)).isEqualTo(pid);
    assertThat(exec(next, a.taskId, "cat", "/proc/sys/kernel/hostname")).isEqualTo("a-pod\n");
    for (Pod p : List.of(a, b)) {
      next.destroySandbox(p.sandboxId, Duration.ZERO);
    }
    assertThat(QemuProcesses.under(dir)).as("no qemu left").isEmpty();
  }

  record Pod(String name, String sandboxId, String taskId, SandboxHandle sandbox, TaskHandle task, String podIp, Path log,
      long millis) {}

  private Pod startPod(QemuDriver d, TaskConfig.TaskImage image, String name) throws Exception {
    PodNetwork net = nets.create();
    String sandboxId = "vmtp-" + name + "-" + UUID.randomUUID().toString().substring(0, 6);
    Path log = dir.resolve("logs/" + name + ".log");
    Path config = dir.resolve("volumes/" + name + "/config");
    Files.createDirectories(config);
    Files.writeString(config.resolve("greeting.txt"), "volume of " + name + "\n");
    TaskConfig t = new TaskConfig(sandboxId + "-c", sandboxId, "c", image,
        List.of("sh", "-c", "echo kernel=$(uname -r); echo hostname=$(hostname); ip -o -4 addr show dev eth0; "
            + "echo rand=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n'); echo time=$(date +%s); "
            + "cat /etc/config/greeting.txt; ping -c 1 -W 10 " + net.gateway() + " && echo PING-OK; exec sleep 3600"),
        Map.of("PATH", "/bin"), "/", TaskUser.ROOT, List.of(new TaskMount(config, "/etc/config", true)), false,
        TaskResources.NONE, false, false, log);
    long t0 = System.nanoTime();
    SandboxHandle sandbox = d.startSandbox(new SandboxConfig(sandboxId, "uid-" + sandboxId, "default", name, name + "-pod", net,
        0, 0, Map.of(), Map.of(), Map.of("config", config), dir.resolve("logs/" + name), dir.resolve("sb/" + sandboxId)));
    sandboxes.add(sandboxId);
    TaskHandle task = d.startTask(t);
    return new Pod(name, sandboxId, t.taskId(), sandbox, task, net.ip(), log, (System.nanoTime() - t0) / 1_000_000);
  }

  private static String exec(QemuDriver d, String taskId, String... cmd) throws Exception {
    try (ExecSession s = d.execTask(taskId, List.of(cmd), false)) {
      CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> QemuDriverIT.readAll(s.stdout()));
      CompletableFuture.runAsync(() -> QemuDriverIT.readAll(s.stderr()));
      s.stdin().close();
      assertThat(s.exit().get(60, TimeUnit.SECONDS)).isZero();
      return new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8);
    }
  }

  private static String qemuArgs(long pid) throws IOException {
    return new String(Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline")), StandardCharsets.UTF_8)
        .replace('\0', ' ');
  }

  private QemuDriver driver(QemuDriver.Options o) {
    QemuDriver d = new QemuDriver(o);
    drivers.add(d);
    return d;
  }

  @AfterEach
  void cleanUp() throws Exception {
    QemuDriver last = drivers.getLast();
    for (String s : sandboxes) {
      try {
        last.destroySandbox(s, Duration.ZERO);
      } catch (RuntimeException e) {
        // best effort
      }
    }
    for (QemuDriver d : drivers) {
      d.close();
    }
    for (long pid : QemuProcesses.under(dir)) { // whatever a failed run left
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    nets.close();
  }
}
