package io.keelson.agent.logs;

import io.keelson.agent.driver.AttachSession;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/**
 * {@code kubectl attach} to a container started without stdin and tty: there is nothing to type
 * into, but Kubernetes still streams the main process's output from the moment of attaching
 * ("kubectl attach mypod" — get output from a running pod). The output is already in the
 * container's log file, so this session follows that file from its current end, keeping stdout
 * and stderr apart (the CRI format tags each line), until the container stops. Works the same for
 * every driver, which is why it lives here and not in a driver.
 */
public final class LogAttachSession implements AttachSession {
  private static final long POLL_MILLIS = 100;

  private final Path file;
  private final boolean cri;
  private final BooleanSupplier running;
  private long position;
  private volatile boolean closed;

  /** Starts at the file's current end: only output written after attaching is sent. */
  public LogAttachSession(Path file, boolean criFormat, BooleanSupplier running) throws IOException {
    this.file = file;
    this.cri = criFormat;
    this.running = running;
    this.position = file != null && Files.exists(file) ? completeLinesEnd(file) : 0;
  }

  @Override
  public Output read() throws IOException {
    while (!closed) {
      boolean alive = running.getAsBoolean();
      long size = file != null && Files.exists(file) ? Files.size(file) : 0;
      if (size < position) {
        position = 0; // the file was replaced (container restarted): follow the new one
      }
      if (size > position) {
        byte[] chunk = ContainerLogReader.readChunk(file, position, size);
        int end = ContainerLogReader.lastNewline(chunk, true) + 1;
        if (end == 0 && !alive) {
          end = chunk.length; // the process is gone: its last line will not be completed
        }
        if (end > 0) {
          position += end;
          Output out = decode(new String(chunk, 0, end, StandardCharsets.UTF_8));
          if (out != null) {
            return out;
          }
          continue;
        }
      }
      if (!alive) {
        return null;
      }
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return null;
  }

  /**
   * The text of complete lines, as the process wrote them. Lines of one stream are sent together;
   * a switch of stream ends the chunk (the rest is re-read next time).
   */
  private Output decode(String lines) {
    if (!cri) {
      return new Output(false, lines.getBytes(StandardCharsets.UTF_8));
    }
    StringBuilder text = new StringBuilder();
    Boolean stderr = null;
    int start = 0;
    int consumed = 0;
    while (start < lines.length()) {
      int nl = lines.indexOf('\n', start);
      int lineEnd = nl < 0 ? lines.length() : nl;
      String[] parts = lines.substring(start, lineEnd).split(" ", 4);
      boolean isErr = parts.length >= 2 && parts[1].equals("stderr");
      if (stderr != null && stderr != isErr) {
        break;
      }
      stderr = isErr;
      if (parts.length >= 3) {
        text.append(parts.length == 4 ? parts[3] : "");
        if (!parts[2].equals("P")) {
          text.append('\n');
        }
      } else {
        text.append(lines, start, lineEnd).append('\n');
      }
      start = nl < 0 ? lines.length() : nl + 1;
      consumed = start;
    }
    // give back what belongs to the other stream: it is decoded on the next read
    position -= lines.substring(consumed).getBytes(StandardCharsets.UTF_8).length;
    return stderr == null || text.isEmpty() ? null
        : new Output(stderr, text.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static long completeLinesEnd(Path file) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long size = raf.length();
      // a line being written at this moment is sent whole, from its start
      long from = Math.max(0, size - 64 * 1024);
      byte[] tail = new byte[(int) (size - from)];
      raf.seek(from);
      raf.readFully(tail);
      int nl = ContainerLogReader.lastNewline(tail, true);
      return nl < 0 ? from : from + nl + 1;
    }
  }

  @Override
  public void write(byte[] stdin) {
    // no stdin: dropped, as the runtime does for a container without stdin
  }

  /** The client's stdin ended (kubectl attach -i with a pipe): the session ends, as the runtimes' attach does. */
  @Override
  public void closeStdin() {
    close();
  }

  @Override
  public void resize(int width, int height) {
    // no terminal
  }

  @Override
  public void close() {
    closed = true;
  }
}
