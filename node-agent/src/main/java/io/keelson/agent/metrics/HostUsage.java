package io.keelson.agent.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The whole host's CPU and memory, as the kubelet reports a node's own usage (its root cgroup, not
 * the sum of its pods): what {@code kubectl top node} shows. Memory is cAdvisor's working set of
 * the root: MemTotal - MemFree - Inactive(file) from /proc/meminfo. CPU is cumulative, from the
 * root cgroup's cpu.stat (cgroup v2) or else /proc/stat; the api-server turns it into a rate.
 * Hollow nodes share one process and one host, so they report the sum of their pods instead.
 */
public final class HostUsage {
  /** Cumulative CPU time of the host and its memory working set now. */
  public record Sample(long cpuUsageNanos, long memoryWorkingSetBytes) {}

  private static final long NANOS_PER_TICK = 10_000_000L; // USER_HZ = 100 on Linux

  private final Path root;

  /** The host's own /proc and /sys/fs/cgroup. */
  public HostUsage() {
    this(Path.of("/"));
  }

  /** Reads proc/ and sys/fs/cgroup/ under {@code root} (tests). */
  HostUsage(Path root) {
    this.root = root;
  }

  /** Null when this host has neither (not Linux). */
  public Sample sample() {
    try {
      long mem = workingSet(Files.readString(root.resolve("proc/meminfo")));
      Path cgroupCpu = root.resolve("sys/fs/cgroup/cpu.stat");
      long cpu = Files.isReadable(cgroupCpu) ? cgroupUsageNanos(Files.readString(cgroupCpu)) : -1;
      if (cpu < 0) cpu = procStatNanos(Files.readString(root.resolve("proc/stat")));
      return new Sample(cpu, mem);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** MemTotal - MemFree - Inactive(file), in bytes (cAdvisor's working set of the root cgroup). */
  static long workingSet(String meminfo) {
    long total = value(meminfo, "MemTotal:");
    long free = value(meminfo, "MemFree:");
    long inactiveFile = value(meminfo, "Inactive(file):");
    if (total < 0 || free < 0 || inactiveFile < 0) {
      throw new IllegalArgumentException("meminfo without MemTotal, MemFree or Inactive(file)");
    }
    return Math.max(0, total - free - inactiveFile) * 1024;
  }

  /** usage_usec of a cgroup v2 cpu.stat in nanoseconds; -1 when absent. */
  static long cgroupUsageNanos(String cpuStat) {
    long usec = value(cpuStat, "usage_usec");
    return usec < 0 ? -1 : usec * 1000;
  }

  /** Busy time of all CPUs from /proc/stat's first line: everything but idle and iowait. */
  static long procStatNanos(String stat) {
    String[] f = stat.substring(0, stat.indexOf('\n')).trim().split("\\s+");
    long busy = 0;
    // cpu user nice system idle iowait irq softirq steal (guest time is already in user)
    for (int i = 1; i < f.length && i <= 8; i++) {
      if (i != 4 && i != 5) busy += Long.parseLong(f[i]);
    }
    return busy * NANOS_PER_TICK;
  }

  /** The number after {@code key} at the start of a line ("MemTotal:  123 kB", "usage_usec 42"); -1 when absent. */
  private static long value(String text, String key) {
    for (String line : text.split("\n")) {
      if (line.startsWith(key) && line.length() > key.length() && Character.isWhitespace(line.charAt(key.length()))) {
        return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
      }
    }
    return -1;
  }
}
