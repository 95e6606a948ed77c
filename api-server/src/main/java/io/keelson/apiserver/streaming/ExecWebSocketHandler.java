package io.keelson.apiserver.streaming;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import io.keelson.proto.node.v1.ExecInContainerRequest;
import io.keelson.proto.node.v1.ExecInContainerResponse;
import java.net.URI;
import java.util.List;
import org.springframework.stereotype.Component;
import org.springframework.web.socket.WebSocketSession;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code kubectl exec} over WebSocket ({@code /api/v1/namespaces/{ns}/pods/{name}/exec}, channel
 * protocol v4/v5, see {@link ChannelStreamHandler}), bridged to the agent's ExecInContainer stream.
 * The command's exit code ends the session as a Status on channel 3 (NonZeroExitCode with the code
 * as its cause, which kubectl turns into its own exit code).
 */
@Component
public class ExecWebSocketHandler extends ChannelStreamHandler {
  private final PodAgents agents;

  public ExecWebSocketHandler(PodAgents agents) {
    this.agents = agents;
  }

  /** The exec request as kubectl sends it in the query string. */
  record ExecRequest(String namespace, String pod, String container, List<String> command,
      boolean stdin, boolean stdout, boolean stderr, boolean tty) {

    static ExecRequest parse(URI uri) {
      return of(PodStreamRequest.parse(uri));
    }

    static ExecRequest of(PodStreamRequest r) {
      return new ExecRequest(r.namespace(), r.pod(), r.string("container"), List.copyOf(r.strings("command")),
          r.flag("stdin"), r.flag("stdout"), r.flag("stderr"), r.flag("tty"));
    }
  }

  @Override
  protected Upstream open(WebSocketSession session, PodStreamRequest request) {
    ExecRequest req = ExecRequest.of(request);
    if (req.command().isEmpty()) {
      throw StatusException.badRequest("you must specify at least one command for the container");
    }
    PodAgents.Target target = agents.locate(req.namespace(), req.pod(), req.container());
    boolean stderrChannel = !req.tty();
    StreamObserver<ExecInContainerRequest> call = target.stub().execInContainer(new StreamObserver<>() {
      @Override
      public void onNext(ExecInContainerResponse r) {
        switch (r.getMessageCase()) {
          case STDOUT -> send(session, STDOUT, r.getStdout());
          case STDERR -> send(session, stderrChannel ? STDERR : STDOUT, r.getStderr());
          case EXIT -> exited(session, req, r.getExit());
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
    call.onNext(ExecInContainerRequest.newBuilder()
        .setStart(ExecInContainerRequest.Start.newBuilder()
            .setContainer(target.ref())
            .addAllCommand(req.command())
            .setTty(req.tty())
            .setStdin(req.stdin())
            .setStdout(req.stdout())
            .setStderr(req.stderr()))
        .build());
    return new Upstream() {
      @Override
      public void stdin(byte[] data) {
        call.onNext(ExecInContainerRequest.newBuilder().setStdin(ByteString.copyFrom(data)).build());
      }

      @Override
      public void resize(int width, int height) {
        call.onNext(ExecInContainerRequest.newBuilder()
            .setResize(ExecInContainerRequest.Resize.newBuilder().setWidth(width).setHeight(height)).build());
      }

      @Override
      public void stdinEof() {
        call.onNext(ExecInContainerRequest.newBuilder().setStdinEof(true).build());
      }

      @Override
      public void cancel() {
        cancelCall(call, "client closed the exec session");
      }
    };
  }

  private static void exited(WebSocketSession session, ExecRequest req, ExecInContainerResponse.Exit exit) {
    if (exit.getExitCode() == 0 && exit.getError().isEmpty()) {
      succeed(session);
      return;
    }
    ObjectNode status = ObjectCodec.JSON.createObjectNode();
    status.putObject("metadata");
    status.put("status", "Failure");
    if (exit.getError().isEmpty()) {
      status.put("message", "command terminated with non-zero exit code: error executing command "
          + req.command() + ", exit code " + exit.getExitCode());
      status.put("reason", "NonZeroExitCode");
      ObjectNode cause = status.putObject("details").putArray("causes").addObject();
      cause.put("reason", "ExitCode");
      cause.put("message", Integer.toString(exit.getExitCode()));
    } else {
      status.put("message", exit.getError());
      status.put("reason", "InternalError");
      status.put("code", 500);
    }
    finish(session, status);
  }
}
