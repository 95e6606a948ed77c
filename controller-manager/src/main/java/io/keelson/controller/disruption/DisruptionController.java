package io.keelson.controller.disruption;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.keelson.controller.events.EventRecorder;
import io.keelson.controller.pod.PodConditions;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.client.selection.LabelSelectors;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Owners;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.keelson.controller.runtime.ServedResources;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * kube's disruption controller: keeps each PodDisruptionBudget's status — how many of its pods are
 * expected, healthy and must stay healthy, and so how many disruptions the eviction API may allow
 * now. Pods an eviction recorded in status.disruptedPods count as gone for two minutes (or until
 * they are seen being deleted), so evictions racing the pods' deletion cannot overspend the budget.
 */
public final class DisruptionController implements Reconciler, ManagedController {
  public static final String NAME = "disruption";
  static final String CONDITION = "DisruptionAllowed";
  /** kube's DeletionTimeout: an eviction the pod's deletion has not followed within this is forgotten. */
  static final Duration DELETION_TIMEOUT = Duration.ofMinutes(2);

  private final KubernetesClient client;
  private final SharedIndexInformer<PodDisruptionBudget> budgets;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<ReplicaSet> replicaSets;
  private final SharedIndexInformer<Deployment> deployments;
  private final ServedResources served;
  private final EventRecorder events;
  private final Clock clock;
  private final Controller controller;

  public DisruptionController(Informers informers, ServedResources served, EventRecorder events, MeterRegistry metrics, int workers) {
    this(informers, served, events, metrics, workers, Clock.systemUTC());
  }

  DisruptionController(Informers informers, ServedResources served, EventRecorder events, MeterRegistry metrics, int workers,
      Clock clock) {
    this.client = informers.client();
    this.budgets = informers.of(PodDisruptionBudget.class);
    this.pods = informers.of(Pod.class);
    this.replicaSets = informers.of(ReplicaSet.class);
    this.deployments = informers.of(Deployment.class);
    this.served = served;
    this.events = events.forComponent("controllermanager"); // kube's disruption controller reports so
    this.clock = clock;
    this.controller = new Controller(NAME, this, workers, metrics);
    budgets.addEventHandler(Informers.handler(b -> List.of(Informers.key(b)), controller::enqueue));
    pods.addEventHandler(Informers.handler(this::budgetsOf, controller::enqueue));
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  /** The keys of the budgets selecting {@code pod}. */
  private List<String> budgetsOf(Pod pod) {
    List<String> out = new ArrayList<>();
    for (PodDisruptionBudget b : budgets.getIndexer().byIndex(Cache.NAMESPACE_INDEX, pod.getMetadata().getNamespace())) {
      if (selects(b, pod)) out.add(Informers.key(b));
    }
    return out;
  }

  /** policy/v1: a budget without a selector selects no pod, an empty selector every pod. */
  static boolean selects(PodDisruptionBudget b, Pod pod) {
    LabelSelector s = b.getSpec() == null ? null : b.getSpec().getSelector();
    return LabelSelectors.selects(s, pod.getMetadata().getLabels());
  }

  @Override
  public Result reconcile(String key) {
    PodDisruptionBudget pdb = budgets.getIndexer().getByKey(key);
    if (pdb == null || pdb.getSpec() == null) return Result.noUpdate();
    List<Pod> selected = new ArrayList<>();
    for (Pod p : pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, pdb.getMetadata().getNamespace())) {
      if (selects(pdb, p)) selected.add(p);
    }
    if (selected.isEmpty()) events.normal(pdb, "NoPods", "No matching pods found");
    Instant now = clock.instant();
    Expected expected;
    try {
      expected = expected(pdb, selected);
    } catch (NoScaleException e) {
      events.warning(pdb, "CalculateExpectedPodCountFailed", "Failed to calculate the number of expected pods: " + e.getMessage());
      failSafe(pdb, e.getMessage(), now);
      // and retried with backoff, as kube's sync returns the error: a controller the informers have not
      // delivered yet (a new ReplicaSet or Deployment) brings no event that would sync the budget again
      throw new IllegalStateException("budget " + key + " failed safe: " + e.getMessage(), e);
    }
    if (!expected.unmanaged().isEmpty()) {
      events.warning(pdb, "UnmanagedPods", "Pods selected by this PodDisruptionBudget (selector: "
          + selectorText(pdb.getSpec().getSelector()) + ") were found to be unmanaged. As a result, the status of the PDB "
          + "cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set "
          + "\".spec.minAvailable\" field of the PDB to an integer value.");
    }
    Map<String, String> disrupted = new LinkedHashMap<>();
    Instant recheck = disruptedPods(pdb, selected, now, disrupted);
    int healthy = 0;
    for (Pod p : selected) {
      if (p.getMetadata().getDeletionTimestamp() == null && !disrupted.containsKey(p.getMetadata().getName())
          && PodConditions.isReady(p)) {
        healthy++;
      }
    }
    writeStatus(pdb, healthy, expected.desiredHealthy(), expected.count(), disrupted, now);
    return recheck == null ? Result.noUpdate() : Result.requeueAfter(Duration.between(now, recheck));
  }

