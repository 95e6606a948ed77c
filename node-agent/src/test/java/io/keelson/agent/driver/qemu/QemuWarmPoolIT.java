package io.keelson.agent.driver.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keelson.agent.driver.ExitResult;
import io.keelson.agent.driver.PodNetwork;
import io.keelson.agent.driver.SandboxConfig;
import io.keelson.agent.driver.TaskConfig;
import io.keelson.agent.driver.TaskConfig.TaskMount;
import io.keelson.agent.driver.TaskConfig.TaskResources;
import io.keelson.agent.driver.TaskConfig.TaskUser;
import io.keelson.agent.image.ImageStore;
import io.keelson.agent.image.PullPolicy;
import io.keelson.agent.image.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The qemu driver's warm pool: a pod on a pod network takes a pre-booted VM and runs its command
 * under the guest kernel with its pod IP, hostname and volume, faster than a cold boot of the same pod shape in the same
 * run; the pool refills; a new driver re-adopts the idle VM left by the previous one, and a driver
 * without a pool kills it (nothing leaks).
 */
class QemuWarmPoolIT {

  @TempDir Path dir;
  final List<QemuDriver> drivers = new ArrayList<>();
  final List<String[]> sandboxes = new ArrayList<>(); // {driver index, sandbox id}
  final TestPodNetworks nets = new TestPodNetworks();

  @Test
  void aPodTakesAWarmVmFasterThanAColdBootAndThePoolNeverLeaks() throws Exception {
    String why = TestPodNetworks.missing();
    if (why != null) {
      System.out.println("SKIP QemuWarmPoolIT: " + why);
    }
    assumeTrue(why == null, why);
    Path images = dir.resolve("images");
    TestImages.preloadBusybox(images);
    ImageStore store = ImageStore.open(images);
    TaskConfig.TaskImage busybox = store.taskImage(store.ensure("keelson.local/busybox:latest", PullPolicy.IF_NOT_PRESENT));
    String hostKernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
    Path poolDir = dir.resolve("vm-pool");

    QemuDriver pooled = driver(QemuDriverIT.options().withWarmPool(poolDir, 1));
    QemuDriver cold = driver(QemuDriverIT.options());
    assertThat(pooled.fingerprint().healthy()).isTrue(); // the node registering starts the pool
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> pooled.idleWarmVms() == 1);
    long warmPid = QemuProcesses.under(poolDir).getFirst();

    // Same pod shape (no limits: 1 vCPU, 256 MiB), same command, one cold and one warm.
    Start c = startPod(cold, busybox, "cold");
    Start w = startPod(pooled, busybox, "warm");
    System.out.printf("pod start (sandbox + container started): cold %d ms, warm %d ms%n", c.millis, w.millis);

    assertThat(pooled.qemuPid(w.sandboxId)).as("the pod runs in the warm VM").isEqualTo(warmPid);
    assertThat(Files.readString(Path.of("/proc", String.valueOf(warmPid), "cgroup")))
        .as("qemu moved into the pod's cgroup").contains("/keelson/vm-" + w.sandboxId);
    for (Start s : List.of(c, w)) {
      ExitResult r = s.driver.awaitTask(s.taskId).get(120, TimeUnit.SECONDS);
      String log = Files.readString(s.log);
      assertThat(r.exitCode()).as(s.name + ": " + log).isZero();
      assertThat(log).as(s.name).contains("kernel=" + s.driver.guestKernel(s.sandboxId), "inet " + s.podIp + "/24",
          "hostname=" + s.name + "-pod", "volume of " + s.name, "PING-OK");
      assertThat(log).as(s.name + ": runs under the guest kernel").doesNotContain("kernel=" + hostKernel + "\n");
      // node -> pod IP
      assertThat(TestImages.run("/bin/busybox", "ping", "-c", "1", "-W", "10", s.podIp)).contains("1 packets received");
    }
    assertThat(w.millis).as("warm start faster than cold").isLessThan(c.millis);

    // The pool refills in the background.
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> pooled.idleWarmVms() == 1);
    long refill = QemuProcesses.under(poolDir).stream().filter(p -> p != warmPid).findFirst().orElseThrow();

    // Agent restart: the idle VM keeps running and the next driver re-adopts it ...
    pooled.close();
    QemuDriver next = driver(QemuDriverIT.options().withWarmPool(poolDir, 1));
    next.fingerprint();
    await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200)).until(() -> next.idleWarmVms() == 1);
    assertThat(QemuProcesses.under(poolDir)).contains(refill);
    next.close();
    // ... and a driver configured without a pool kills it.
    QemuDriver none = driver(QemuDriverIT.options().withWarmPool(poolDir, 0));
    none.fingerprint();
    await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
        .until(() -> ProcessHandle.of(refill).isEmpty());
    assertThat(QemuProcesses.under(poolDir)).as("only the pod's VM is left").containsExactly(warmPid);
  }

  record Start(QemuDriver driver, String name, String sandboxId, String taskId, String podIp, Path log, long millis) {}

  private Start startPod(QemuDriver d, TaskConfig.TaskImage image, String name) throws Exception {
    PodNetwork net = nets.create();
    String gw = net.gateway();
    String podIp = net.ip();
    String suffix = UUID.randomUUID().toString().substring(0, 6);
    String sandboxId = "vmwp-" + name + "-" + suffix;
    Path log = dir.resolve("logs/" + name + ".log");
    Path config = dir.resolve("volumes/" + name + "/config");
    Files.createDirectories(config);
    Files.writeString(config.resolve("greeting.txt"), "volume of " + name + "\n");
    TaskConfig t = new TaskConfig(sandboxId + "-c", sandboxId, "c", image,
        List.of("sh", "-c", "echo kernel=$(uname -r); echo hostname=$(hostname); ip -o -4 addr show dev eth0; "
            + "cat /etc/config/greeting.txt; ping -c 1 -W 10 " + gw + " && echo PING-OK"),
        Map.of("PATH", "/bin"), "/", TaskUser.ROOT, List.of(new TaskMount(config, "/etc/config", true)), false,
        TaskResources.NONE, false, false, log);
    long t0 = System.nanoTime();
    d.startSandbox(new SandboxConfig(sandboxId, "uid-" + sandboxId, "default", name, name + "-pod", net, 0, 0, Map.of(),
        Map.of(), Map.of("config", config), dir.resolve("logs/" + name), dir.resolve("sb/" + sandboxId)));
    sandboxes.add(new String[] {String.valueOf(drivers.indexOf(d)), sandboxId});
    d.startTask(t);
    long millis = (System.nanoTime() - t0) / 1_000_000;
    return new Start(d, name, sandboxId, t.taskId(), podIp, log, millis);
  }

  private QemuDriver driver(QemuDriver.Options o) {
    QemuDriver d = new QemuDriver(o);
    drivers.add(d);
    return d;
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (String[] s : sandboxes) {
      QemuDriver d = drivers.get(Integer.parseInt(s[0]));
      try {
        d.destroySandbox(s[1], Duration.ZERO);
      } catch (RuntimeException e) {
        // best effort
      }
    }
    for (QemuDriver d : drivers) {
      d.killWarmPool();
      d.close();
    }
    // whatever a failed run left: no qemu of this test survives it
    for (long pid : QemuProcesses.under(dir)) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    nets.close();
  }
}
