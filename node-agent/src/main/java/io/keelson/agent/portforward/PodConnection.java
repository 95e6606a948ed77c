package io.keelson.agent.portforward;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One TCP connection to a port of a pod, for kubectl port-forward. A container pod is dialed the
 * way the kubelet's runtime does it, from inside the pod's network namespace to 127.0.0.1 (so
 * ports bound to localhost in the pod work too, and pod IPs that several clusters on one machine
 * share do not matter); a VM pod, whose namespace only relays to the guest, at its pod IP.
 */
public interface PodConnection extends AutoCloseable {
  /** Bytes from the pod; end of stream when the pod side closed (or the dial failed). */
  InputStream input();

  /** Bytes to the pod. */
  OutputStream output();

  /** The local side is done sending: the pod sees end of stream. */
  void shutdownOutput() throws IOException;

  /**
   * After {@link #input()} ended: why the connection failed (e.g. nothing listens on the port), or
   * null when it simply closed.
   */
  String failure();

  @Override
  void close();

  /** Connects to {@code port} of a pod: inside {@code netns} when given, else at {@code podIp}. */
  static PodConnection open(Path netns, String podIp, int port) throws IOException {
    if (netns != null && Files.exists(netns) && NetnsConnection.AVAILABLE) {
      return NetnsConnection.start(netns, port);
    }
    if (podIp == null || podIp.isEmpty()) {
      throw new IOException("the pod has no IP address yet");
    }
    Socket s = new Socket();
    try {
      s.connect(new InetSocketAddress(podIp, port), 5000);
    } catch (IOException e) {
      s.close();
      throw new IOException("dial tcp " + podIp + ":" + port + ": " + e.getMessage(), e);
    }
    return new SocketConnection(s);
  }

  /** A plain socket to the pod IP. */
  record SocketConnection(Socket socket) implements PodConnection {
    @Override
    public InputStream input() {
      try {
        return socket.getInputStream();
      } catch (IOException e) {
        return InputStream.nullInputStream();
      }
    }

    @Override
    public OutputStream output() {
      try {
        return socket.getOutputStream();
      } catch (IOException e) {
        return OutputStream.nullOutputStream();
      }
    }

    @Override
    public void shutdownOutput() throws IOException {
      socket.shutdownOutput();
    }

    @Override
    public String failure() {
      return null;
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  /**
   * {@code nsenter --net=NETNS busybox nc 127.0.0.1 PORT}: the relay runs in the pod's network
   * namespace, its stdin/stdout are the connection. A refused connection makes nc exit non-zero
   * with the reason on stderr.
   */
  final class NetnsConnection implements PodConnection {
    static final boolean AVAILABLE = onPath("nsenter") && onPath("busybox");
    private final Process process;

    private NetnsConnection(Process process) {
      this.process = process;
    }

    static NetnsConnection start(Path netns, int port) throws IOException {
      Process p = new ProcessBuilder(List.of("nsenter", "--net=" + netns, "--", "busybox", "nc", "127.0.0.1",
          Integer.toString(port))).start();
      return new NetnsConnection(p);
    }

    private static boolean onPath(String cmd) {
      String path = System.getenv("PATH");
      if (path == null) {
        return false;
      }
      for (String dir : path.split(":")) {
        if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, cmd))) {
          return true;
        }
      }
      return false;
    }

    @Override
    public InputStream input() {
      return process.getInputStream();
    }

    @Override
    public OutputStream output() {
      return process.getOutputStream();
    }

    @Override
    public void shutdownOutput() throws IOException {
      process.getOutputStream().close();
    }

    @Override
    public String failure() {
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          return null;
        }
        if (process.exitValue() == 0) {
          return null;
        }
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return err.isEmpty() ? "the relay in the pod's network namespace exited with " + process.exitValue() : err;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      } catch (IOException e) {
        return e.toString();
      }
    }

    @Override
    public void close() {
      process.destroy();
    }
  }
}
