package io.keelson.apiserver.rest;

import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** Decoding request bodies (JSON or YAML) into objects, with errors that say what to fix. */
public final class Bodies {

  private static final YAMLMapper YAML = YAMLMapper.builder().build();

  private Bodies() {}

  static String mediaType(String contentType) {
    if (contentType == null || contentType.isBlank()) return "application/json";
    int semi = contentType.indexOf(';');
    return (semi >= 0 ? contentType.substring(0, semi) : contentType).trim().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parse a JSON or YAML body; 415 for other media types, 400 for broken documents. */
  public static JsonNode parse(byte[] body, String contentType) {
    String mt = mediaType(contentType);
    if (body.length == 0) throw StatusException.badRequest("the request body is empty; send a JSON or YAML object");
    try {
      return switch (mt) {
        case "application/json", "application/merge-patch+json", "application/strategic-merge-patch+json",
            "application/json-patch+json", "*/*" -> ObjectCodec.JSON.readTree(body);
        case ProtobufBodies.MEDIA_TYPE -> ProtobufBodies.decode(body);
        case "application/yaml", "application/x-yaml", "text/yaml", "application/apply-patch+yaml" -> {
          JsonNode n = YAML.readTree(body);
          yield n;
        }
        default -> throw StatusException.unsupportedMediaType(contentType);
      };
    } catch (JacksonException e) {
      String what = mt.contains("yaml") ? "YAML" : "JSON";
      throw StatusException.badRequest("the request body is not valid " + what + ": " + firstLine(e.getOriginalMessage())
          + location(e));
    }
  }

  private static String location(JacksonException e) {
    var loc = e.getLocation();
    return loc == null || loc.getLineNr() < 0 ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
  }

  private static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** The body as an object of {@code type}: kind and apiVersion must match the URL. */
  static ObjectNode object(byte[] body, String contentType, ResourceType type) {
    JsonNode n = parse(body, contentType);
    if (!(n instanceof ObjectNode o)) {
      throw StatusException.badRequest("the request body must be a " + type.kind() + " object, not " + kindOf(n));
    }
    checkKind(o, type.kind(), type.apiVersion());
    return o;
  }

  static void checkKind(ObjectNode o, String kind, String apiVersion) {
    String k = o.path("kind").asString("");
    String v = o.path("apiVersion").asString("");
    if (!k.isEmpty() && !k.equals(kind)) {
      throw StatusException.badRequest("the kind of the object (" + k + ") does not match the kind of this URL (" + kind + ")");
    }
    if (!v.isEmpty() && !v.equals(apiVersion)) {
      throw StatusException.badRequest("the API version in the data (" + v + ") does not match the expected API version (" + apiVersion + ")");
    }
    if (o.has("metadata") && !o.get("metadata").isObject()) {
      throw StatusException.badRequest("metadata must be an object");
    }
    o.put("kind", kind);
    o.put("apiVersion", apiVersion);
  }

  private static String kindOf(JsonNode n) {
    if (n.isArray()) return "a list";
    if (n.isString()) return "a string";
    if (n.isNumber()) return "a number";
    if (n.isNull()) return "null";
    return n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
  }
}
