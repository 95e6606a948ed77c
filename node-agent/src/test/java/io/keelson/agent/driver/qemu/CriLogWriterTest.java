package io.keelson.agent.driver.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CriLogWriterTest {

  @TempDir Path dir;

  @Test
  void linesAreTimestampedPerStreamAndLongOnesArePartial() throws Exception {
    Path log = dir.resolve("c/0.log");
    try (CriLogWriter w = new CriLogWriter(log)) {
      w.write(false, "hel".getBytes(StandardCharsets.UTF_8));
      w.write(true, "err\n".getBytes(StandardCharsets.UTF_8));
      w.write(false, "lo\nsecond".getBytes(StandardCharsets.UTF_8));
      w.write(false, ("y".repeat(CriLogWriter.MAX_LINE) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    List<String> lines = Files.readAllLines(log);
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z stderr F err");
    assertThat(lines.get(1)).endsWith(" stdout F hello");
    assertThat(lines.get(2)).endsWith(" stdout P second" + "y".repeat(CriLogWriter.MAX_LINE - 6));
    assertThat(lines.get(3)).endsWith(" stdout F yyyyyy");
  }
}
