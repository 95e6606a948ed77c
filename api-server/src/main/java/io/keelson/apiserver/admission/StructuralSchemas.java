package io.keelson.apiserver.admission;

import io.keelson.apiserver.resource.CustomResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A custom resource's objects against its version's {@code openAPIV3Schema}, as kube-apiserver
 * treats structural schemas: unknown fields pruned (reported for {@code fieldValidation}),
 * {@code default}s filled in, and the value checks of OpenAPI (type, required, enum, bounds,
 * lengths, pattern, item counts, nullable) answered with kube's field errors.
 */
public final class StructuralSchemas {

  /** What every object has whatever its schema says: kept, and checked as metadata elsewhere. */
  private static final Set<String> OBJECT_ROOT = Set.of("apiVersion", "kind", "metadata");

  private StructuralSchemas() {}

  // ---------------------------------------------------------------- pruning

  /** Removes fields the schema does not know from {@code obj}, adding their paths (".spec.foo") to {@code out}. */
  public static void prune(CustomResource cr, ObjectNode obj, List<String> out) {
    if (cr == null || !cr.schema().isObject()) return;
    pruneObject(cr.schema(), obj, "", out, true);
  }

  private static void pruneValue(JsonNode schema, JsonNode value, String path, List<String> out) {
    if (value == null || !schema.isObject()) return;
    if (value.isObject()) pruneObject(schema, (ObjectNode) value, path, out, schema.path("x-kubernetes-embedded-resource").asBoolean(false));
    else if (value.isArray() && schema.path("items").isObject()) {
      for (int i = 0; i < value.size(); i++) pruneValue(schema.get("items"), value.get(i), path + "[" + i + "]", out);
    }
  }

