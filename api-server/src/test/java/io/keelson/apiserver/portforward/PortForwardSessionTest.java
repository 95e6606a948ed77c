package io.keelson.apiserver.portforward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.keelson.apiserver.spdy.SpdyFrame;
import io.keelson.apiserver.spdy.SpdyFraming;
import io.keelson.apiserver.storage.ObjectCodec;
import io.keelson.apiserver.streaming.PodAgents;
import io.keelson.proto.node.v1.AgentServiceGrpc;
import io.keelson.proto.node.v1.ContainerRef;
import io.keelson.proto.node.v1.ForwardPodPortRequest;
import io.keelson.proto.node.v1.ForwardPodPortResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The kubelet side of port-forward's SPDY session against a fake agent: what kubectl would read. */
class PortForwardSessionTest {
  private Server server;
  private ManagedChannel channel;
  private final SpdyFraming kubectl = new SpdyFraming();
  private final List<SpdyFrame> received = new CopyOnWriteArrayList<>();
  private volatile boolean wireClosed;
  private PortForwardSession session;

  /** Port 8080 echoes with a prefix until kubectl half-closes; nothing listens anywhere else. */
  static final class FakeAgent extends AgentServiceGrpc.AgentServiceImplBase {
    @Override
    public StreamObserver<ForwardPodPortRequest> forwardPodPort(StreamObserver<ForwardPodPortResponse> out) {
      return new StreamObserver<>() {
        @Override
        public void onNext(ForwardPodPortRequest r) {
          if (r.hasStart() && r.getStart().getPort() != 8080) {
            out.onNext(ForwardPodPortResponse.newBuilder()
                .setError("dial tcp 127.0.0.1:" + r.getStart().getPort() + ": connect: connection refused").build());
            out.onCompleted();
          } else if (!r.hasStart()) {
            out.onNext(ForwardPodPortResponse.newBuilder()
                .setData(ByteString.copyFromUtf8("echo:").concat(r.getData())).build());
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          out.onCompleted();
        }
      };
    }
  }

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(new FakeAgent()).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    PodAgents.Target target = new PodAgents.Target(AgentServiceGrpc.newStub(channel),
        ContainerRef.newBuilder().setNamespace("default").setPodName("web").setPodUid("uid-1").build(),
        ObjectCodec.JSON.createObjectNode());
    SpdyFraming fromServer = new SpdyFraming();
    session = new PortForwardSession(new PortForwardSession.Wire() {
      @Override
      public void send(byte[] bytes) {
        received.addAll(fromServer.decode(bytes));
      }

      @Override
      public void close() {
        wireClosed = true;
      }
    }, () -> target, "web_default");
  }

  @AfterEach
  void stop() {
    session.close();
    channel.shutdownNow();
    server.shutdownNow();
  }

  private void send(SpdyFrame f) {
    session.receive(kubectl.encode(f));
  }

  private static Map<String, String> headers(String type, int port, int requestId) {
    return Map.of("streamtype", type, "port", Integer.toString(port), "requestid", Integer.toString(requestId));
  }

  private String textOn(int stream) {
    StringBuilder sb = new StringBuilder();
    for (SpdyFrame f : received) {
      if (f instanceof SpdyFrame.Data d && d.streamId() == stream) {
        sb.append(new String(d.data(), StandardCharsets.UTF_8));
      }
    }
    return sb.toString();
  }

  private boolean finished(int stream) {
    return received.stream().anyMatch(f -> f instanceof SpdyFrame.Data d && d.streamId() == stream && d.fin());
  }

  @Test
  void aConnectionsBytesGoBothWaysAndBothStreamsCloseWhenThePodSideDoes() {
    send(new SpdyFrame.SynStream(1, headers("error", 8080, 0), false));
    send(new SpdyFrame.Data(1, new byte[0], true)); // kubectl never writes on the error stream
    send(new SpdyFrame.SynStream(3, headers("data", 8080, 0), false));
    await().atMost(Duration.ofSeconds(5)).until(() -> received.stream()
        .filter(f -> f instanceof SpdyFrame.SynReply).map(f -> ((SpdyFrame.SynReply) f).streamId()).toList()
        .containsAll(List.of(1, 3)));

    // split across two "WebSocket messages": framing does not follow message boundaries
    byte[] hello = kubectl.encode(new SpdyFrame.Data(3, "hello".getBytes(StandardCharsets.UTF_8), false));
    session.receive(java.util.Arrays.copyOfRange(hello, 0, 5));
    session.receive(java.util.Arrays.copyOfRange(hello, 5, hello.length));
    await().atMost(Duration.ofSeconds(5)).until(() -> textOn(3).equals("echo:hello"));

    send(new SpdyFrame.Data(3, new byte[0], true));
    await().atMost(Duration.ofSeconds(5)).until(() -> finished(3) && finished(1));
    assertThat(textOn(1)).isEmpty();
  }

  @Test
  void aRefusedPortIsReportedOnTheErrorStreamAndTheSessionGoesOn() {
    send(new SpdyFrame.SynStream(1, headers("error", 9999, 0), false));
    send(new SpdyFrame.SynStream(3, headers("data", 9999, 0), false));
    await().atMost(Duration.ofSeconds(5)).until(() -> finished(1) && finished(3));
    assertThat(textOn(1)).isEqualTo(
        "error forwarding port 9999 to pod web_default, uid uid-1: dial tcp 127.0.0.1:9999: connect: connection refused");
    assertThat(wireClosed).isFalse();

    // the next connection of the same session still works
    send(new SpdyFrame.SynStream(5, headers("error", 8080, 1), false));
    send(new SpdyFrame.SynStream(7, headers("data", 8080, 1), false));
    send(new SpdyFrame.Data(7, "again".getBytes(StandardCharsets.UTF_8), false));
    await().atMost(Duration.ofSeconds(5)).until(() -> textOn(7).equals("echo:again"));
  }

  @Test
  void pingsAreEchoedAndUnknownStreamTypesRefused() {
    send(new SpdyFrame.Ping(1));
    send(new SpdyFrame.SynStream(3, headers("bogus", 8080, 0), false));
    await().atMost(Duration.ofSeconds(5)).until(() -> received.size() >= 2);
    assertThat(received).containsExactly(new SpdyFrame.Ping(1),
        new SpdyFrame.RstStream(3, SpdyFrame.RstStream.PROTOCOL_ERROR));
  }

  @Test
  void garbageEndsTheConnection() {
    session.receive(new byte[] {(byte) 0x80, 0x02, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1});
    assertThat(wireClosed).isTrue();
  }
}
