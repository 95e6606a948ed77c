package io.keelson.apiserver.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.patch.PatchApplier;
import io.keelson.apiserver.patch.ServerSideApply;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Every field of a valid object of each kind replaced by every wrong JSON type: defaulting,
 * validation, field tracking and patching must answer with a StatusException (4xx) or accept it,
 * never fail with anything else (which the REST layer would turn into a 500).
 */
class MalformedInputTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final List<JsonNode> WRONG = List.of(
      JSON.readTree("\"text\""), JSON.readTree("-7"), JSON.readTree("2.5"), JSON.readTree("true"), JSON.readTree("null"),
      JSON.readTree("{\"x\":{\"y\":1}}"), JSON.readTree("[1,\"a\",{}]"), JSON.readTree("{}"), JSON.readTree("[]"));

  static List<String> kinds() {
    return ValidatorTest.kinds().toList();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void everyFieldWithEveryWrongTypeIsHandled(String kind) {
    ResourceType type = ValidatorTest.type(kind);
    ObjectNode valid = ValidatorTest.valid(kind);
    List<String> pointers = new ArrayList<>();
    collect(valid, "", pointers);
    int runs = 0;
    for (String pointer : pointers) {
      for (JsonNode wrong : WRONG) {
        ObjectNode obj = valid.deepCopy();
        replace(obj, pointer, wrong);
        exercise(type, obj, valid);
        runs++;
      }
    }
    assertThat(runs).isGreaterThan(20);
  }

  private static void exercise(ResourceType type, ObjectNode obj, ObjectNode valid) {
    String what = type.kind() + " " + obj;
    try {
      FieldValidation.checkTypes(type, obj.deepCopy());
    } catch (StatusException e) {
      assertThat(e.code()).as(what).isEqualTo(400);
    }
    FieldValidation.unknownFields(type, obj);
    FieldValidation.removeUnknownFields(type, obj.deepCopy());
    ObjectNode defaulted = obj.deepCopy();
    Defaulter.applyDefaults(type, defaulted);
    for (ObjectNode old : new ObjectNode[] {null, valid}) {
      try {
        Validator.validate(type, defaulted, old);
      } catch (StatusException e) {
        assertThat(e.code()).as(what).isEqualTo(422);
      }
    }
    ServerSideApply.recordUpdate(type, valid, defaulted, "m", "Update");
    ServerSideApply.recordUpdate(type, null, defaulted, "m", "Update");
    try {
      ServerSideApply.apply(type, valid, obj, "m", false);
      ServerSideApply.apply(type, null, obj, "m", true);
    } catch (StatusException e) {
      assertThat(e.code()).as(what).isBetween(400, 422);
    }
    for (String ct : new String[] {"application/strategic-merge-patch+json", "application/merge-patch+json"}) {
      try {
        PatchApplier.apply(ct, valid, obj.toString().getBytes(StandardCharsets.UTF_8), type);
      } catch (StatusException e) {
        assertThat(e.code()).as(what).isBetween(400, 422);
      }
    }
  }

  private static void collect(JsonNode n, String pointer, List<String> out) {
    if (n.isObject()) {
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        String p = pointer + "/" + e.getKey().replace("~", "~0").replace("/", "~1");
        out.add(p);
        collect(e.getValue(), p, out);
      }
    } else if (n.isArray()) {
      for (int i = 0; i < n.size(); i++) {
        out.add(pointer + "/" + i);
        collect(n.get(i), pointer + "/" + i, out);
      }
    }
  }

  private static void replace(ObjectNode root, String pointer, JsonNode value) {
    int slash = pointer.lastIndexOf('/');
    JsonNode parent = root.at(pointer.substring(0, slash));
    String last = pointer.substring(slash + 1).replace("~1", "/").replace("~0", "~");
    if (parent.isArray()) ((ArrayNode) parent).set(Integer.parseInt(last), value.deepCopy());
    else ((ObjectNode) parent).set(last, value.deepCopy());
  }

  static List<String> hostilePatches() {
    List<String> out = new ArrayList<>();
    for (JsonNode w : WRONG) {
      out.add("{\"spec\":{\"$setElementOrder/containers\":" + w + "}}");
      out.add("{\"spec\":{\"$setElementOrder/containers\":[" + w + "]}}");
      out.add("{\"spec\":{\"$retainKeys\":" + w + "}}");
      out.add("{\"spec\":{\"$patch\":" + w + "}}");
      out.add("{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":" + w + "}}");
      out.add("{\"spec\":{\"containers\":[" + w + "]}}");
      out.add("{\"spec\":{\"containers\":[{\"name\":" + w + ",\"image\":\"x\"}]}}");
      out.add("{\"spec\":{\"containers\":[{\"name\":\"web\",\"$patch\":" + w + "}]}}");
      out.add("{\"spec\":{\"containers\":[{\"name\":\"web\",\"ports\":[" + w + "]}]}}");
      out.add("{\"metadata\":{\"finalizers\":[" + w + "]}}");
      out.add("{\"spec\":{\"containers\":" + w + "}}");
    }
    out.add("{\"spec\":{\"containers\":[[1]]}}");
    return out;
  }

  @ParameterizedTest
  @MethodSource("hostilePatches")
  void hostileStrategicPatchesAreHandled(String patch) {
    ResourceType pods = ValidatorTest.type("Pod");
    ObjectNode pod = ValidatorTest.valid("Pod");
    try {
      PatchApplier.apply("application/strategic-merge-patch+json", pod, patch.getBytes(StandardCharsets.UTF_8), pods);
    } catch (StatusException e) {
      assertThat(e.code()).as(patch).isBetween(400, 422);
    }
  }
}
