package io.keelson.controller.daemonset;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.keelson.controller.deployment.ReplicaSets;
import io.keelson.controller.deployment.RolloutMath;
import io.keelson.controller.events.EventRecorder;
import io.keelson.controller.history.TemplateHistory;
import io.keelson.controller.pod.PodConditions;
import io.keelson.controller.pod.PodControl;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Expectations;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Owners;
import io.keelson.controller.runtime.OwnershipClaims;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Runs one pod of each DaemonSet on every node it fits (nodeSelector, required node affinity,
 * taints), binding pods to their node directly through {@code spec.nodeName}; deletes pods from
 * nodes they no longer fit; replaces pods of an old template at most maxUnavailable at a time;
 * writes the DaemonSet status counts; keeps the template history that kubectl rollout history and
 * undo read ({@link TemplateHistory}).
 */
public final class DaemonSetController implements Reconciler, ManagedController {
  public static final String NAME = "daemonset";
  public static final String REVISION_HASH = TemplateHistory.REVISION_HASH;

  private final KubernetesClient client;
  private final SharedIndexInformer<DaemonSet> daemonSets;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<Node> nodes;
  private final PodControl podControl;
  private final TemplateHistory history;
  private final Expectations expectations = new Expectations();
  private final Controller controller;

  public DaemonSetController(Informers informers, EventRecorder events, MeterRegistry metrics, int workers) {
    this.client = informers.client();
    this.daemonSets = informers.of(DaemonSet.class);
    this.pods = informers.of(Pod.class);
    this.nodes = informers.of(Node.class);
    this.podControl = new PodControl(client, events.forComponent("daemonset-controller"));
    SharedIndexInformer<ControllerRevision> revisions = informers.of(ControllerRevision.class);
    this.history = new TemplateHistory(client, revisions);
    this.controller = new Controller(NAME, this, workers, metrics);
    daemonSets.addEventHandler(Informers.handler(ds -> List.of(Informers.key(ds)), controller::enqueue));
    nodes.addEventHandler(Informers.handler(n -> allDaemonSets(), controller::enqueue));
    // a revision deleted or renumbered by hand is put right by the owner's next sync
    revisions.addEventHandler(Informers.handler(r -> Owners.controllerOf(r)
        .filter(o -> "DaemonSet".equals(o.getKind()))
        .map(o -> List.of(Informers.key(r.getMetadata().getNamespace(), o.getName())))
        .orElse(List.of()), controller::enqueue));
    pods.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Pod p) {
            String k = key(p);
            if (k == null) return;
            expectations.creationObserved(k);
            controller.enqueue(k);
          }

          @Override
          public void onUpdate(Pod o, Pod p) {
            String k = key(p);
            if (k == null) return;
            if (p.getMetadata().getDeletionTimestamp() != null) expectations.deletionObserved(k, Informers.key(p));
            controller.enqueue(k);
          }

          @Override
          public void onDelete(Pod p, boolean unknown) {
            String k = key(p);
            if (k == null) return;
            expectations.deletionObserved(k, Informers.key(p));
            controller.enqueue(k);
          }

