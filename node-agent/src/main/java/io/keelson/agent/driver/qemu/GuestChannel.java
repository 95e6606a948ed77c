package io.keelson.agent.driver.qemu;

import io.keelson.agent.driver.qemu.GuestProtocol.Frame;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The agent's end of a VM's control port: a client of the unix socket qemu serves for the
 * virtio-serial port "keelson.0". One reader thread decodes frames and hands them to the listener;
 * writes are serialised. When the agent restarts, a new channel connects to the same socket and the
 * guest delivers what it queued meanwhile.
 */
final class GuestChannel implements AutoCloseable {

  private final SocketChannel socket;
  private final Consumer<Frame> listener;
  private final Runnable onClose;
  private final Thread reader;
  private volatile boolean closed;

  private GuestChannel(SocketChannel socket, Consumer<Frame> listener, Runnable onClose, String name) {
    this.socket = socket;
    this.listener = listener;
    this.onClose = onClose;
    this.reader = Thread.ofPlatform().daemon().name("vm-channel-" + name).unstarted(this::readLoop);
  }

  /** Connects to {@code path}, retrying while qemu has not created it yet (up to {@code wait}). */
  static GuestChannel connect(Path path, Duration wait, Consumer<Frame> listener, Runnable onClose, String name)
      throws IOException {
    long deadline = System.nanoTime() + wait.toNanos();
    IOException last = null;
    while (System.nanoTime() < deadline) {
      SocketChannel s = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        s.connect(UnixDomainSocketAddress.of(path));
        GuestChannel c = new GuestChannel(s, listener, onClose, name);
        c.reader.start();
        return c;
      } catch (IOException e) {
        s.close();
        last = e;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while connecting to " + path);
      }
    }
    throw new IOException("cannot connect to the VM control socket " + path + (last == null ? "" : ": " + last.getMessage()));
  }

  synchronized void send(int type, int stream, byte[] payload) throws IOException {
    if (closed) {
      throw new IOException("the VM control channel is closed");
    }
    ByteBuffer b = ByteBuffer.wrap(GuestProtocol.encode(type, stream, payload));
    while (b.hasRemaining()) {
      socket.write(b);
    }
  }

  boolean isOpen() {
    return !closed;
  }

  private void readLoop() {
    GuestProtocol.Decoder decoder = new GuestProtocol.Decoder();
    ByteBuffer b = ByteBuffer.allocate(65536);
    try {
      while (true) {
        b.clear();
        int n = socket.read(b);
        if (n < 0) {
          break;
        }
        decoder.feed(b.array(), 0, n);
        for (Frame f = decoder.next(); f != null; f = decoder.next()) {
          listener.accept(f);
        }
      }
    } catch (IOException | RuntimeException e) {
      // closed by us or by qemu exiting: either way the channel is done
    } finally {
      closed = true;
      try {
        socket.close();
      } catch (IOException ignored) {
        // nothing left to release
      }
      onClose.run();
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
  }
}
