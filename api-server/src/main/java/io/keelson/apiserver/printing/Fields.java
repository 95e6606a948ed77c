package io.keelson.apiserver.printing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.MissingNode;

/**
 * Null-safe reads of object fields by path ("status.podIP") from JSON trees, for computing table cells
 * of objects that may have any field missing.
 */
final class Fields {

  private Fields() {}

  /** The node at a dotted path, or a missing node. */
  static JsonNode at(JsonNode n, String path) {
    JsonNode cur = n;
    for (String p : path.split("\\.")) {
      if (cur == null || !cur.isObject()) return MissingNode.getInstance();
      cur = cur.get(p);
    }
    return cur == null ? MissingNode.getInstance() : cur;
  }

  /** The string at a path, or "" when absent or not a scalar. */
  static String str(JsonNode n, String path) {
    JsonNode v = at(n, path);
    if (v.isString()) return v.stringValue();
    if (v.isNumber() || v.isBoolean()) return v.toString();
    return "";
  }

  static String strOr(JsonNode n, String path, String fallback) {
    String s = str(n, path);
    return s.isEmpty() ? fallback : s;
  }

  static long num(JsonNode n, String path) {
    JsonNode v = at(n, path);
    if (v.isNumber()) return v.longValue();
    if (v.isString()) {
      try {
        return Long.parseLong(v.stringValue());
      } catch (NumberFormatException e) {
        return 0;
      }
    }
    return 0;
  }

  static boolean bool(JsonNode n, String path) {
    JsonNode v = at(n, path);
    return v.isBoolean() ? v.booleanValue() : v.isString() && v.stringValue().equals("true");
  }

  /** The elements of the array at a path (empty if absent). */
  static List<JsonNode> list(JsonNode n, String path) {
    JsonNode v = at(n, path);
    List<JsonNode> out = new ArrayList<>();
    if (v.isArray()) v.forEach(out::add);
    return out;
  }

  /** The string map at a path, sorted by key (empty if absent). */
  static Map<String, String> map(JsonNode n, String path) {
    JsonNode v = at(n, path);
    Map<String, String> out = new TreeMap<>();
    if (v.isObject()) {
      v.properties().forEach(e -> out.put(e.getKey(), e.getValue().isString() ? e.getValue().stringValue()
          : e.getValue().toString()));
    }
    return out;
  }

  static int size(JsonNode n, String path) {
    JsonNode v = at(n, path);
    return v.isObject() || v.isArray() ? v.size() : 0;
  }
}
