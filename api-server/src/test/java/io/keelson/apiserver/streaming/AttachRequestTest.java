package io.keelson.apiserver.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class AttachRequestTest {
  @Test
  void parsesWhatKubectlAttachSends() {
    // kubectl attach -it web-0 -c main (raw terminal: no stderr channel)
    var r = AttachWebSocketHandler.AttachRequest.parse(URI.create(
        "wss://127.0.0.1:6443/api/v1/namespaces/team-a/pods/web-0/attach?container=main&stdin=true&stdout=true&tty=true"));
    assertThat(r).isEqualTo(new AttachWebSocketHandler.AttachRequest("team-a", "web-0", "main", true, true, false, true));
  }

  @Test
  void withoutTtyAsksForStderr() {
    var r = AttachWebSocketHandler.AttachRequest.parse(URI.create(
        "wss://h/api/v1/namespaces/default/pods/t/attach?container=t&stderr=true&stdin=true&stdout=true"));
    assertThat(r.stdin()).isTrue();
    assertThat(r.stderr()).isTrue();
    assertThat(r.tty()).isFalse();
  }

  @Test
  void repeatedKeysKeepTheirOrderAndTheLastFlagWins() {
    var r = ChannelStreamHandler.PodStreamRequest.parse(URI.create(
        "wss://h/api/v1/namespaces/ns/pods/p/exec?command=a&command=b%20c&tty=false&tty=1"));
    assertThat(r.strings("command")).containsExactly("a", "b c");
    assertThat(r.flag("tty")).isTrue();
    assertThat(r.flag("stdin")).isFalse();
    assertThat(r.string("container")).isEmpty();
  }
}
