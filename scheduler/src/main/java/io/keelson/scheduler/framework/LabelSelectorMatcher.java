package io.keelson.scheduler.framework;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled metav1.LabelSelector. A null selector matches nothing, an empty one everything
 * (the Kubernetes rule for affinity terms and spread constraints).
 */
public final class LabelSelectorMatcher {
  public static final LabelSelectorMatcher NOTHING = new LabelSelectorMatcher(false, List.of());
  public static final LabelSelectorMatcher EVERYTHING = new LabelSelectorMatcher(true, List.of());

  private record Requirement(String key, String op, Set<String> values) {}

  private final boolean matchAny;
  private final List<Requirement> requirements;

  private LabelSelectorMatcher(boolean matchAny, List<Requirement> requirements) {
    this.matchAny = matchAny;
    this.requirements = requirements;
  }

  public static LabelSelectorMatcher compile(LabelSelector selector) {
    if (selector == null) {
      return NOTHING;
    }
    List<Requirement> reqs = new ArrayList<>();
    if (selector.getMatchLabels() != null) {
      selector.getMatchLabels().forEach((k, v) -> reqs.add(new Requirement(k, "In", Set.of(v))));
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
        Set<String> vals = r.getValues() == null ? Set.of() : new HashSet<>(r.getValues());
        reqs.add(new Requirement(r.getKey(), r.getOperator(), vals));
      }
    }
    return reqs.isEmpty() ? EVERYTHING : new LabelSelectorMatcher(false, List.copyOf(reqs));
  }

  /** Selector from a plain map (nodeSelector style): every key must equal. */
  public static LabelSelectorMatcher ofMap(Map<String, String> labels) {
    if (labels == null || labels.isEmpty()) {
      return EVERYTHING;
    }
    List<Requirement> reqs = new ArrayList<>();
    labels.forEach((k, v) -> reqs.add(new Requirement(k, "In", Set.of(v))));
    return new LabelSelectorMatcher(false, List.copyOf(reqs));
  }

  public boolean matchesNothing() {
    return !matchAny && requirements.isEmpty();
  }

  public boolean matches(Map<String, String> labels) {
    if (matchAny) {
      return true;
    }
    if (requirements.isEmpty()) {
      return false;
    }
    for (int i = 0; i < requirements.size(); i++) {
      Requirement r = requirements.get(i);
      String v = labels == null ? null : labels.get(r.key);
      boolean ok =
          switch (r.op) {
            case "In" -> v != null && r.values.contains(v);
            case "NotIn" -> v == null || !r.values.contains(v);
            case "Exists" -> v != null;
            case "DoesNotExist" -> v == null;
            default -> false;
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
