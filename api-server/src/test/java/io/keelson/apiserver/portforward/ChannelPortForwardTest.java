package io.keelson.apiserver.portforward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.keelson.apiserver.storage.ObjectCodec;
import io.keelson.apiserver.streaming.PodAgents;
import io.keelson.proto.node.v1.AgentServiceGrpc;
import io.keelson.proto.node.v1.ContainerRef;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Port-forward's WebSocket channel protocol against a fake agent: what fabric8 and client-java read. */
class ChannelPortForwardTest {
  private Server server;
  private ManagedChannel channel;
  private PodAgents.Target target;
  private final List<byte[]> received = new CopyOnWriteArrayList<>();
  private volatile boolean wireClosed;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(new PortForwardSessionTest.FakeAgent()).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    target = new PodAgents.Target(AgentServiceGrpc.newStub(channel),
        ContainerRef.newBuilder().setNamespace("default").setPodName("web").setPodUid("uid-1").build(),
        ObjectCodec.JSON.createObjectNode());
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  private ChannelPortForward open(String... ports) {
    return new ChannelPortForward(new PortForwardSession.Wire() {
      @Override
      public void send(byte[] bytes) {
        received.add(bytes);
      }

      @Override
      public void close() {
        wireClosed = true;
      }
    }, () -> target, "web_default", List.of(ports));
  }

  private String textOn(int ch) {
    StringBuilder sb = new StringBuilder();
    received.stream().skip(2).filter(m -> m[0] == ch)
        .forEach(m -> sb.append(new String(m, 1, m.length - 1, StandardCharsets.UTF_8)));
    return sb.toString();
  }

  private static byte[] on(int ch, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    byte[] m = new byte[b.length + 1];
    m[0] = (byte) ch;
    System.arraycopy(b, 0, m, 1, b.length);
    return m;
  }

  @Test
  void eachChannelStartsWithThePortThenBytesGoBothWays() {
    ChannelPortForward pf = open("8080");
    // 8080 = 0x1f90, little-endian, on the data channel and on the error channel
    assertThat(received.get(0)).containsExactly(0, 0x90, 0x1f);
    assertThat(received.get(1)).containsExactly(1, 0x90, 0x1f);
    pf.receive(on(0, "hello"));
    await().atMost(Duration.ofSeconds(5)).until(() -> textOn(0).equals("echo:hello"));
    pf.receive(on(1, "ignored: clients never write on an error channel"));
    pf.receive(on(0, " again"));
    await().atMost(Duration.ofSeconds(5)).until(() -> textOn(0).equals("echo:helloecho: again"));
    assertThat(textOn(1)).isEmpty();
    assertThat(wireClosed).isFalse();
    pf.close();
    assertThat(wireClosed).isTrue();
  }

  @Test
  void aRefusedPortIsWrittenOnTheErrorChannelAndTheConnectionCloses() {
    open("9999");
    await().atMost(Duration.ofSeconds(5)).until(() -> wireClosed);
    assertThat(textOn(1)).isEqualTo("error forwarding port 9999 to pod web_default, uid uid-1: "
        + "dial tcp 127.0.0.1:9999: connect: connection refused");
  }

  @Test
  void badPortsAreNamed() {
    open("http");
    assertThat(wireClosed).isTrue();
    assertThat(new String(received.get(0), 1, received.get(0).length - 1, StandardCharsets.UTF_8))
        .contains("\"http\"").contains("1-65535");
    received.clear();
    wireClosed = false;
    open();
    assertThat(wireClosed).isTrue();
    assertThat(received.get(0)[0]).isEqualTo((byte) 1);
  }
}
