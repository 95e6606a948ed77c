package io.keelson.client.json;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** metadata.managedFields is cut out of the bytes, nothing else, and what remains reads the same. */
class ManagedFieldsCutterTest {
  static String cut(String json) {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    int n = ManagedFieldsCutter.cut(b, b.length);
    return new String(b, 0, n, StandardCharsets.UTF_8);
  }

  static final String MF = "\"managedFields\":[{\"manager\":\"m\",\"fieldsV1\":{\"f:status\":{\"k:{\\\"type\\\":\\\"Ready\\\"}\":{\".\":{}}},"
      + "\"f:metadata\":{\"f:labels\":{\"f:a]}\":{}}}}},{\"manager\":\"n\"}]";

  @Test
  void theMemberIsCutWhereverItStands() {
    assertThat(cut("{\"metadata\":{\"name\":\"p\"," + MF + "},\"spec\":{}}")).isEqualTo("{\"metadata\":{\"name\":\"p\"},\"spec\":{}}");
    assertThat(cut("{\"metadata\":{" + MF + ",\"name\":\"p\"},\"spec\":{}}")).isEqualTo("{\"metadata\":{\"name\":\"p\"},\"spec\":{}}");
    assertThat(cut("{\"metadata\":{\"a\":1," + MF + ",\"name\":\"p\"}}")).isEqualTo("{\"metadata\":{\"a\":1,\"name\":\"p\"}}");
    assertThat(cut("{\"metadata\":{" + MF + "}}")).isEqualTo("{\"metadata\":{}}");
    assertThat(cut("{\"metadata\": {\n  \"name\": \"p\",\n  \"managedFields\" : [ {\"manager\": \"m\"} ]\n}}"))
        .isEqualTo("{\"metadata\": {\n  \"name\": \"p\"\n}}");
  }

  @Test
  void lookalikesStay() {
    String[] same = {
      // an annotation named managedFields has a string value
      "{\"metadata\":{\"annotations\":{\"managedFields\":\"[1]\"}}}",
      // the name inside a string, with escaped quotes around it
      "{\"metadata\":{\"annotations\":{\"x\":\"\\\"managedFields\\\":[1]\"}}}",
      // a longer or shorter name
      "{\"metadata\":{\"xmanagedFields\":[1],\"managedField\":[2]}}",
      "{\"metadata\":{\"name\":\"p\"}}",
      // unterminated: left for the parser to report
      "{\"metadata\":{\"managedFields\":[{\"a\":\"]}",
    };
    for (String s : same) {
      assertThat(cut(s)).isEqualTo(s);
    }
  }

  @Test
  void onlyTheFirstIsCut() {
    assertThat(cut("{\"metadata\":{" + MF + "},\"x\":{\"managedFields\":[1]}}"))
        .isEqualTo("{\"metadata\":{},\"x\":{\"managedFields\":[1]}}");
  }

  @Test
  void aPodReadsTheSameWithoutThem() throws Exception {
    LeanSerialization.Readable ser = LeanSerialization.builder().readable();
    byte[] b = LeanSerializationTest.POD.getBytes(StandardCharsets.UTF_8);
    Pod whole = ser.reader(Pod.class).readValue(b);
    int n = ManagedFieldsCutter.cut(b, b.length);
    assertThat(n).isLessThan(b.length);
    assertThat(new String(b, 0, n, StandardCharsets.UTF_8)).doesNotContain("managedFields").contains("\"ownerReferences\"");
    Pod cut = ser.reader(Pod.class).readValue(b, 0, n);
    assertThat(cut).isEqualTo(whole);
  }
}
