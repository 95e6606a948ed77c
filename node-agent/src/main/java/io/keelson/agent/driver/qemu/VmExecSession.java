package io.keelson.agent.driver.qemu;

import io.keelson.agent.driver.ExecSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A command running in a VM through the guest agent: stdin becomes STDIN frames, STDOUT/STDERR
 * frames feed the two input streams, the EXIT frame completes {@link #exit()}.
 */
final class VmExecSession implements ExecSession {

  private final GuestChannel channel;
  private final int stream;
  private final Runnable onClose;
  private final FrameInputStream stdout = new FrameInputStream();
  private final FrameInputStream stderr = new FrameInputStream();
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();
  private final OutputStream stdin;

  VmExecSession(GuestChannel channel, int stream, Runnable onClose) {
    this.channel = channel;
    this.stream = stream;
    this.onClose = onClose;
    this.stdin = new OutputStream() {
      private boolean closed;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (closed) {
          throw new IOException("stdin closed");
        }
        for (int i = 0; i < len; i += 32768) {
          channel.send(GuestProtocol.STDIN, stream, Arrays.copyOfRange(b, off + i, off + Math.min(len, i + 32768)));
        }
      }

      @Override
      public void close() throws IOException {
        if (!closed) {
          closed = true;
          if (!exit.isDone()) {
            channel.send(GuestProtocol.STDIN_EOF, stream, new byte[0]);
          }
        }
      }
    };
  }

  void onOutput(boolean isStderr, byte[] data) {
    (isStderr ? stderr : stdout).add(data);
  }

  void onExit(int code) {
    stdout.end();
    stderr.end();
    exit.complete(code);
    onClose.run();
  }

  /** The VM went away under the session. */
  void onLost() {
    stdout.end();
    stderr.end();
    exit.completeExceptionally(new IOException("the VM is gone"));
    onClose.run();
  }

  @Override
  public OutputStream stdin() {
    return stdin;
  }

  @Override
  public InputStream stdout() {
    return stdout;
  }

  @Override
  public InputStream stderr() {
    return stderr;
  }

  @Override
  public void resize(int width, int height) {
    try {
      channel.send(GuestProtocol.RESIZE, stream, GuestProtocol.kv(Map.of("cols", width, "rows", height)));
    } catch (IOException ignored) {
      // the session is ending anyway
    }
  }

  @Override
  public CompletableFuture<Integer> exit() {
    return exit;
  }

  @Override
  public void close() {
    if (!exit.isDone()) {
      try {
        channel.send(GuestProtocol.SIGNAL, stream, GuestProtocol.kv(Map.of("sig", 9)));
      } catch (IOException ignored) {
        // the VM is gone: nothing to kill
      }
    }
  }

  /** Bytes from frames, in order; ends after {@link #end()}. */
  private static final class FrameInputStream extends InputStream {
    private static final byte[] EOF = new byte[0];
    private final BlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
    private byte[] current;
    private int pos;
    private boolean ended;

    void add(byte[] data) {
      if (data.length > 0) {
        chunks.add(data);
      }
    }

    void end() {
      chunks.add(EOF);
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (current == null || pos == current.length) {
        if (ended) {
          return -1;
        }
        try {
          current = chunks.take();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted");
        }
        pos = 0;
        if (current == EOF) {
          ended = true;
          chunks.add(EOF);
          return -1;
        }
      }
      int n = Math.min(len, current.length - pos);
      System.arraycopy(current, pos, b, off, n);
      pos += n;
      return n;
    }

    @Override
    public int available() {
      return current == null ? 0 : current.length - pos;
    }
  }
}
