package io.keelson.apiserver.streaming;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import io.keelson.proto.node.v1.ExecInContainerRequest;
import io.keelson.proto.node.v1.ExecInContainerResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
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
 * {@code kubectl exec} over WebSocket ({@code /api/v1/namespaces/{ns}/pods/{name}/exec}, channel
 * protocol v4/v5): binary frames whose first byte is the channel (0 stdin, 1 stdout, 2 stderr, 3
 * status, 4 resize, 255 close), bridged to the agent's ExecInContainer stream. The command's exit
 * code ends the session as a Status on channel 3 (NonZeroExitCode with the code as its cause, which
 * kubectl turns into its own exit code).
 */
@Component
public class ExecWebSocketHandler extends AbstractWebSocketHandler implements SubProtocolCapable {
  private static final Logger log = LoggerFactory.getLogger(ExecWebSocketHandler.class);
  static final List<String> PROTOCOLS =
      List.of("v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io");
  private static final String CALL = "keelson.exec.call";
  private static final String OUT = "keelson.exec.out";

  private final PodAgents agents;

  public ExecWebSocketHandler(PodAgents agents) {
    this.agents = agents;
  }

  @Override
  public List<String> getSubProtocols() {
    return PROTOCOLS;
  }

  /** The exec request as kubectl sends it in the query string. */
  record ExecRequest(String namespace, String pod, String container, List<String> command,
      boolean stdin, boolean stdout, boolean stderr, boolean tty) {

    static ExecRequest parse(URI uri) {
      String[] seg = uri.getPath().split("/");
      // /api/v1/namespaces/{ns}/pods/{name}/exec
      String ns = seg.length > 4 ? seg[4] : "";
      String pod = seg.length > 6 ? seg[6] : "";
      String container = "";
      List<String> command = new ArrayList<>();
      boolean stdin = false;
      boolean stdout = false;
      boolean stderr = false;
      boolean tty = false;
      String q = uri.getRawQuery();
      if (q != null) {
        for (String kv : q.split("&")) {
          int eq = kv.indexOf('=');
          String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
          String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
          boolean yes = v.equals("true") || v.equals("1");
          switch (k) {
            case "command" -> command.add(v);
            case "container" -> container = v;
            case "stdin" -> stdin = yes;
            case "stdout" -> stdout = yes;
            case "stderr" -> stderr = yes;
            case "tty" -> tty = yes;
            default -> {}
          }
        }
      }
      return new ExecRequest(ns, pod, container, command, stdin, stdout, stderr, tty);
    }
  }

  @Override
  public void afterConnectionEstablished(WebSocketSession raw) throws Exception {
    WebSocketSession session = new ConcurrentWebSocketSessionDecorator(raw, 10_000, 16 << 20);
    raw.getAttributes().put(OUT, session);
    ExecRequest req = ExecRequest.parse(raw.getUri());
    if (req.command().isEmpty()) {
      fail(session, StatusException.badRequest("you must specify at least one command for the container"));
      return;
    }
    PodAgents.Target target;
    try {
      target = agents.locate(req.namespace(), req.pod(), req.container());
    } catch (StatusException e) {
      fail(session, e);
      return;
    }
    boolean stderrChannel = !req.tty();
    StreamObserver<ExecInContainerRequest> call = target.stub().execInContainer(new StreamObserver<>() {
      @Override
      public void onNext(ExecInContainerResponse r) {
        switch (r.getMessageCase()) {
          case STDOUT -> send(session, 1, r.getStdout());
          case STDERR -> send(session, stderrChannel ? 2 : 1, r.getStderr());
          case EXIT -> finish(session, req, r.getExit());
          default -> {}
        }
      }

      @Override
      public void onError(Throwable t) {
        if (!PodAgents.isCancelled(t)) {
          fail(session, PodAgents.toStatus(t));
        }
      }

      @Override
      public void onCompleted() {
        close(session);
      }
    });
    raw.getAttributes().put(CALL, call);
    call.onNext(ExecInContainerRequest.newBuilder()
        .setStart(ExecInContainerRequest.Start.newBuilder()
            .setContainer(target.ref())
            .addAllCommand(req.command())
            .setTty(req.tty())
            .setStdin(req.stdin())
            .setStdout(req.stdout())
            .setStderr(req.stderr()))
        .build());
  }