  /** The selector as a label query ("app=web,tier in (a,b)") for messages. */
  private static String selectorText(LabelSelector s) {
    List<String> parts = new ArrayList<>();
    if (s.getMatchLabels() != null) s.getMatchLabels().forEach((k, v) -> parts.add(k + "=" + v));
    if (s.getMatchExpressions() != null) {
      s.getMatchExpressions().forEach(r -> parts.add(r.getKey() + " " + r.getOperator()
          + (r.getValues() == null || r.getValues().isEmpty() ? "" : " (" + String.join(",", r.getValues()) + ")")));
    }
    return String.join(",", parts);
  }

  record Expected(int count, int desiredHealthy, List<String> unmanaged) {}

  static final class NoScaleException extends Exception {
    NoScaleException(String message) {
      super(message);
    }
  }

  /** kube's getExpectedPodCount: an integer minAvailable counts the pods, anything else the controllers' scale. */
  private Expected expected(PodDisruptionBudget pdb, List<Pod> selected) throws NoScaleException {
    IntOrString max = pdb.getSpec().getMaxUnavailable();
    IntOrString min = pdb.getSpec().getMinAvailable();
    if (max != null) {
      Expected scale = expectedScale(selected);
      int desired = Math.max(0, scale.count() - scaled(max, scale.count()));
      return new Expected(scale.count(), desired, scale.unmanaged());
    }
    if (min != null) {
      if (min.getIntVal() != null) return new Expected(selected.size(), min.getIntVal(), List.of());
      Expected scale = expectedScale(selected);
      return new Expected(scale.count(), scaled(min, scale.count()), scale.unmanaged());
    }
    return new Expected(0, 0, List.of());
  }

  /** intstr.GetScaledValueFromIntOrPercent, rounding up. */
  static int scaled(IntOrString v, int total) {
    if (v.getIntVal() != null) return v.getIntVal();
    String s = v.getStrVal() == null ? "" : v.getStrVal().trim();
    int percent = Integer.parseInt(s.endsWith("%") ? s.substring(0, s.length() - 1) : s);
    return (int) Math.ceil(percent * (double) total / 100);
  }

  /** kube's getExpectedScale: the sum of the selected pods' controllers' replicas, each controller once. */
  private Expected expectedScale(List<Pod> selected) throws NoScaleException {
    Map<String, Integer> byController = new HashMap<>();
    List<String> unmanaged = new ArrayList<>();
    for (Pod p : selected) {
      Optional<OwnerReference> ref = Owners.controllerOf(p);
      if (ref.isEmpty()) {
        unmanaged.add(p.getMetadata().getName());
        continue;
      }
      if (byController.containsKey(ref.get().getUid())) continue;
      Scale scale = scaleOf(ref.get(), p.getMetadata().getNamespace());
      if (scale == null) throw new NoScaleException("found no controllers for pod \"" + p.getMetadata().getName() + "\"");
      byController.put(scale.uid(), scale.replicas());
    }
    int count = byController.values().stream().mapToInt(Integer::intValue).sum();
    return new Expected(count, 0, unmanaged);
  }