  private static void pruneObject(JsonNode schema, ObjectNode value, String path, List<String> out, boolean resource) {
    JsonNode props = schema.path("properties");
    JsonNode additional = schema.get("additionalProperties");
    boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    List<String> unknown = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : value.properties()) {
      String k = e.getKey();
      if (resource && OBJECT_ROOT.contains(k) && !props.has(k)) continue;
      if (props.has(k)) pruneValue(props.get(k), e.getValue(), path + "." + k, out);
      else if (additional != null && additional.isObject()) pruneValue(additional, e.getValue(), path + "." + k, out);
      else if (!preserve && !(additional != null && additional.asBoolean(false))) {
        unknown.add(k);
        out.add(path + "." + k); // in document order, as the decoder reports them
      }
    }
    unknown.forEach(value::remove);
  }

  // ---------------------------------------------------------------- defaulting

  /** Fills the schema's {@code default}s into {@code obj} where fields are absent (or null and not nullable). */
  public static void applyDefaults(CustomResource cr, ObjectNode obj) {
    if (cr == null || !cr.schema().isObject()) return;
    defaults(cr.schema(), obj);
  }

  private static void defaults(JsonNode schema, JsonNode value) {
    if (value instanceof ObjectNode o) {
      for (Map.Entry<String, JsonNode> p : schema.path("properties").properties()) {
        JsonNode s = p.getValue();
        JsonNode v = o.get(p.getKey());
        if (s.has("default") && (v == null || (v.isNull() && !s.path("nullable").asBoolean(false)))) {
          o.set(p.getKey(), s.get("default").deepCopy());
          v = o.get(p.getKey());
        }
        if (v != null) defaults(s, v);
      }
      JsonNode additional = schema.get("additionalProperties");
      if (additional != null && additional.isObject()) {
        for (Map.Entry<String, JsonNode> e : o.properties()) {
          if (!schema.path("properties").has(e.getKey())) defaults(additional, e.getValue());
        }
      }
    } else if (value instanceof ArrayNode a && schema.path("items").isObject()) {
      for (JsonNode item : a) defaults(schema.get("items"), item);
    }
  }

  // ---------------------------------------------------------------- validation

  /** The schema's value checks on {@code obj}, as field errors with kube's paths and messages. */
  static void validate(CustomResource cr, ObjectNode obj, FieldErrors errs) {
    if (cr == null || !cr.schema().isObject()) return;
    JsonNode schema = cr.schema();
    for (Map.Entry<String, JsonNode> e : obj.properties()) {
      if (OBJECT_ROOT.contains(e.getKey()) && !schema.path("properties").has(e.getKey())) continue;
      JsonNode s = schema.path("properties").get(e.getKey());
      if (s != null) check(s, e.getValue(), e.getKey(), errs);
    }
    for (JsonNode r : schema.path("required")) {
      if (!obj.has(r.asString())) errs.required(r.asString());
    }
  }

  private static void check(JsonNode s, JsonNode v, String path, FieldErrors errs) {
    if (v.isNull()) {
      if (!s.path("nullable").asBoolean(false) && s.has("type")) typeError(s.path("type").asString(), v, path, errs);
      return;
    }
    if (s.path("x-kubernetes-int-or-string").asBoolean(false)) {
      if (!v.isIntegralNumber() && !v.isString()) {
        errs.invalid(path, jsonType(v), path + " in body must be of type integer,string: " + FieldErrors.quote(jsonType(v)));
        return;
      }
    } else {
      String type = s.path("type").asString("");
      if (!type.isEmpty() && !hasType(type, v)) {
        typeError(type, v, path, errs);
        return;
      }
    }
    JsonNode en = s.get("enum");
    if (en != null && en.isArray()) {
      boolean found = false;
      for (JsonNode e : en) found |= e.equals(v) || (e.isNumber() && v.isNumber() && e.decimalValue().compareTo(v.decimalValue()) == 0);
      if (!found) {
        List<String> supported = new ArrayList<>();
        for (JsonNode e : en) supported.add(e.isString() ? e.stringValue() : e.toString());
        errs.notSupported(path, v, supported);
      }
    }
    if (v.isNumber()) bounds(s, v, path, errs);
    if (v.isString()) strings(s, v.stringValue(), path, errs);
    if (v.isArray()) {
      if (s.has("minItems") && v.size() < s.get("minItems").asInt()) {
        errs.invalid(path, v.size(), path + " in body should have at least " + s.get("minItems").asInt() + " items");
      }
      if (s.has("maxItems") && v.size() > s.get("maxItems").asInt()) errs.tooMany(path, v.size(), s.get("maxItems").asInt());
      JsonNode items = s.get("items");
      if (items != null && items.isObject()) for (int i = 0; i < v.size(); i++) check(items, v.get(i), path + "[" + i + "]", errs);
    }
    if (v.isObject()) {
      JsonNode props = s.path("properties");
      JsonNode additional = s.get("additionalProperties");
      boolean embedded = s.path("x-kubernetes-embedded-resource").asBoolean(false);
      for (Map.Entry<String, JsonNode> e : v.properties()) {
        JsonNode ps = props.get(e.getKey());
        if (ps == null && additional != null && additional.isObject()) ps = additional;
        if (ps != null) check(ps, e.getValue(), path + "." + e.getKey(), errs);
      }
      for (JsonNode r : s.path("required")) if (!v.has(r.asString())) errs.required(path + "." + r.asString());
      if (embedded) {
        // an object embedded whole (a template): kube requires its kind and apiVersion
        if (v.path("kind").asString("").isEmpty()) errs.required(path + ".kind", "must not be empty");
        if (v.path("apiVersion").asString("").isEmpty()) errs.required(path + ".apiVersion", "must not be empty");
      }
    }
  }

  private static void bounds(JsonNode s, JsonNode v, String path, FieldErrors errs) {
    java.math.BigDecimal n = v.decimalValue();
    if (s.has("minimum")) {
      java.math.BigDecimal min = s.get("minimum").decimalValue();
      boolean exclusive = s.path("exclusiveMinimum").asBoolean(false);
      if (exclusive ? n.compareTo(min) <= 0 : n.compareTo(min) < 0) {
        errs.invalid(path, v, path + " in body should be greater than " + (exclusive ? "" : "or equal to ") + plain(s.get("minimum")));
      }
    }
    if (s.has("maximum")) {
      java.math.BigDecimal max = s.get("maximum").decimalValue();
      boolean exclusive = s.path("exclusiveMaximum").asBoolean(false);
      if (exclusive ? n.compareTo(max) >= 0 : n.compareTo(max) > 0) {
        errs.invalid(path, v, path + " in body should be less than " + (exclusive ? "" : "or equal to ") + plain(s.get("maximum")));
      }
    }
  }

  private static void strings(JsonNode s, String v, String path, FieldErrors errs) {
    int length = v.codePointCount(0, v.length());
    if (s.has("minLength") && length < s.get("minLength").asInt()) {
      errs.invalid(path, v, path + " in body should be at least " + s.get("minLength").asInt() + " chars long");
    }
    if (s.has("maxLength") && length > s.get("maxLength").asInt()) errs.tooLong(path, s.get("maxLength").asInt());
    if (s.has("pattern")) {
      String pattern = s.get("pattern").asString();
      try {
        if (!Pattern.compile(pattern).matcher(v).find()) errs.invalid(path, v, path + " in body should match '" + pattern + "'");
      } catch (PatternSyntaxException e) {
        // the definition's validation rejects bad patterns; one that slipped through checks nothing
      }
    }
  }

  private static String plain(JsonNode n) {
    return n.isIntegralNumber() ? n.asString() : n.decimalValue().stripTrailingZeros().toPlainString();
  }

  private static boolean hasType(String type, JsonNode v) {
    return switch (type) {
      case "object" -> v.isObject();
      case "array" -> v.isArray();
      case "string" -> v.isString();
      case "integer" -> v.isIntegralNumber() || (v.isNumber() && v.decimalValue().stripTrailingZeros().scale() <= 0);
      case "number" -> v.isNumber();
      case "boolean" -> v.isBoolean();
      default -> true;
    };
  }

  /** kube's words: {@code spec.replicas in body must be of type integer: "string"}, the value shown as its type. */
  private static void typeError(String type, JsonNode v, String path, FieldErrors errs) {
    errs.invalid(path, jsonType(v), path + " in body must be of type " + type + ": " + FieldErrors.quote(jsonType(v)));
  }

  private static String jsonType(JsonNode v) {
    if (v.isNull()) return "null";
    if (v.isString()) return "string";
    if (v.isIntegralNumber()) return "integer";
    if (v.isNumber()) return "number";
    if (v.isBoolean()) return "boolean";
    if (v.isArray()) return "array";
    return "object";
  }
}
