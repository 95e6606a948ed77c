package io.keelson.apiserver.portforward;

import io.keelson.apiserver.spdy.SpdyFrame;
import io.keelson.apiserver.spdy.SpdyFraming;
import io.keelson.apiserver.streaming.PodAgents;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of one {@code kubectl port-forward} SPDY/3.1 connection, as the kubelet runs it.
 * For every local connection kubectl opens two streams with the same {@code requestID} header: an
 * error stream (which kubectl half-closes at once and reads to the end) and a data stream with the
 * connection's bytes. When both are there, one agent ForwardPodPort call carries the data stream;
 * when it ends both streams are closed, and a failure (e.g. nothing listens on the port) is first
 * written on the error stream, which kubectl prints.
 */
final class PortForwardSession implements PortForwardConnection {
  private static final Logger log = LoggerFactory.getLogger(PortForwardSession.class);

  /** Where encoded frames go; one call is one ordered write (a WebSocket message). */
  interface Wire {
    void send(byte[] bytes);

    void close();
  }

  private final SpdyFraming framing = new SpdyFraming();
  private final Wire wire;
  private final Supplier<PodAgents.Target> target;
  private final String podDescription;
  private final Map<String, Pair> pairs = new HashMap<>();
  private final Map<Integer, Pair> byStream = new HashMap<>();
  private volatile boolean closed;
  private volatile String podUid = "";

  /** The two streams of one forwarded connection and its agent call. */
  private final class Pair {
    final String requestId;
    int port;
    int errorStream;
    int dataStream;
    AgentPortCall call;
    final List<SpdyFrame.Data> early = new ArrayList<>();
    volatile boolean finished;

    Pair(String requestId) {
      this.requestId = requestId;
    }
  }

  PortForwardSession(Wire wire, Supplier<PodAgents.Target> target, String podDescription) {
    this.wire = wire;
    this.target = target;
    this.podDescription = podDescription;
  }

  /** The next bytes kubectl sent (any slice of the SPDY byte stream). */
  @Override
  public void receive(byte[] bytes) {
    List<SpdyFrame> frames;
    try {
      frames = framing.decode(bytes);
    } catch (SpdyFraming.ProtocolException e) {
      log.debug("port-forward: {}", e.getMessage());
      close();
      return;
    }
    for (SpdyFrame f : frames) {
      switch (f) {
        case SpdyFrame.SynStream s -> opened(s);
        case SpdyFrame.Data d -> data(d);
        case SpdyFrame.RstStream r -> reset(r.streamId());
        case SpdyFrame.Ping p -> send(p);
        case SpdyFrame.GoAway g -> close();
        default -> {}
      }
    }
  }

  private void opened(SpdyFrame.SynStream s) {
    String type = s.headers().getOrDefault("streamtype", "");
    String requestId = s.headers().get("requestid");
    if (requestId == null) {
      // clients before requestID: the error stream's id names the pair, the data stream follows it
      requestId = Integer.toString(type.equals("data") ? s.streamId() - 2 : s.streamId());
    }
    int port;
    try {
      port = Integer.parseInt(s.headers().getOrDefault("port", ""));
    } catch (NumberFormatException e) {
      port = -1;
    }
    Pair start = null;
    String refusal = null;
    synchronized (this) {
      if (closed) {
        return;
      }
      Pair p = null;
      if (!type.equals("error") && !type.equals("data")) {
        refusal = "unknown stream type " + type;
      } else if (port <= 0 || port > 65535) {
        refusal = "invalid port " + s.headers().get("port");
      } else if (((p = pairs.computeIfAbsent(requestId, Pair::new)).errorStream != 0 && type.equals("error"))
          || (p.dataStream != 0 && type.equals("data"))) {
        refusal = type + " stream already assigned";
      } else {
        p.port = port;
        if (type.equals("error")) {
          p.errorStream = s.streamId();
        } else {
          p.dataStream = s.streamId();
        }
        byStream.put(s.streamId(), p);
        if (p.errorStream != 0 && p.dataStream != 0) {
          start = p;
        }
      }
    }
    if (refusal != null) {
      log.debug("port-forward: stream {} refused: {}", s.streamId(), refusal);
      send(new SpdyFrame.RstStream(s.streamId(), SpdyFrame.RstStream.PROTOCOL_ERROR));
      return;
    }
    // kubectl's CreateStream waits for this reply; it ignores the headers (the kubelet sends none,
    // but an empty block cannot be encoded, see SpdyFraming#encode), so they echo the stream's own
    send(new SpdyFrame.SynReply(s.streamId(), Map.of("streamtype", type, "port", Integer.toString(port)), false));
    if (start != null) {
      startForwarding(start);
    }
  }

