package io.keelson.scheduler.framework;

import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled core/v1 NodeSelector: terms are ORed, the expressions inside a term ANDed; an empty
 * term matches no node. Supports In, NotIn, Exists, DoesNotExist, Gt, Lt and matchFields on
 * metadata.name.
 */
public final class NodeSelectorMatcher {
  private record Requirement(String key, String op, Set<String> values, boolean field) {}

  private final List<List<Requirement>> terms;

  private NodeSelectorMatcher(List<List<Requirement>> terms) {
    this.terms = terms;
  }

  public static NodeSelectorMatcher compile(NodeSelector selector) {
    List<List<Requirement>> terms = new ArrayList<>();
    if (selector != null && selector.getNodeSelectorTerms() != null) {
      for (NodeSelectorTerm t : selector.getNodeSelectorTerms()) {
        terms.add(compileTerm(t));
      }
    }
    return new NodeSelectorMatcher(terms);
  }

  public static NodeSelectorMatcher ofTerm(NodeSelectorTerm t) {
    return new NodeSelectorMatcher(List.of(compileTerm(t)));
  }

  private static List<Requirement> compileTerm(NodeSelectorTerm t) {
    List<Requirement> reqs = new ArrayList<>();
    if (t.getMatchExpressions() != null) {
      for (NodeSelectorRequirement r : t.getMatchExpressions()) {
        reqs.add(new Requirement(r.getKey(), r.getOperator(), values(r), false));
      }
    }
    if (t.getMatchFields() != null) {
      for (NodeSelectorRequirement r : t.getMatchFields()) {
        reqs.add(new Requirement(r.getKey(), r.getOperator(), values(r), true));
      }
    }
    return reqs;
  }

  private static Set<String> values(NodeSelectorRequirement r) {
    return r.getValues() == null ? Set.of() : new HashSet<>(r.getValues());
  }

  public boolean matches(String nodeName, Map<String, String> labels) {
    for (List<Requirement> term : terms) {
      if (!term.isEmpty() && termMatches(term, nodeName, labels)) {
        return true;
      }
    }
    return false;
  }

  private static boolean termMatches(List<Requirement> term, String nodeName, Map<String, String> labels) {
    for (int i = 0; i < term.size(); i++) {
      Requirement r = term.get(i);
      String v;
      if (r.field) {
        v = "metadata.name".equals(r.key) ? nodeName : null;
      } else {
        v = labels == null ? null : labels.get(r.key);
      }
      if (!requirementMatches(r, v)) {
        return false;
      }
    }
    return true;
  }

  private static boolean requirementMatches(Requirement r, String v) {
    return switch (r.op) {
      case "In" -> v != null && r.values.contains(v);
      case "NotIn" -> v == null || !r.values.contains(v);
      case "Exists" -> v != null;
      case "DoesNotExist" -> v == null;
      case "Gt", "Lt" -> {
        if (v == null || r.values.size() != 1) {
          yield false;
        }
        try {
          long have = Long.parseLong(v);
          long want = Long.parseLong(r.values.iterator().next());
          yield r.op.equals("Gt") ? have > want : have < want;
        } catch (NumberFormatException e) {
          yield false;
        }
      }
      default -> false;
    };
  }
}
