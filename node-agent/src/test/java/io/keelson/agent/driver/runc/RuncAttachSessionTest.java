package io.keelson.agent.driver.runc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keelson.agent.driver.AttachSession;
import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.TaskConfig;
import io.keelson.agent.driver.TaskConfig.TaskResources;
import io.keelson.agent.driver.TaskConfig.TaskUser;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's side of the monitor's attach socket, against a stand-in monitor. */
class RuncAttachSessionTest {
  @TempDir Path dir;

  static TaskConfig config(boolean tty, boolean stdin, boolean stdinOnce) {
    return new TaskConfig("t1", "sb", "c", new TaskConfig.TaskImage("busybox", "sha256:x", List.of(), null),
        List.of("sh"), Map.of(), "/", TaskUser.ROOT, List.of(), false, TaskResources.NONE, tty, stdin, stdinOnce,
        Path.of("/tmp/x.log"));
  }

  @Test
  void monitorOptionsFollowTheContainerSpec() throws Exception {
    Path bundle = dir.resolve("b");
    String socket = bundle.resolve("attach.sock").toString();
    assertThat(RuncAttachSession.monitorOptions(config(false, false, false), bundle)).isEmpty();
    assertThat(RuncAttachSession.monitorOptions(config(false, true, false), bundle)).containsExactly("--stdin", "--attach", socket);
    assertThat(RuncAttachSession.monitorOptions(config(true, true, true), bundle))
        .containsExactly("--stdin", "--stdin-once", "--tty", "--attach", socket);
    assertThat(RuncAttachSession.monitorOptions(config(true, false, false), bundle)).containsExactly("--tty", "--attach", socket);
  }

  @Test
  void aBundlePathTooLongForAUnixSocketGetsAShortStableOne() {
    Path deep = Path.of("/var/lib/keelson/nodes/node-1/runc/tasks/0123456789abcdef-0123456789abcdef-0123456789abcdef-main-0");
    Path p = RuncAttachSession.socketPath(deep);
    assertThat(p.toString()).startsWith("/run/keelson/attach/").endsWith(".sock");
    assertThat((p + "-console").length()).isLessThan(108);
    assertThat(RuncAttachSession.socketPath(deep)).isEqualTo(p);
    assertThat(RuncAttachSession.socketPath(deep.resolveSibling("other"))).isNotEqualTo(p);
  }

  @Test
  void framesStdinResizeAndEofAndReadsOutputUntilTheMonitorCloses() throws Exception {
    Path bundle = dir.resolve("b");
    java.nio.file.Files.createDirectories(bundle);
    try (ServerSocketChannel monitor = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      monitor.bind(UnixDomainSocketAddress.of(RuncAttachSession.socketPath(bundle)));
      try (AttachSession s = RuncAttachSession.connect("t1", bundle, true);
          SocketChannel client = monitor.accept()) {
        DataInputStream in = new DataInputStream(Channels.newInputStream(client));
        DataOutputStream out = new DataOutputStream(Channels.newOutputStream(client));
        s.write("hi\n".getBytes(StandardCharsets.UTF_8));
        s.resize(120, 40);
        s.closeStdin();
        assertThat(in.readByte()).as("a stdin session announces itself").isEqualTo((byte) 3);
        assertThat(in.readInt()).isZero();
        assertThat(in.readByte()).isEqualTo((byte) 0);
        assertThat(in.readNBytes(in.readInt())).asString().isEqualTo("hi\n");
        assertThat(in.readByte()).isEqualTo((byte) 2);
        assertThat(in.readNBytes(in.readInt())).containsExactly(0, 120, 0, 40);
        assertThat(in.readByte()).isEqualTo((byte) 1);
        assertThat(in.readInt()).isZero();

        out.writeByte(1);
        out.writeInt(3);
        out.write("out".getBytes(StandardCharsets.UTF_8));
        out.writeByte(2);
        out.writeInt(3);
        out.write("err".getBytes(StandardCharsets.UTF_8));
        out.flush();
        client.close(); // the container exited
        AttachSession.Output o = s.read();
        assertThat(o.stderr()).isFalse();
        assertThat(o.data()).asString().isEqualTo("out");
        o = s.read();
        assertThat(o.stderr()).isTrue();
        assertThat(o.data()).asString().isEqualTo("err");
        assertThat(s.read()).isNull();
      }
    }
  }

  @Test
  void aContainerWithoutStdinOrTtyHasNothingToAttachTo() {
    assertThatThrownBy(() -> RuncAttachSession.connect("t1", dir.resolve("none"), false))
        .isInstanceOf(DriverException.class)
        .hasMessageContaining("created without stdin and tty");
  }
}
