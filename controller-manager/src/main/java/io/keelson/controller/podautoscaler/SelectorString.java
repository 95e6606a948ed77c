package io.keelson.controller.podautoscaler;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A label selector in its string form, as the scale subresource's {@code status.selector} gives it
 * ({@code app=web,tier in (a,b),!canary}): kube's labels.Parse for the forms selectors print as.
 */
final class SelectorString {

  private record Requirement(String key, String op, Set<String> values) {
    boolean matches(Map<String, String> labels) {
      String v = labels.get(key);
      return switch (op) {
        case "=", "==", "in" -> v != null && values.contains(v);
        case "!=", "notin" -> v == null || !values.contains(v);
        case "exists" -> v != null;
        default -> v == null; // "!"
      };
    }
  }

  private final List<Requirement> requirements;

  private SelectorString(List<Requirement> requirements) {
    this.requirements = requirements;
  }

  /** Parses {@code s}; IllegalArgumentException when it is not a selector. */
  static SelectorString parse(String s) {
    List<Requirement> out = new ArrayList<>();
    for (String part : split(s)) {
      String p = part.trim();
      if (p.isEmpty()) continue;
      java.util.regex.Matcher m;
      if ((m = java.util.regex.Pattern.compile("^([^\\s!=(),]+)\\s+(in|notin)\\s*\\(([^)]*)\\)$").matcher(p)).matches()) {
        Set<String> values = new java.util.HashSet<>();
        for (String v : m.group(3).split(",")) if (!v.trim().isEmpty()) values.add(v.trim());
        out.add(new Requirement(m.group(1), m.group(2), values));
      } else if ((m = java.util.regex.Pattern.compile("^([^\\s!=(),]+)\\s*(==|!=|=)\\s*([^\\s!=(),]*)$").matcher(p)).matches()) {
        out.add(new Requirement(m.group(1), m.group(2), Set.of(m.group(3))));
      } else if ((m = java.util.regex.Pattern.compile("^!\\s*([^\\s!=(),]+)$").matcher(p)).matches()) {
        out.add(new Requirement(m.group(1), "!", Set.of()));
      } else if (p.matches("^[^\\s!=(),]+$")) {
        out.add(new Requirement(p, "exists", Set.of()));
      } else {
        throw new IllegalArgumentException("unable to parse requirement: " + p);
      }
    }
    return new SelectorString(out);
  }

  boolean matches(Map<String, String> labels) {
    for (Requirement r : requirements) if (!r.matches(labels)) return false;
    return true;
  }

  /** Splits at commas outside parentheses. */
  private static List<String> split(String s) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    StringBuilder cur = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '(') depth++;
      if (c == ')') depth--;
      if (c == ',' && depth == 0) {
        parts.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    parts.add(cur.toString());
    return parts;
  }
}
