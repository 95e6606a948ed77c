package io.keelson.controller.clusterroleaggregation;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.client.selection.LabelSelectors;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * kube's clusterrole-aggregation controller: a ClusterRole with an {@code aggregationRule} gets as
 * its rules the union of the rules of every other ClusterRole its {@code clusterRoleSelectors} match
 * (in name order, each rule once), which is how {@code admin}, {@code edit} and {@code view} grow
 * when a role labelled {@code rbac.authorization.k8s.io/aggregate-to-view: "true"} appears.
 */
public final class ClusterRoleAggregationController implements Reconciler, ManagedController {
  public static final String NAME = "clusterrole-aggregation";

  private final KubernetesClient client;
  private final SharedIndexInformer<ClusterRole> roles;
  private final Controller controller;

  public ClusterRoleAggregationController(Informers informers, MeterRegistry metrics, int workers) {
    this.client = informers.client();
    this.roles = informers.of(ClusterRole.class);
    this.controller = new Controller(NAME, this, workers, metrics);
    // any role's change may change what any aggregated role gathers: requeue all of those, as kube does
    roles.addEventHandler(Informers.handler(r -> aggregatedRoles(), controller::enqueue));
  }

  private List<String> aggregatedRoles() {
    return roles.getIndexer().list().stream().filter(ClusterRoleAggregationController::aggregates).map(Informers::key).toList();
  }

  private static boolean aggregates(ClusterRole r) {
    return r.getAggregationRule() != null && r.getAggregationRule().getClusterRoleSelectors() != null;
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public Result reconcile(String key) {
    ClusterRole role = roles.getIndexer().getByKey(key);
    if (role == null || !aggregates(role)) return Result.noUpdate();
    List<PolicyRule> rules = aggregate(role, roles.getIndexer().list());
    List<PolicyRule> current = role.getRules() == null ? List.of() : role.getRules();
    if (current.equals(rules)) return Result.noUpdate();
    // a merge patch replaces the whole list, whatever the role's rules are now
    ClusterRole patch = new ClusterRole();
    patch.setRules(rules);
    client.rbac().clusterRoles().withName(role.getMetadata().getName())
        .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    return Result.noUpdate();
  }

  /** The rules {@code role} aggregates from {@code all} ClusterRoles: kube's order and de-duplication. */
  public static List<PolicyRule> aggregate(ClusterRole role, List<ClusterRole> all) {
    List<ClusterRole> sorted = new ArrayList<>(all);
    sorted.sort(Comparator.comparing(r -> r.getMetadata().getName()));
    List<PolicyRule> rules = new ArrayList<>();
    for (LabelSelector selector : role.getAggregationRule().getClusterRoleSelectors()) {
      for (ClusterRole source : sorted) {
        if (source.getMetadata().getName().equals(role.getMetadata().getName())) continue;
        if (!LabelSelectors.matches(selector, source.getMetadata().getLabels())) continue;
        if (source.getRules() == null) continue;
        for (PolicyRule rule : source.getRules()) {
          if (!rules.contains(rule)) rules.add(rule);
        }
      }
    }
    return rules;
  }
}
