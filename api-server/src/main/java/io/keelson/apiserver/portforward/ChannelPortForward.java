package io.keelson.apiserver.portforward;

import io.keelson.apiserver.streaming.PodAgents;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Port-forward over a WebSocket with the channel protocol ({@code v4.channel.k8s.io}), as the
 * kubelet serves it to the Java clients (fabric8's and client-java's {@code portForward}) and
 * kubectl before 1.30's SPDY: one connection per requested port ({@code ?ports=8080}), each message
 * prefixed with its channel byte — port i's data on channel 2i, its errors on 2i+1. The server
 * first writes each port number (2 bytes, little-endian) on both channels of the port; a failure
 * (nothing listening, pod gone) is written as text on the error channel; the WebSocket closes when
 * every port's connection has ended.
 */
final class ChannelPortForward implements PortForwardConnection {
  private static final Logger log = LoggerFactory.getLogger(ChannelPortForward.class);
  static final String PROTOCOL = "v4.channel.k8s.io";

  private final PortForwardSession.Wire wire;
  private final Supplier<PodAgents.Target> target;
  private final String podDescription;
  private final List<Forward> forwards = new ArrayList<>();
  private volatile boolean closed;
  private volatile String podUid = "";

  /** One requested port: its agent call. */
  private final class Forward {
    final int index;
    final int port;
    volatile AgentPortCall call;
    volatile boolean finished;

    Forward(int index, int port) {
      this.index = index;
      this.port = port;
    }
  }

  /**
   * Starts forwarding {@code ports} (the {@code ports} query values, comma-separated or repeated).
   * A bad list is reported on the first error channel and the connection closed.
   */
  ChannelPortForward(PortForwardSession.Wire wire, Supplier<PodAgents.Target> target, String podDescription,
      List<String> ports) {
    this.wire = wire;
    this.target = target;
    this.podDescription = podDescription;
    List<Integer> parsed = new ArrayList<>();
    for (String list : ports) {
      for (String p : list.split(",")) {
        int port;
        try {
          port = Integer.parseInt(p.trim());
        } catch (NumberFormatException e) {
          port = -1;
        }
        if (port <= 0 || port > 65535) {
          send(1, ("unable to parse \"" + p.trim() + "\" as a port: give 1-65535 in ?ports=").getBytes(StandardCharsets.UTF_8));
          close();
          return;
        }
        parsed.add(port);
      }
    }
    if (parsed.isEmpty()) {
      send(1, "at least one port must be given in ?ports=".getBytes(StandardCharsets.UTF_8));
      close();
      return;
    }
    for (int i = 0; i < parsed.size(); i++) forwards.add(new Forward(i, parsed.get(i)));
    for (Forward f : forwards) {
      byte[] port = {(byte) f.port, (byte) (f.port >> 8)};
      send(2 * f.index, port);
      send(2 * f.index + 1, port);
    }
    forwards.forEach(this::start);
  }

  private void start(Forward f) {
    PodAgents.Target t;
    try {
      t = target.get();
      podUid = t.ref().getPodUid();
    } catch (RuntimeException e) {
      finish(f, e.getMessage());
      return;
    }
    f.call = AgentPortCall.open(t, f.port, new AgentPortCall.Listener() {
      @Override
      public void data(byte[] bytes) {
        send(2 * f.index, bytes);
      }

      @Override
      public void ended(String error) {
        finish(f, error);
      }
    });
    if (closed) cancel(f);
  }

  /** A message from the client: its first byte names the channel; only data channels carry bytes. */
  @Override
  public void receive(byte[] message) {
    if (message.length < 2) return;
    int channel = message[0] & 0xff;
    if (channel % 2 != 0 || channel / 2 >= forwards.size()) return;
    Forward f = forwards.get(channel / 2);
    AgentPortCall call = f.call;
    if (call != null && !f.finished) call.write(message, 1, message.length - 1);
  }

  private void finish(Forward f, String error) {
    synchronized (this) {
      if (f.finished) return;
      f.finished = true;
    }
    if (error != null && !error.isEmpty()) {
      String msg = AgentPortCall.failure(f.port, podDescription, podUid, error);
      log.info("port-forward: {}", msg);
      send(2 * f.index + 1, msg.getBytes(StandardCharsets.UTF_8));
    }
    if (forwards.stream().allMatch(x -> x.finished)) close();
  }

  private void send(int channel, byte[] payload) {
    if (closed) return;
    byte[] m = new byte[payload.length + 1];
    m[0] = (byte) channel;
    System.arraycopy(payload, 0, m, 1, payload.length);
    wire.send(m);
  }

  private static void cancel(Forward f) {
    AgentPortCall call = f.call;
    if (call != null) call.cancel("the port-forward connection closed");
  }

  /** The WebSocket is gone (or every port's connection ended): every agent call ends. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) return;
      closed = true;
    }
    for (Forward f : forwards) {
      f.finished = true;
      cancel(f);
    }
    wire.close();
  }
}
