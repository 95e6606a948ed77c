package io.keelson.apiserver.streaming;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.keelson.apiserver.status.StatusException;
import io.keelson.proto.node.v1.AttachContainerRequest;
import io.keelson.proto.node.v1.AttachContainerResponse;
import io.keelson.proto.node.v1.ExecInContainerRequest;
import java.net.URI;
import org.springframework.stereotype.Component;
import org.springframework.web.socket.WebSocketSession;

/**
 * {@code kubectl attach} and {@code kubectl run -i/-it} over WebSocket
 * ({@code /api/v1/namespaces/{ns}/pods/{name}/attach}, channel protocol v4/v5, see {@link
 * ChannelStreamHandler}), bridged to the agent's AttachContainer stream: the main process's output
 * from now on, stdin, resizes. The session ends with Success once the process has exited (kubelet
 * reports no exit code for attach; kubectl run reads it from the pod), or when the client detaches.
 */
@Component
public class AttachWebSocketHandler extends ChannelStreamHandler {
  private final PodAgents agents;

  public AttachWebSocketHandler(PodAgents agents) {
    this.agents = agents;
  }

  /** The attach request as kubectl sends it in the query string (PodAttachOptions). */
  record AttachRequest(String namespace, String pod, String container, boolean stdin, boolean stdout, boolean stderr,
      boolean tty) {

    static AttachRequest parse(URI uri) {
      return of(PodStreamRequest.parse(uri));
    }

    static AttachRequest of(PodStreamRequest r) {
      return new AttachRequest(r.namespace(), r.pod(), r.string("container"),
          r.flag("stdin"), r.flag("stdout"), r.flag("stderr"), r.flag("tty"));
    }
  }

  @Override
  protected Upstream open(WebSocketSession session, PodStreamRequest request) {
    AttachRequest req = AttachRequest.of(request);
    if (!req.stdin() && !req.stdout() && !req.stderr()) {
      throw StatusException.badRequest("you must specify at least one of stdin, stdout, stderr");
    }
    PodAgents.Target target = agents.locate(req.namespace(), req.pod(), req.container());
    // with a tty the process has one output stream; kubectl then asks for no stderr channel
    boolean stderrChannel = !req.tty();
    StreamObserver<AttachContainerRequest> call = target.stub().attachContainer(new StreamObserver<>() {
      @Override
      public void onNext(AttachContainerResponse r) {
        switch (r.getMessageCase()) {
          case STDOUT -> send(session, STDOUT, r.getStdout());
          case STDERR -> send(session, stderrChannel ? STDERR : STDOUT, r.getStderr());
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
        succeed(session);
      }
    });
    call.onNext(AttachContainerRequest.newBuilder()
        .setStart(AttachContainerRequest.Start.newBuilder()
            .setContainer(target.ref())
            .setStdin(req.stdin())
            .setStdout(req.stdout())
            .setStderr(req.stderr() || req.tty())
            .setTty(req.tty()))
        .build());
    return new Upstream() {
      @Override
      public void stdin(byte[] data) {
        call.onNext(AttachContainerRequest.newBuilder().setStdin(ByteString.copyFrom(data)).build());
      }

      @Override
      public void resize(int width, int height) {
        call.onNext(AttachContainerRequest.newBuilder()
            .setResize(ExecInContainerRequest.Resize.newBuilder().setWidth(width).setHeight(height)).build());
      }

      @Override
      public void stdinEof() {
        call.onNext(AttachContainerRequest.newBuilder().setStdinEof(true).build());
      }

      @Override
      public void cancel() {
        cancelCall(call, "client closed the attach session");
      }
    };
  }
}
