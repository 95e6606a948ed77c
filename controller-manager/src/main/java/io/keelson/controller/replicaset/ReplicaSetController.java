package io.keelson.controller.replicaset;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.keelson.controller.events.EventRecorder;
import io.keelson.controller.pod.PodConditions;
import io.keelson.controller.pod.PodControl;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Expectations;
import io.keelson.controller.runtime.Informers;
import io.keelson.client.selection.LabelSelectors;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Owners;
import io.keelson.controller.runtime.OwnershipClaims;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code spec.replicas} pods running for every ReplicaSet: creates missing pods in slow-start
 * batches, deletes surplus ones (cheapest first), adopts and releases pods by selector, and writes
 * the status counts the Deployment controller and kubectl read.
 */
public final class ReplicaSetController implements Reconciler, ManagedController {
  private static final Logger log = LoggerFactory.getLogger(ReplicaSetController.class);
  public static final String NAME = "replicaset";
  /** At most this many creates or deletes per pass, like Kubernetes' burstReplicas. */
  static final int BURST_REPLICAS = 500;

  private final KubernetesClient client;
  private final SharedIndexInformer<ReplicaSet> replicaSets;
  private final SharedIndexInformer<Pod> pods;
  private final PodControl podControl;
  private final Expectations expectations = new Expectations();
  private final Controller controller;
  private final ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();

  public ReplicaSetController(Informers informers, EventRecorder events, MeterRegistry metrics, int workers) {
    this.client = informers.client();
    this.replicaSets = informers.of(ReplicaSet.class);
    this.pods = informers.of(Pod.class);
    this.podControl = new PodControl(client, events.forComponent("replicaset-controller"));
    this.controller = new Controller(NAME, this, workers, metrics);
    replicaSets.addEventHandler(Informers.handler(rs -> List.of(Informers.key(rs)), controller::enqueue));
    pods.addEventHandler(new PodHandler());
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public Result reconcile(String key) throws Exception {
    ReplicaSet rs = replicaSets.getIndexer().getByKey(key);
    if (rs == null) {
      expectations.forget(key);
      return Result.noUpdate();
    }
    boolean needsSync = expectations.satisfied(key);
    List<Pod> active = new ArrayList<>();
    for (Pod p : pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, rs.getMetadata().getNamespace())) {
      if (PodConditions.isActive(p)) active.add(p);
    }
    List<Pod> owned = OwnershipClaims.claim(client, rs, rs.getSpec().getSelector(), active);

    Exception manageError = null;
    if (needsSync && !Owners.isDeleting(rs)) {
      try {
        manageReplicas(key, rs, owned);
      } catch (Exception e) {
        manageError = e;
      }
    }
    Instant now = Instant.now();
    int minReady = rs.getSpec().getMinReadySeconds() == null ? 0 : rs.getSpec().getMinReadySeconds();
    ReplicaSetStatus status = calculateStatus(rs, owned, now);
    updateStatus(rs, status);
    if (manageError != null) throw manageError;
    if (minReady > 0 && !Objects.equals(status.getReadyReplicas(), status.getAvailableReplicas())) {
      return Result.requeueAfter(Duration.ofSeconds(minReady).plusMillis(100));
    }
    return Result.noUpdate();
  }

  private void manageReplicas(String key, ReplicaSet rs, List<Pod> owned) throws Exception {
    int want = rs.getSpec().getReplicas() == null ? 1 : rs.getSpec().getReplicas();
    int diff = owned.size() - want;
    if (diff < 0) {
      int n = Math.min(-diff, BURST_REPLICAS);
      expectations.expectCreations(key, n);
      int created = slowStartCreate(rs, n);
      if (created < n) {
        expectations.lowerCreations(key, n - created);
        throw new IllegalStateException("created " + created + " of " + n + " pods for " + key);
      }
    } else if (diff > 0) {
      int n = Math.min(diff, BURST_REPLICAS);
      List<Pod> sorted = new ArrayList<>(owned);
      sorted.sort(ActivePodsOrder.DELETE_FIRST);
      List<Pod> victims = sorted.subList(0, n);
      Set<String> victimKeys = new HashSet<>();
      victims.forEach(p -> victimKeys.add(Informers.key(p)));
      expectations.expectDeletions(key, victimKeys);
      List<Future<?>> done = new ArrayList<>();
      for (Pod p : victims) {
        done.add(
            calls.submit(
                () -> {
                  try {
                    podControl.delete(p, rs);
                  } catch (RuntimeException e) {
                    expectations.deletionObserved(key, Informers.key(p));
                    throw e;
                  }
                }));
      }
      for (Future<?> f : done) f.get();
    }
  }