  private void startForwarding(Pair p) {
    PodAgents.Target t;
    try {
      t = target.get();
      podUid = t.ref().getPodUid();
    } catch (RuntimeException e) {
      finish(p, e.getMessage());
      return;
    }
    AgentPortCall call = AgentPortCall.open(t, p.port, new AgentPortCall.Listener() {
      @Override
      public void data(byte[] bytes) {
        send(new SpdyFrame.Data(p.dataStream, bytes, false));
      }

      @Override
      public void ended(String error) {
        finish(p, error);
      }
    });
    List<SpdyFrame.Data> early;
    boolean gone;
    synchronized (this) {
      p.call = call;
      early = List.copyOf(p.early);
      p.early.clear();
      gone = p.finished;
    }
    if (gone) {
      // kubectl left (or reset the stream) while the call was being set up
      cancel(p, "kubectl closed the port-forward connection");
      return;
    }
    early.forEach(this::data);
  }

  private void data(SpdyFrame.Data d) {
    AgentPortCall call;
    synchronized (this) {
      Pair p = byStream.get(d.streamId());
      if (p == null || p.finished || d.streamId() != p.dataStream) {
        // the error stream only ever carries kubectl's half-close
        return;
      }
      if (p.call == null) {
        p.early.add(d);
        return;
      }
      call = p.call;
    }
    call.write(d.data(), 0, d.data().length);
    if (d.fin()) call.halfClose(); // the local client closed its side
  }

  /** kubectl resets the data stream once it is done with a connection (or gives up on it). */
  private void reset(int streamId) {
    Pair p;
    synchronized (this) {
      p = byStream.get(streamId);
      if (p == null || streamId != p.dataStream || p.finished) {
        return;
      }
    }
    cancel(p, "kubectl reset the data stream");
    finish(p, null);
  }

  /**
   * Ends a forwarded connection as the kubelet does: the failure (if any) on the error stream, then
   * both streams closed. Runs once per pair.
   */
  private void finish(Pair p, String error) {
    synchronized (this) {
      if (p.finished) {
        return;
      }
      p.finished = true;
      pairs.remove(p.requestId);
      byStream.remove(p.errorStream);
      byStream.remove(p.dataStream);
    }
    if (error != null && !error.isEmpty()) {
      String msg = AgentPortCall.failure(p.port, podDescription, podUid, error);
      log.info("port-forward: {}", msg);
      send(new SpdyFrame.Data(p.errorStream, msg.getBytes(StandardCharsets.UTF_8), false));
    }
    send(new SpdyFrame.Data(p.dataStream, new byte[0], true));
    send(new SpdyFrame.Data(p.errorStream, new byte[0], true));
  }

  private static void cancel(Pair p, String why) {
    if (p.call != null) p.call.cancel(why);
  }

  /** Encodes and writes one frame; encoding order is wire order (shared zlib state). */
  private void send(SpdyFrame f) {
    synchronized (framing) {
      if (closed) {
        return;
      }
      try {
        wire.send(framing.encode(f));
      } catch (RuntimeException e) {
        log.debug("port-forward: frame dropped: {}", e.toString());
      }
    }
  }

  @Override
  public void close() {
    List<Pair> open;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      open = List.copyOf(pairs.values());
      open.forEach(p -> p.finished = true);
      pairs.clear();
      byStream.clear();
    }
    open.forEach(p -> cancel(p, "kubectl closed the port-forward connection"));
    synchronized (framing) {
      framing.close();
    }
    wire.close();
  }
}
