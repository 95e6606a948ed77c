package io.keelson.client.selection;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Evaluates a metav1.LabelSelector against labels, with Kubernetes semantics. Kubernetes has two
 * rules for an empty selector: workload controllers treat it as selecting nothing ({@link #matches}),
 * while metav1.LabelSelectorAsSelector, used by NetworkPolicy peers, PodDisruptionBudgets and
 * affinity terms, makes it select everything ({@link #selects}). A null selector selects nothing in both.
 */
public final class LabelSelectors {
  private static final String KEY = "([^\\s!=(),]+)";
  private static final Pattern SET = Pattern.compile("^" + KEY + "\\s+(in|notin)\\s*\\(([^)]*)\\)$");
  private static final Pattern EQUALITY = Pattern.compile("^" + KEY + "\\s*(==|!=|=)\\s*([^\\s!=(),]*)$");
  private static final Pattern ABSENT = Pattern.compile("^!\\s*" + KEY + "$");
  private static final Pattern PRESENT = Pattern.compile("^" + KEY + "$");

  private LabelSelectors() {}

  /**
   * A selector in its string form, as the scale subresource's {@code status.selector} gives it
   * ({@code app=web,tier in (a,b),!canary}: kube's labels.Parse for the forms selectors print as),
   * as match expressions for {@link #matches}; IllegalArgumentException when it is not a selector.
   */
  public static LabelSelector parse(String s) {
    List<LabelSelectorRequirement> out = new ArrayList<>();
    for (String part : splitOutsideParentheses(s)) {
      String p = part.trim();
      if (p.isEmpty()) continue;
      Matcher m;
      if ((m = SET.matcher(p)).matches()) {
        Set<String> values = new LinkedHashSet<>();
        for (String v : m.group(3).split(",")) if (!v.trim().isEmpty()) values.add(v.trim());
        out.add(requirement(m.group(1), m.group(2).equals("in") ? "In" : "NotIn", List.copyOf(values)));
      } else if ((m = EQUALITY.matcher(p)).matches()) {
        out.add(requirement(m.group(1), m.group(2).equals("!=") ? "NotIn" : "In", List.of(m.group(3))));
      } else if ((m = ABSENT.matcher(p)).matches()) {
        out.add(requirement(m.group(1), "DoesNotExist", List.of()));
      } else if (PRESENT.matcher(p).matches()) {
        out.add(requirement(p, "Exists", List.of()));
      } else {
        throw new IllegalArgumentException("unable to parse requirement: " + p);
      }
    }
    LabelSelector selector = new LabelSelector();
    selector.setMatchExpressions(out);
    return selector;
  }

  private static LabelSelectorRequirement requirement(String key, String operator, List<String> values) {
    return new LabelSelectorRequirement(key, operator, values);
  }

  /** The requirements of a selector string: split at the commas that are not inside parentheses. */
  public static List<String> splitOutsideParentheses(String s) {
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

  /**
   * True when {@code labels} satisfy {@code selector}. Like the controllers in Kubernetes, a null
   * or empty selector matches nothing (a workload with an empty selector would adopt everything).
   */
  public static boolean matches(LabelSelector selector, Map<String, String> labels) {
    return selector != null && !isEmpty(selector) && requirementsHold(selector, labels);
  }

  /** metav1.LabelSelectorAsSelector's rule: a null selector selects nothing, an empty one everything. */
  public static boolean selects(LabelSelector selector, Map<String, String> labels) {
    return selector != null && requirementsHold(selector, labels);
  }

  /** Neither matchLabels nor matchExpressions. */
  public static boolean isEmpty(LabelSelector selector) {
    Map<String, String> ml = selector.getMatchLabels();
    List<LabelSelectorRequirement> exprs = selector.getMatchExpressions();
    return (ml == null || ml.isEmpty()) && (exprs == null || exprs.isEmpty());
  }

  private static boolean requirementsHold(LabelSelector selector, Map<String, String> labels) {
    Map<String, String> ml = selector.getMatchLabels();
    List<LabelSelectorRequirement> exprs = selector.getMatchExpressions();
    Map<String, String> l = labels == null ? Map.of() : labels;
    if (ml != null) {
      for (var e : ml.entrySet()) if (!e.getValue().equals(l.get(e.getKey()))) return false;
    }
    if (exprs != null) {
      for (LabelSelectorRequirement r : exprs) {
        String v = l.get(r.getKey());
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        boolean ok =
            switch (r.getOperator()) {
              case "In" -> v != null && values.contains(v);
              case "NotIn" -> v == null || !values.contains(v);
              case "Exists" -> l.containsKey(r.getKey());
              case "DoesNotExist" -> !l.containsKey(r.getKey());
              default -> false;
            };
        if (!ok) return false;
      }
    }
    return true;
  }
}
