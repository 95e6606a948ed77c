package io.keelson.apiserver.eviction;

import io.keelson.apiserver.admission.Validator;
import io.keelson.apiserver.registry.DeleteOptions;
import io.keelson.apiserver.registry.ListOptions;
import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * kube's EvictionREST: deletes a pod unless that would take its PodDisruptionBudget below what it
 * needs. The budget's disruptionsAllowed is decremented, and the pod recorded in its
 * status.disruptedPods, in one compare-and-swap write before the pod is deleted, so that two
 * evictions racing for the last allowed disruption cannot both succeed.
 */
public final class Evictions {

  static final String VIOLATES = "Cannot evict pod as it would violate the pod's disruption budget.";
  /** kube's policyv1.DisruptionBudgetCause. */
  static final String CAUSE = "DisruptionBudget";
  private static final int CAS_ATTEMPTS = 5;
  /** kube's MaxDisruptedPodSize: evictions the controller has not confirmed yet. */
  private static final int MAX_DISRUPTED_PODS = 2000;

  private final ResourceService svc;
  private final ResourceType budgets = ResourceRegistry.find("policy", "v1", "poddisruptionbudgets").orElseThrow();

  public Evictions(ResourceService svc) {
    this.svc = svc;
  }

  /** Evict {@code name} (whose pods/eviction create admission let through): check its budget, then delete it with {@code opts}. */
  public void evict(ResourceType podType, String namespace, String name, DeleteOptions opts) {
    ObjectNode pod = svc.get(podType, namespace, name);
    if (!bypassesBudget(pod)) {
      List<ObjectNode> matching = budgetsOf(namespace, pod);
      if (matching.size() > 1) {
        // kube answers with a plain Status of code 500 (no reason), not an InternalError
        throw new StatusException(500, null, "This pod has more than one PodDisruptionBudget, "
            + "which the eviction subresource does not support.", null, null, List.of());
      }
      if (matching.size() == 1) checkAndDecrement(matching.get(0), pod, name, namespace, opts.dryRun());
    }
    svc.deleteAdmitted(podType, namespace, name, opts); // admission saw the eviction: kube does not admit its delete again
  }

  /** kube's canIgnorePDB: pods being deleted or not running (Pending, Succeeded, Failed) disrupt nothing. */
  private static boolean bypassesBudget(ObjectNode pod) {
    if (pod.path("metadata").hasNonNull("deletionTimestamp")) return true;
    String phase = pod.path("status").path("phase").asString("");
    return phase.isEmpty() || phase.equals("Pending") || phase.equals("Succeeded") || phase.equals("Failed");
  }

  private List<ObjectNode> budgetsOf(String namespace, ObjectNode pod) {
    List<ObjectNode> out = new ArrayList<>();
    JsonNode labels = pod.path("metadata").path("labels");
    for (ObjectNode pdb : svc.list(budgets, namespace, ListOptions.ALL).items()) {
      JsonNode selector = pdb.path("spec").path("selector");
      // a budget without a selector selects nothing; an empty one selects every pod (policy/v1)
      if (selector.isObject() && Validator.selectorMatches(selector, labels)) out.add(pdb);
    }
    return out;
  }

  private void checkAndDecrement(ObjectNode pdb, ObjectNode pod, String podName, String namespace, boolean dryRun) {
    String pdbName = pdb.path("metadata").path("name").asString();
    for (int attempt = 0; ; attempt++) {
      JsonNode status = pdb.path("status");
      if (!ready(pod)) {
        // unhealthy pods do not count toward the budget: evicting them takes nothing from it
        if ("AlwaysAllow".equals(pdb.path("spec").path("unhealthyPodEvictionPolicy").asString(""))) return;
        long desired = status.path("desiredHealthy").asLong(0);
        if (desired > 0 && status.path("currentHealthy").asLong(0) >= desired) return;
      }
      if (status.path("observedGeneration").asLong(0) < pdb.path("metadata").path("generation").asLong(0)) {
        throw tooManyRequests(10, "The disruption budget " + pdbName + " is still being processed by the server.");
      }
      long allowed = status.path("disruptionsAllowed").asLong(0);
      if (allowed < 0) throw StatusException.forbidden(budgets.qualifiedResource() + " \"" + pdbName
          + "\" is forbidden: pdb disruptions allowed is negative");
      if (status.path("disruptedPods").size() > MAX_DISRUPTED_PODS) throw StatusException.forbidden(budgets.qualifiedResource()
          + " \"" + pdbName + "\" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller");
      if (allowed == 0) {
        throw tooManyRequests(0, "The disruption budget " + pdbName + " needs " + status.path("desiredHealthy").asLong(0)
            + " healthy pods and has " + status.path("currentHealthy").asLong(0) + " currently");
      }
      if (dryRun) return;
      ObjectNode updated = pdb.deepCopy();
      ObjectNode st = updated.withObject("status");
      st.put("disruptionsAllowed", allowed - 1);
      // tells the disruption controller the pod is on its way out before its deletion is seen
      st.withObject("disruptedPods").put(podName, ResourceService.now());
      if (allowed - 1 == 0) insufficient(st);
      try {
        // the read resourceVersion stays in metadata: the write fails (409) if another eviction came first
        svc.update(budgets, namespace, pdbName, updated, new WriteOptions(false, "eviction", "status"));
        return;
      } catch (StatusException e) {
        if (e.code() != 409 || attempt + 1 >= CAS_ATTEMPTS) throw e;
        pdb = svc.get(budgets, namespace, pdbName);
      }
    }
  }

  private static boolean ready(ObjectNode pod) {
    for (JsonNode c : pod.path("status").path("conditions")) {
      if ("Ready".equals(c.path("type").asString(""))) return "True".equals(c.path("status").asString(""));
    }
    return false;
  }

  /** kube's UpdateDisruptionAllowedCondition, for the budget an eviction just used up. */
  private static void insufficient(ObjectNode status) {
    ArrayNode conds = status.withArray("conditions");
    ObjectNode c = null;
    for (JsonNode n : conds) {
      if ("DisruptionAllowed".equals(n.path("type").asString("")) && n instanceof ObjectNode o) c = o;
    }
    if (c == null) c = conds.addObject().put("type", "DisruptionAllowed");
    if (!"False".equals(c.path("status").asString(""))) c.put("lastTransitionTime", ResourceService.now());
    c.put("status", "False").put("reason", "InsufficientPods").put("message", "");
  }

  private static StatusException tooManyRequests(int retryAfterSeconds, String cause) {
    return new StatusException(429, "TooManyRequests", VIOLATES, null, null, null,
        List.of(new StatusException.Cause(CAUSE, cause, null)), retryAfterSeconds == 0 ? null : retryAfterSeconds);
  }
}
