package io.keelson.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's own usage, as kubectl top node shows it: the host's, read the way cAdvisor reads its root. */
class HostUsageTest {
  static final String MEMINFO = """
      MemTotal:       24684132 kB
      MemFree:        20000000 kB
      MemAvailable:   23000000 kB
      Buffers:           10000 kB
      Cached:          2000000 kB
      Inactive(file):  1000000 kB
      """;

  @Test
  void workingSetIsTotalLessFreeLessInactiveFile() {
    assertThat(HostUsage.workingSet(MEMINFO)).isEqualTo((24684132L - 20000000 - 1000000) * 1024);
  }

  @Test
  void cpuFromTheRootCgroupOrElseProcStatBusyTicks() {
    assertThat(HostUsage.cgroupUsageNanos("usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n")).isEqualTo(1_500_000);
    assertThat(HostUsage.cgroupUsageNanos("nr_periods 0\n")).isEqualTo(-1);
    // user nice system idle iowait irq softirq steal guest guest_nice: idle and iowait are not busy
    assertThat(HostUsage.procStatNanos("cpu  100 2 30 5000 40 1 2 3 7 0\ncpu0 50 1 15 2500 20 0 1 1 3 0\n"))
        .isEqualTo((100 + 2 + 30 + 1 + 2 + 3) * 10_000_000L);
  }

  @Test
  void readsAHostTreeAndFallsBackToProcStat(@TempDir Path root) throws Exception {
    Files.createDirectories(root.resolve("proc"));
    Files.writeString(root.resolve("proc/meminfo"), MEMINFO);
    Files.writeString(root.resolve("proc/stat"), "cpu  100 0 0 900 0 0 0 0 0 0\n");
    HostUsage.Sample noCgroup = new HostUsage(root).sample();
    assertThat(noCgroup.cpuUsageNanos()).isEqualTo(100 * 10_000_000L);
    Files.createDirectories(root.resolve("sys/fs/cgroup"));
    Files.writeString(root.resolve("sys/fs/cgroup/cpu.stat"), "usage_usec 42\n");
    assertThat(new HostUsage(root).sample()).isEqualTo(new HostUsage.Sample(42_000, noCgroup.memoryWorkingSetBytes()));
    assertThat(new HostUsage(root.resolve("missing")).sample()).isNull();
  }

  @Test
  void theRealHostUsesMemoryAndItsCpuCounterMovesWithWork() throws Exception {
    assumeTrue(Files.isReadable(Path.of("/proc/meminfo")), "not Linux: no /proc to read");
    HostUsage host = new HostUsage();
    HostUsage.Sample before = host.sample();
    assertThat(before.memoryWorkingSetBytes()).as("a running host uses some memory").isGreaterThan(50L << 20);
    long end = System.nanoTime() + 300_000_000L;
    long x = 0;
    while (System.nanoTime() < end) x += Long.numberOfTrailingZeros(x + System.nanoTime());
    HostUsage.Sample after = host.sample();
    assertThat(after.cpuUsageNanos() - before.cpuUsageNanos()).as("300 ms of busy loop (%d)", x).isGreaterThanOrEqualTo(100_000_000L);
  }
}
