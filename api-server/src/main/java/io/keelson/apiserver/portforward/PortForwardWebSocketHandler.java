package io.keelson.apiserver.portforward;

import io.keelson.apiserver.streaming.PodAgents;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.socket.BinaryMessage;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.SubProtocolCapable;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.AbstractWebSocketHandler;
import org.springframework.web.socket.handler.ConcurrentWebSocketSessionDecorator;
import org.springframework.web.socket.server.HandshakeInterceptor;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * {@code kubectl port-forward} ({@code /api/v1/namespaces/{ns}/pods/{name}/portforward}) as
 * kubectl 1.30+ sends it by default: a WebSocket with subprotocol
 * {@code SPDY/3.1+portforward.k8s.io} whose binary messages tunnel a raw SPDY/3.1 connection (no
 * channel byte; message boundaries mean nothing). The SPDY side is {@link PortForwardSession}.
 * The Java clients (fabric8, client-java) ask for {@code v4.channel.k8s.io} instead: {@link ChannelPortForward}.
 */
@Component
public class PortForwardWebSocketHandler extends AbstractWebSocketHandler implements SubProtocolCapable {
  private static final Logger log = LoggerFactory.getLogger(PortForwardWebSocketHandler.class);
  static final String PROTOCOL = "SPDY/3.1+portforward.k8s.io";
  private static final String SESSION = "keelson.portforward.session";

  private final PodAgents agents;

  public PortForwardWebSocketHandler(PodAgents agents) {
    this.agents = agents;
  }

  @Override
  public List<String> getSubProtocols() {
    return List.of(PROTOCOL, ChannelPortForward.PROTOCOL);
  }

  /**
   * Answers the subprotocol. Tomcat drops {@code SPDY/3.1+portforward.k8s.io} from the offered
   * list because '/' is not a token character, so it never echoes it; kubectl refuses an upgrade
   * without it (and falls back to SPDY). The header set here is written before the 101 goes out.
   */
  public static final class ProtocolEcho implements HandshakeInterceptor {
    @Override
    public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
        Map<String, Object> attributes) {
      return true;
    }

    @Override
    public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
        Exception exception) {
      if (exception == null && request.getHeaders().getOrEmpty("Sec-WebSocket-Protocol").stream()
          .anyMatch(v -> List.of(v.split(",")).stream().anyMatch(p -> p.trim().equals(PROTOCOL)))) {
        response.getHeaders().set("Sec-WebSocket-Protocol", PROTOCOL);
      }
    }
  }

  @Override
  public void afterConnectionEstablished(WebSocketSession raw) {
    WebSocketSession out = new ConcurrentWebSocketSessionDecorator(raw, 10_000, 16 << 20);
    // /api/v1/namespaces/{ns}/pods/{name}/portforward
    String[] seg = raw.getUri().getPath().split("/");
    String ns = seg.length > 4 ? seg[4] : "";
    String pod = seg.length > 6 ? seg[6] : "";
    PortForwardSession.Wire wire = new PortForwardSession.Wire() {
      @Override
      public void send(byte[] bytes) {
        try {
          if (out.isOpen()) {
            out.sendMessage(new BinaryMessage(bytes));
          }
        } catch (IOException | IllegalStateException e) {
          log.debug("port-forward output dropped: {}", e.toString());
        }
      }

      @Override
      public void close() {
        try {
          if (out.isOpen()) {
            out.close(CloseStatus.NORMAL);
          }
        } catch (IOException e) {
          // closing anyway
        }
      }
    };
    // the pod is looked up per forwarded connection: a pod that moves or whose agent reconnects
    // is found again, and a lookup failure is that connection's error, as with the kubelet
    Supplier<PodAgents.Target> target = () -> agents.locate(ns, pod, null);
    raw.getAttributes().put(SESSION, ChannelPortForward.PROTOCOL.equals(raw.getAcceptedProtocol())
        ? new ChannelPortForward(wire, target, pod + "_" + ns,
            UriComponentsBuilder.fromUri(raw.getUri()).build().getQueryParams().getOrDefault("ports", List.of()))
        : new PortForwardSession(wire, target, pod + "_" + ns));
  }

  @Override
  protected void handleBinaryMessage(WebSocketSession session, BinaryMessage message) {
    if (session.getAttributes().get(SESSION) instanceof PortForwardConnection c) {
      ByteBuffer buf = message.getPayload();
      byte[] bytes = new byte[buf.remaining()];
      buf.get(bytes);
      c.receive(bytes);
    }
  }

  @Override
  protected void handleTextMessage(WebSocketSession session, TextMessage message) {
    // the tunnel is binary only
  }

  @Override
  public void afterConnectionClosed(WebSocketSession session, CloseStatus status) {
    if (session.getAttributes().get(SESSION) instanceof PortForwardConnection c) {
      c.close();
    }
  }

  @Override
  public void handleTransportError(WebSocketSession session, Throwable exception) {
    log.debug("port-forward transport error: {}", exception.toString());
  }
}
