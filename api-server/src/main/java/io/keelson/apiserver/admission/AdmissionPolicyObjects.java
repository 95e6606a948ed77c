package io.keelson.apiserver.admission;

import io.keelson.apiserver.cel.CelCompileException;
import io.keelson.apiserver.cel.CelEnvironment;
import io.keelson.apiserver.policy.ValidatingAdmissionPolicies;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * Validation of ValidatingAdmissionPolicies and their bindings, in kube's words: the required
 * parts, the supported values, and every CEL expression (validations, messageExpressions,
 * matchConditions, variables) compiling, so that a policy that cannot run is refused when written.
 */
final class AdmissionPolicyObjects {

  static final String GROUP = ValidatingAdmissionPolicies.GROUP;
  private static final List<String> FAILURE_POLICIES = List.of("Fail", "Ignore");
  private static final List<String> ACTIONS = List.of("Audit", "Deny", "Warn");
  private static final List<String> OPERATIONS = List.of("*", "CONNECT", "CREATE", "DELETE", "UPDATE");

  private AdmissionPolicyObjects() {}

  static void policy(JsonNode obj, FieldErrors errs) {
    JsonNode spec = obj.path("spec");
    String failurePolicy = spec.path("failurePolicy").asString("");
    if (!failurePolicy.isEmpty() && !FAILURE_POLICIES.contains(failurePolicy)) errs.notSupported("spec.failurePolicy", failurePolicy, FAILURE_POLICIES);
    JsonNode match = spec.path("matchConstraints");
    if (!match.isObject()) errs.required("spec.matchConstraints");
    else if (match.path("resourceRules").isEmpty()) errs.required("spec.matchConstraints.resourceRules");
    rules(match.path("resourceRules"), "spec.matchConstraints.resourceRules", errs);
    JsonNode paramKind = spec.path("paramKind");
    if (paramKind.isObject()) {
      if (paramKind.path("apiVersion").asString("").isEmpty()) errs.required("spec.paramKind.apiVersion");
      if (paramKind.path("kind").asString("").isEmpty()) errs.required("spec.paramKind.kind");
    }
    if (spec.path("validations").isEmpty() && spec.path("auditAnnotations").isEmpty()) {
      errs.required("spec.validations", "validations or auditAnnotations must contain at least one item");
    }
    CelEnvironment env = environment();
    Set<String> names = new HashSet<>();
    int i = 0;
    for (JsonNode c : spec.path("matchConditions")) {
      String p = "spec.matchConditions[" + i++ + "]";
      String name = c.path("name").asString("");
      if (name.isEmpty()) errs.required(p + ".name");
      else if (!names.add(name)) errs.duplicate(p + ".name", name);
      expression(env, c.path("expression"), p + ".expression", errs);
    }
    i = 0;
    for (JsonNode v : spec.path("variables")) {
      String p = "spec.variables[" + i++ + "]";
      if (v.path("name").asString("").isEmpty()) errs.required(p + ".name");
      expression(env, v.path("expression"), p + ".expression", errs);
    }
    i = 0;
    for (JsonNode v : spec.path("validations")) {
      String p = "spec.validations[" + i++ + "]";
      expression(env, v.path("expression"), p + ".expression", errs);
      if (!v.path("messageExpression").asString("").isBlank()) expression(env, v.path("messageExpression"), p + ".messageExpression", errs);
      String message = v.path("message").asString("");
      if (message.contains("\n")) errs.invalid(p + ".message", message, "message must not contain line breaks");
    }
    auditAnnotations(obj.path("metadata").path("name").asString(""), spec.path("auditAnnotations"), env, errs);
  }

  /** Each key, prefixed by the policy's name, is an annotation key (unique) and each valueExpression compiles. */
  private static void auditAnnotations(String policyName, JsonNode annotations, CelEnvironment env, FieldErrors errs) {
    Set<String> keys = new HashSet<>();
    int i = 0;
    for (JsonNode a : annotations) {
      String p = "spec.auditAnnotations[" + i++ + "]";
      String key = a.path("key").asString("");
      if (key.isEmpty()) errs.required(p + ".key");
      else if (!keys.add(key)) errs.duplicate(p + ".key", key);
      else if (!policyName.isEmpty()) for (String msg : Names.qualifiedName(policyName + "/" + key)) errs.invalid(p + ".key", key, msg);
      expression(env, a.path("valueExpression"), p + ".valueExpression", errs);
    }
  }

  static void binding(JsonNode obj, FieldErrors errs) {
    JsonNode spec = obj.path("spec");
    if (spec.path("policyName").asString("").isEmpty()) errs.required("spec.policyName");
    JsonNode actions = spec.path("validationActions");
    if (actions.isEmpty()) errs.required("spec.validationActions", "at least one validation action is required");
    Set<String> seen = new HashSet<>();
    int i = 0;
    for (JsonNode a : actions) {
      String p = "spec.validationActions[" + i++ + "]";
      if (!ACTIONS.contains(a.asString(""))) errs.notSupported(p, a.asString(""), ACTIONS);
      else if (!seen.add(a.asString(""))) errs.duplicate(p, a.asString(""));
    }
    if (seen.contains("Deny") && seen.contains("Warn")) {
      errs.invalid("spec.validationActions", actions, "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)");
    }
    JsonNode ref = spec.path("paramRef");
    if (ref.isObject()) {
      boolean byName = !ref.path("name").asString("").isEmpty();
      if (byName == ref.path("selector").isObject()) errs.forbidden("spec.paramRef", "one of `name` or `selector` must be set");
      String action = ref.path("parameterNotFoundAction").asString("");
      if (!action.isEmpty() && !List.of("Allow", "Deny").contains(action)) {
        errs.notSupported("spec.paramRef.parameterNotFoundAction", action, List.of("Allow", "Deny"));
      }
    }
    rules(spec.path("matchResources").path("resourceRules"), "spec.matchResources.resourceRules", errs);
  }

  private static void rules(JsonNode rules, String path, FieldErrors errs) {
    for (int i = 0; i < rules.size(); i++) {
      JsonNode r = rules.get(i);
      String p = path + "[" + i + "]";
      for (String f : new String[] {"apiGroups", "apiVersions", "resources", "operations"}) {
        if (r.path(f).isEmpty()) errs.required(p + "." + f);
      }
      int j = 0;
      for (JsonNode op : r.path("operations")) {
        if (!OPERATIONS.contains(op.asString(""))) errs.notSupported(p + ".operations[" + j + "]", op.asString(""), OPERATIONS);
        j++;
      }
    }
  }

  private static void expression(CelEnvironment env, JsonNode expression, String path, FieldErrors errs) {
    String source = expression.asString("");
    if (source.isBlank()) {
      errs.required(path);
      return;
    }
    try {
      env.compile(source);
    } catch (CelCompileException e) {
      errs.invalid(path, source, "compilation failed: " + e.getMessage());
    }
  }

  private static CelEnvironment environment() {
    return ValidatingAdmissionPolicies.environment();
  }
}
