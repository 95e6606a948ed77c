package io.keelson.apiserver.admission;

import io.keelson.apiserver.cel.CelCompileException;
import io.keelson.apiserver.webhook.WebhookAdmission;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Defaults and validation of admissionregistration.k8s.io/v1 Mutating- and
 * ValidatingWebhookConfigurations, as kube's admissionregistration/v1/defaults.go and
 * admissionregistration/validation say: what a webhook may name (a three-segment domain, unique in
 * its configuration), where it is reached (a url or a Service, not both) and how it is called.
 */
final class WebhookConfigurations {

  static final String GROUP = "admissionregistration.k8s.io";

  private static final List<String> FAILURE_POLICIES = List.of("Fail", "Ignore");
  private static final List<String> MATCH_POLICIES = List.of("Equivalent", "Exact");
  private static final List<String> SIDE_EFFECTS = List.of("None", "NoneOnDryRun"); // v1 refuses Unknown and Some
  private static final List<String> REINVOCATION_POLICIES = List.of("IfNeeded", "Never");
  private static final List<String> REVIEW_VERSIONS = List.of("v1", "v1beta1");
  private static final List<String> SCOPES = List.of("*", "Cluster", "Namespaced");
  private static final List<String> OPERATIONS = List.of("*", "CONNECT", "CREATE", "DELETE", "UPDATE");
  private static final int MAX_MATCH_CONDITIONS = 64;
  private static final String URL_FORM = "; desired format: https://host[/path]";

  private WebhookConfigurations() {}

  /** SetDefaults_ValidatingWebhook / SetDefaults_MutatingWebhook, Rule and ServiceReference. */
  static void defaults(ObjectNode config, boolean mutating) {
    for (JsonNode w : config.path("webhooks")) {
      if (!(w instanceof ObjectNode hook)) continue;
      putIfAbsent(hook, "failurePolicy", "Fail");
      putIfAbsent(hook, "matchPolicy", "Equivalent");
      if (!hook.path("namespaceSelector").isObject()) hook.putObject("namespaceSelector");
      if (!hook.path("objectSelector").isObject()) hook.putObject("objectSelector");
      if (!hook.hasNonNull("timeoutSeconds")) hook.put("timeoutSeconds", 10);
      if (mutating) putIfAbsent(hook, "reinvocationPolicy", "Never");
      for (JsonNode r : hook.path("rules")) if (r instanceof ObjectNode rule) putIfAbsent(rule, "scope", "*");
      if (hook.path("clientConfig").path("service") instanceof ObjectNode svc && !svc.hasNonNull("port")) svc.put("port", 443);
    }
  }

  private static void putIfAbsent(ObjectNode o, String field, String value) {
    if (!o.hasNonNull(field)) o.put(field, value);
  }

  static void validate(ObjectNode config, boolean mutating, FieldErrors errs) {
    Set<String> names = new HashSet<>();
    int i = 0;
    for (JsonNode hook : config.path("webhooks")) {
      String p = "webhooks[" + i++ + "]";
      String name = hook.path("name").asString("");
      if (!names.add(name)) errs.duplicate(p + ".name", name);
      webhook(hook, p, mutating, errs);
    }
  }

