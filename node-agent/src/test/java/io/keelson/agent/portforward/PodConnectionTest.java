package io.keelson.agent.portforward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PodConnectionTest {

  @Test
  void withoutANamespaceThePodIpIsDialedAndHalfCloseReachesThePod() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread.ofVirtual().start(() -> {
        try (Socket s = server.accept()) {
          byte[] got = s.getInputStream().readAllBytes(); // until the forwarder's half-close
          s.getOutputStream().write(("echo:" + new String(got, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
          // test fails on the assertion below
        }
      });
      try (PodConnection c = PodConnection.open(null, "127.0.0.1", server.getLocalPort())) {
        c.output().write("ping".getBytes(StandardCharsets.UTF_8));
        c.output().flush();
        c.shutdownOutput();
        assertThat(new String(c.input().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("echo:ping");
        assertThat(c.failure()).isNull();
      }
    }
  }

  @Test
  void aPortNobodyListensOnFailsWithTheReason() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    assertThatThrownBy(() -> PodConnection.open(Path.of("/nonexistent/netns"), "127.0.0.1", port))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("dial tcp 127.0.0.1:" + port)
        .hasMessageContaining("refused");
  }

  @Test
  void aPodWithoutAnIpCannotBeDialed() {
    assertThatThrownBy(() -> PodConnection.open(null, "", 80)).hasMessageContaining("no IP address");
  }
}
