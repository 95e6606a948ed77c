package io.keelson.agent.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerLogReaderTest {
  @TempDir Path dir;

  private String read(Path file, boolean cri, ContainerLogReader.Options o) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new ContainerLogReader(file, cri, o).stream(b -> {
      out.write(b);
      return true;
    }, () -> false);
    return out.toString();
  }

  private static ContainerLogReader.Options opts(long tail, long since, boolean ts, long limit) {
    return new ContainerLogReader.Options(false, tail, since, ts, limit);
  }

  @Test
  void decodesCriLinesAndJoinsPartials() throws Exception {
    Path f = dir.resolve("0.log");
    Files.writeString(f, "2026-01-01T00:00:00.000000001Z stdout F one\n"
        + "2026-01-01T00:00:01Z stderr P tw\n2026-01-01T00:00:01Z stderr F o\n2026-01-01T00:00:02Z stdout F three\n");
    assertThat(read(f, true, opts(-1, 0, false, 0))).isEqualTo("one\ntwo\nthree\n");
    assertThat(read(f, true, opts(1, 0, false, 0))).isEqualTo("three\n");
    assertThat(read(f, true, opts(-1, 0, true, 0))).startsWith("2026-01-01T00:00:00.000000001Z one\n");
    assertThat(read(f, true, opts(-1, 0, false, 5))).isEqualTo("one\nt");
  }

  @Test
  void sinceSecondsDropsOlderLines() throws Exception {
    Path f = dir.resolve("0.log");
    Files.writeString(f, "2020-01-01T00:00:00Z stdout F old\n" + Instant.now() + " stdout F new\n");
    assertThat(read(f, true, opts(-1, 60, false, 0))).isEqualTo("new\n");
  }

  @Test
  void rawFilesAreServedAsTheyAre() throws Exception {
    Path f = dir.resolve("raw.log");
    Files.writeString(f, "a\nb\nc\n");
    assertThat(read(f, false, opts(2, 0, false, 0))).isEqualTo("b\nc\n");
  }

  @Test
  void followStreamsNewLinesUntilTheContainerStops() throws Exception {
    Path f = dir.resolve("0.log");
    Files.writeString(f, Instant.now() + " stdout F first\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    boolean[] running = {true};
    Thread writer = Thread.ofVirtual().start(() -> {
      try {
        Thread.sleep(300);
        Files.writeString(f, Instant.now() + " stdout F second\n", java.nio.file.StandardOpenOption.APPEND);
        Thread.sleep(300);
        running[0] = false;
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    new ContainerLogReader(f, true, new ContainerLogReader.Options(true, -1, 0, false, 0)).stream(b -> {
      out.write(b);
      return true;
    }, () -> running[0]);
    writer.join();
    assertThat(out.toString()).isEqualTo("first\nsecond\n");
  }
}