  private static void webhook(JsonNode hook, String p, boolean mutating, FieldErrors errs) {
    String name = hook.path("name").asString("");
    List<String> nameErrors = Names.dns1123Subdomain(name);
    for (String msg : nameErrors) errs.invalid(p + ".name", name, msg);
    if (nameErrors.isEmpty() && name.split("\\.").length < 3) {
      errs.invalid(p + ".name", name, "should be a domain with at least three segments separated by dots");
    }
    int j = 0;
    for (JsonNode rule : hook.path("rules")) rule(rule, p + ".rules[" + j++ + "]", errs);
    oneOf(hook, "failurePolicy", p, FAILURE_POLICIES, errs);
    oneOf(hook, "matchPolicy", p, MATCH_POLICIES, errs);
    if (mutating) oneOf(hook, "reinvocationPolicy", p, REINVOCATION_POLICIES, errs);
    if (!hook.hasNonNull("sideEffects")) {
      errs.required(p + ".sideEffects", "must specify one of " + String.join(", ", SIDE_EFFECTS));
    } else {
      oneOf(hook, "sideEffects", p, SIDE_EFFECTS, errs);
    }
    JsonNode timeout = hook.path("timeoutSeconds");
    if (timeout.isNumber() && (timeout.asInt() < 1 || timeout.asInt() > 30)) {
      errs.invalid(p + ".timeoutSeconds", timeout.asInt(), "the timeout value must be between 1 and 30 seconds");
    }
    reviewVersions(hook.path("admissionReviewVersions"), p + ".admissionReviewVersions", errs);
    for (String selector : List.of("namespaceSelector", "objectSelector")) {
      if (hook.path(selector).isObject()) Validator.labelSelector(hook.path(selector), p + "." + selector, errs);
    }
    clientConfig(hook.path("clientConfig"), p + ".clientConfig", errs);
    matchConditions(hook.path("matchConditions"), p + ".matchConditions", errs);
  }

  /** validateMatchConditions: at most 64, each named (a qualified name, unique) and compiling. */
  private static void matchConditions(JsonNode conditions, String p, FieldErrors errs) {
    if (conditions.size() > MAX_MATCH_CONDITIONS) errs.tooMany(p, conditions.size(), MAX_MATCH_CONDITIONS);
    Set<String> names = new HashSet<>();
    int i = 0;
    for (JsonNode c : conditions) {
      String cp = p + "[" + i++ + "]";
      String expression = c.path("expression").asString("").trim();
      if (expression.isEmpty()) {
        errs.required(cp + ".expression");
      } else {
        try {
          WebhookAdmission.environment().compile(expression);
        } catch (CelCompileException e) {
          errs.invalid(cp + ".expression", expression, "compilation failed: " + e.getMessage());
        }
      }
      String name = c.path("name").asString("");
      if (name.isEmpty()) {
        errs.required(cp + ".name");
      } else {
        for (String msg : Names.qualifiedName(name)) errs.invalid(cp + ".name", name, msg);
        if (!names.add(name)) errs.duplicate(cp + ".name", name);
      }
    }
  }

  private static void oneOf(JsonNode hook, String field, String p, List<String> allowed, FieldErrors errs) {
    JsonNode v = hook.path(field);
    if (v.isString() && !allowed.contains(v.stringValue())) errs.notSupported(p + "." + field, v.stringValue(), allowed);
  }

  /** ValidateRule: each list given; a "*" stands alone among the operations and the groups. */
  private static void rule(JsonNode rule, String p, FieldErrors errs) {
    List<String> ops = strings(rule.path("operations"));
    if (ops.isEmpty()) errs.required(p + ".operations");
    if (ops.size() > 1 && ops.contains("*")) errs.invalid(p + ".operations", String.join(",", ops), "if '*' is present, must not specify other operations");
    int k = 0;
    for (String op : ops) {
      if (!OPERATIONS.contains(op)) errs.notSupported(p + ".operations[" + k + "]", op, OPERATIONS);
      k++;
    }
    List<String> groups = strings(rule.path("apiGroups"));
    if (groups.isEmpty()) errs.required(p + ".apiGroups");
    if (groups.size() > 1 && groups.contains("*")) errs.invalid(p + ".apiGroups", String.join(",", groups), "if '*' is present, must not specify other API groups");
    List<String> versions = strings(rule.path("apiVersions"));
    if (versions.isEmpty()) errs.required(p + ".apiVersions");
    if (versions.size() > 1 && versions.contains("*")) errs.invalid(p + ".apiVersions", String.join(",", versions), "if '*' is present, must not specify other API versions");
    k = 0;
    for (String v : versions) {
      if (v.isEmpty()) errs.required(p + ".apiVersions[" + k + "]", "resource cannot be empty");
      k++;
    }
    List<String> resources = strings(rule.path("resources"));
    if (resources.isEmpty()) errs.required(p + ".resources");
    k = 0;
    for (String r : resources) {
      if (r.isEmpty()) errs.required(p + ".resources[" + k + "]");
      k++;
    }
    JsonNode scope = rule.path("scope");
    if (scope.isString() && !SCOPES.contains(scope.stringValue())) errs.notSupported(p + ".scope", scope.stringValue(), SCOPES);
  }