  /**
   * Creates {@code n} pods in batches of 1, 2, 4, ... so that a failing create (quota, a broken
   * template) costs one call, not hundreds. Returns how many were created.
   */
  private int slowStartCreate(ReplicaSet rs, int n) throws InterruptedException {
    int created = 0;
    int batch = 1;
    while (created < n) {
      int size = Math.min(batch, n - created);
      AtomicInteger ok = new AtomicInteger();
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        futures.add(
            calls.submit(
                () -> {
                  Pod pod = PodControl.podFromTemplate(rs.getSpec().getTemplate(), rs, rs.getMetadata().getName());
                  podControl.create(pod, rs);
                  ok.incrementAndGet();
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          log.debug("create failed for {}: {}", rs.getMetadata().getName(), e.getCause().toString());
        }
      }
      created += ok.get();
      if (ok.get() < size) return created;
      batch *= 2;
    }
    return created;
  }

  static ReplicaSetStatus calculateStatus(ReplicaSet rs, List<Pod> owned, Instant now) {
    int minReady = rs.getSpec().getMinReadySeconds() == null ? 0 : rs.getSpec().getMinReadySeconds();
    Map<String, String> templateLabels =
        rs.getSpec().getTemplate() == null || rs.getSpec().getTemplate().getMetadata() == null
            ? Map.of()
            : rs.getSpec().getTemplate().getMetadata().getLabels();
    int fullyLabeled = 0, ready = 0, available = 0;
    for (Pod p : owned) {
      Map<String, String> labels = p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
      if (templateLabels == null || labels.entrySet().containsAll(templateLabels.entrySet())) fullyLabeled++;
      if (PodConditions.isReady(p)) {
        ready++;
        if (PodConditions.isAvailable(p, minReady, now)) available++;
      }
    }
    ReplicaSetStatus old = rs.getStatus();
    return new ReplicaSetStatusBuilder()
        .withReplicas(owned.size())
        .withFullyLabeledReplicas(fullyLabeled)
        .withReadyReplicas(ready)
        .withAvailableReplicas(available)
        .withObservedGeneration(rs.getMetadata().getGeneration())
        .withConditions(old == null ? null : old.getConditions())
        .build();
  }

  private void updateStatus(ReplicaSet rs, ReplicaSetStatus status) {
    ReplicaSetStatus old = rs.getStatus();
    if (old != null
        && eq(old.getReplicas(), status.getReplicas())
        && eq(old.getFullyLabeledReplicas(), status.getFullyLabeledReplicas())
        && eq(old.getReadyReplicas(), status.getReadyReplicas())
        && eq(old.getAvailableReplicas(), status.getAvailableReplicas())
        && Objects.equals(old.getObservedGeneration(), status.getObservedGeneration())) {
      return;
    }
    ReplicaSet copy = new io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder(rs).withStatus(status).build();
    try {
      client.apps().replicaSets().inNamespace(rs.getMetadata().getNamespace()).resource(copy).updateStatus();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) throw e;
    }
  }

  private static boolean eq(Integer a, Integer b) {
    return (a == null ? 0 : a) == (b == null ? 0 : b);
  }

  // ---- pod events → ReplicaSet keys (and expectations bookkeeping)

  private String controllerKey(Pod pod) {
    return Owners.controllerOf(pod)
        .filter(r -> "ReplicaSet".equals(r.getKind()))
        .map(r -> Informers.key(pod.getMetadata().getNamespace(), r.getName()))
        .orElse(null);
  }

  private void enqueueMatchingOrphanOwners(Pod pod) {
    for (ReplicaSet rs : replicaSets.getIndexer().byIndex(Cache.NAMESPACE_INDEX, pod.getMetadata().getNamespace())) {
      if (LabelSelectors.matches(rs.getSpec().getSelector(), pod.getMetadata().getLabels())) {
        controller.enqueue(Informers.key(rs));
      }
    }
  }

  private final class PodHandler implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod pod) {
      if (pod.getMetadata().getDeletionTimestamp() != null) {
        onDelete(pod, false);
        return;
      }
      String key = controllerKey(pod);
      if (key != null) {
        expectations.creationObserved(key);
        controller.enqueue(key);
      } else if (Owners.controllerOf(pod).isEmpty()) {
        enqueueMatchingOrphanOwners(pod);
      }
    }

    @Override
    public void onUpdate(Pod old, Pod pod) {
      if (Objects.equals(old.getMetadata().getResourceVersion(), pod.getMetadata().getResourceVersion())) return;
      String key = controllerKey(pod);
      String oldKey = controllerKey(old);
      if (pod.getMetadata().getDeletionTimestamp() != null && key != null) {
        expectations.deletionObserved(key, Informers.key(pod));
      }
      if (oldKey != null && !oldKey.equals(key)) controller.enqueue(oldKey);
      if (key != null) {
        controller.enqueue(key);
      } else if (Owners.controllerOf(pod).isEmpty()
          && (!Objects.equals(old.getMetadata().getLabels(), pod.getMetadata().getLabels())
              || Owners.controllerOf(old).isPresent())) {
        enqueueMatchingOrphanOwners(pod);
      }
    }

    @Override
    public void onDelete(Pod pod, boolean finalStateUnknown) {
      String key = controllerKey(pod);
      if (key == null) return;
      expectations.deletionObserved(key, Informers.key(pod));
      controller.enqueue(key);
    }
  }

}
