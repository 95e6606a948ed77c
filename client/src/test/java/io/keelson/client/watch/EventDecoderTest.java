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

  @Test
  void eventsDecodeAsFabric8sUnmarshalDecodesThem() {
    String pod = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"n\","
        + "\"resourceVersion\":\"7\",\"labels\":{\"a\":\"b\"}},\"spec\":{\"nodeName\":\"n1\",\"containers\":"
        + "[{\"name\":\"c\",\"image\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"10m\"}}}],\"future\":1},"
        + "\"status\":{\"phase\":\"Running\"}}";
    byte[] line = ("{\"type\":\"ADDED\",\"object\":" + pod + "}").getBytes(StandardCharsets.UTF_8);
    // a plain fabric8 mapping (no kept reader) and the lean one (reader over the bytes) agree
    var plain = new EventDecoder<>(new io.fabric8.kubernetes.client.utils.KubernetesSerialization(), Pod.class, "pods");

    EventDecoder.Event<Pod> lean = decoder.decode(line, line.length);
    assertThat(lean.type).isEqualTo("ADDED");
    assertThat(lean.object).isEqualTo(plain.decode(line, line.length).object);
    assertThat(lean.object.getSpec().getAdditionalProperties()).containsEntry("future", 1);
  }
}
