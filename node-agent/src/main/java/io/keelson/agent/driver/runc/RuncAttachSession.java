package io.keelson.agent.driver.runc;

import io.keelson.agent.driver.AttachSession;
import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.TaskConfig;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * An attach session to a runc container's main process: a connection to the attach socket that the
 * container's monitor ({@code keelson-monitor --attach}) serves for containers with stdin or a tty.
 * The monitor holds the process's stdin (a pipe, or the pty master) and copies its output to the
 * log and to every attached session. Frames both ways are {@code [type u8][length u32 BE][payload]}
 * (see keelson-monitor.c).
 */
final class RuncAttachSession implements AttachSession {
  /** sun_path holds 108 bytes; the console socket adds "-console". */
  private static final int MAX_SOCKET_PATH = 90;
  private static final Path SHORT_SOCKET_DIR = Path.of("/run/keelson/attach");
  private static final int STDIN = 0;
  private static final int STDIN_EOF = 1;
  private static final int RESIZE = 2;
  private static final int FORWARDS_STDIN = 3;

  private final SocketChannel channel;
  private final ByteBuffer head = ByteBuffer.allocate(5);
  private final boolean stdin;
  private volatile boolean closed;

  private RuncAttachSession(SocketChannel channel, boolean stdin) {
    this.channel = channel;
    this.stdin = stdin;
  }

  /**
   * Where the monitor of the container in {@code bundle} serves attach sessions: in the bundle, or
   * (when that path is too long for a unix socket) under /run/keelson/attach by a hash of the
   * bundle path. A function of the bundle alone, so that a restarted agent finds it again.
   */
  static Path socketPath(Path bundle) {
    Path p = bundle.resolve("attach.sock");
    if (p.toString().getBytes(StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH) {
      return p;
    }
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(bundle.toString().getBytes(StandardCharsets.UTF_8));
      return SHORT_SOCKET_DIR.resolve(HexFormat.of().formatHex(h, 0, 16) + ".sock");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The monitor's options for a container with stdin or a tty (none otherwise); creates the socket's directory. */
  static List<String> monitorOptions(TaskConfig config, Path bundle) throws IOException {
    List<String> opts = new ArrayList<>();
    if (!config.stdin() && !config.tty()) {
      return opts;
    }
    Path socket = socketPath(bundle);
    Files.createDirectories(socket.getParent());
    if (config.stdin()) {
      opts.add("--stdin");
      if (config.stdinOnce()) {
        opts.add("--stdin-once");
      }
    }
    if (config.tty()) {
      opts.add("--tty");
    }
    opts.addAll(List.of("--attach", socket.toString()));
    return opts;
  }

  /** Removes a socket left outside the bundle (the monitor removes it when the container exits). */
  static void removeSocket(Path bundle) {
    Path socket = socketPath(bundle);
    try {
      Files.deleteIfExists(socket);
      Files.deleteIfExists(socket.resolveSibling(socket.getFileName() + "-console"));
    } catch (IOException e) {
      // best effort: a stale socket is replaced by the next monitor at that path
    }
  }

  static RuncAttachSession connect(String taskId, Path bundle, boolean stdin) throws DriverException {
    Path socket = socketPath(bundle);
    if (!Files.exists(socket)) {
      throw new DriverException("AttachError", "it was created without stdin and tty, so there is no input or terminal"
          + " to attach to (set stdin: true or tty: true in the container spec; kubectl logs -f shows its output)", null);
    }
    SocketChannel ch = null;
    try {
      ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      ch.connect(UnixDomainSocketAddress.of(socket));
      RuncAttachSession s = new RuncAttachSession(ch, stdin);
      if (stdin) {
        s.send(FORWARDS_STDIN, new byte[0]);
      }
      return s;
    } catch (IOException e) {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
      throw new DriverException("AttachError", "attach to " + taskId + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Output read() throws IOException {
    if (closed) {
      return null;
    }
    try {
      head.clear();
      if (!fill(head)) {
        return null;
      }
      head.flip();
      int type = head.get() & 0xff;
      int len = head.getInt();
      if (len < 0 || len > (1 << 20)) {
        throw new IOException("bad attach frame length " + len);
      }
      ByteBuffer data = ByteBuffer.allocate(len);
      if (!fill(data)) {
        throw new EOFException("attach socket closed inside a frame");
      }
      return new Output(type == 2, data.array());
    } catch (IOException e) {
      if (closed) {
        return null;
      }
      throw e;
    }
  }

  /** Reads until {@code b} is full; false on EOF before any byte. */
  private boolean fill(ByteBuffer b) throws IOException {
    boolean any = false;
    while (b.hasRemaining()) {
      if (channel.read(b) < 0) {
        if (any) {
          throw new EOFException("attach socket closed inside a frame");
        }
        return false;
      }
      any = true;
    }
    return true;
  }

  @Override
  public void write(byte[] data) throws IOException {
    if (stdin && data.length > 0) {
      for (int off = 0; off < data.length; off += 32768) {
        int n = Math.min(32768, data.length - off);
        byte[] part = new byte[n];
        System.arraycopy(data, off, part, 0, n);
        send(STDIN, part);
      }
    }
  }

  @Override
  public void closeStdin() throws IOException {
    if (stdin) {
      send(STDIN_EOF, new byte[0]);
    }
  }

  @Override
  public void resize(int width, int height) throws IOException {
    if (width > 0 && height > 0) {
      send(RESIZE, new byte[] {(byte) (width >> 8), (byte) width, (byte) (height >> 8), (byte) height});
    }
  }

  private void send(int type, byte[] payload) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(5 + payload.length);
    b.put((byte) type).putInt(payload.length).put(payload).flip();
    synchronized (this) {
      while (b.hasRemaining()) {
        channel.write(b);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      channel.close();
    } catch (IOException e) {
      // closed anyway
    }
  }
}
