package io.keelson.apiserver.patch;

import io.fabric8.zjsonpatch.CompatibilityFlags;
import io.fabric8.zjsonpatch.JsonPatch;
import io.fabric8.zjsonpatch.JsonPatchException;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Applies a PATCH request body to the stored object: JSON patch (RFC 6902), JSON merge patch
 * (RFC 7386) or Kubernetes strategic merge patch, chosen by the request's Content-Type. Pure: the
 * stored object is never changed, a new one is returned. Server-side apply is {@link ServerSideApply}.
 */
public final class PatchApplier {

  public static final String JSON_PATCH = "application/json-patch+json";
  public static final String MERGE_PATCH = "application/merge-patch+json";
  public static final String STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private PatchApplier() {}

  /**
   * Returns {@code current} with {@code body} applied.
   *
   * @param contentType the request's Content-Type (parameters such as {@code charset} are ignored)
   * @throws StatusException 415 for an unknown patch type, 400 for a malformed body, 422 when a JSON
   *     patch {@code test} operation or path does not match the object
   */
  public static ObjectNode apply(String contentType, ObjectNode current, byte[] body, ResourceType type) {
    String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return switch (mediaType) {
      case JSON_PATCH -> jsonPatch(current, parse(body, "json patch"), type);
      case MERGE_PATCH -> mergePatch(current, parseObject(body, "merge patch"));
      case STRATEGIC_MERGE_PATCH -> StrategicMergePatch.apply(type, current, parseObject(body, "strategic merge patch"));
      default -> throw StatusException.unsupportedPatchType(contentType, false);
    };
  }

  private static ObjectNode jsonPatch(ObjectNode current, JsonNode patch, ResourceType type) {
    if (!patch.isArray()) {
      throw StatusException.badRequest("json patch must be a list of operations, e.g. "
          + "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":3}], got " + describe(patch));
    }
    for (int i = 0; i < patch.size(); i++) {
      JsonNode op = patch.get(i);
      if (!op.isObject()) throw StatusException.badRequest("json patch operation " + i + " is not an object: " + op);
      JsonNode name = op.get("op");
      if (name == null || !name.isString()) throw StatusException.badRequest("json patch operation " + i + " has no \"op\"");
      String o = name.stringValue();
      if (!List.of("add", "remove", "replace", "move", "copy", "test").contains(o)) {
        throw StatusException.badRequest("json patch operation " + i + ": unexpected kind of operation \"" + o + "\"");
      }
      if (!op.has("path") || !op.get("path").isString()) {
        throw StatusException.badRequest("json patch operation " + i + " (" + o + ") has no \"path\"");
      }
      if (List.of("add", "replace", "test").contains(o) && !op.has("value")) {
        throw StatusException.badRequest("json patch operation " + i + " (" + o + " " + op.get("path").stringValue()
            + ") has no \"value\"");
      }
      if (List.of("move", "copy").contains(o) && !(op.has("from") && op.get("from").isString())) {
        throw StatusException.badRequest("json patch operation " + i + " (" + o + ") has no \"from\"");
      }
    }
    JsonNode result;
    try {
      // RFC 6902 strictly, as Kubernetes: removing a missing key is an error.
      result = JsonPatch.apply(patch, current.deepCopy(), EnumSet.of(CompatibilityFlags.FORBID_REMOVE_MISSING_OBJECT));
    } catch (JsonPatchException e) {
      String where = e.getOperation() == null || e.getPath() == null ? ""
          : e.getOperation().name().toLowerCase(Locale.ROOT) + " " + e.getPath() + ": ";
      throw invalidPatch(current, type, where + e.getMessage());
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      throw invalidPatch(current, type, e.getMessage());
    } catch (RuntimeException e) {
      throw StatusException.badRequest("invalid json patch: " + e.getMessage());
    }
    if (!result.isObject()) throw StatusException.badRequest("json patch replaced the whole object with " + describe(result));
    return (ObjectNode) result;
  }

  /**
   * 422 as Kubernetes answers a JSON patch that does not fit the object; the cause carries the
   * detail so that kubectl prints it ({@code The request is invalid: patch: ...}).
   */
  private static StatusException invalidPatch(ObjectNode current, ResourceType type, String why) {
    return new StatusException(422, "Invalid", "the server rejected our request due to an error in our request: " + why,
        null, null, null, List.of(new StatusException.Cause("FieldValueInvalid", why, "patch")), null);
  }

  /** RFC 7386: objects merge recursively, null removes, everything else replaces. */
  static ObjectNode mergePatch(ObjectNode current, ObjectNode patch) {
    return (ObjectNode) merge(current.deepCopy(), patch);
  }

  private static JsonNode merge(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) return patch.deepCopy();
    ObjectNode out = target != null && target.isObject() ? (ObjectNode) target : JSON.createObjectNode();
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      if (e.getValue().isNull()) out.remove(e.getKey());
      else out.set(e.getKey(), merge(out.get(e.getKey()), e.getValue()));
    }
    return out;
  }

  private static ObjectNode parseObject(byte[] body, String what) {
    JsonNode n = parse(body, what);
    if (!n.isObject()) throw StatusException.badRequest(what + " must be a JSON object, got " + describe(n));
    return (ObjectNode) n;
  }

  private static JsonNode parse(byte[] body, String what) {
    if (body == null || body.length == 0) throw StatusException.badRequest("empty " + what + " body");
    try {
      JsonNode n = JSON.readTree(body);
      if (n == null || n.isMissingNode()) throw StatusException.badRequest("empty " + what + " body");
      return n;
    } catch (JacksonException e) {
      throw StatusException.badRequest("error decoding " + what + ": " + e.getOriginalMessage());
    }
  }

  private static String describe(JsonNode n) {
    return switch (n.getNodeType()) {
      case ARRAY -> "a list";
      case OBJECT -> "an object";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> n.getNodeType().toString().toLowerCase(Locale.ROOT);
    };
  }
}