          private String key(Pod p) {
            return Owners.controllerOf(p)
                .filter(r -> "DaemonSet".equals(r.getKind()))
                .map(r -> Informers.key(p.getMetadata().getNamespace(), r.getName()))
                .orElse(null);
          }
        });
  }

  private List<String> allDaemonSets() {
    return daemonSets.getIndexer().list().stream().map(Informers::key).toList();
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public Result reconcile(String key) throws Exception {
    DaemonSet ds = daemonSets.getIndexer().getByKey(key);
    if (ds == null) {
      expectations.forget(key);
      return Result.noUpdate();
    }
    String hash = ReplicaSets.templateHash(ds.getSpec().getTemplate(), ds.getStatus() == null ? null : ds.getStatus().getCollisionCount());
    List<Pod> inNs = new ArrayList<>();
    for (Pod p : pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, ds.getMetadata().getNamespace())) {
      if (p.getMetadata().getDeletionTimestamp() == null) inNs.add(p);
    }
    List<Pod> owned = OwnershipClaims.claim(client, ds, ds.getSpec().getSelector(), inNs);
    Map<String, List<Pod>> byNode = new HashMap<>();
    for (Pod p : owned) {
      String n = p.getSpec().getNodeName() == null ? "" : p.getSpec().getNodeName();
      byNode.computeIfAbsent(n, k -> new ArrayList<>()).add(p);
    }
    List<Node> allNodes = nodes.getIndexer().list();
    int minReady = ds.getSpec().getMinReadySeconds() == null ? 0 : ds.getSpec().getMinReadySeconds();
    Instant now = Instant.now();

    if (!Owners.isDeleting(ds)) {
      Set<String> running = new HashSet<>();
      for (Pod p : owned) {
        if (p.getMetadata().getLabels() != null) running.add(p.getMetadata().getLabels().get(REVISION_HASH));
      }
      history.sync(ds, ds.getSpec().getTemplate(), ds.getSpec().getRevisionHistoryLimit(), hash,
          r -> running.contains(TemplateHistory.hashOf(r)));
    }
    if (expectations.satisfied(key) && !Owners.isDeleting(ds)) {
      List<String> create = new ArrayList<>();
      List<Pod> delete = new ArrayList<>();
      for (Node node : allNodes) {
        String name = node.getMetadata().getName();
        boolean run = NodePlacement.shouldRun(ds.getSpec().getTemplate().getSpec(), node);
        List<Pod> here = new ArrayList<>(byNode.getOrDefault(name, List.of()));
        // Failed daemon pods are replaced.
        for (Pod p : List.copyOf(here)) {
          if ("Failed".equals(p.getStatus() == null ? null : p.getStatus().getPhase())) {
            delete.add(p);
            here.remove(p);
          }
        }
        if (run && here.isEmpty()) {
          create.add(name);
        } else if (run && here.size() > 1) {
          here.sort(Comparator.comparing(p -> p.getMetadata().getCreationTimestamp() == null ? "" : p.getMetadata().getCreationTimestamp()));
          delete.addAll(here.subList(1, here.size()));
        } else if (!run && !NodePlacement.shouldContinueRunning(ds.getSpec().getTemplate().getSpec(), node)) {
          delete.addAll(here);
        }
      }
      // Pods bound to nodes that no longer exist.
      for (var e : byNode.entrySet()) {
        if (!e.getKey().isEmpty() && nodes.getIndexer().getByKey(e.getKey()) == null) delete.addAll(e.getValue());
      }
      if (create.isEmpty() && delete.isEmpty()) delete.addAll(rollingUpdateVictims(ds, allNodes, byNode, hash, minReady, now));
      manage(key, ds, hash, create, delete);
    }
    DaemonSetStatus status = calculateStatus(ds, allNodes, byNode, hash, minReady, now);
    if (!sameStatus(ds.getStatus(), status)) {
      DaemonSet copy = new DaemonSetBuilder(ds).withStatus(status).build();
      try {
        client.apps().daemonSets().inNamespace(ds.getMetadata().getNamespace()).resource(copy).updateStatus();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404) throw e;
      }
    }
    if (minReady > 0 && !Objects.equals(status.getNumberReady(), status.getNumberAvailable())) {
      return Result.requeueAfter(Duration.ofSeconds(minReady));
    }
    return Result.noUpdate();
  }

  /** Old-template pods to delete now: unavailable ones freely, available ones within maxUnavailable. */
  private List<Pod> rollingUpdateVictims(
      DaemonSet ds, List<Node> allNodes, Map<String, List<Pod>> byNode, String hash, int minReady, Instant now) {
    var strategy = ds.getSpec().getUpdateStrategy();
    if (strategy != null && "OnDelete".equals(strategy.getType())) return List.of();
    int desired = 0;
    int unavailable = 0;
    List<Pod> oldAvailable = new ArrayList<>();
    List<Pod> victims = new ArrayList<>();
    for (Node node : allNodes) {
      if (!NodePlacement.shouldRun(ds.getSpec().getTemplate().getSpec(), node)) continue;
      desired++;
      List<Pod> here = byNode.getOrDefault(node.getMetadata().getName(), List.of());
      if (here.isEmpty()) {
        unavailable++;
        continue;
      }
      Pod p = here.get(0);
      boolean available = PodConditions.isAvailable(p, minReady, now);
      boolean old = !hash.equals(p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(REVISION_HASH));
      if (!available) unavailable++;
      if (old) {
        if (!available) victims.add(p);
        else oldAvailable.add(p);
      }
    }
    IntOrString maxU =
        strategy == null || strategy.getRollingUpdate() == null || strategy.getRollingUpdate().getMaxUnavailable() == null
            ? new IntOrString(1)
            : strategy.getRollingUpdate().getMaxUnavailable();
    int max = Math.max(1, RolloutMath.scaledValue(maxU, desired, true));
    for (Pod p : oldAvailable) {
      if (unavailable >= max) break;
      victims.add(p);
      unavailable++;
    }
    return victims;
  }

  private void manage(String key, DaemonSet ds, String hash, List<String> create, List<Pod> delete) {
    RuntimeException failure = null;
    if (!create.isEmpty()) {
      expectations.expectCreations(key, create.size());
      for (String node : create) {
        Pod pod = PodControl.podFromTemplate(ds.getSpec().getTemplate(), ds, ds.getMetadata().getName());
        pod.getMetadata().getLabels().put(REVISION_HASH, hash);
        pod.getSpec().setNodeName(node);
        pod.getSpec().setTolerations(NodePlacement.withDaemonTolerations(pod.getSpec().getTolerations()));
        try {
          podControl.create(pod, ds);
        } catch (RuntimeException e) {
          expectations.lowerCreations(key, 1);
          failure = e;
        }
      }
    }
    if (!delete.isEmpty()) {
      Set<String> keys = new HashSet<>();
      delete.forEach(p -> keys.add(Informers.key(p)));
      expectations.expectDeletions(key, keys);
      for (Pod p : delete) {
        try {
          podControl.delete(p, ds);
        } catch (RuntimeException e) {
          expectations.deletionObserved(key, Informers.key(p));
          failure = e;
        }
      }
    }
    if (failure != null) throw failure;
  }

  static DaemonSetStatus calculateStatus(
      DaemonSet ds, List<Node> allNodes, Map<String, List<Pod>> byNode, String hash, int minReady, Instant now) {
    int desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
    for (Node node : allNodes) {
      boolean run = NodePlacement.shouldRun(ds.getSpec().getTemplate().getSpec(), node);
      List<Pod> here = byNode.getOrDefault(node.getMetadata().getName(), List.of());
      if (run) {
        desired++;
        if (!here.isEmpty()) {
          current++;
          Pod p = here.get(0);
          if (PodConditions.isReady(p)) ready++;
          if (PodConditions.isAvailable(p, minReady, now)) available++;
          if (hash.equals(p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(REVISION_HASH))) updated++;
        }
      } else if (!here.isEmpty()) {
        misscheduled++;
      }
    }
    return new DaemonSetStatusBuilder()
        .withDesiredNumberScheduled(desired)
        .withCurrentNumberScheduled(current)
        .withNumberMisscheduled(misscheduled)
        .withNumberReady(ready)
        .withNumberAvailable(available)
        .withNumberUnavailable(desired - available)
        .withUpdatedNumberScheduled(updated)
        .withObservedGeneration(ds.getMetadata().getGeneration())
        .withCollisionCount(ds.getStatus() == null ? null : ds.getStatus().getCollisionCount())
        .build();
  }

  private static boolean sameStatus(DaemonSetStatus a, DaemonSetStatus b) {
    if (a == null) return false;
    return Objects.equals(a.getDesiredNumberScheduled(), b.getDesiredNumberScheduled())
        && Objects.equals(a.getCurrentNumberScheduled(), b.getCurrentNumberScheduled())
        && Objects.equals(a.getNumberMisscheduled(), b.getNumberMisscheduled())
        && Objects.equals(a.getNumberReady(), b.getNumberReady())
        && Objects.equals(a.getNumberAvailable(), b.getNumberAvailable())
        && Objects.equals(nz(a.getNumberUnavailable()), nz(b.getNumberUnavailable()))
        && Objects.equals(a.getUpdatedNumberScheduled(), b.getUpdatedNumberScheduled())
        && Objects.equals(a.getObservedGeneration(), b.getObservedGeneration());
  }

  private static int nz(Integer i) {
    return i == null ? 0 : i;
  }
}
