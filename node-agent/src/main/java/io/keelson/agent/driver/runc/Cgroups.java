package io.keelson.agent.driver.runc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where runc puts a container's cgroup and how to read it back, for both layouts: cgroup v2
 * (unified, {@code /sys/fs/cgroup/cgroup.controllers} exists) and v1/hybrid (one hierarchy per
 * controller, e.g. {@code /sys/fs/cgroup/memory}) — this kernel is hybrid, where runc works and crun
 * does not. {@code cgroupsPath} is runc's absolute cgroupfs path such as {@code /keelson/SANDBOX/TASK}.
 */
public final class Cgroups {

  private static final List<String> V1_CONTROLLERS = List.of("memory", "cpu", "cpuacct", "pids", "cpuset", "devices", "freezer", "blkio");
  private final Path root;
  private final boolean unified;

  public Cgroups(Path root) {
    this.root = root;
    this.unified = Files.exists(root.resolve("cgroup.controllers"));
  }

  public static Cgroups host() {
    return new Cgroups(Path.of("/sys/fs/cgroup"));
  }

  public boolean unified() {
    return unified;
  }

  /** Why runc cannot place containers in cgroups here, or null. */
  public String missing() {
    if (unified) {
      return null;
    }
    return Files.isDirectory(root.resolve("memory")) ? null : "no cgroup memory controller under " + root;
  }

  /** The directory of {@code cgroupsPath} for {@code controller} (ignored on v2). */
  public Path dir(String controller, String cgroupsPath) {
    String rel = cgroupsPath.startsWith("/") ? cgroupsPath.substring(1) : cgroupsPath;
    return unified ? root.resolve(rel) : root.resolve(controller).resolve(rel);
  }

  /** Files whose "oom_kill N" line tells whether the memory limit killed something. */
  public List<Path> oomFiles(String cgroupsPath) {
    return List.of(unified ? dir("memory", cgroupsPath).resolve("memory.events") : dir("memory", cgroupsPath).resolve("memory.oom_control"));
  }

  /** memory limit in bytes, or empty when unlimited. */
  public Optional<Long> memoryLimit(String cgroupsPath) throws IOException {
    String v = read(dir("memory", cgroupsPath).resolve(unified ? "memory.max" : "memory.limit_in_bytes"));
    if (v.equals("max")) {
      return Optional.empty();
    }
    long l = Long.parseLong(v);
    return l >= Long.MAX_VALUE / 2 ? Optional.empty() : Optional.of(l);
  }

  /** cpu quota and period in microseconds, or empty when unlimited. */
  public Optional<long[]> cpuQuota(String cgroupsPath) throws IOException {
    if (unified) {
      String[] v = read(dir("cpu", cgroupsPath).resolve("cpu.max")).split(" ");
      return v[0].equals("max") ? Optional.empty() : Optional.of(new long[] {Long.parseLong(v[0]), Long.parseLong(v[1])});
    }
    long quota = Long.parseLong(read(dir("cpu", cgroupsPath).resolve("cpu.cfs_quota_us")));
    long period = Long.parseLong(read(dir("cpu", cgroupsPath).resolve("cpu.cfs_period_us")));
    return quota < 0 ? Optional.empty() : Optional.of(new long[] {quota, period});
  }

  /** pids limit, or empty when unlimited. */
  public Optional<Long> pidsLimit(String cgroupsPath) throws IOException {
    String v = read(dir("pids", cgroupsPath).resolve("pids.max"));
    return v.equals("max") ? Optional.empty() : Optional.of(Long.parseLong(v));
  }

  /** Cumulative cpu time in nanoseconds. */
  public long cpuUsageNanos(String cgroupsPath) throws IOException {
    if (unified) {
      return statValue(dir("cpu", cgroupsPath).resolve("cpu.stat"), "usage_usec") * 1000;
    }
    return Long.parseLong(read(dir("cpuacct", cgroupsPath).resolve("cpuacct.usage")));
  }

  /** Memory usage minus inactive file cache (the kubelet's working set). */
  public long memoryWorkingSet(String cgroupsPath) throws IOException {
    Path d = dir("memory", cgroupsPath);
    long usage = Long.parseLong(read(d.resolve(unified ? "memory.current" : "memory.usage_in_bytes")));
    long inactive = statValue(d.resolve("memory.stat"), unified ? "inactive_file" : "total_inactive_file");
    return Math.max(0, usage - inactive);
  }

  /** Removes the (empty) cgroup directories of {@code cgroupsPath}; idempotent, best effort. */
  public void remove(String cgroupsPath) {
    List<Path> dirs = new ArrayList<>();
    if (unified) {
      dirs.add(dir("", cgroupsPath));
    } else {
      for (String c : V1_CONTROLLERS) {
        dirs.add(dir(c, cgroupsPath));
      }
      dirs.add(root.resolve("systemd").resolve(cgroupsPath.substring(1)));
      dirs.add(root.resolve("unified").resolve(cgroupsPath.substring(1)));
    }
    for (Path d : dirs) {
      removeTree(d);
    }
  }

  private static void removeTree(Path d) {
    if (!Files.isDirectory(d)) {
      return;
    }
    try (var children = Files.list(d)) {
      for (Path c : children.toList()) {
        if (Files.isDirectory(c)) {
          removeTree(c);
        }
      }
    } catch (IOException ignored) {
      // fall through to rmdir
    }
    try {
      Files.deleteIfExists(d); // rmdir; cgroup files vanish with it
    } catch (IOException ignored) {
      // still has processes: leave it
    }
  }

  private static String read(Path p) throws IOException {
    return Files.readString(p).trim();
  }

  private static long statValue(Path file, String key) throws IOException {
    for (String line : Files.readAllLines(file)) {
      if (line.startsWith(key + " ")) {
        return Long.parseLong(line.substring(key.length() + 1).trim());
      }
    }
    return 0;
  }
}
