package io.keelson.apiserver.selection;

import io.keelson.apiserver.status.StatusException;
import io.keelson.client.selection.LabelSelectors;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The label selector grammar of the Kubernetes API ({@code a=b, c!=d, e in (f,g), h notin (i), j, !k}),
 * parsed once per request and evaluated against {@code metadata.labels}.
 */
public final class LabelSelector implements Predicate<ObjectNode> {

  enum Op { EQ, NEQ, IN, NOTIN, EXISTS, NOT_EXISTS }

  record Requirement(String key, Op op, Set<String> values) {
    boolean matches(JsonNode labels) {
      JsonNode v = labels.get(key);
      boolean has = v != null && !v.isNull();
      String val = has ? v.asString() : null;
      return switch (op) {
        case EQ, IN -> has && values.contains(val);
        case NEQ, NOTIN -> !has || !values.contains(val);
        case EXISTS -> has;
        case NOT_EXISTS -> !has;
      };
    }
  }

  public static final LabelSelector EVERYTHING = new LabelSelector(List.of());

  private final List<Requirement> requirements;

  private LabelSelector(List<Requirement> requirements) {
    this.requirements = requirements;
  }

  public boolean isEverything() {
    return requirements.isEmpty();
  }

  @Override
  public boolean test(ObjectNode obj) {
    if (requirements.isEmpty()) return true;
    JsonNode labels = obj.path("metadata").path("labels");
    for (Requirement r : requirements) if (!r.matches(labels)) return false;
    return true;
  }

  /** Parse a selector string; null or blank selects everything. 400 BadRequest on bad syntax. */
  public static LabelSelector parse(String s) {
    if (s == null || s.isBlank()) return EVERYTHING;
    List<Requirement> reqs = new ArrayList<>();
    for (String part : LabelSelectors.splitOutsideParentheses(s)) {
      String p = part.trim();
      if (p.isEmpty()) throw bad(s, "empty requirement");
      reqs.add(parseRequirement(s, p));
    }
    return new LabelSelector(reqs);
  }

  private static Requirement parseRequirement(String whole, String p) {
    if (p.startsWith("!")) return new Requirement(key(whole, p.substring(1).trim()), Op.NOT_EXISTS, Set.of());
    int sp = p.indexOf(" notin ");
    if (sp > 0) return new Requirement(key(whole, p.substring(0, sp).trim()), Op.NOTIN, set(whole, p.substring(sp + 7)));
    sp = p.indexOf(" in ");
    if (sp > 0) return new Requirement(key(whole, p.substring(0, sp).trim()), Op.IN, set(whole, p.substring(sp + 4)));
    int i = p.indexOf("!=");
    if (i > 0) return new Requirement(key(whole, p.substring(0, i).trim()), Op.NEQ, Set.of(value(whole, p.substring(i + 2).trim())));
    i = p.indexOf("==");
    if (i > 0) return new Requirement(key(whole, p.substring(0, i).trim()), Op.EQ, Set.of(value(whole, p.substring(i + 2).trim())));
    i = p.indexOf('=');
    if (i > 0) return new Requirement(key(whole, p.substring(0, i).trim()), Op.EQ, Set.of(value(whole, p.substring(i + 1).trim())));
    return new Requirement(key(whole, p), Op.EXISTS, Set.of());
  }

  private static Set<String> set(String whole, String s) {
    String t = s.trim();
    if (!t.startsWith("(") || !t.endsWith(")")) throw bad(whole, "expected a parenthesised value list, got " + t);
    Set<String> out = new LinkedHashSet<>();
    for (String v : t.substring(1, t.length() - 1).split(",")) out.add(value(whole, v.trim()));
    return out;
  }

  private static final java.util.regex.Pattern KEY =
      java.util.regex.Pattern.compile("^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$");
  private static final java.util.regex.Pattern VALUE =
      java.util.regex.Pattern.compile("^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$");

  private static String key(String whole, String k) {
    if (!KEY.matcher(k).matches()) throw bad(whole, "invalid label key \"" + k + "\"");
    return k;
  }

  private static String value(String whole, String v) {
    if (!VALUE.matcher(v).matches()) throw bad(whole, "invalid label value \"" + v + "\"");
    return v;
  }

  /** A label selector in its string form ("app=web,tier in (a,b)"), as Scale.status.selector wants,
   * of a metav1.LabelSelector object. */
  public static String toString(JsonNode sel) {
    StringBuilder sb = new StringBuilder();
    for (java.util.Map.Entry<String, JsonNode> e : sel.path("matchLabels").properties()) {
      if (!sb.isEmpty()) sb.append(',');
      sb.append(e.getKey()).append('=').append(e.getValue().asString());
    }
    for (JsonNode ex : sel.path("matchExpressions")) {
      if (!sb.isEmpty()) sb.append(',');
      String key = ex.path("key").asString();
      String op = ex.path("operator").asString();
      List<String> vals = new ArrayList<>();
      for (JsonNode v : ex.path("values")) vals.add(v.asString());
      switch (op) {
        case "In" -> sb.append(key).append(" in (").append(String.join(",", vals)).append(')');
        case "NotIn" -> sb.append(key).append(" notin (").append(String.join(",", vals)).append(')');
        case "Exists" -> sb.append(key);
        case "DoesNotExist" -> sb.append('!').append(key);
        default -> { }
      }
    }
    return sb.toString();
  }

  /** A metav1.LabelSelector object as a selector: empty (or missing) selects everything. 400 on bad syntax. */
  public static LabelSelector of(JsonNode sel) {
    return parse(toString(sel));
  }

  private static StatusException bad(String whole, String why) {
    return StatusException.badRequest("unable to parse requirement: " + why + " in label selector \"" + whole + "\"");
  }
}