  private record Scale(String uid, int replicas) {}

  /**
   * The finders of kube's disruption controller: a ReplicaSet's Deployment when it has one, else the
   * ReplicaSet; any other owner by its spec.replicas (StatefulSets, ReplicationControllers, and the
   * scalable kinds kube reads through /scale). Null: the owner is gone, another incarnation, or not scalable.
   */
  private Scale scaleOf(OwnerReference ref, String namespace) {
    if (ref.getApiVersion().startsWith("apps/") && ref.getKind().equals("ReplicaSet")) {
      ReplicaSet rs = replicaSets.getIndexer().getByKey(Informers.key(namespace, ref.getName()));
      if (rs == null || !Objects.equals(rs.getMetadata().getUid(), ref.getUid())) return null;
      Optional<OwnerReference> owner = Owners.controllerOf(rs);
      if (owner.isPresent() && owner.get().getKind().equals("Deployment")) {
        Deployment d = deployments.getIndexer().getByKey(Informers.key(namespace, owner.get().getName()));
        if (d == null || !Objects.equals(d.getMetadata().getUid(), owner.get().getUid())) return null;
        return new Scale(d.getMetadata().getUid(), replicas(d.getSpec() == null ? null : d.getSpec().getReplicas()));
      }
      return new Scale(rs.getMetadata().getUid(), replicas(rs.getSpec() == null ? null : rs.getSpec().getReplicas()));
    }
    ServedResources.Served kind = served.forKind(ref.getApiVersion(), ref.getKind());
    if (kind == null) return null;
    GenericKubernetesResource owner;
    try {
      owner = client.genericKubernetesResources(kind.context()).inNamespace(namespace).withName(ref.getName()).get();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) return null;
      throw e;
    }
    if (owner == null || !Objects.equals(owner.getMetadata().getUid(), ref.getUid())) return null;
    Object spec = owner.getAdditionalProperties().get("spec");
    if (!(spec instanceof Map<?, ?> m) || !(m.get("replicas") instanceof Number n)) return null;
    return new Scale(owner.getMetadata().getUid(), n.intValue());
  }

  private static int replicas(Integer r) {
    return r == null ? 1 : r;
  }

  /**
   * kube's buildDisruptedPodMap: the evictions still awaiting their pod's deletion, into {@code out};
   * returns when the earliest of them times out (null: none pending). Pods gone or being deleted drop out.
   */
  private Instant disruptedPods(PodDisruptionBudget pdb, List<Pod> selected, Instant now, Map<String, String> out) {
    Map<String, String> recorded = pdb.getStatus() == null || pdb.getStatus().getDisruptedPods() == null
        ? Map.of() : pdb.getStatus().getDisruptedPods();
    Instant recheck = null;
    for (Pod p : selected) {
      if (p.getMetadata().getDeletionTimestamp() != null) continue;
      String at = recorded.get(p.getMetadata().getName());
      if (at == null) continue;
      Instant since = PodConditions.parseTime(at);
      Instant expires = since == null ? now : since.plus(DELETION_TIMEOUT);
      if (!expires.isAfter(now)) {
        events.warning(pdb, "NotDeleted", "Pod " + p.getMetadata().getName() + " was expected to be deleted but it wasn't");
        continue;
      }
      out.put(p.getMetadata().getName(), at);
      if (recheck == null || expires.isBefore(recheck)) recheck = expires;
    }
    return recheck;
  }

  private void writeStatus(PodDisruptionBudget pdb, int healthy, int desired, int expected, Map<String, String> disrupted,
      Instant now) {
    int allowed = expected <= 0 ? 0 : Math.max(0, healthy - desired);
    PodDisruptionBudgetStatus old = pdb.getStatus() == null ? new PodDisruptionBudgetStatus() : pdb.getStatus();
    PodDisruptionBudgetStatus s = new PodDisruptionBudgetStatus();
    s.setCurrentHealthy(healthy);
    s.setDesiredHealthy(desired);
    s.setExpectedPods(expected);
    s.setDisruptionsAllowed(allowed);
    s.setDisruptedPods(disrupted.isEmpty() ? null : disrupted);
    s.setObservedGeneration(pdb.getMetadata().getGeneration());
    s.setConditions(withCondition(old.getConditions(), allowed > 0 ? "True" : "False",
        allowed > 0 ? "SufficientPods" : "InsufficientPods", "", s.getObservedGeneration(), now));
    write(pdb, old, s);
  }

  /** kube's failSafe: no disruption allowed while the status cannot be computed; observedGeneration stays. */
  private void failSafe(PodDisruptionBudget pdb, String message, Instant now) {
    PodDisruptionBudgetStatus old = pdb.getStatus() == null ? new PodDisruptionBudgetStatus() : pdb.getStatus();
    PodDisruptionBudgetStatus s = new PodDisruptionBudgetStatus(old.getConditions(), old.getCurrentHealthy(), old.getDesiredHealthy(),
        old.getDisruptedPods(), 0, old.getExpectedPods(), old.getObservedGeneration());
    s.setConditions(withCondition(old.getConditions(), "False", "SyncFailed", message, old.getObservedGeneration(), now));
    write(pdb, old, s);
  }

  private void write(PodDisruptionBudget pdb, PodDisruptionBudgetStatus old, PodDisruptionBudgetStatus s) {
    if (zeroed(s).equals(zeroed(old))) return;
    PodDisruptionBudget copy = new PodDisruptionBudgetBuilder(pdb).withStatus(s).build();
    // the cached resourceVersion guards the write: an eviction's decrement in between makes it a 409, and the retry reads it
    client.policy().v1().podDisruptionBudget().inNamespace(pdb.getMetadata().getNamespace()).resource(copy).updateStatus();
  }

  /** The status with absent counters as zeros, so that an unwritten status and a zero one compare equal. */
  private static PodDisruptionBudgetStatus zeroed(PodDisruptionBudgetStatus s) {
    return new PodDisruptionBudgetStatus(s.getConditions() == null ? List.of() : s.getConditions(), z(s.getCurrentHealthy()),
        z(s.getDesiredHealthy()), s.getDisruptedPods() == null ? Map.of() : s.getDisruptedPods(), z(s.getDisruptionsAllowed()),
        z(s.getExpectedPods()), s.getObservedGeneration() == null ? 0L : s.getObservedGeneration());
  }

  private static int z(Integer i) {
    return i == null ? 0 : i;
  }

  /** apimachinery's SetStatusCondition for the DisruptionAllowed condition: the transition time moves only with the status. */
  private static List<Condition> withCondition(List<Condition> conditions, String status, String reason, String message,
      Long observedGeneration, Instant now) {
    List<Condition> out = new ArrayList<>();
    Condition before = null;
    if (conditions != null) {
      for (Condition c : conditions) {
        if (CONDITION.equals(c.getType())) before = c;
        else out.add(c);
      }
    }
    String since = before != null && status.equals(before.getStatus()) && before.getLastTransitionTime() != null
        ? before.getLastTransitionTime() : now.truncatedTo(ChronoUnit.SECONDS).toString(); // metav1.Time: RFC 3339 seconds
    out.add(new ConditionBuilder().withType(CONDITION).withStatus(status).withReason(reason).withMessage(message)
        .withObservedGeneration(observedGeneration).withLastTransitionTime(since).build());
    return out;
  }
}
