package io.keelson.apiserver.streaming;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.keelson.apiserver.rest.QueryParameters;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.socket.BinaryMessage;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.SubProtocolCapable;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.AbstractWebSocketHandler;
import org.springframework.web.socket.handler.ConcurrentWebSocketSessionDecorator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The WebSocket side of kubectl's remote-command streams ({@code exec}, {@code attach}): the
 * channel protocols v5..v1 ({@code v5.channel.k8s.io}, ...), binary frames whose first byte is the
 * channel — 0 stdin, 1 stdout, 2 stderr, 3 status (the Status that ends the session), 4 resize
 * ({@code {"Width":120,"Height":40}}), 255 close ({@code [255, 0]}: stdin EOF, v5). A subclass
 * opens the agent stream for a request and gets the client's stdin, resizes and stdin EOF through
 * {@link Upstream}; it answers with {@link #send}, {@link #succeed} and {@link #fail}.
 */
abstract class ChannelStreamHandler extends AbstractWebSocketHandler implements SubProtocolCapable {
  private static final Logger log = LoggerFactory.getLogger(ChannelStreamHandler.class);
  static final List<String> PROTOCOLS =
      List.of("v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io");
  static final int STDOUT = 1;
  static final int STDERR = 2;
  private static final String UPSTREAM = "keelson.stream.upstream";

  /** What the client sends, passed on to the agent stream; called under the upstream's lock. */
  interface Upstream {
    void stdin(byte[] data);

    void resize(int width, int height);

    void stdinEof();

    /** The client went away: end the agent stream. */
    void cancel();
  }

  /**
   * The request as kubectl sends it: {@code /api/v1/namespaces/{ns}/pods/{name}/{subresource}?k=v&k=v}.
   * Repeated keys (exec's {@code command}) keep their order.
   */
  record PodStreamRequest(String namespace, String pod, Map<String, List<String>> params) {

    static PodStreamRequest parse(URI uri) {
      String[] seg = uri.getPath().split("/");
      return new PodStreamRequest(seg.length > 4 ? seg[4] : "", seg.length > 6 ? seg[6] : "",
          QueryParameters.parse(uri.getRawQuery()));
    }

    String string(String key) {
      List<String> v = params.get(key);
      return v == null || v.isEmpty() ? "" : v.get(v.size() - 1);
    }

    List<String> strings(String key) {
      return params.getOrDefault(key, List.of());
    }

    boolean flag(String key) {
      String v = string(key);
      return v.equals("true") || v.equals("1");
    }
  }

  @Override
  public List<String> getSubProtocols() {
    return PROTOCOLS;
  }

  /**
   * Opens the agent stream for this session. Output goes to {@code session} (thread-safe); a
   * StatusException ends the session with that Status.
   */
  protected abstract Upstream open(WebSocketSession session, PodStreamRequest request);

  @Override
  public void afterConnectionEstablished(WebSocketSession raw) {
    WebSocketSession session = new ConcurrentWebSocketSessionDecorator(raw, 10_000, 16 << 20);
    try {
      Upstream up = open(session, PodStreamRequest.parse(raw.getUri()));
      raw.getAttributes().put(UPSTREAM, up);
    } catch (StatusException e) {
      fail(session, e);
    }
  }

  @Override
  protected void handleBinaryMessage(WebSocketSession session, BinaryMessage message) {
    Upstream up = (Upstream) session.getAttributes().get(UPSTREAM);
    ByteBuffer buf = message.getPayload();
    if (up == null || !buf.hasRemaining()) {
      return;
    }
    int channel = buf.get() & 0xff;
    byte[] data = new byte[buf.remaining()];
    buf.get(data);
    synchronized (up) {
      switch (channel) {
        case 0 -> {
          if (data.length > 0) {
            up.stdin(data);
          }
        }
        case 4 -> {
          try {
            JsonNode size = ObjectCodec.JSON.readTree(data);
            up.resize(size.path("Width").asInt(80), size.path("Height").asInt(24));
          } catch (RuntimeException e) {
            log.debug("bad resize message: {}", e.toString());
          }
        }
        case 255 -> {
          if (data.length > 0 && data[0] == 0) {
            up.stdinEof();
          }
        }
        default -> {}
      }
    }
  }

  @Override
  protected void handleTextMessage(WebSocketSession session, TextMessage message) {
    // base64 channel protocols are not offered; ignore text frames
  }

  @Override
  public void afterConnectionClosed(WebSocketSession session, CloseStatus status) {
    Upstream up = (Upstream) session.getAttributes().get(UPSTREAM);
    if (up != null) {
      try {
        up.cancel();
      } catch (RuntimeException e) {
        // already finished
      }
    }
  }

  @Override
  public void handleTransportError(WebSocketSession session, Throwable exception) {
    log.debug("{} transport error: {}", getClass().getSimpleName(), exception.toString());
  }

  static void send(WebSocketSession session, int channel, ByteString data) {
    byte[] frame = new byte[data.size() + 1];
    frame[0] = (byte) channel;
    data.copyTo(frame, 1);
    try {
      if (session.isOpen()) {
        session.sendMessage(new BinaryMessage(frame));
      }
    } catch (IOException | IllegalStateException e) {
      log.debug("stream output dropped: {}", e.toString());
    }
  }

  /** Ends the session with a Status on channel 3. */
  static void finish(WebSocketSession session, ObjectNode status) {
    send(session, 3, ByteString.copyFrom(ObjectCodec.JSON.writeValueAsBytes(status)));
    close(session);
  }

  static void succeed(WebSocketSession session) {
    ObjectNode status = ObjectCodec.JSON.createObjectNode();
    status.putObject("metadata");
    status.put("status", "Success");
    finish(session, status);
  }

  static void fail(WebSocketSession session, StatusException e) {
    finish(session, e.toStatus());
  }

  /** Ends an agent call the client no longer listens to. */
  static void cancelCall(StreamObserver<?> call, String why) {
    if (call instanceof ClientCallStreamObserver<?> c) {
      c.cancel(why, null);
    } else {
      call.onError(Status.CANCELLED.asRuntimeException());
    }
  }

  static void close(WebSocketSession session) {
    try {
      if (session.isOpen()) {
        session.close(CloseStatus.NORMAL);
      }
    } catch (IOException e) {
      // closing anyway
    }
  }
}
