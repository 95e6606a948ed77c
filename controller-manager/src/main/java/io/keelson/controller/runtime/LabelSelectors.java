package io.keelson.controller.runtime;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Map;

/** Evaluates a metav1.LabelSelector against labels, with Kubernetes semantics. */
public final class LabelSelectors {
  private LabelSelectors() {}

  /**
   * True when {@code labels} satisfy {@code selector}. Like the controllers in Kubernetes, a null
   * or empty selector matches nothing (a workload with an empty selector would adopt everything).
   */
  public static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) return false;
    Map<String, String> ml = selector.getMatchLabels();
    List<LabelSelectorRequirement> exprs = selector.getMatchExpressions();
    if ((ml == null || ml.isEmpty()) && (exprs == null || exprs.isEmpty())) return false;
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
