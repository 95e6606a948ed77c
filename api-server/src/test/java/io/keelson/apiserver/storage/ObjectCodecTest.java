package io.keelson.apiserver.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Stored bytes, the response spliced from them, and copies that equal a decode. */
class ObjectCodecTest {

  private static ObjectNode parse(String json) {
    return (ObjectNode) ObjectCodec.JSON.readTree(json);
  }

  @Test
  void storedBytesAreThoseOfEncodeAndTheResponseAddsOnlyTheResourceVersion() {
    ObjectNode o = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}}}},"
        + "\"metadata\":{\"name\":\"web\",\"namespace\":\"d\",\"resourceVersion\":\"3\",\"labels\":{\"x\":\"\\\"metadata\\\":{\"}},"
        + "\"status\":{\"replicas\":2,\"ratio\":0.5}}");
    ObjectCodec.Stored s = ObjectCodec.encodeStored(o);
    assertThat(new String(s.bytes(), StandardCharsets.UTF_8)).isEqualTo(new String(ObjectCodec.encode(o), StandardCharsets.UTF_8));
    assertThat(new String(s.bytes(), StandardCharsets.UTF_8)).doesNotContain("resourceVersion");

    JsonNode response = ObjectCodec.JSON.readTree(s.withResourceVersion(42));
    ObjectNode expected = o.deepCopy();
    ObjectCodec.setResourceVersion(expected, 42);
    assertThat(response).isEqualTo(expected);
  }

  @Test
  void metadataWithOnlyAResourceVersionStillGivesValidJson() {
    ObjectCodec.Stored s = ObjectCodec.encodeStored(parse("{\"metadata\":{\"resourceVersion\":\"1\"},\"data\":{}}"));
    assertThat(ObjectCodec.JSON.readTree(s.withResourceVersion(9)))
        .isEqualTo(parse("{\"metadata\":{\"resourceVersion\":\"9\"},\"data\":{}}"));
  }

  @Test
  void decodedCopyEqualsADecodeOfTheStoredBytes() {
    ObjectNode o = parse("{\"metadata\":{\"name\":\"n\"},\"spec\":{\"list\":[1,\"two\",true,null,2.5]}}");
    ObjectNode spec = (ObjectNode) o.get("spec");
    spec.put("generation", 7L); // a LongNode in memory, an IntNode after a round trip
    spec.put("big", 1L << 40);
    ObjectNode copy = ObjectCodec.decodedCopy(o);
    ObjectNode decoded = ObjectCodec.decode(new EtcdStore.Entry("k", ObjectCodec.encode(o), 5));
    ObjectCodec.setResourceVersion(copy, 5);
    assertThat(copy).isEqualTo(decoded).isNotSameAs(o);
    assertThat(o).isNotEqualTo(decoded); // what the copy is for: the LongNode 7 differs from a decoded 7
    spec.put("changed", "after"); // the copy is independent of the original
    assertThat(copy.path("spec").has("changed")).isFalse();
  }

  @Test
  void unusualNodesAreNotCopied() {
    ObjectNode o = parse("{\"metadata\":{\"name\":\"n\"}}");
    o.put("blob", new byte[] {1, 2});
    assertThat(ObjectCodec.decodedCopy(o)).isNull();
  }

  @Test
  void normalizedInPlaceAnObjectEqualsADecodeOfItsStoredBytes() {
    ObjectNode o = parse("{\"metadata\":{\"name\":\"n\"},\"spec\":{\"list\":[1,\"two\",true,null,2.5]}}");
    ObjectNode spec = (ObjectNode) o.get("spec");
    spec.put("generation", 7L);
    spec.put("big", 1L << 40);
    ((tools.jackson.databind.node.ArrayNode) spec.get("list")).add(8L);
    byte[] stored = ObjectCodec.encode(o);
    assertThat(ObjectCodec.normalizeDecoded(o)).isTrue();
    ObjectCodec.setResourceVersion(o, 5);
    assertThat(o).isEqualTo(ObjectCodec.decode(new EtcdStore.Entry("k", stored, 5)));
    assertThat(ObjectCodec.encode(o)).isEqualTo(stored); // the same JSON as before
  }

  @Test
  void unusualNodesCannotBeNormalized() {
    ObjectNode o = parse("{\"metadata\":{\"name\":\"n\"}}");
    o.putObject("spec").put("blob", new byte[] {1, 2});
    assertThat(ObjectCodec.normalizeDecoded(o)).isFalse();
  }
}
