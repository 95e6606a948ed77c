package io.keelson.scheduler.framework;

import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import java.util.Set;

/**
 * A compiled pod (anti-)affinity term: which pods it selects (namespaces + label selector) and the
 * topology key over which "co-located" is judged.
 */
public record AffinityTerm(
    Set<String> namespaces, boolean allNamespaces, LabelSelectorMatcher selector, String topologyKey) {

  public static AffinityTerm compile(PodAffinityTerm term, String podNamespace) {
    Set<String> ns =
        term.getNamespaces() == null || term.getNamespaces().isEmpty()
            ? Set.of()
            : Set.copyOf(term.getNamespaces());
    boolean all = false;
    var nsSel = term.getNamespaceSelector();
    if (nsSel != null
        && (nsSel.getMatchLabels() == null || nsSel.getMatchLabels().isEmpty())
        && (nsSel.getMatchExpressions() == null || nsSel.getMatchExpressions().isEmpty())) {
      all = true; // an empty namespaceSelector means every namespace
    }
    if (ns.isEmpty() && nsSel == null) {
      ns = Set.of(podNamespace);
    }
    return new AffinityTerm(ns, all, LabelSelectorMatcher.compile(term.getLabelSelector()), term.getTopologyKey());
  }

  /** Whether this term selects the given pod. */
  public boolean matches(PodInfo pod) {
    return (allNamespaces || namespaces.contains(pod.namespace())) && selector.matches(pod.labels());
  }

  /** A preferred term with its weight (1..100). */
  public record Weighted(AffinityTerm term, int weight) {}
}
