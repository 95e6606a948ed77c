package io.keelson.agent.driver.qemu;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A minimal client of qemu's machine protocol (QMP) on the VM's unix socket: what saving and
 * restoring a VM template needs (migration capabilities, {@code migrate}, {@code migrate-incoming},
 * status queries). One command at a time; events are skipped.
 */
final class Qmp implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final SocketChannel channel;
  private final BufferedReader in;

  private Qmp(SocketChannel channel) {
    this.channel = channel;
    this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
  }

  /** Connects (retrying until {@code wait} passes: qemu creates the socket while it starts) and negotiates. */
  static Qmp connect(Path socket, Duration wait) throws IOException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        ch.connect(UnixDomainSocketAddress.of(socket));
        Qmp q = new Qmp(ch);
        q.readLine(Duration.ofSeconds(30)); // greeting
        q.execute("qmp_capabilities", null, Duration.ofSeconds(30));
        return q;
      } catch (IOException e) {
        ch.close();
        if (System.nanoTime() > deadline) {
          throw new IOException("QMP " + socket + ": " + e.getMessage(), e);
        }
        try {
          Thread.sleep(10);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", ie);
        }
      }
    }
  }

  /** Runs {@code command}; returns its {@code return} value or throws with qemu's error description. */
  JsonNode execute(String command, ObjectNode arguments, Duration timeout) throws IOException {
    ObjectNode req = JSON.createObjectNode().put("execute", command);
    if (arguments != null) {
      req.set("arguments", arguments);
    }
    channel.write(ByteBuffer.wrap((req + "\n").getBytes(StandardCharsets.UTF_8)));
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      JsonNode r = JSON.readTree(readLine(Duration.ofNanos(Math.max(1, deadline - System.nanoTime()))));
      if (r.has("event")) {
        continue;
      }
      if (r.has("error")) {
        throw new IOException(command + ": " + r.path("error").path("desc").asString());
      }
      return r.path("return");
    }
  }

  /** Sets migration capabilities (e.g. {@code x-ignore-shared}) on. */
  void enableCapabilities(String... names) throws IOException {
    ObjectNode args = JSON.createObjectNode();
    var caps = args.putArray("capabilities");
    for (String n : names) {
      caps.addObject().put("capability", n).put("state", true);
    }
    execute("migrate-set-capabilities", args, Duration.ofSeconds(10));
  }

  static ObjectNode args() {
    return JSON.createObjectNode();
  }

  private String readLine(Duration timeout) throws IOException {
    // The channel is blocking and has no read timeout: read on a virtual thread, close on timeout.
    CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
      try {
        return in.readLine();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, r -> Thread.ofVirtual().start(r));
    try {
      String s = line.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (s == null) {
        throw new IOException("QMP connection closed (qemu exited?)");
      }
      return s;
    } catch (TimeoutException e) {
      close();
      throw new IOException("no QMP answer within " + timeout.toMillis() + " ms");
    } catch (ExecutionException e) {
      throw new IOException(e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new IOException("interrupted", e);
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
