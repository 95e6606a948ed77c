package io.keelson.apiserver.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class ExecRequestTest {
  @Test
  void parsesWhatKubectlSends() {
    var r = ExecWebSocketHandler.ExecRequest.parse(URI.create(
        "wss://127.0.0.1:6443/api/v1/namespaces/team-a/pods/web-0/exec?command=sh&command=-c&command=echo%20a%26b"
            + "&container=main&stdin=true&stdout=true&tty=true"));
    assertThat(r.namespace()).isEqualTo("team-a");
    assertThat(r.pod()).isEqualTo("web-0");
    assertThat(r.container()).isEqualTo("main");
    assertThat(r.command()).containsExactly("sh", "-c", "echo a&b");
    assertThat(r.stdin()).isTrue();
    assertThat(r.stdout()).isTrue();
    assertThat(r.stderr()).isFalse();
    assertThat(r.tty()).isTrue();
  }

  @Test
  void offersTheV5AndV4ChannelProtocols() {
    assertThat(ExecWebSocketHandler.PROTOCOLS).startsWith("v5.channel.k8s.io", "v4.channel.k8s.io");
  }
}
