package io.keelson.client.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.keelson.client.json.LeanSerialization;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** An expired resourceVersion is told apart from other error events and unreadable lines. */
class EventDecoderTest {
  final EventDecoder<Pod> decoder = new EventDecoder<>(LeanSerialization.create(), Pod.class, "pods");

  boolean expired(String line) {
    byte[] b = line.getBytes(StandardCharsets.UTF_8);
    assertThat(decoder.decode(b, b.length)).isNull();
    return decoder.isExpired(b, b.length);
  }

  @Test
  void goneIsExpiredOtherErrorsAndGarbageAreNot() {
    assertThat(expired("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
        + "\"status\":\"Failure\",\"message\":\"too old resource version\",\"reason\":\"Expired\",\"code\":410}}")).isTrue();
    assertThat(expired("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":500,\"message\":\"boom\"}}")).isFalse();
    assertThat(expired("not json")).isFalse();
  }
}
