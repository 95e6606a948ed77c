package io.keelson.apiserver.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Size rotation as lumberjack does it for kube's audit log: timestamped backups, the newest kept. */
class RotatingFileTest {

  @TempDir Path dir;

  /** A clock a second later at each reading: every rotation gets its own name. */
  static Clock ticking() {
    return new Clock() {
      Instant t = Instant.parse("2026-11-28T10:00:00Z");

      @Override
      public Instant instant() {
        t = t.plusSeconds(1);
        return t;
      }

      @Override
      public java.time.ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }
    };
  }

  @Test
  void rotatesAtTheSizeAndKeepsTheNewestBackups() throws Exception {
    Path log = dir.resolve("audit.log");
    try (RotatingFile f = new RotatingFile(log, 100, 2, Duration.ZERO, ticking())) {
      for (int i = 0; i < 5; i++) f.write(("line " + i + " " + "x".repeat(80) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    List<String> names;
    try (Stream<Path> s = Files.list(dir)) {
      names = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    assertThat(names).containsExactly("audit-2026-11-28T10-00-03.000.log", "audit-2026-11-28T10-00-04.000.log", "audit.log");
    assertThat(Files.readString(log)).startsWith("line 4 ");
    assertThat(Files.readString(dir.resolve("audit-2026-11-28T10-00-04.000.log"))).startsWith("line 3 ");
  }

  @Test
  void appendsToAnExistingLogAndLeavesOtherFilesAlone() throws Exception {
    Path log = dir.resolve("audit.log");
    Files.writeString(log, "before\n");
    Files.writeString(dir.resolve("audit-notes.log"), "mine\n");
    try (RotatingFile f = new RotatingFile(log, 1 << 20, 1, Duration.ofDays(1), ticking())) {
      f.write("after\n".getBytes(StandardCharsets.UTF_8));
    }
    assertThat(Files.readString(log)).isEqualTo("before\nafter\n");
    assertThat(dir.resolve("audit-notes.log")).exists();
  }
}
