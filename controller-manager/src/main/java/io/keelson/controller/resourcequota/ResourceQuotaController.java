package io.keelson.controller.resourcequota;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.keelson.client.quota.QuotaQuantities;
import io.keelson.client.quota.QuotaUsage;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.keelson.controller.runtime.ServedResources;
import io.micrometer.core.instrument.MeterRegistry;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;

/**
 * kube's resourcequota controller: keeps each ResourceQuota's status.hard (its spec.hard) and
 * status.used (the sum, over the namespace's objects the quota takes in, of what each charges —
 * counted by {@link QuotaUsage} as the api-server's quota admission counts it). Admission charges
 * creates and growing updates optimistically; this controller gives usage back when objects go
 * (pods deleted or ended, Services no longer NodePort or LoadBalancer) and corrects any drift on a full resync every five minutes, as kube does.
 */
public final class ResourceQuotaController implements Reconciler, ManagedController {
  public static final String NAME = "resourcequota";
  /** kube-controller-manager's --resource-quota-sync-period default. */
  static final Duration FULL_RESYNC = Duration.ofMinutes(5);
  static final Duration FIRST_RECOUNT = Duration.ofSeconds(1);

  private final KubernetesClient client;
  private final SharedIndexInformer<ResourceQuota> quotas;
  /** The kinds whose objects are watched, by "group/plural": their deletions give usage back at once. */
  private final Map<String, SharedIndexInformer<? extends HasMetadata>> watched = new LinkedHashMap<>();
  private final ServedResources served;
  private final Clock clock;
  private final Controller controller;

  public ResourceQuotaController(Informers informers, ServedResources served, MeterRegistry metrics, int workers) {
    this(informers, served, metrics, workers, Clock.systemUTC());
  }

