package io.keelson.agent.driver.qemu;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Writes a task's output in the CRI log format the runc driver and kubelet use, one line per
 * output line: {@code 2026-01-01T00:00:00.123456789Z stdout F text}. A line longer than 16 KiB is
 * cut into {@code P} (partial) records; an unterminated last line is written as {@code F} on close.
 * Appends, so a recovered task continues the same file.
 */
final class CriLogWriter implements AutoCloseable {

  static final int MAX_LINE = 16 * 1024;
  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'").withZone(ZoneOffset.UTC);

  private final OutputStream out;
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

  CriLogWriter(Path path) throws IOException {
    Files.createDirectories(path.toAbsolutePath().getParent());
    this.out = Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  synchronized void write(boolean isStderr, byte[] data) throws IOException {
    ByteArrayOutputStream pending = isStderr ? stderr : stdout;
    String stream = isStderr ? "stderr" : "stdout";
    for (byte b : data) {
      if (b == '\n') {
        record(stream, "F", pending);
      } else {
        pending.write(b);
        if (pending.size() >= MAX_LINE) {
          record(stream, "P", pending);
        }
      }
    }
    out.flush();
  }

  private void record(String stream, String tag, ByteArrayOutputStream line) throws IOException {
    out.write((TS.format(Instant.now()) + " " + stream + " " + tag + " ").getBytes(StandardCharsets.UTF_8));
    line.writeTo(out);
    out.write('\n');
    line.reset();
  }

  /**
   * Writes unterminated lines as partial records now, for output that may wait long for its newline
   * (a console's prompt); readers join P records with the line that follows.
   */
  synchronized void flushAsPartial() throws IOException {
    if (stdout.size() > 0) {
      record("stdout", "P", stdout);
    }
    if (stderr.size() > 0) {
      record("stderr", "P", stderr);
    }
    out.flush();
  }

  /** Writes unterminated last lines as full lines. */
  synchronized void flushPartial() throws IOException {
    if (stdout.size() > 0) {
      record("stdout", "F", stdout);
    }
    if (stderr.size() > 0) {
      record("stderr", "F", stderr);
    }
    out.flush();
  }

  @Override
  public synchronized void close() throws IOException {
    flushPartial();
    out.close();
  }
}
