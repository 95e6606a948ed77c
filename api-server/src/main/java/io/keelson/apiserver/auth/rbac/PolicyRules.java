package io.keelson.apiserver.auth.rbac;

import io.keelson.apiserver.auth.Authorizer.Attributes;
import io.keelson.apiserver.auth.Authorizer.Rule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/**
 * RBAC's rule arithmetic, as kube's pkg/apis/rbac/v1 evaluation helpers and
 * registry/rbac/validation do it: whether a rule allows a request ({@code *} wildcards, resourceNames,
 * subresources as {@code pods/log} or {@code * /scale}, non-resource URLs with a trailing {@code *}),
 * and whether a set of rules covers another (the privilege-escalation check), with the missing rules
 * worded as kube's messages show them.
 */
public final class PolicyRules {

  static final String ALL = "*";

  private PolicyRules() {}

  /** kube's RuleAllows. */
  public static boolean allows(Rule rule, Attributes a) {
    if (!matches(rule.verbs(), a.verb())) return false;
    if (a.resourceRequest()) {
      String sub = a.subresource() == null ? "" : a.subresource();
      String combined = sub.isEmpty() ? a.resource() : a.resource() + "/" + sub;
      return !rule.isNonResource() && matches(rule.apiGroups(), nz(a.group())) && resourceMatches(rule.resources(), combined, sub)
          && (rule.resourceNames().isEmpty() || rule.resourceNames().contains(nz(a.name())));
    }
    for (String url : rule.nonResourceURLs()) {
      if (urlCovers(url, a.path())) return true;
    }
    return false;
  }

  private static boolean matches(List<String> values, String wanted) {
    return values.contains(ALL) || values.contains(wanted);
  }

  private static boolean resourceMatches(List<String> resources, String combined, String sub) {
    for (String r : resources) {
      if (r.equals(ALL) || r.equals(combined)) return true;
      if (!sub.isEmpty() && r.equals("*/" + sub)) return true;
    }
    return false;
  }

  /** A rule URL matches itself, and with a trailing {@code *} every path it is a prefix of. */
  private static boolean urlCovers(String ruleUrl, String path) {
    if (ruleUrl.equals(ALL) || ruleUrl.equals(path)) return true;
    return ruleUrl.endsWith(ALL) && path.startsWith(ruleUrl.substring(0, ruleUrl.length() - 1));
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  // ------------------------------------------------------------------ escalation

  /** The rules of {@code requested}, broken into single-verb atoms, that {@code owner}'s rules do not cover (kube's Covers). */
  public static List<Rule> uncovered(List<Rule> owner, List<Rule> requested) {
    List<Rule> missing = new ArrayList<>();
    for (Rule r : requested) {
      for (Rule atom : breakdown(r)) {
        if (owner.stream().noneMatch(o -> covers(o, atom))) missing.add(atom);
      }
    }
    return missing;
  }

  private static List<Rule> breakdown(Rule r) {
    List<Rule> out = new ArrayList<>();
    for (String g : r.apiGroups()) {
      for (String res : r.resources()) {
        for (String v : r.verbs()) {
          if (r.resourceNames().isEmpty()) out.add(new Rule(List.of(v), List.of(g), List.of(res), null, null));
          for (String n : r.resourceNames()) out.add(new Rule(List.of(v), List.of(g), List.of(res), List.of(n), null));
        }
      }
    }
    for (String url : r.nonResourceURLs()) {
      for (String v : r.verbs()) out.add(Rule.nonResource(List.of(v), List.of(url)));
    }
    return out;
  }

  /** kube's ruleCovers for one atom. */
  private static boolean covers(Rule owner, Rule atom) {
    if (!owner.verbs().contains(ALL) && !owner.verbs().containsAll(atom.verbs())) return false;
    if (atom.isNonResource()) {
      return atom.nonResourceURLs().stream().allMatch(u -> owner.nonResourceURLs().stream().anyMatch(o -> urlCovers(o, u)));
    }
    if (!owner.apiGroups().contains(ALL) && !owner.apiGroups().containsAll(atom.apiGroups())) return false;
    for (String res : atom.resources()) {
      if (owner.resources().contains(ALL) || owner.resources().contains(res)) continue;
      int slash = res.indexOf('/');
      if (slash >= 0 && owner.resources().contains("*/" + res.substring(slash + 1))) continue;
      return false;
    }
    if (owner.resourceNames().isEmpty()) return true;
    return !atom.resourceNames().isEmpty() && owner.resourceNames().containsAll(atom.resourceNames());
  }

  /**
   * kube's CompactRules then CompactString, sorted: atoms of one group, resource and resource name (or
   * none) merged into one rule with their verbs, each printed as {@code {APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}}.
   */
  public static String describe(List<Rule> atoms) {
    Map<String, Rule> merged = new LinkedHashMap<>();
    List<Rule> rest = new ArrayList<>();
    for (Rule a : atoms) {
      if (a.isNonResource()) {
        rest.add(a);
        continue;
      }
      String key = a.apiGroups().get(0) + "\u0000" + a.resources().get(0) + "\u0000" + a.resourceNames();
      Rule m = merged.get(key);
      if (m == null) {
        merged.put(key, a);
      } else if (!m.verbs().contains(a.verbs().get(0))) {
        List<String> verbs = new ArrayList<>(m.verbs());
        verbs.add(a.verbs().get(0));
        merged.put(key, new Rule(verbs, m.apiGroups(), m.resources(), m.resourceNames(), null));
      }
    }
    rest.addAll(0, merged.values());
    TreeSet<String> lines = new TreeSet<>();
    for (Rule r : rest) lines.add(compactString(r));
    return String.join("\n", lines);
  }

  private static String compactString(Rule r) {
    List<String> parts = new ArrayList<>();
    if (!r.apiGroups().isEmpty()) parts.add("APIGroups:" + goQuoted(r.apiGroups()));
    if (!r.resources().isEmpty()) parts.add("Resources:" + goQuoted(r.resources()));
    if (!r.nonResourceURLs().isEmpty()) parts.add("NonResourceURLs:" + goQuoted(r.nonResourceURLs()));
    if (!r.resourceNames().isEmpty()) parts.add("ResourceNames:" + goQuoted(r.resourceNames()));
    if (!r.verbs().isEmpty()) parts.add("Verbs:" + goQuoted(r.verbs()));
    return "{" + String.join(", ", parts) + "}";
  }

  /** A string slice as Go's %q prints it: {@code ["a" "b"]}. */
  public static String goQuoted(List<String> values) {
    return values.stream().map(v -> "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"")
        .collect(Collectors.joining(" ", "[", "]"));
  }

  // ------------------------------------------------------------------ reading objects

  /** The {@code rules} of a Role or ClusterRole object. */
  public static List<Rule> of(JsonNode role) {
    List<Rule> rules = new ArrayList<>();
    for (JsonNode r : role.path("rules")) {
      rules.add(new Rule(strings(r.path("verbs")), strings(r.path("apiGroups")), strings(r.path("resources")),
          strings(r.path("resourceNames")), strings(r.path("nonResourceURLs"))));
    }
    return rules;
  }

  static List<String> strings(JsonNode arr) {
    List<String> out = new ArrayList<>(arr.size());
    for (JsonNode v : arr) out.add(v.asString(""));
    return out;
  }
}