  ResourceQuotaController(Informers informers, ServedResources served, MeterRegistry metrics, int workers, Clock clock) {
    this.client = informers.client();
    this.quotas = informers.of(ResourceQuota.class);
    this.served = served;
    this.clock = clock;
    this.controller = new Controller(NAME, this, workers, metrics);
    quotas.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(ResourceQuota q) {
        controller.enqueue(Informers.key(q));
      }

      @Override
      public void onUpdate(ResourceQuota before, ResourceQuota after) {
        // not on status writes (admission's charges, ours): only a changed spec needs a recount
        if (!Objects.equals(before.getSpec(), after.getSpec())) controller.enqueue(Informers.key(after));
      }

      @Override
      public void onDelete(ResourceQuota q, boolean unknownFinalState) {}
    });
    watch("/pods", informers.of(Pod.class), true);
    watch("/services", informers.of(Service.class), true);
    watch("/persistentvolumeclaims", informers.of(PersistentVolumeClaim.class), false); // a claim never shrinks
    watch("/configmaps", informers.of(ConfigMap.class), false);
    watch("/secrets", informers.of(Secret.class), false);
  }

  /**
   * Recounts the namespace's quotas when an object of the kind goes, or when an update gives usage
   * back ({@code updatesGiveBack}: a pod that ends, a Service no longer NodePort or LoadBalancer):
   * kube's replenishment. Creates and growing updates need no recount: admission charged them.
   */
  private <T extends HasMetadata> void watch(String kind, SharedIndexInformer<T> informer, boolean updatesGiveBack) {
    watched.put(kind, informer);
    String group = kind.substring(0, kind.indexOf('/'));
    String plural = kind.substring(kind.indexOf('/') + 1);
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {}

      @Override
      public void onUpdate(T before, T after) {
        if (!updatesGiveBack || !hasQuotas(after.getMetadata().getNamespace())) return;
        // what the old object charged beyond the new one is what this update gives back (only
        // worth working out where a quota counts it: this runs for every pod status change)
        if (!QuotaUsage.growth(group, plural, json(after), json(before), clock.instant()).isEmpty()) {
          recount(after.getMetadata().getNamespace());
        }
      }

      @Override
      public void onDelete(T obj, boolean unknownFinalState) {
        recount(obj.getMetadata().getNamespace());
      }
    });
  }

  private boolean hasQuotas(String namespace) {
    return !quotas.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace).isEmpty();
  }

  private void recount(String namespace) {
    for (ResourceQuota q : quotas.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace)) controller.enqueue(Informers.key(q));
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public Result reconcile(String key) {
    ResourceQuota quota = quotas.getIndexer().getByKey(key);
    if (quota == null) return Result.noUpdate();
    String namespace = quota.getMetadata().getNamespace();
    Map<String, Quantity> hard = quota.getSpec() == null || quota.getSpec().getHard() == null ? Map.of() : quota.getSpec().getHard();
    JsonNode quotaJson = json(quota);
    Instant now = clock.instant();
    Map<String, BigDecimal> used = new TreeMap<>();
    for (String r : hard.keySet()) used.put(r, BigDecimal.ZERO);
    for (String kind : kindsCounted(hard.keySet())) {
      String group = kind.substring(0, kind.indexOf('/'));
      String plural = kind.substring(kind.indexOf('/') + 1);
      for (JsonNode obj : objects(group, plural, namespace)) {
        if (!QuotaUsage.inScope(quotaJson, group, plural, obj)) continue;
        QuotaUsage.of(group, plural, obj, now).forEach((r, v) -> used.computeIfPresent(r, (k, sum) -> sum.add(v)));
      }
    }
    // objects created just before the quota may still be on their way to the informers: count once more soon
    boolean firstCount = quota.getStatus() == null || quota.getStatus().getUsed() == null;
    Map<String, Quantity> usedStatus = new TreeMap<>();
    used.forEach((r, v) -> usedStatus.put(r, new Quantity(QuotaQuantities.format(r, v))));
    if (!sameStatus(quota, hard, usedStatus)) {
      ResourceQuota updated = new ResourceQuotaBuilder(quota).editOrNewStatus().withHard(new TreeMap<>(hard)).withUsed(usedStatus)
          .endStatus().build();
      // the resourceVersion we counted at: a concurrent admission charge makes this fail and retry
      client.resourceQuotas().inNamespace(namespace).resource(updated).updateStatus();
    }
    return Result.requeueAfter(firstCount ? FIRST_RECOUNT : FULL_RESYNC);
  }

  private static boolean sameStatus(ResourceQuota q, Map<String, Quantity> hard, Map<String, Quantity> used) {
    if (q.getStatus() == null) return false;
    return sameValues(q.getStatus().getHard(), hard) && sameValues(q.getStatus().getUsed(), used);
  }

  private static boolean sameValues(Map<String, Quantity> a, Map<String, Quantity> b) {
    if (a == null || a.size() != b.size()) return false;
    for (Map.Entry<String, Quantity> e : b.entrySet()) {
      Quantity x = a.get(e.getKey());
      if (x == null || x.getNumericalAmount().compareTo(e.getValue().getNumericalAmount()) != 0) return false;
    }
    return true;
  }

  /** The kinds ("group/plural") whose objects the quota's resources count. */
  static Set<String> kindsCounted(Set<String> resources) {
    Set<String> out = new LinkedHashSet<>();
    for (String r : resources) out.add(QuotaUsage.countedKind(r));
    return out;
  }

  /** The namespace's objects of a kind: from the informers this controller keeps, else listed (on resyncs only). */
  private List<JsonNode> objects(String group, String plural, String namespace) {
    List<JsonNode> out = new ArrayList<>();
    SharedIndexInformer<? extends HasMetadata> informer = watched.get(group + "/" + plural);
    if (informer != null) {
      for (HasMetadata o : informer.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace)) out.add(json(o));
      return out;
    }
    if (group.isEmpty() && plural.equals("resourcequotas")) {
      for (ResourceQuota q : quotas.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace)) out.add(json(q));
      return out;
    }
    Predicate<ServedResources.Served> sameKind = s -> plural.equals(s.context().getPlural())
        && group.equals(s.context().getGroup() == null ? "" : s.context().getGroup()) && s.namespaced() && s.supports("list");
    for (ServedResources.Served s : served.all()) {
      if (!sameKind.test(s)) continue;
      for (HasMetadata o : client.genericKubernetesResources(s.context()).inNamespace(namespace).list().getItems()) out.add(json(o));
      break;
    }
    return out;
  }

  private JsonNode json(Object o) {
    return client.getKubernetesSerialization().convertValue(o, JsonNode.class);
  }
}
