package io.keelson.controller.deployment;

import static io.keelson.controller.deployment.RolloutMath.availableReplicas;
import static io.keelson.controller.deployment.RolloutMath.readyReplicas;
import static io.keelson.controller.deployment.RolloutMath.replicas;
import static io.keelson.controller.deployment.RolloutMath.specReplicas;
import static io.keelson.controller.deployment.RolloutMath.statusReplicas;
import static io.keelson.controller.deployment.RolloutMath.sumSpec;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.keelson.controller.events.EventRecorder;
import io.keelson.controller.pod.PodConditions;
import io.keelson.controller.runtime.Controller;
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
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import tools.jackson.databind.json.JsonMapper;

/**
 * Rolls Deployments out through ReplicaSets, following Kubernetes' deployment controller: finds or
 * creates the ReplicaSet for the current template (named {@code <deployment>-<pod-template-hash>}),
 * scales new up and old down within maxSurge/maxUnavailable (or all old to zero first for
 * Recreate), spreads a resize over ReplicaSets proportionally, keeps revisionHistoryLimit old
 * ReplicaSets, and writes the status and conditions {@code kubectl rollout} reads.
 */
public final class DeploymentController implements Reconciler, ManagedController {
  public static final String NAME = "deployment";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final KubernetesClient client;
  private final SharedIndexInformer<Deployment> deployments;
  private final SharedIndexInformer<ReplicaSet> replicaSets;
  private final SharedIndexInformer<Pod> pods;
  private final EventRecorder events;
  private final Controller controller;

  public DeploymentController(Informers informers, EventRecorder events, MeterRegistry metrics, int workers) {
    this.client = informers.client();
    this.events = events.forComponent("deployment-controller");
    this.deployments = informers.of(Deployment.class);
    this.replicaSets = informers.of(ReplicaSet.class);
    this.pods = informers.of(Pod.class);
    this.controller = new Controller(NAME, this, workers, metrics);
    deployments.addEventHandler(Informers.handler(d -> List.of(Informers.key(d)), controller::enqueue));
    replicaSets.addEventHandler(Informers.handler(this::deploymentsFor, controller::enqueue));
    // Recreate waits for old pods to be gone: a pod deletion may unblock it.
    pods.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Pod p) {}

          @Override
          public void onUpdate(Pod o, Pod n) {}

