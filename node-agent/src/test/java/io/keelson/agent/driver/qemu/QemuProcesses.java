package io.keelson.agent.driver.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The qemu processes a test started, found by a path on their command line (for "no qemu left" checks). */
final class QemuProcesses {
  private QemuProcesses() {}

  /** qemu processes whose command line names a file under {@code under}. */
  static List<Long> under(Path under) throws IOException {
    List<Long> pids = new ArrayList<>();
    try (var s = Files.list(Path.of("/proc"))) {
      for (Path p : s.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
          if (cmd.contains("qemu-system") && cmd.contains(under.toString())) {
            pids.add(Long.parseLong(p.getFileName().toString()));
          }
        } catch (IOException e) {
          // gone
        }
      }
    }
    return pids;
  }
}
