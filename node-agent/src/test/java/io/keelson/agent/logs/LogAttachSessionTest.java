package io.keelson.agent.logs;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.agent.driver.AttachSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogAttachSessionTest {
  @TempDir Path dir;

  private static void append(Path f, String s) throws Exception {
    Files.writeString(f, s, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private static String text(AttachSession.Output o) {
    return new String(o.data(), StandardCharsets.UTF_8);
  }

  @Test
  void sendsOnlyOutputWrittenAfterAttachingWithStreamsApartThenEndsWhenTheContainerStops() throws Exception {
    Path f = dir.resolve("0.log");
    append(f, "2026-01-01T00:00:00Z stdout F before attach\n");
    AtomicBoolean running = new AtomicBoolean(true);
    LogAttachSession s = new LogAttachSession(f, true, running::get);

    append(f, "2026-01-01T00:00:01Z stdout P hel\n2026-01-01T00:00:01Z stdout F lo\n"
        + "2026-01-01T00:00:02Z stderr F oops\n2026-01-01T00:00:03Z stdout F bye\n");
    AttachSession.Output first = s.read();
    assertThat(first.stderr()).isFalse();
    assertThat(text(first)).isEqualTo("hello\n");
    AttachSession.Output second = s.read();
    assertThat(second.stderr()).isTrue();
    assertThat(text(second)).isEqualTo("oops\n");
    assertThat(text(s.read())).isEqualTo("bye\n");

    running.set(false);
    assertThat(s.read()).isNull();
  }

  @Test
  void aLineStillBeingWrittenWhenAttachingIsSentWholeAndRawLogsAreStdout() throws Exception {
    Path f = dir.resolve("raw.log");
    append(f, "old\nhalf a li");
    AtomicBoolean running = new AtomicBoolean(true);
    LogAttachSession s = new LogAttachSession(f, false, running::get);
    append(f, "ne\n");
    AttachSession.Output o = s.read();
    assertThat(o.stderr()).isFalse();
    assertThat(text(o)).isEqualTo("half a line\n");
  }

  @Test
  void theEndOfTheClientsStdinEndsTheSession() throws Exception {
    LogAttachSession s = new LogAttachSession(dir.resolve("0.log"), true, () -> true);
    s.write("ignored\n".getBytes(StandardCharsets.UTF_8));
    s.closeStdin();
    assertThat(s.read()).isNull();
  }

  @Test
  void closingDetachesAReaderWaitingForOutput() throws Exception {
    Path f = dir.resolve("0.log");
    LogAttachSession s = new LogAttachSession(f, true, () -> true);
    Thread closer = Thread.ofVirtual().start(() -> {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      }
      s.close();
    });
    assertThat(s.read()).isNull();
    closer.join();
  }
}