          @Override
          public void onDelete(Pod p, boolean unknown) {
            Owners.controllerOf(p)
                .filter(r -> "ReplicaSet".equals(r.getKind()))
                .map(r -> replicaSets.getIndexer().getByKey(Informers.key(p.getMetadata().getNamespace(), r.getName())))
                .ifPresent(rs -> deploymentsFor(rs).forEach(controller::enqueue));
          }
        });
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  /** The Deployment controlling a ReplicaSet, or for an orphan every Deployment that selects it. */
  private List<String> deploymentsFor(ReplicaSet rs) {
    String ns = rs.getMetadata().getNamespace();
    var ref = Owners.controllerOf(rs);
    if (ref.isPresent()) {
      return "Deployment".equals(ref.get().getKind()) ? List.of(Informers.key(ns, ref.get().getName())) : List.of();
    }
    List<String> keys = new ArrayList<>();
    for (Deployment d : deployments.getIndexer().byIndex(Cache.NAMESPACE_INDEX, ns)) {
      if (LabelSelectors.matches(d.getSpec().getSelector(), rs.getMetadata().getLabels())) keys.add(Informers.key(d));
    }
    return keys;
  }

  // ------------------------------------------------------------------ sync

  /** Mutable state of one pass: the Deployment as last written and its ReplicaSets. */
  private final class Pass {
    Deployment d;
    List<ReplicaSet> rsList;

    Pass(Deployment d, List<ReplicaSet> rsList) {
      this.d = d;
      this.rsList = new ArrayList<>(rsList);
    }

    /** Keeps our view current after writing a ReplicaSet. */
    void replace(ReplicaSet updated) {
      rsList.replaceAll(r -> r.getMetadata().getUid().equals(updated.getMetadata().getUid()) ? updated : r);
      if (rsList.stream().noneMatch(r -> r.getMetadata().getUid().equals(updated.getMetadata().getUid()))) rsList.add(updated);
    }
  }

  @Override
  public Result reconcile(String key) throws Exception {
    Deployment cached = deployments.getIndexer().getByKey(key);
    if (cached == null) return Result.noUpdate();
    Deployment d = new DeploymentBuilder(cached).build();
    LabelSelector selector = d.getSpec().getSelector();
    if (selector == null || LabelSelectors.isEmpty(selector)) {
      events.warning(d, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
      return Result.noUpdate();
    }
    List<ReplicaSet> inNs = replicaSets.getIndexer().byIndex(Cache.NAMESPACE_INDEX, d.getMetadata().getNamespace());
    List<ReplicaSet> owned = OwnershipClaims.claim(client, d, selector, inNs);
    Pass p = new Pass(d, owned);

    if (Owners.isDeleting(d)) {
      syncStatusOnly(p);
      return Result.noUpdate();
    }
    checkPausedConditions(p);
    if (Boolean.TRUE.equals(d.getSpec().getPaused())) {
      sync(p);
      return Result.noUpdate();
    }
    if (isScalingEvent(p)) {
      sync(p);
      return Result.noUpdate();
    }
    return RolloutMath.isRollingUpdate(d) ? rolloutRolling(p) : rolloutRecreate(p);
  }

  private void syncStatusOnly(Pass p) {
    var split = newAndOld(p, false);
    List<ReplicaSet> all = all(split);
    syncDeploymentStatus(p, all, split.newRS);
  }

  private record Split(ReplicaSet newRS, List<ReplicaSet> old) {}

  private static List<ReplicaSet> all(Split s) {
    List<ReplicaSet> all = new ArrayList<>(s.old);
    if (s.newRS != null) all.add(s.newRS);
    return all;
  }

  private static List<ReplicaSet> active(List<ReplicaSet> rss) {
    return rss.stream().filter(r -> r != null && specReplicas(r) > 0).toList();
  }

  /** Finds the ReplicaSet whose template matches the Deployment's (oldest match wins). */
  private static ReplicaSet findNew(Deployment d, List<ReplicaSet> rsList) {
    List<ReplicaSet> sorted = new ArrayList<>(rsList);
    sorted.sort(ReplicaSets.byCreation());
    for (ReplicaSet rs : sorted) {
      if (ReplicaSets.equalIgnoringHash(rs.getSpec().getTemplate(), d.getSpec().getTemplate())) return rs;
    }
    // A ReplicaSet we created for this exact template hash is ours even if defaulting made the
    // stored templates differ in some detail.
    String hash = ReplicaSets.templateHash(d.getSpec().getTemplate(), collisionCount(d));
    for (ReplicaSet rs : sorted) {
      if (rs.getMetadata().getName().equals(d.getMetadata().getName() + "-" + hash)) return rs;
    }
    return null;
  }

  private static Integer collisionCount(Deployment d) {
    return d.getStatus() == null ? null : d.getStatus().getCollisionCount();
  }

  private Split newAndOld(Pass p, boolean createIfMissing) {
    ReplicaSet existing = findNew(p.d, p.rsList);
    List<ReplicaSet> old = new ArrayList<>();
    for (ReplicaSet rs : p.rsList) if (existing == null || !rs.getMetadata().getUid().equals(existing.getMetadata().getUid())) old.add(rs);
    ReplicaSet newRS = getNewReplicaSet(p, existing, old, createIfMissing);
    return new Split(newRS, old);
  }

  private ReplicaSet getNewReplicaSet(Pass p, ReplicaSet existing, List<ReplicaSet> old, boolean create) {
    Deployment d = p.d;
    long newRevision = Revisions.maxRevision(old) + 1;
    if (existing != null) {
      ReplicaSet copy = new ReplicaSetBuilder(existing).build();
      boolean annotationsChanged = Revisions.setNewReplicaSetAnnotations(d, copy, newRevision, true);
      int minReady = minReadySeconds(d);
      boolean minReadyChanged = !Objects.equals(copy.getSpec().getMinReadySeconds() == null ? 0 : copy.getSpec().getMinReadySeconds(), minReady);
      if (annotationsChanged || minReadyChanged) {
        copy.getSpec().setMinReadySeconds(minReady);
        copy = updateReplicaSet(copy);
        p.replace(copy);
      }
      setDeploymentRevision(p, copy.getMetadata().getAnnotations().get(Revisions.REVISION));
      DeploymentStatus status = statusCopy(p.d);
      if (DeploymentConditions.get(status, DeploymentConditions.PROGRESSING) == null) {
        DeploymentConditions.set(
            status,
            DeploymentConditions.condition(
                DeploymentConditions.PROGRESSING, "True", DeploymentConditions.FOUND_NEW_RS,
                "Found new replica set \"" + copy.getMetadata().getName() + "\""));
        writeStatus(p, status);
      }
      return copy;
    }
    if (!create) return null;

    Integer collisions = collisionCount(d);
    String hash = ReplicaSets.templateHash(d.getSpec().getTemplate(), collisions);
    PodTemplateSpec template = new PodTemplateSpecBuilder(d.getSpec().getTemplate()).build();
    if (template.getMetadata() == null) template.setMetadata(new ObjectMetaBuilder().build());
    template.getMetadata().setLabels(ReplicaSets.withHash(template.getMetadata().getLabels(), hash));
    LabelSelector sel = new LabelSelectorBuilder(d.getSpec().getSelector()).build();
    sel.setMatchLabels(ReplicaSets.withHash(sel.getMatchLabels(), hash));
    ReplicaSet rs =
        new ReplicaSetBuilder()
            .withNewMetadata()
            .withName(d.getMetadata().getName() + "-" + hash)
            .withNamespace(d.getMetadata().getNamespace())
            .withLabels(template.getMetadata().getLabels())
            .withOwnerReferences(Owners.controllerRef(d))
            .endMetadata()
            .withNewSpec()
            .withReplicas(0)
            .withMinReadySeconds(minReadySeconds(d))
            .withSelector(sel)
            .withTemplate(template)
            .endSpec()
            .build();
    List<ReplicaSet> all = new ArrayList<>(old);
    all.add(rs);
    int newReplicas = RolloutMath.newRSNewReplicas(d, all, rs);
    rs.getSpec().setReplicas(newReplicas);
    Revisions.setNewReplicaSetAnnotations(d, rs, newRevision, false);
    ReplicaSet created;
    boolean alreadyExists = false;
    try {
      created = client.apps().replicaSets().inNamespace(d.getMetadata().getNamespace()).resource(rs).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        DeploymentStatus status = statusCopy(p.d);
        DeploymentConditions.set(
            status,
            DeploymentConditions.condition(
                DeploymentConditions.PROGRESSING, "False", DeploymentConditions.FAILED_RS_CREATE, e.getMessage()));
        try {
          writeStatus(p, status);
        } catch (RuntimeException ignored) {
          // the create error is what matters
        }
        events.warning(d, DeploymentConditions.FAILED_RS_CREATE, "Failed to create new replica set \"" + rs.getMetadata().getName() + "\": " + e.getMessage());
        throw e;
      }
      ReplicaSet there =
          client.apps().replicaSets().inNamespace(d.getMetadata().getNamespace()).withName(rs.getMetadata().getName()).get();
      if (there != null && Owners.isControlledBy(there, d)) {
        // Ours already (our cache lagged): use it.
        created = there;
        alreadyExists = true;
      } else {
        // A genuine hash collision with a foreign ReplicaSet: bump collisionCount and retry.
        DeploymentStatus status = statusCopy(p.d);
        status.setCollisionCount((collisions == null ? 0 : collisions) + 1);
        writeStatus(p, status);
        throw new IllegalStateException("hash collision for replica set " + rs.getMetadata().getName());
      }
    }
    p.replace(created);
    if (!alreadyExists && newReplicas > 0) {
      events.normal(d, "ScalingReplicaSet", "Scaled up replica set " + created.getMetadata().getName() + " from 0 to " + newReplicas);
    }
    setDeploymentRevision(p, Long.toString(newRevision));
    if (!alreadyExists) {
      DeploymentStatus status = statusCopy(p.d);
      DeploymentConditions.set(
          status,
          DeploymentConditions.condition(
              DeploymentConditions.PROGRESSING, "True", DeploymentConditions.NEW_RS_CREATED,
              "Created new replica set \"" + created.getMetadata().getName() + "\""));
      writeStatus(p, status);
    }
    return created;
  }

  private static int minReadySeconds(Deployment d) {
    return d.getSpec().getMinReadySeconds() == null ? 0 : d.getSpec().getMinReadySeconds();
  }

  // ------------------------------------------------------------------ scaling (paused / resize)

  private boolean isScalingEvent(Pass p) {
    var split = newAndOld(p, false);
    for (ReplicaSet rs : active(all(split))) {
      Integer desired = Revisions.intAnnotation(rs, Revisions.DESIRED_REPLICAS);
      if (desired == null) continue;
      if (desired != replicas(p.d)) return true;
    }
    return false;
  }

  private void sync(Pass p) {
    var split = newAndOld(p, false);
    scale(p, split.newRS, split.old);
    split = refresh(p, split);
    if (Boolean.TRUE.equals(p.d.getSpec().getPaused())) cleanup(p, split.old);
    syncDeploymentStatus(p, all(split), split.newRS);
  }

  /** Re-reads our ReplicaSets from the pass after writes. */
  private static Split refresh(Pass p, Split s) {
    ReplicaSet newRS = s.newRS == null ? null : find(p, s.newRS);
    List<ReplicaSet> old = s.old.stream().map(r -> find(p, r)).toList();
    return new Split(newRS, old);
  }

  private static ReplicaSet find(Pass p, ReplicaSet rs) {
    for (ReplicaSet r : p.rsList) if (r.getMetadata().getUid().equals(rs.getMetadata().getUid())) return r;
    return rs;
  }

  private void scale(Pass p, ReplicaSet newRS, List<ReplicaSet> oldRSs) {
    Deployment d = p.d;
    ReplicaSet activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest != null) {
      if (specReplicas(activeOrLatest) == replicas(d)) return;
      scaleAndRecord(p, activeOrLatest, replicas(d));
      return;
    }
    if (isSaturated(d, newRS)) {
      for (ReplicaSet old : active(oldRSs)) scaleAndRecord(p, old, 0);
      return;
    }
    if (RolloutMath.isRollingUpdate(d)) {
      List<ReplicaSet> all = new ArrayList<>(active(oldRSs));
      if (newRS != null && specReplicas(newRS) > 0) all.add(newRS);
      int allowed = replicas(d) > 0 ? replicas(d) + RolloutMath.maxSurge(d) : 0;
      int toAdd = allowed - sumSpec(all);
      String op = null;
      Comparator<ReplicaSet> bySizeDesc = Comparator.comparingInt(RolloutMath::specReplicas).reversed();
      if (toAdd > 0) {
        all.sort(bySizeDesc.thenComparing(ReplicaSets.byCreation().reversed()));
        op = "up";
      } else if (toAdd < 0) {
        all.sort(bySizeDesc.thenComparing(ReplicaSets.byCreation()));
        op = "down";
      }
      Map<String, Integer> sizes = new HashMap<>();
      int added = 0;
      for (ReplicaSet rs : all) {
        if (toAdd != 0) {
          int prop = RolloutMath.proportion(rs, d, toAdd, added);
          sizes.put(rs.getMetadata().getName(), specReplicas(rs) + prop);
          added += prop;
        } else {
          sizes.put(rs.getMetadata().getName(), specReplicas(rs));
        }
      }
      if (toAdd != 0 && !all.isEmpty()) {
        String first = all.get(0).getMetadata().getName();
        sizes.put(first, Math.max(0, sizes.get(first) + toAdd - added));
      }
      for (ReplicaSet rs : all) scaleReplicaSet(p, rs, sizes.get(rs.getMetadata().getName()), op);
    }
  }

  private static ReplicaSet findActiveOrLatest(ReplicaSet newRS, List<ReplicaSet> oldRSs) {
    if (newRS == null && oldRSs.isEmpty()) return null;
    List<ReplicaSet> old = new ArrayList<>(oldRSs);
    old.sort(ReplicaSets.byCreation().reversed());
    List<ReplicaSet> all = new ArrayList<>(old);
    if (newRS != null) all.add(newRS);
    List<ReplicaSet> act = active(all);
    return switch (act.size()) {
      case 0 -> newRS != null ? newRS : old.get(0);
      case 1 -> act.get(0);
      default -> null;
    };
  }

  private static boolean isSaturated(Deployment d, ReplicaSet rs) {
    if (rs == null) return false;
    Integer desired = Revisions.intAnnotation(rs, Revisions.DESIRED_REPLICAS);
    return desired != null
        && desired == replicas(d)
        && specReplicas(rs) == replicas(d)
        && availableReplicas(rs) == replicas(d);
  }

  private boolean scaleAndRecord(Pass p, ReplicaSet rs, int newScale) {
    if (specReplicas(rs) == newScale) return false;
    return scaleReplicaSet(p, rs, newScale, specReplicas(rs) < newScale ? "up" : "down");
  }

  private boolean scaleReplicaSet(Pass p, ReplicaSet rs, int newScale, String op) {
    Deployment d = p.d;
    int max = replicas(d) + RolloutMath.maxSurge(d);
    boolean sizeChanged = specReplicas(rs) != newScale;
    if (!sizeChanged && !Revisions.replicasAnnotationsNeedUpdate(rs, replicas(d), max)) return false;
    ReplicaSet copy = new ReplicaSetBuilder(rs).build();
    int from = specReplicas(rs);
    copy.getSpec().setReplicas(newScale);
    Revisions.setReplicasAnnotations(copy, replicas(d), max);
    ReplicaSet updated = updateReplicaSet(copy);
    p.replace(updated);
    if (sizeChanged && op != null) {
      events.normal(d, "ScalingReplicaSet", "Scaled " + op + " replica set " + rs.getMetadata().getName() + " from " + from + " to " + newScale);
    }
    return sizeChanged;
  }

  private ReplicaSet updateReplicaSet(ReplicaSet rs) {
    return client.apps().replicaSets().inNamespace(rs.getMetadata().getNamespace()).resource(rs).update();
  }

  // ------------------------------------------------------------------ strategies

  private Result rolloutRolling(Pass p) {
    var split = newAndOld(p, true);
    if (reconcileNewReplicaSet(p, all(split), split.newRS)) {
      return syncRolloutStatus(p, refresh(p, split));
    }
    split = refresh(p, split);
    if (reconcileOldReplicaSets(p, all(split), active(split.old), split.newRS)) {
      return syncRolloutStatus(p, refresh(p, split));
    }
    split = refresh(p, split);
    if (isComplete(p.d, calculateStatus(p.d, all(split), split.newRS))) cleanup(p, split.old);
    return syncRolloutStatus(p, refresh(p, split));
  }

  private boolean reconcileNewReplicaSet(Pass p, List<ReplicaSet> all, ReplicaSet newRS) {
    int want = replicas(p.d);
    if (specReplicas(newRS) == want) return false;
    if (specReplicas(newRS) > want) return scaleAndRecord(p, newRS, want);
    return scaleAndRecord(p, newRS, RolloutMath.newRSNewReplicas(p.d, all, newRS));
  }

  private boolean reconcileOldReplicaSets(Pass p, List<ReplicaSet> all, List<ReplicaSet> oldRSs, ReplicaSet newRS) {
    if (sumSpec(oldRSs) == 0) return false;
    Deployment d = p.d;
    int allPods = sumSpec(all);
    int minAvailable = replicas(d) - RolloutMath.maxUnavailable(d);
    int newUnavailable = specReplicas(newRS) - availableReplicas(newRS);
    int maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;

    // First drop old replicas that are not available anyway: they cost no availability.
    List<ReplicaSet> old = new ArrayList<>(oldRSs);
    old.sort(ReplicaSets.byCreation());
    int cleaned = 0;
    for (ReplicaSet rs : old) {
      if (cleaned >= maxScaledDown) break;
      if (specReplicas(rs) == 0 || availableReplicas(rs) == specReplicas(rs)) continue;
      int down = Math.min(maxScaledDown - cleaned, specReplicas(rs) - availableReplicas(rs));
      scaleAndRecord(p, rs, specReplicas(rs) - down);
      cleaned += down;
    }
    // Then scale old down as far as the available count allows.
    List<ReplicaSet> olds = old.stream().map(r -> find(p, r)).toList();
    List<ReplicaSet> allNow = new ArrayList<>(olds);
    if (newRS != null) allNow.add(find(p, newRS));
    int availableNow = allNow.stream().mapToInt(RolloutMath::availableReplicas).sum();
    int scaled = 0;
    if (availableNow > minAvailable) {
      int total = availableNow - minAvailable;
      for (ReplicaSet rs : olds) {
        if (scaled >= total) break;
        if (specReplicas(rs) == 0) continue;
        int down = Math.min(specReplicas(rs), total - scaled);
        scaleAndRecord(p, rs, specReplicas(rs) - down);
        scaled += down;
      }
    }
    return cleaned + scaled > 0;
  }

  private Result rolloutRecreate(Pass p) {
    var split = newAndOld(p, false);
    boolean scaledDown = false;
    for (ReplicaSet rs : active(split.old)) scaledDown |= scaleAndRecord(p, rs, 0);
    if (scaledDown) return syncRolloutStatus(p, refresh(p, split));
    split = refresh(p, split);
    if (oldPodsRunning(split)) return syncRolloutStatus(p, split);
    if (split.newRS == null) split = newAndOld(p, true);
    if (specReplicas(split.newRS) != replicas(p.d)) scaleAndRecord(p, split.newRS, replicas(p.d));
    split = refresh(p, split);
    if (isComplete(p.d, calculateStatus(p.d, all(split), split.newRS))) cleanup(p, split.old);
    return syncRolloutStatus(p, refresh(p, split));
  }

  /** Recreate must not start new pods while any old pod is still running or terminating. */
  private boolean oldPodsRunning(Split split) {
    for (ReplicaSet rs : split.old) if (statusReplicas(rs) > 0) return true;
    for (ReplicaSet rs : split.old) {
      for (Pod pod : pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, rs.getMetadata().getNamespace())) {
        if (Owners.controllerOf(pod).map(r -> r.getUid().equals(rs.getMetadata().getUid())).orElse(false)
            && !PodConditions.isTerminated(pod)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Deletes old ReplicaSets beyond revisionHistoryLimit (only fully scaled-down ones). */
  private void cleanup(Pass p, List<ReplicaSet> oldRSs) {
    Integer limitBoxed = p.d.getSpec().getRevisionHistoryLimit();
    int limit = limitBoxed == null ? 10 : limitBoxed;
    List<ReplicaSet> alive = oldRSs.stream().filter(r -> !Owners.isDeleting(r)).toList();
    int diff = alive.size() - limit;
    if (diff <= 0) return;
    List<ReplicaSet> sorted = Revisions.byRevision(alive);
    for (int i = 0; i < diff; i++) {
      ReplicaSet rs = sorted.get(i);
      long observed = rs.getStatus() == null || rs.getStatus().getObservedGeneration() == null ? 0 : rs.getStatus().getObservedGeneration();
      long gen = rs.getMetadata().getGeneration() == null ? 0 : rs.getMetadata().getGeneration();
      if (statusReplicas(rs) != 0 || specReplicas(rs) != 0 || gen > observed) continue;
      try {
        client.apps().replicaSets().inNamespace(rs.getMetadata().getNamespace()).withName(rs.getMetadata().getName()).delete();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404) throw e;
      }
    }
  }

  // ------------------------------------------------------------------ status

  static DeploymentStatus calculateStatus(Deployment d, List<ReplicaSet> all, ReplicaSet newRS) {
    int available = all.stream().mapToInt(RolloutMath::availableReplicas).sum();
    int total = sumSpec(all);
    DeploymentStatus old = d.getStatus();
    DeploymentStatus s =
        new DeploymentStatusBuilder()
            .withObservedGeneration(d.getMetadata().getGeneration())
            .withReplicas(all.stream().mapToInt(RolloutMath::statusReplicas).sum())
            .withUpdatedReplicas(statusReplicas(newRS))
            .withReadyReplicas(all.stream().mapToInt(RolloutMath::readyReplicas).sum())
            .withAvailableReplicas(available)
            .withUnavailableReplicas(Math.max(0, total - available))
            .withCollisionCount(old == null ? null : old.getCollisionCount())
            .build();
    List<DeploymentCondition> conds = new ArrayList<>();
    if (old != null && old.getConditions() != null) {
      for (DeploymentCondition c : old.getConditions()) conds.add(new io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder(c).build());
    }
    s.setConditions(conds);
    if (available >= replicas(d) - RolloutMath.maxUnavailable(d)) {
      DeploymentConditions.set(s, DeploymentConditions.condition(DeploymentConditions.AVAILABLE, "True",
          DeploymentConditions.MINIMUM_REPLICAS_AVAILABLE, "Deployment has minimum availability."));
    } else {
      DeploymentConditions.set(s, DeploymentConditions.condition(DeploymentConditions.AVAILABLE, "False",
          DeploymentConditions.MINIMUM_REPLICAS_UNAVAILABLE, "Deployment does not have minimum availability."));
    }
    return s;
  }

  static boolean isComplete(Deployment d, DeploymentStatus s) {
    int want = replicas(d);
    return n(s.getUpdatedReplicas()) == want
        && n(s.getReplicas()) == want
        && n(s.getAvailableReplicas()) == want
        && (s.getObservedGeneration() == null ? 0 : s.getObservedGeneration())
            >= (d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration());
  }

  private static boolean isProgressing(Deployment d, DeploymentStatus s) {
    DeploymentStatus o = d.getStatus() == null ? new DeploymentStatus() : d.getStatus();
    int oldOld = n(o.getReplicas()) - n(o.getUpdatedReplicas());
    int newOld = n(s.getReplicas()) - n(s.getUpdatedReplicas());
    return n(s.getUpdatedReplicas()) > n(o.getUpdatedReplicas())
        || newOld < oldOld
        || n(s.getReadyReplicas()) > n(o.getReadyReplicas())
        || n(s.getAvailableReplicas()) > n(o.getAvailableReplicas());
  }

  private static Integer progressDeadline(Deployment d) {
    Integer p = d.getSpec().getProgressDeadlineSeconds();
    if (p == null) return 600; // the API default
    return p == Integer.MAX_VALUE ? null : p;
  }

  private static boolean timedOut(Deployment d, DeploymentStatus s, Instant now) {
    Integer deadline = progressDeadline(d);
    if (deadline == null) return false;
    DeploymentCondition c = DeploymentConditions.get(s, DeploymentConditions.PROGRESSING);
    if (c == null) return false;
    if (DeploymentConditions.NEW_RS_AVAILABLE.equals(c.getReason())) return false;
    if (DeploymentConditions.TIMED_OUT.equals(c.getReason())) return true;
    Instant from = PodConditions.parseTime(c.getLastUpdateTime());
    return from != null && from.plusSeconds(deadline).isBefore(now);
  }

  private Result syncRolloutStatus(Pass p, Split split) {
    Deployment d = p.d;
    List<ReplicaSet> all = all(split);
    ReplicaSet newRS = split.newRS;
    DeploymentStatus s = calculateStatus(d, all, newRS);
    Integer deadline = progressDeadline(d);
    if (deadline == null) DeploymentConditions.remove(s, DeploymentConditions.PROGRESSING);
    DeploymentCondition current = DeploymentConditions.get(d.getStatus(), DeploymentConditions.PROGRESSING);
    boolean completeAlready =
        n(s.getReplicas()) == n(s.getUpdatedReplicas())
            && current != null
            && DeploymentConditions.NEW_RS_AVAILABLE.equals(current.getReason());
    if (deadline != null && !completeAlready) {
      String rsName = newRS == null ? null : newRS.getMetadata().getName();
      if (isComplete(d, s)) {
        String msg = rsName != null ? "ReplicaSet \"" + rsName + "\" has successfully progressed." : "Deployment \"" + d.getMetadata().getName() + "\" has successfully progressed.";
        DeploymentConditions.set(s, DeploymentConditions.condition(DeploymentConditions.PROGRESSING, "True", DeploymentConditions.NEW_RS_AVAILABLE, msg));
      } else if (isProgressing(d, s)) {
        String msg = rsName != null ? "ReplicaSet \"" + rsName + "\" is progressing." : "Deployment \"" + d.getMetadata().getName() + "\" is progressing.";
        DeploymentCondition c = DeploymentConditions.condition(DeploymentConditions.PROGRESSING, "True", DeploymentConditions.RS_UPDATED, msg);
        if (current != null) {
          if ("True".equals(current.getStatus())) c.setLastTransitionTime(current.getLastTransitionTime());
          DeploymentConditions.remove(s, DeploymentConditions.PROGRESSING);
        }
        DeploymentConditions.set(s, c);
      } else if (timedOut(d, s, Instant.now())) {
        String msg = rsName != null ? "ReplicaSet \"" + rsName + "\" has timed out progressing." : "Deployment \"" + d.getMetadata().getName() + "\" has timed out progressing.";
        DeploymentCondition before = DeploymentConditions.get(s, DeploymentConditions.PROGRESSING);
        DeploymentConditions.set(s, DeploymentConditions.condition(DeploymentConditions.PROGRESSING, "False", DeploymentConditions.TIMED_OUT, msg));
        if (before == null || !DeploymentConditions.TIMED_OUT.equals(before.getReason())) {
          events.warning(d, DeploymentConditions.TIMED_OUT, msg);
        }
      }
    }
    if (!Objects.equals(d.getStatus(), s)) writeStatus(p, s);
    return requeueForDeadline(p.d, s);
  }

  /** A rollout that is neither complete nor timed out is looked at again when its deadline passes. */
  private static Result requeueForDeadline(Deployment d, DeploymentStatus s) {
    Integer deadline = progressDeadline(d);
    if (deadline == null) return Result.noUpdate();
    DeploymentCondition c = DeploymentConditions.get(s, DeploymentConditions.PROGRESSING);
    if (c == null || isComplete(d, s)) return Result.noUpdate();
    if (DeploymentConditions.TIMED_OUT.equals(c.getReason()) || DeploymentConditions.NEW_RS_AVAILABLE.equals(c.getReason())) {
      return Result.noUpdate();
    }
    Instant from = PodConditions.parseTime(c.getLastUpdateTime());
    if (from == null) return Result.noUpdate();
    Duration after = Duration.between(Instant.now(), from.plusSeconds(deadline)).plusSeconds(1);
    return Result.requeueAfter(after.isNegative() ? Duration.ofSeconds(1) : after);
  }

  private void syncDeploymentStatus(Pass p, List<ReplicaSet> all, ReplicaSet newRS) {
    DeploymentStatus s = calculateStatus(p.d, all, newRS);
    if (!Objects.equals(p.d.getStatus(), s)) writeStatus(p, s);
  }

  private void checkPausedConditions(Pass p) {
    if (progressDeadline(p.d) == null) return;
    DeploymentCondition c = DeploymentConditions.get(p.d.getStatus(), DeploymentConditions.PROGRESSING);
    if (c != null && DeploymentConditions.TIMED_OUT.equals(c.getReason())) return;
    boolean pausedCond = c != null && DeploymentConditions.PAUSED.equals(c.getReason());
    boolean paused = Boolean.TRUE.equals(p.d.getSpec().getPaused());
    DeploymentStatus s = statusCopy(p.d);
    if (paused && !pausedCond) {
      DeploymentConditions.set(s, DeploymentConditions.condition(DeploymentConditions.PROGRESSING, "Unknown", DeploymentConditions.PAUSED, "Deployment is paused"));
    } else if (!paused && pausedCond) {
      DeploymentConditions.set(s, DeploymentConditions.condition(DeploymentConditions.PROGRESSING, "Unknown", DeploymentConditions.RESUMED, "Deployment is resumed"));
    } else {
      return;
    }
    writeStatus(p, s);
  }

  private static DeploymentStatus statusCopy(Deployment d) {
    DeploymentStatus s = d.getStatus() == null ? new DeploymentStatus() : new DeploymentStatusBuilder(d.getStatus()).build();
    if (s.getConditions() == null) s.setConditions(new ArrayList<>());
    else s.setConditions(new ArrayList<>(s.getConditions()));
    return s;
  }

  private void writeStatus(Pass p, DeploymentStatus s) {
    Deployment copy = new DeploymentBuilder(p.d).withStatus(s).build();
    p.d = client.apps().deployments().inNamespace(copy.getMetadata().getNamespace()).resource(copy).updateStatus();
  }

  /** Mirrors the new ReplicaSet's revision on the Deployment (shown by describe). */
  private void setDeploymentRevision(Pass p, String revision) {
    if (revision == null) return;
    Map<String, String> a = p.d.getMetadata().getAnnotations();
    if (a != null && revision.equals(a.get(Revisions.REVISION))) return;
    String patch = JSON.writeValueAsString(Map.of("metadata", Map.of("annotations", Map.of(Revisions.REVISION, revision))));
    p.d =
        client
            .apps()
            .deployments()
            .inNamespace(p.d.getMetadata().getNamespace())
            .withName(p.d.getMetadata().getName())
            .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
  }

  private static int n(Integer i) {
    return i == null ? 0 : i;
  }
}
