package io.keelson.apiserver.webhook;

import io.keelson.apiserver.registry.DynamicAdmission.Attributes;
import io.keelson.apiserver.selection.LabelSelector;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Whether a webhook is to be called for a request, as kube's webhook matchers decide: one of its
 * rules names the operation, group, version, resource (with subresource) and scope, the namespace's
 * labels fit its namespaceSelector and the new or old object's labels its objectSelector.
 */
final class WebhookRules {

  private WebhookRules() {}

  /** kube's RuleMatcher over every rule of a webhook: any one matching is enough. */
  static boolean anyRuleMatches(JsonNode rules, Attributes a) {
    for (JsonNode rule : rules) if (ruleMatches(rule, a)) return true;
    return false;
  }

  static boolean ruleMatches(JsonNode rule, Attributes a) {
    return contains(rule.path("operations"), a.operation())
        && contains(rule.path("apiGroups"), a.type().group())
        && contains(rule.path("apiVersions"), a.type().version())
        && resourceMatches(rule.path("resources"), a.type().resource(), a.subresource())
        && scopeMatches(rule.path("scope").asString("*"), a.type().namespaced());
  }

  private static boolean contains(JsonNode list, String value) {
    for (JsonNode v : list) {
      String s = v.asString("");
      if (s.equals("*") || s.equals(value)) return true;
    }
    return false;
  }

  /**
   * "pods" is the object alone, "pods/status" one subresource, "pods/*" the object and every
   * subresource, "*" every object, "*&#47;status" a subresource of every resource, "*&#47;*" all.
   */
  static boolean resourceMatches(JsonNode resources, String resource, String subresource) {
    String sub = subresource == null ? "" : subresource;
    for (JsonNode r : resources) {
      String s = r.asString("");
      int slash = s.indexOf('/');
      String res = slash < 0 ? s : s.substring(0, slash);
      String wantedSub = slash < 0 ? "" : s.substring(slash + 1);
      if (!res.equals("*") && !res.equals(resource)) continue;
      if (wantedSub.equals("*") || wantedSub.equals(sub)) return true;
    }
    return false;
  }

  /** Namespaces are cluster-scoped, as kube counts them here. */
  private static boolean scopeMatches(String scope, boolean namespaced) {
    return switch (scope) {
      case "Cluster" -> !namespaced;
      case "Namespaced" -> namespaced;
      default -> true;
    };
  }

  /**
   * kube's namespace matcher: cluster-scoped objects other than namespaces match whatever the
   * selector; a namespace is matched on its own labels; everything else on its namespace's labels.
   *
   * @param namespace the request's namespace object (null when it is not known)
   */
  static boolean namespaceMatches(JsonNode selector, Attributes a, ObjectNode namespace) {
    LabelSelector s = LabelSelector.of(selector);
    if (s.isEverything()) return true;
    boolean isNamespace = a.type().group().isEmpty() && a.type().resource().equals("namespaces");
    if (!a.type().namespaced() && !isNamespace) return true;
    if (isNamespace) return objectMatches(selector, a);
    return namespace != null && s.test(namespace);
  }

  /** kube's object matcher: the new object or the old one carries the labels. */
  static boolean objectMatches(JsonNode selector, Attributes a) {
    LabelSelector s = LabelSelector.of(selector);
    if (s.isEverything()) return true;
    return (a.object() != null && s.test(a.object())) || (a.oldObject() != null && s.test(a.oldObject()));
  }
}
