package io.keelson.agent.driver.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keelson.agent.driver.PodNetwork;
import io.keelson.agent.driver.SandboxConfig;
import io.keelson.agent.driver.TaskConfig;
import io.keelson.agent.driver.TaskConfig.TaskResources;
import io.keelson.agent.driver.TaskConfig.TaskUser;
import io.keelson.agent.driver.WorkloadDriver;
import io.keelson.agent.driver.runc.RuncDriver;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's comparison, at the driver level: the same busybox workload (print {@code uname -r},
 * then sleep) started N times as a runc container and as a qemu VM, one at a time; then as a VM on
 * a pod network booted cold and taken from the driver's warm pool (size 1, refilled before each
 * warm start). Start latency is
 * measured from startSandbox to the workload's first log line; memory is the host-side cost while
 * it sleeps. Not part of the normal test run (the class name does not end in Test/IT): run it with
 * {@code deploy/vm/compare.sh [runs]}, which prints the table and writes
 * node-agent/target/benchmarks/containers-vs-vms.md.
 */
class ContainerVsVmBenchmark {

  @TempDir Path dir;

  record Sample(long startMillis, long rssBytes, long workingSetBytes, String kernel) {}

  @Test
  void containersVsVms() throws Exception {
    String why = TestImages.missing();
    if (why == null) {
      why = VmHost.missing();
    }
    assumeTrue(why == null, why);
    int runs = Integer.parseInt(System.getProperty("keelson.bench.runs", System.getenv().getOrDefault("KEELSON_BENCH_RUNS", "5")));
    Path images = dir.resolve("images");
    TestImages.preloadBusybox(images);
    ImageStore store = ImageStore.open(images);
    TaskConfig.TaskImage busybox = store.taskImage(store.ensure("keelson.local/busybox:latest", PullPolicy.IF_NOT_PRESENT));

    String load0 = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    QemuDriver qemu = new QemuDriver(QemuDriver.Options.defaults(null));
    QemuDriver pooled = new QemuDriver(QemuDriver.Options.defaults(null).withWarmPool(dir.resolve("vm-pool"), 1));
    QemuDriver templated = new QemuDriver(QemuDriver.Options.defaults(null).withTemplates(dir.resolve("vm-template")));
    RuncDriver runc = new RuncDriver(dir.resolve("runc"));
    String accel = qemu.fingerprint().attributes().getOrDefault(QemuDriver.ACCEL_LABEL, "?");
    pooled.fingerprint();
    templated.fingerprint();
    assertThat(templated.awaitTemplate(Duration.ofMinutes(4))).as("the VM template was built").isNotNull();
    List<Sample> containers = new ArrayList<>();
    List<Sample> vms = new ArrayList<>();
    List<Sample> coldNet = new ArrayList<>();
    List<Sample> warm = new ArrayList<>();
    List<Sample> restored = new ArrayList<>();
    try (TestPodNetworks nets = new TestPodNetworks()) {
      for (int i = 0; i < runs; i++) {
        containers.add(run(runc, busybox, "c" + i, null));
        vms.add(run(qemu, busybox, "v" + i, null));
        coldNet.add(run(qemu, busybox, "n" + i, nets.create()));
        // Before the warm start: after it the pool boots the replacement VM, which takes a core.
        restored.add(run(templated, busybox, "r" + i, nets.create()));
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100)).until(() -> pooled.idleWarmVms() == 1);
        warm.add(run(pooled, busybox, "w" + i, nets.create()));
      }
    } finally {
      pooled.killWarmPool();
      pooled.close();
      templated.close();
      qemu.close();
      runc.close();
    }
    String load1 = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];

    String host = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
    StringBuilder md = new StringBuilder();
    md.append(String.format("Host: %d CPUs, load average %s at the start, %s at the end; host kernel %s; VM acceleration %s;"
        + " %d runs each, one at a time.%n%n", Runtime.getRuntime().availableProcessors(), load0, load1, host, accel, runs));
    md.append("| | `uname -r` inside | start p50 | start max | host RSS (p50) | cgroup working set (p50) |\n");
    md.append("|---|---|---|---|---|---|\n");
    md.append(row("container (runc)", containers));
    md.append(row("VM (qemu " + accel + ", microvm)", vms));
    md.append(row("VM, pod network, cold boot", coldNet));
    md.append(row("VM, pod network, warm pool", warm));
    md.append(row("VM, pod network, restored from the template (default)", restored));
    md.append("\nStart = startSandbox → the workload's first log line (VM: boot of the guest kernel + keelson-init,"
        + " ext4 rootfs written into a disk slot, command started). Host RSS = the container's main process"
        + " / the qemu process; working set = the sandbox cgroup (for the VM: qemu incl. guest RAM it touched;"
        + " a warm VM's boot-time memory stays charged to the pool's cgroup, so its working set shows less)."
        + " Warm pool: the pod takes a VM booted ahead (qemu moved into the pod's cgroup, tap into the pod's"
        + " netns, IP/MAC/hostname sent to the guest); the pool had refilled before each warm start."
        + " Restored: qemu -incoming from the driver's VM template (guest RAM mapped copy-on-write from the template's"
        + " file, device state loaded), then POD_CONFIG (seed, clock, IP/MAC/hostname); its RSS counts template pages"
        + " it shares with other restored VMs.\n");
    Path out = Path.of("target/benchmarks/containers-vs-vms.md").toAbsolutePath();
    Files.createDirectories(out.getParent());
    Files.writeString(out, md.toString());
    System.out.println(md);
    assertThat(vms.getFirst().kernel()).isNotEqualTo(containers.getFirst().kernel());
  }

  private Sample run(WorkloadDriver d, TaskConfig.TaskImage image, String name, PodNetwork net) throws Exception {
    String sb = "bench-" + name + "-" + UUID.randomUUID().toString().substring(0, 6);
    Path log = dir.resolve("logs").resolve(sb + ".log");
    long t0 = System.nanoTime();
    d.startSandbox(new SandboxConfig(sb, "uid-" + sb, "default", sb, sb, net, 0, 0, Map.of(), Map.of(), Map.of(),
        dir.resolve("logs"), dir.resolve("sb").resolve(sb)));
    try {
      TaskConfig t = new TaskConfig(sb + "-t", sb, "t", image, List.of("sh", "-c", "uname -r; exec sleep 600"),
          Map.of("PATH", "/bin"), "/", TaskUser.ROOT, List.of(), false, TaskResources.NONE, false, false, log);
      d.startTask(t);
      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(10)).until(() -> Files.exists(log) && Files.size(log) > 0);
      long start = (System.nanoTime() - t0) / 1_000_000;
      String kernel = Files.readString(log).lines().findFirst().orElse("").replaceAll("^\\S+ stdout F ", "");
      Thread.sleep(1000); // let the VM settle after boot before sampling memory
      long pid = d instanceof QemuDriver q ? q.qemuPid(sb) : d.inspectTask(t.taskId()).pid();
      Sample s = new Sample(start, QemuDriver.rssBytes(pid), d.taskStats(t.taskId()).memoryWorkingSetBytes(), kernel);
      d.stopTask(t.taskId(), Duration.ZERO);
      d.destroyTask(t.taskId(), true);
      return s;
    } finally {
      d.destroySandbox(sb, Duration.ZERO);
    }
  }

  private static String row(String what, List<Sample> s) {
    List<Long> start = s.stream().map(Sample::startMillis).sorted().toList();
    List<Long> rss = s.stream().map(Sample::rssBytes).sorted().toList();
    List<Long> ws = s.stream().map(Sample::workingSetBytes).sorted().toList();
    return String.format("| %s | %s | %d ms | %d ms | %.1f MiB | %.1f MiB |%n", what, s.getFirst().kernel(),
        start.get(start.size() / 2), start.getLast(), rss.get(rss.size() / 2) / 1048576.0, ws.get(ws.size() / 2) / 1048576.0);
  }
}