  static void reviewVersions(JsonNode versions, String p, FieldErrors errs) {
    List<String> given = strings(versions);
    if (given.isEmpty()) {
      errs.required(p, "must specify one of " + String.join(", ", REVIEW_VERSIONS));
      return;
    }
    Set<String> seen = new HashSet<>();
    boolean accepted = false;
    int k = 0;
    for (String v : given) {
      for (String msg : Names.dns1035Label(v)) errs.invalid(p + "[" + k + "]", v, msg);
      if (!seen.add(v)) errs.invalid(p + "[" + k + "]", v, "duplicate version");
      accepted |= REVIEW_VERSIONS.contains(v);
      k++;
    }
    if (!accepted) errs.invalid(p, given, "must include at least one of " + String.join(", ", REVIEW_VERSIONS));
  }

  /** ValidateWebhookClientConfig: a url or a service, never both. */
  static void clientConfig(JsonNode cc, String p, FieldErrors errs) {
    boolean hasUrl = cc.hasNonNull("url");
    boolean hasService = cc.path("service").isObject();
    if (hasUrl == hasService) {
      errs.required(p, "exactly one of url or service is required");
      return;
    }
    if (hasUrl) {
      url(cc.path("url").asString(""), p + ".url", errs);
      return;
    }
    JsonNode svc = cc.path("service");
    String sp = p + ".service";
    if (svc.path("name").asString("").isEmpty()) errs.required(sp + ".name", "service name is required");
    if (svc.path("namespace").asString("").isEmpty()) errs.required(sp + ".namespace", "service namespace is required");
    JsonNode port = svc.path("port");
    if (port.isNumber() && (port.asInt() < 1 || port.asInt() > 65535)) {
      errs.invalid(sp + ".port", port.asInt(), "port is not valid: must be between 1 and 65535, inclusive");
    }
    JsonNode path = svc.path("path");
    if (path.isString() && !path.stringValue().isEmpty() && !path.stringValue().startsWith("/")) {
      errs.invalid(sp + ".path", path.stringValue(), "must start with a '/'");
    }
  }

  /** ValidateWebhookURL with https forced. */
  private static void url(String url, String p, FieldErrors errs) {
    URI u;
    try {
      u = new URI(url);
    } catch (URISyntaxException e) {
      errs.required(p, "url must be a valid URL: " + e.getMessage() + URL_FORM);
      return;
    }
    if (!"https".equals(u.getScheme())) errs.invalid(p, u.getScheme() == null ? "" : u.getScheme(), "'https' is the only allowed URL scheme" + URL_FORM);
    if (u.getHost() == null || u.getHost().isEmpty()) errs.invalid(p, u.getHost() == null ? "" : u.getHost(), "host must be specified" + URL_FORM);
    if (u.getRawUserInfo() != null) errs.invalid(p, u.getRawUserInfo(), "user information is not permitted in the URL");
    if (u.getRawFragment() != null && !u.getRawFragment().isEmpty()) errs.invalid(p, u.getRawFragment(), "fragments are not permitted in the URL");
    if (u.getRawQuery() != null && !u.getRawQuery().isEmpty()) errs.invalid(p, u.getRawQuery(), "query parameters are not permitted in the URL");
  }

  private static List<String> strings(JsonNode arr) {
    List<String> out = new java.util.ArrayList<>();
    for (JsonNode n : arr) out.add(n.asString(""));
    return out;
  }
}
