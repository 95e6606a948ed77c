package io.keelson.agent.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What this host has (cpu, memory, disk) and runs (kernel, OS), read from /proc and /etc the way
 * the kubelet's cAdvisor does, with safe fallbacks for unusual hosts.
 */
public record NodeResources(
    int cpus,
    long memoryBytes,
    long ephemeralStorageBytes,
    String kernelVersion,
    String osImage,
    String architecture,
    String machineId,
    String bootId) {

  public static NodeResources detect(Path stateDir) {
    long mem = 0;
    try {
      Matcher m =
          Pattern.compile("MemTotal:\\s+(\\d+) kB").matcher(Files.readString(Path.of("/proc/meminfo")));
      if (m.find()) {
        mem = Long.parseLong(m.group(1)) * 1024;
      }
    } catch (IOException | RuntimeException e) {
      mem = Runtime.getRuntime().maxMemory();
    }
    long disk;
    try {
      Files.createDirectories(stateDir);
      disk = Files.getFileStore(stateDir).getTotalSpace();
    } catch (IOException e) {
      disk = 0;
    }
    String osImage = "Linux";
    try {
      Matcher m =
          Pattern.compile("(?m)^PRETTY_NAME=\"?([^\"\\n]*)\"?$")
              .matcher(Files.readString(Path.of("/etc/os-release")));
      if (m.find()) {
        osImage = m.group(1);
      }
    } catch (IOException e) {
      // keep "Linux"
    }
    return new NodeResources(
        Runtime.getRuntime().availableProcessors(),
        mem,
        disk,
        read("/proc/sys/kernel/osrelease", System.getProperty("os.version")),
        osImage,
        goArch(System.getProperty("os.arch")),
        read("/etc/machine-id", ""),
        read("/proc/sys/kernel/random/boot_id", ""));
  }

  private static String read(String path, String fallback) {
    try {
      return Files.readString(Path.of(path)).trim();
    } catch (IOException e) {
      return fallback;
    }
  }

  /** Kubernetes uses Go's GOARCH names (amd64, arm64), Java says x86_64/aarch64. */
  static String goArch(String javaArch) {
    return switch (javaArch) {
      case "x86_64", "amd64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default -> javaArch;
    };
  }
}
