package io.keelson.agent.driver.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.agent.driver.qemu.GuestProtocol.Frame;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GuestProtocolTest {

  @Test
  void keyValuePayloadsKeepRepeatedKeysInOrder() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("arg", List.of("sh", "-c", "echo a=b"));
    m.put("cwd", "/tmp");
    Frame f = new Frame(GuestProtocol.TASK_START, 7, GuestProtocol.kv(m));
    assertThat(f.values("arg")).containsExactly("sh", "-c", "echo a=b");
    assertThat(f.value("cwd")).contains("/tmp");
    assertThat(f.value("uid")).isEmpty();
  }

  @Test
  void framesSplitAcrossReadsAreReassembled() {
    byte[] a = GuestProtocol.encode(GuestProtocol.STDOUT, 42, "hello\n".getBytes(StandardCharsets.UTF_8));
    byte[] b = GuestProtocol.encode(GuestProtocol.EXIT, 42, GuestProtocol.kv(Map.of("code", 3)));
    byte[] all = concat(a, b);
    GuestProtocol.Decoder d = new GuestProtocol.Decoder();
    d.feed(all, 0, 5);
    assertThat(d.next()).isNull();
    d.feed(all, 5, all.length - 5);
    Frame first = d.next();
    assertThat(first.type()).isEqualTo(GuestProtocol.STDOUT);
    assertThat(first.stream()).isEqualTo(42);
    assertThat(first.text()).isEqualTo("hello\n");
    assertThat(d.next().value("code")).contains("3");
    assertThat(d.next()).isNull();
  }

  @Test
  void aReaderJoiningMidFrameResynchronises() {
    byte[] cut = GuestProtocol.encode(GuestProtocol.STDOUT, 1, "x".repeat(100).getBytes(StandardCharsets.UTF_8));
    byte[] good = GuestProtocol.encode(GuestProtocol.HELLO_ACK, 0, "nonce".getBytes(StandardCharsets.UTF_8));
    byte[] stream = concat(java.util.Arrays.copyOfRange(cut, 30, cut.length), good);
    GuestProtocol.Decoder d = new GuestProtocol.Decoder();
    d.feed(stream, 0, stream.length);
    Frame f = d.next();
    assertThat(f.type()).isEqualTo(GuestProtocol.HELLO_ACK);
    assertThat(f.text()).isEqualTo("nonce");
    assertThat(d.skipped()).isEqualTo(cut.length - 30);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      o.writeBytes(p);
    }
    return o.toByteArray();
  }
}
