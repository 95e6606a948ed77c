package io.keelson.apiserver.quota;

import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.client.quota.QuotaQuantities;
import io.keelson.client.quota.QuotaUsage;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * kube's ResourceQuota admission: a create is charged to every quota of its namespace that tracks
 * what it uses, before the object is written; so is what an update adds where kube charges updates
 * (see {@link QuotaUsage#chargesUpdates}). The charge is a compare-and-swap of the quota's
 * status.used (a guarded etcd write, retried on conflict), so parallel creates, through one
 * api-server or several, can never together pass a hard limit; a create that would is refused
 * with 403. Charges of creates that fail later are taken back by the controller-manager's
 * resourcequota controller, which recomputes status.used from the objects. Quotas the controller
 * has not observed yet (no status.hard) enforce nothing, as in kube.
 */
public final class QuotaAdmission {

  private static final ResourceType QUOTAS = ResourceRegistry.find("", "v1", "resourcequotas").orElseThrow();
  private static final WriteOptions CHARGE = new WriteOptions(false, "resourcequota-admission", "status");

  private QuotaAdmission() {}

  /** Checks {@code obj} (about to be created) against the namespace's quotas and charges it; a dry run only checks. */
  public static void admitCreate(ResourceService svc, ResourceType type, ObjectNode obj, boolean dryRun) {
    if (!type.namespaced() || ResourceRegistry.computed(type)) return;
    charge(svc, type, obj, QuotaUsage.of(type.group(), type.resource(), obj, Instant.now()), true, dryRun);
  }

  /**
   * Checks an update of the object itself (subresources are not charged, as in kube) from
   * {@code old} to {@code updated} and charges what it adds: a Service turned NodePort or
   * LoadBalancer, a claim asking for more storage. A dry run only checks. Returns what was charged;
   * {@code chargedBefore}: what an earlier try of the same write charged, not charged twice when the
   * write is retried after a conflict.
   */
  public static Map<String, BigDecimal> admitUpdate(ResourceService svc, ResourceType type, ObjectNode updated, ObjectNode old,
      boolean dryRun, Map<String, BigDecimal> chargedBefore) {
    if (!type.namespaced() || !QuotaUsage.chargesUpdates(type.group(), type.resource())) return Map.of();
    Map<String, BigDecimal> growth = QuotaUsage.growth(type.group(), type.resource(), old, updated, Instant.now());
    if (growth.isEmpty() || growth.equals(chargedBefore)) return growth;
    charge(svc, type, updated, growth, false, dryRun);
    return growth;
  }

  /**
   * Charges {@code usage} of {@code obj} to every quota of its namespace that limits any of it and
   * takes the object in; {@code podConstraints}: a pod must state what a quota on cpu or memory
   * limits (kube's evaluators check this on the operations they charge, for pods: creates).
   */
  private static void charge(ResourceService svc, ResourceType type, ObjectNode obj, Map<String, BigDecimal> usage,
      boolean podConstraints, boolean dryRun) {
    String namespace = obj.path("metadata").path("namespace").asString("");
    List<ObjectNode> quotas = svc.namespaceObjectsForAdmission(QUOTAS, namespace);
    if (quotas.isEmpty()) return;
    String name = obj.path("metadata").path("name").asString("");
    for (ObjectNode quota : quotas) {
      JsonNode hard = quota.path("status").path("hard");
      if (!tracksAny(hard, type) || !QuotaUsage.inScope(quota, type.group(), type.resource(), obj)) continue;
      String quotaName = quota.path("metadata").path("name").asString("");
      if (podConstraints && type.group().isEmpty() && type.resource().equals("pods")) {
        List<String> hardNames = new java.util.ArrayList<>();
        hard.properties().forEach(e -> hardNames.add(e.getKey()));
        String missing = QuotaUsage.missing(hardNames, obj);
        if (missing != null) throw StatusException.forbidden(type, name, "failed quota: " + quotaName + ": must specify " + missing);
      }
      if (usage.keySet().stream().noneMatch(hard::has)) continue; // nothing this quota limits: no write
      if (dryRun) {
        charged(quota.deepCopy(), usage, type, name); // the cache's copy is shared: not ours to change
      } else {
        svc.mutate(QUOTAS, namespace, quotaName, CHARGE, current -> charged(current, usage, type, name));
      }
    }
  }

  private static boolean tracksAny(JsonNode hard, ResourceType type) {
    for (Map.Entry<String, JsonNode> e : hard.properties()) {
      if (QuotaUsage.tracks(type.group(), type.resource(), e.getKey())) return true;
    }
    return false;
  }

  /**
   * {@code quota} with {@code usage} added to status.used for the resources it limits; a 403 with
   * kube's message when that passes status.hard.
   */
  static ObjectNode charged(ObjectNode quota, Map<String, BigDecimal> usage, ResourceType type, String name) {
    JsonNode hard = quota.path("status").path("hard");
    Map<String, BigDecimal> used = QuotaQuantities.values(quota.path("status").path("used"));
    Map<String, BigDecimal> requested = new TreeMap<>();
    Map<String, BigDecimal> failedUsed = new TreeMap<>();
    Map<String, BigDecimal> failedHard = new TreeMap<>();
    Map<String, BigDecimal> next = new TreeMap<>(used);
    usage.forEach((r, delta) -> {
      if (!hard.has(r)) return;
      BigDecimal limit = QuotaQuantities.value(hard.get(r));
      BigDecimal now = used.getOrDefault(r, BigDecimal.ZERO);
      BigDecimal after = now.add(delta);
      if (delta.signum() > 0 && after.compareTo(limit) > 0) {
        requested.put(r, delta);
        failedUsed.put(r, now);
        failedHard.put(r, limit);
      }
      next.put(r, after);
    });
    if (!failedHard.isEmpty()) {
      throw StatusException.forbidden(type, name, "exceeded quota: " + quota.path("metadata").path("name").asString("")
          + ", requested: " + QuotaQuantities.print(requested) + ", used: " + QuotaQuantities.print(failedUsed)
          + ", limited: " + QuotaQuantities.print(failedHard));
    }
    ObjectNode status = (ObjectNode) quota.get("status");
    ObjectNode usedNode = status.putObject("used");
    next.forEach((r, v) -> usedNode.put(r, QuotaQuantities.format(r, v)));
    return quota;
  }
}
