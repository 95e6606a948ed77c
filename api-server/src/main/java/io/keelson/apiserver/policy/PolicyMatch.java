package io.keelson.apiserver.policy;

import io.keelson.apiserver.policy.ValidatingAdmissionPolicies.Request;
import io.keelson.apiserver.selection.LabelSelector;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Whether a request is one a policy's matchConstraints (or a binding's matchResources) selects, as
 * kube's admission matching decides: a resourceRule that covers its group, version, resource (with
 * subresource: {@code pods/status}, {@code pods/*}, {@code *}), operation, scope and name; no
 * excludeResourceRule that does; the namespaceSelector over the namespace's labels (a Namespace
 * over its own; other cluster-scoped objects always pass) and the objectSelector over the object's labels.
 */
final class PolicyMatch {

  private PolicyMatch() {}

  /** @param rulesRequired a policy's matchConstraints select nothing without resourceRules; a binding's narrow nothing */
  static boolean matches(JsonNode match, Request request, boolean rulesRequired) {
    JsonNode rules = match.path("resourceRules");
    if (rules.isEmpty() && rulesRequired) return false;
    boolean ruled = rules.isEmpty();
    for (JsonNode rule : rules) ruled |= covers(rule, request);
    if (!ruled) return false;
    for (JsonNode rule : match.path("excludeResourceRules")) if (covers(rule, request)) return false;
    if (!selects(match.path("objectSelector"), request.labels())) return false;
    JsonNode nsSelector = match.path("namespaceSelector");
    if (request.type().group().isEmpty() && request.type().resource().equals("namespaces")) return selects(nsSelector, request.labels());
    if (!request.type().namespaced()) return true;
    ObjectNode ns = request.namespaceObject();
    return selects(nsSelector, ns == null ? null : ns.path("metadata").path("labels"));
  }

  private static boolean covers(JsonNode rule, Request request) {
    String resource = request.type().resource() + (request.subresource().isEmpty() ? "" : "/" + request.subresource());
    if (!any(rule.path("apiGroups"), request.type().group()) || !any(rule.path("apiVersions"), request.type().version())) return false;
    if (!any(rule.path("operations"), request.operation())) return false;
    boolean resourceMatches = false;
    for (JsonNode r : rule.path("resources")) resourceMatches |= resourceMatches(r.asString(""), request.type().resource(), request.subresource());
    if (!resourceMatches) return false;
    JsonNode names = rule.path("resourceNames");
    if (!names.isEmpty() && !any(names, request.name())) return false;
    String scope = rule.path("scope").asString("*");
    return scope.equals("*") || scope.equals(request.type().namespaced() ? "Namespaced" : "Cluster");
  }

  /** {@code *} every resource (no subresource), {@code * /*} all and their subresources, {@code pods/*}, {@code * /status}. */
  private static boolean resourceMatches(String pattern, String resource, String sub) {
    String[] p = pattern.split("/", 2);
    boolean res = p[0].equals("*") || p[0].equals(resource);
    if (p.length == 1) return res && sub.isEmpty();
    return res && (p[1].equals("*") || p[1].equals(sub));
  }

  private static boolean any(JsonNode values, String value) {
    for (JsonNode v : values) if (v.asString("").equals("*") || v.asString("").equals(value)) return true;
    return false;
  }

  /** An absent or empty selector selects everything. */
  private static boolean selects(JsonNode selector, JsonNode labels) {
    LabelSelector s = LabelSelector.of(selector);
    if (s.isEverything()) return true;
    ObjectNode holder = tools.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    holder.putObject("metadata").set("labels", labels == null || labels.isMissingNode() ? holder.objectNode() : labels.deepCopy());
    return s.test(holder);
  }
}
