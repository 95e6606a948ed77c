package io.keelson.apiserver.admission;

import io.keelson.apiserver.cel.CelCompileException;
import io.keelson.apiserver.cel.CelEnvironment;
import io.keelson.apiserver.cel.CelEvaluationError;
import io.keelson.apiserver.cel.CelExpression;
import io.keelson.apiserver.cel.CelValues;
import io.keelson.apiserver.resource.CustomResource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A CustomResourceDefinition's CEL rules ({@code x-kubernetes-validations}), as kube-apiserver
 * treats them: compiled when the definition is written (a rule that does not compile makes the
 * definition invalid), and evaluated on every write of its objects with {@code self} the value at
 * the rule's schema node and, on updates, {@code oldSelf} its previous value (transition rules,
 * which read oldSelf, are skipped when there is none unless {@code optionalOldSelf}). Unchanged
 * values are not held to rules added later (kube's validation ratcheting).
 */
final class ValidationRules {

  static final String SELF = "self";
  static final String OLD_SELF = "oldSelf";
  private static final List<String> REASONS = List.of("FieldValueInvalid", "FieldValueForbidden", "FieldValueRequired", "FieldValueDuplicate");
  private static final CelEnvironment RULES = new CelEnvironment(List.of(SELF, OLD_SELF), List.of());
  private static final CelEnvironment OPTIONAL_OLD_SELF_RULES = new CelEnvironment(List.of(SELF), List.of(OLD_SELF));
  /** A rule's fieldPath: {@code .name} or {@code ['name']} steps. */
  private static final Pattern FIELD_PATH_STEP = Pattern.compile("\\.([^.\\[\\]]+)|\\['((?:[^'\\\\]|\\\\.)*)'\\]");

  private ValidationRules() {}

  // ---------------------------------------------------------------- on the definition

  /** Every rule of every version's schema compiles, with kube's field paths and messages. */
  static void compileAll(JsonNode spec, FieldErrors errs) {
    JsonNode versions = spec.path("versions");
    boolean shared = true; // kube reports a schema all versions share at spec.validation
    for (JsonNode v : versions) shared &= v.path("schema").equals(versions.path(0).path("schema"));
    for (int i = 0; i < versions.size(); i++) {
      JsonNode schema = versions.get(i).path("schema").path("openAPIV3Schema");
      if (!schema.isObject()) continue;
      if (shared && i > 0) break;
      compileSchema(schema, shared ? "spec.validation.openAPIV3Schema" : "spec.versions[" + i + "].schema.openAPIV3Schema", errs);
    }
  }

  private static void compileSchema(JsonNode schema, String path, FieldErrors errs) {
    JsonNode rules = schema.path("x-kubernetes-validations");
    for (int i = 0; i < rules.size(); i++) compileRule(rules.get(i), path + ".x-kubernetes-validations[" + i + "]", errs);
    for (Map.Entry<String, JsonNode> p : schema.path("properties").properties()) {
      compileSchema(p.getValue(), path + ".properties[" + p.getKey() + "]", errs);
    }
    if (schema.path("items").isObject()) compileSchema(schema.get("items"), path + ".items", errs);
    if (schema.path("additionalProperties").isObject()) compileSchema(schema.get("additionalProperties"), path + ".additionalProperties", errs);
  }

  private static void compileRule(JsonNode rule, String path, FieldErrors errs) {
    String source = rule.path("rule").asString("").trim();
    String message = rule.path("message").asString("");
    if (source.isEmpty()) {
      errs.required(path + ".rule", "rule is not specified");
      return;
    }
    if (!message.isEmpty() && message.trim().isEmpty()) errs.invalid(path + ".message", message, "message must be non-empty if specified");
    else if (message.trim().contains("\n")) errs.invalid(path + ".message", message, "message must not contain line breaks");
    else if (source.contains("\n") && message.trim().isEmpty()) {
      errs.required(path + ".message", "message must be specified if rule contains line breaks");
    }
    String reason = rule.path("reason").asString("");
    if (!reason.isEmpty() && !REASONS.contains(reason)) errs.notSupported(path + ".reason", reason, REASONS);
    GoRule shown = new GoRule(rule);
    try {
      environment(rule).compile(source);
    } catch (CelCompileException e) {
      errs.invalid(path + ".rule", shown, "compilation failed: " + e.getMessage());
    }
    String messageExpression = rule.path("messageExpression").asString("");
    if (!messageExpression.isBlank()) {
      try {
        environment(rule).compile(messageExpression);
      } catch (CelCompileException e) {
        errs.invalid(path + ".messageExpression", shown, "messageExpression compilation failed: " + e.getMessage());
      }
    }
  }

  private static CelEnvironment environment(JsonNode rule) {
    return rule.path("optionalOldSelf").asBoolean(false) ? OPTIONAL_OLD_SELF_RULES : RULES;
  }

  // ---------------------------------------------------------------- on the objects

  /** Evaluates the rules of {@code cr}'s schema on {@code obj} ({@code old}: its stored version on update). */
  static void validate(CustomResource cr, ObjectNode obj, ObjectNode old, FieldErrors errs) {
    if (cr == null || !cr.schema().isObject() || !hasRules(cr.schema())) return;
    evaluate(cr.schema(), rootView(obj), old == null ? null : rootView(old), null, errs);
  }

  /** Whether any node of the schema has rules: most have none, and their objects need no copy. */
  private static boolean hasRules(JsonNode schema) {
    if (!schema.path("x-kubernetes-validations").isEmpty()) return true;
    for (Map.Entry<String, JsonNode> p : schema.path("properties").properties()) if (hasRules(p.getValue())) return true;
    return (schema.path("items").isObject() && hasRules(schema.get("items")))
        || (schema.path("additionalProperties").isObject() && hasRules(schema.get("additionalProperties")));
  }

  /** At the root, kube shows rules only apiVersion, kind, metadata.name and metadata.generateName. */
  private static ObjectNode rootView(ObjectNode obj) {
    ObjectNode view = obj.deepCopy();
    ObjectNode md = view.putObject("metadata");
    JsonNode meta = obj.path("metadata");
    if (meta.has("name")) md.set("name", meta.get("name"));
    if (meta.has("generateName")) md.set("generateName", meta.get("generateName"));
    return view;
  }

  /** @param path kube's field path of this node, {@code null} at the root (printed as {@code <nil>}) */
  private static void evaluate(JsonNode schema, JsonNode value, JsonNode old, String path, FieldErrors errs) {
    if (value == null || value.isNull() || !schema.isObject()) return; // rules hold for non-null values only
    JsonNode rules = schema.path("x-kubernetes-validations");
    boolean unchanged = old != null && old.equals(value);
    for (JsonNode rule : rules) check(schema, rule, value, old, unchanged, path, errs);
    if (value.isObject()) {
      JsonNode props = schema.path("properties");
      JsonNode additional = schema.path("additionalProperties");
      for (Map.Entry<String, JsonNode> e : value.properties()) {
        String k = e.getKey();
        JsonNode oldValue = old != null && old.isObject() ? old.get(k) : null;
        if (props.has(k)) evaluate(props.get(k), e.getValue(), oldValue, child(path, k), errs);
        else if (additional.isObject()) evaluate(additional, e.getValue(), oldValue, (path == null ? "" : path) + "[" + k + "]", errs);
      }
    } else if (value.isArray() && schema.path("items").isObject()) {
      for (int i = 0; i < value.size(); i++) {
        evaluate(schema.get("items"), value.get(i), oldItem(schema, value.get(i), old), (path == null ? "" : path) + "[" + i + "]", errs);
      }
    }
  }

  private static void check(JsonNode schema, JsonNode rule, JsonNode value, JsonNode old, boolean unchanged, String path, FieldErrors errs) {
    boolean optionalOldSelf = rule.path("optionalOldSelf").asBoolean(false);
    CelEnvironment env = optionalOldSelf ? OPTIONAL_OLD_SELF_RULES : RULES;
    String type = schema.path("type").asString("");
    String at = path == null ? "<nil>" : path;
    CelExpression expression;
    try {
      expression = env.compile(rule.path("rule").asString("").trim());
    } catch (CelCompileException e) {
      errs.invalid(at, type, "rule compile error: " + e.getMessage()); // a definition stored before rules were checked
      return;
    }
    boolean transition = expression.references(OLD_SELF);
    if (transition && old == null && !optionalOldSelf) return; // transition rules need a previous value
    if (!transition && unchanged) return; // ratcheting: what was accepted before stays accepted
    Map<String, Object> vars = new HashMap<>();
    vars.put(SELF, CelValues.of(value));
    vars.put(OLD_SELF, optionalOldSelf ? CelValues.optional(old == null ? null : old) : CelValues.of(old));
    try {
      if (expression.test(vars)) return;
    } catch (CelEvaluationError e) {
      errs.invalid(at, type, e.getMessage() + " evaluating rule: " + ruleString(rule));
      return;
    }
    String field = withFieldPath(path, rule.path("fieldPath").asString(""), schema);
    String detail = message(rule, env, vars);
    switch (rule.path("reason").asString("")) {
      case "FieldValueForbidden" -> errs.forbidden(field, detail);
      case "FieldValueRequired" -> errs.required(field, detail);
      case "FieldValueDuplicate" -> errs.duplicate(field, type);
      default -> errs.invalid(field, type, detail);
    }
  }

  /** messageExpression's text when it gives a usable one, else the message, else "failed rule: <rule>". */
  private static String message(JsonNode rule, CelEnvironment env, Map<String, Object> vars) {
    String text = env.message(rule.path("messageExpression").asString(""), vars);
    if (text != null) return text;
    String message = rule.path("message").asString("").trim();
    return message.isEmpty() ? "failed rule: " + ruleString(rule) : message;
  }

  private static String ruleString(JsonNode rule) {
    String message = rule.path("message").asString("").trim();
    return message.isEmpty() ? rule.path("rule").asString("").trim() : message;
  }

  /** The rule's own fieldPath ({@code .spec.x}, {@code ['a.b']}) below the node's path, as kube's errors name it. */
  private static String withFieldPath(String path, String fieldPath, JsonNode schema) {
    String out = path;
    Matcher m = FIELD_PATH_STEP.matcher(fieldPath);
    JsonNode s = schema;
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2).replaceAll("\\\\(.)", "$1");
      if (s.path("properties").has(name)) {
        out = child(out, name);
        s = s.path("properties").path(name);
      } else {
        out = (out == null ? "" : out) + "[" + name + "]";
        s = s.path("additionalProperties");
      }
    }
    return out == null ? "<nil>" : out;
  }

  private static String child(String path, String name) {
    return path == null ? name : path + "." + name;
  }

  /** Only items of a list-type map correlate with an old item (by their keys); other lists are atomic. */
  private static JsonNode oldItem(JsonNode schema, JsonNode item, JsonNode old) {
    if (old == null || !old.isArray() || !"map".equals(schema.path("x-kubernetes-list-type").asString(""))) return null;
    List<String> keys = new ArrayList<>();
    for (JsonNode k : schema.path("x-kubernetes-list-map-keys")) keys.add(k.asString());
    for (JsonNode candidate : old) {
      boolean same = true;
      for (String k : keys) same &= Objects.equals(candidate.get(k), item.get(k));
      if (same) return candidate;
    }
    return null;
  }

  /** A rule as kube prints it in a compile error: Go's {@code %#v} of its ValidationRule. */
  private record GoRule(JsonNode rule) {
    @Override
    public String toString() {
      String reason = rule.path("reason").asString("");
      return "apiextensions.ValidationRule{Rule:" + FieldErrors.quote(rule.path("rule").asString(""))
          + ", Message:" + FieldErrors.quote(rule.path("message").asString(""))
          + ", MessageExpression:" + FieldErrors.quote(rule.path("messageExpression").asString(""))
          + ", Reason:" + (reason.isEmpty() ? "(*apiextensions.FieldValueErrorReason)(nil)" : "&" + FieldErrors.quote(reason))
          + ", FieldPath:" + FieldErrors.quote(rule.path("fieldPath").asString(""))
          + ", OptionalOldSelf:" + (rule.has("optionalOldSelf") ? "&" + rule.path("optionalOldSelf").asBoolean(false) : "(*bool)(nil)") + "}";
    }
  }
}