  @SuppressWarnings("unchecked")
  private static StreamObserver<ExecInContainerRequest> call(WebSocketSession s) {
    return (StreamObserver<ExecInContainerRequest>) s.getAttributes().get(CALL);
  }

  @Override
  protected void handleBinaryMessage(WebSocketSession session, BinaryMessage message) {
    StreamObserver<ExecInContainerRequest> call = call(session);
    ByteBuffer buf = message.getPayload();
    if (call == null || !buf.hasRemaining()) {
      return;
    }
    int channel = buf.get() & 0xff;
    byte[] data = new byte[buf.remaining()];
    buf.get(data);
    synchronized (call) {
      switch (channel) {
        case 0 -> {
          if (data.length > 0) {
            call.onNext(ExecInContainerRequest.newBuilder().setStdin(ByteString.copyFrom(data)).build());
          }
        }
        case 4 -> {
          try {
            JsonNode size = ObjectCodec.JSON.readTree(data);
            call.onNext(ExecInContainerRequest.newBuilder().setResize(ExecInContainerRequest.Resize.newBuilder()
                .setWidth(size.path("Width").asInt(80)).setHeight(size.path("Height").asInt(24))).build());
          } catch (RuntimeException e) {
            log.debug("bad resize message: {}", e.toString());
          }
        }
        case 255 -> {
          if (data.length > 0 && data[0] == 0) {
            call.onNext(ExecInContainerRequest.newBuilder().setStdinEof(true).build());
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
    StreamObserver<ExecInContainerRequest> call = call(session);
    if (call instanceof ClientCallStreamObserver<ExecInContainerRequest> c) {
      c.cancel("client closed the exec session", null);
    } else if (call != null) {
      try {
        call.onError(Status.CANCELLED.asRuntimeException());
      } catch (RuntimeException e) {
        // already finished
      }
    }
  }

  @Override
  public void handleTransportError(WebSocketSession session, Throwable exception) {
    log.debug("exec transport error: {}", exception.toString());
  }

  private static void send(WebSocketSession session, int channel, ByteString data) {
    byte[] frame = new byte[data.size() + 1];
    frame[0] = (byte) channel;
    data.copyTo(frame, 1);
    try {
      if (session.isOpen()) {
        session.sendMessage(new BinaryMessage(frame));
      }
    } catch (IOException | IllegalStateException e) {
      log.debug("exec output dropped: {}", e.toString());
    }
  }

  private static void finish(WebSocketSession session, ExecRequest req, ExecInContainerResponse.Exit exit) {
    ObjectNode status = ObjectCodec.JSON.createObjectNode();
    status.putObject("metadata");
    if (exit.getExitCode() == 0 && exit.getError().isEmpty()) {
      status.put("status", "Success");
    } else if (exit.getError().isEmpty()) {
      status.put("status", "Failure");
      status.put("message", "command terminated with non-zero exit code: error executing command "
          + req.command() + ", exit code " + exit.getExitCode());
      status.put("reason", "NonZeroExitCode");
      ObjectNode cause = status.putObject("details").putArray("causes").addObject();
      cause.put("reason", "ExitCode");
      cause.put("message", Integer.toString(exit.getExitCode()));
    } else {
      status.put("status", "Failure");
      status.put("message", exit.getError());
      status.put("reason", "InternalError");
      status.put("code", 500);
    }
    send(session, 3, ByteString.copyFrom(ObjectCodec.JSON.writeValueAsBytes(status)));
    close(session);
  }

  private static void fail(WebSocketSession session, StatusException e) {
    ObjectNode status = e.toStatus();
    send(session, 3, ByteString.copyFrom(ObjectCodec.JSON.writeValueAsBytes(status)));
    close(session);
  }

  private static void close(WebSocketSession session) {
    try {
      if (session.isOpen()) {
        session.close(CloseStatus.NORMAL);
      }
    } catch (IOException e) {
      // closing anyway
    }
  }
}
