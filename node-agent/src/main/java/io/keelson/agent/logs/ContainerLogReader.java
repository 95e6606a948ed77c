package io.keelson.agent.logs;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Serves a container log file the way {@code kubectl logs} expects: --tail, --since, --timestamps,
 * --limit-bytes and -f. Files in the CRI log format ({@code <RFC3339Nano> <stream> <P|F> <text>})
 * are decoded to their text (P = partial line, joined with the next); raw files are served as
 * they are (timestamps and --since then use nothing better than the file time).
 */
public final class ContainerLogReader {

  /** Receives chunks of output; returns false to stop (client gone). */
  public interface Sink {
    boolean write(byte[] data) throws IOException;
  }

  public record Options(boolean follow, long tailLines, long sinceSeconds, boolean timestamps, long limitBytes) {}

  private final Path file;
  private final boolean cri;
  private final Options options;
  private long written;

  public ContainerLogReader(Path file, boolean criFormat, Options options) {
    this.file = file;
    this.cri = criFormat;
    this.options = options;
  }

  /**
   * Writes the selected part of the log; with follow, keeps writing new lines until {@code
   * stillRunning} turns false (and the file is drained) or the sink refuses.
   */
  public void stream(Sink sink, BooleanSupplier stillRunning) throws IOException, InterruptedException {
    long position = 0;
    if (Files.exists(file)) {
      byte[] all = Files.readAllBytes(file);
      int end = lastNewline(all, cri) + 1; // only complete lines; the rest is read when complete
      List<String> lines = split(new String(all, 0, end, StandardCharsets.UTF_8));
      position = end;
      Instant since = options.sinceSeconds() > 0 ? Instant.now().minusSeconds(options.sinceSeconds()) : null;
      List<byte[]> out = new ArrayList<>();
      for (String line : lines) {
        byte[] rendered = render(line, since);
        if (rendered != null) {
          out.add(rendered);
        }
      }
      int from = options.tailLines() >= 0 ? (int) Math.max(0, out.size() - options.tailLines()) : 0;
      for (int i = from; i < out.size(); i++) {
        if (!emit(sink, out.get(i))) {
          return;
        }
      }
    }
    if (!options.follow()) {
      return;
    }
    while (true) {
      boolean running = stillRunning.getAsBoolean();
      long size = Files.exists(file) ? Files.size(file) : 0;
      if (size > position) {
        byte[] chunk = readChunk(file, position, size);
        int end = lastNewline(chunk, true) + 1;
        if (end == 0 && !running) {
          end = chunk.length;
        }
        position += end;
        for (String line : split(new String(chunk, 0, end, StandardCharsets.UTF_8))) {
          byte[] rendered = render(line, null);
          if (rendered != null && !emit(sink, rendered)) {
            return;
          }
        }
        continue;
      }
      if (!running) {
        return;
      }
      Thread.sleep(100);
    }
  }

  private boolean emit(ContainerLogReader.Sink sink, byte[] data) throws IOException {
    if (options.limitBytes() > 0) {
      long left = options.limitBytes() - written;
      if (left <= 0) {
        return false;
      }
      if (data.length > left) {
        data = java.util.Arrays.copyOf(data, (int) left);
      }
    }
    written += data.length;
    return sink.write(data);
  }

  /** What a followed log gained since {@code position} (up to 1 MiB; the rest is read next time). */
  static byte[] readChunk(Path file, long position, long size) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      raf.seek(position);
      byte[] chunk = new byte[(int) Math.min(size - position, 1 << 20)];
      raf.readFully(chunk);
      return chunk;
    }
  }

  /** Index of the last newline; with {@code required} -1 when there is none, else the last byte's. */
  static int lastNewline(byte[] b, boolean required) {
    for (int i = b.length - 1; i >= 0; i--) {
      if (b[i] == '\n') {
        return i;
      }
    }
    return required ? -1 : b.length - 1;
  }

  private static List<String> split(String s) {
    List<String> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == '\n') {
        lines.add(s.substring(start, i));
        start = i + 1;
      }
    }
    if (start < s.length()) {
      lines.add(s.substring(start));
    }
    return lines;
  }

  /** One stored line to the bytes kubectl sees, or null when filtered out by --since. */
  private byte[] render(String line, Instant since) {
    if (!cri) {
      String prefix = options.timestamps() ? Instant.now().toString() + " " : "";
      return (prefix + line + "\n").getBytes(StandardCharsets.UTF_8);
    }
    String[] parts = line.split(" ", 4);
    if (parts.length < 3) {
      return (line + "\n").getBytes(StandardCharsets.UTF_8);
    }
    String text = parts.length == 4 ? parts[3] : "";
    if (since != null) {
      try {
        if (Instant.parse(parts[0]).isBefore(since)) {
          return null;
        }
      } catch (RuntimeException e) {
        // unparsable timestamp: keep the line
      }
    }
    boolean partial = parts[2].equals("P");
    String rendered = (options.timestamps() ? parts[0] + " " : "") + text + (partial ? "" : "\n");
    return rendered.getBytes(StandardCharsets.UTF_8);
  }
}
