package io.keelson.controller.statefulset;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.keelson.controller.deployment.ReplicaSets;
import io.keelson.controller.events.EventRecorder;
import io.keelson.controller.history.TemplateHistory;
import io.keelson.controller.pod.PodConditions;
import io.keelson.controller.pod.PodControl;
import io.keelson.controller.runtime.Controller;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs a StatefulSet's pods as kube does: one pod per ordinal, named {@code <set>-<ordinal>}, with
 * {@code hostname} its name and {@code subdomain} the set's serviceName (so a headless Service gives
 * each a stable DNS name). OrderedReady creates them in ordinal order, each once the lower ones are
 * Running and Ready, and removes them from the highest ordinal down, one at a time; Parallel does
 * both at once. Failed or succeeded pods are deleted and made again. A RollingUpdate replaces pods
 * of an old revision from the highest ordinal down to the partition, one at a time, each once the
 * others are Ready; OnDelete leaves that to the user. Each pod gets its own PersistentVolumeClaims
 * from the volumeClaimTemplates, kept across pod re-creation and (unless its retention policy says
 * Delete) scale-down. Template history as
 * ControllerRevisions ({@link TemplateHistory}) backs kubectl rollout history and undo.
 *
 * <p>Pod names are fixed, so a create or delete the cache has not seen yet is simply repeated and
 * answered 409 / 404; no expectations are needed to avoid duplicates.
 */
public final class StatefulSetController implements Reconciler, ManagedController {
  public static final String NAME = "statefulset";
  public static final String POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
  public static final String POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";

  private final KubernetesClient client;
  private final SharedIndexInformer<StatefulSet> sets;
  private final SharedIndexInformer<Pod> pods;
  private final PodControl podControl;
  private final TemplateHistory history;
  private final Controller controller;

  public StatefulSetController(Informers informers, EventRecorder events, MeterRegistry metrics, int workers) {
    this.client = informers.client();
    this.sets = informers.of(StatefulSet.class);
    this.pods = informers.of(Pod.class);
    this.podControl = new PodControl(client, events.forComponent("statefulset-controller"));
    SharedIndexInformer<ControllerRevision> revisions = informers.of(ControllerRevision.class);
    this.history = new TemplateHistory(client, revisions);
    this.controller = new Controller(NAME, this, workers, metrics);
    sets.addEventHandler(Informers.handler(s -> List.of(Informers.key(s)), controller::enqueue));
    revisions.addEventHandler(Informers.handler(r -> ownerKey(r), controller::enqueue));
    pods.addEventHandler(Informers.handler(p -> ownerKey(p), controller::enqueue));
  }

  private static List<String> ownerKey(io.fabric8.kubernetes.api.model.HasMetadata obj) {
    return Owners.controllerOf(obj)
        .filter(o -> "StatefulSet".equals(o.getKind()))
        .map(o -> List.of(Informers.key(obj.getMetadata().getNamespace(), o.getName())))
        .orElse(List.of());
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public Result reconcile(String key) throws Exception {
    StatefulSet set = sets.getIndexer().getByKey(key);
    if (set == null) return Result.noUpdate();
    String ns = set.getMetadata().getNamespace();
    String hash = ReplicaSets.templateHash(set.getSpec().getTemplate(), collisionCount(set));
    String updateRevision = TemplateHistory.name(set.getMetadata().getName(), hash);
    String currentRevision = set.getStatus() == null || set.getStatus().getCurrentRevision() == null
        ? updateRevision : set.getStatus().getCurrentRevision();
    List<Pod> owned = OwnershipClaims.claim(client, set, set.getSpec().getSelector(),
        pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, ns));
    int minReady = set.getSpec().getMinReadySeconds() == null ? 0 : set.getSpec().getMinReadySeconds();
    Instant now = Instant.now();

    if (!Owners.isDeleting(set)) {
      Set<String> running = new HashSet<>();
      for (Pod p : owned) running.add(revisionOf(p));
      history.sync(set, set.getSpec().getTemplate(), set.getSpec().getRevisionHistoryLimit(), hash,
          r -> running.contains(r.getMetadata().getName()));
      Ordinals ordinals = new Ordinals(set, owned);
      step(set, ordinals, currentRevision, updateRevision, minReady, now);
    }

    StatefulSetStatus status = status(set, owned, currentRevision, updateRevision, minReady, now);
    if (!sameStatus(set.getStatus(), status)) {
      try {
        client.apps().statefulSets().inNamespace(ns).resource(new StatefulSetBuilder(set).withStatus(status).build()).updateStatus();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404 && e.getCode() != 409) throw e; // gone, or changed: its event queues another sync
      }
    }
    if (minReady > 0 && !Objects.equals(status.getReadyReplicas(), status.getAvailableReplicas())) {
      return Result.requeueAfter(Duration.ofSeconds(minReady));
    }
    return Result.noUpdate();
  }

  /** A set's pods by ordinal: those it should have, and those beyond its replicas (or not named as its pods). */
  private static final class Ordinals {
    final int start;
    final int end; // exclusive
    final TreeMap<Integer, Pod> wanted = new TreeMap<>();
    final List<Pod> condemned = new ArrayList<>();

    Ordinals(StatefulSet set, List<Pod> owned) {
      start = set.getSpec().getOrdinals() == null || set.getSpec().getOrdinals().getStart() == null
          ? 0 : set.getSpec().getOrdinals().getStart();
      end = start + (set.getSpec().getReplicas() == null ? 1 : set.getSpec().getReplicas());
      String prefix = set.getMetadata().getName() + "-";
      TreeMap<Integer, Pod> beyond = new TreeMap<>();
      for (Pod p : owned) {
        int ordinal = ordinal(prefix, p.getMetadata().getName());
        if (ordinal >= start && ordinal < end) wanted.put(ordinal, p);
        else if (ordinal >= 0) beyond.put(ordinal, p);
        else condemned.add(p); // not one of ours by name: removed first
      }
      condemned.addAll(beyond.descendingMap().values());
    }

    static int ordinal(String prefix, String name) {
      if (!name.startsWith(prefix)) return -1;
      String n = name.substring(prefix.length());
      if (n.isEmpty() || n.length() > 9 || !n.chars().allMatch(Character::isDigit) || (n.length() > 1 && n.charAt(0) == '0')) return -1;
      return Integer.parseInt(n);
    }
  }

  /** One pass of kube's updateStatefulSet: create/replace missing pods, remove condemned ones, then roll. */
  private void step(StatefulSet set, Ordinals ordinals, String currentRevision, String updateRevision, int minReady, Instant now) {
    boolean ordered = !"Parallel".equals(set.getSpec().getPodManagementPolicy());
    int partition = partition(set);
    for (int ordinal = ordinals.start; ordinal < ordinals.end; ordinal++) {
      Pod pod = ordinals.wanted.get(ordinal);
      if (pod == null) {
        // below the partition a pod is made again at the current revision; OnDelete and the rest get the update
        boolean current = isRollingUpdate(set) && ordinal - ordinals.start < partition && !currentRevision.equals(updateRevision);
        create(set, ordinal, current ? currentRevision : updateRevision, updateRevision);
        if (ordered) return;
        continue;
      }
      if (Owners.isDeleting(pod)) {
        if (ordered) return; // its successor is made once it is gone
        continue;
      }
      if (PodConditions.isTerminated(pod)) {
        podControl.delete(pod, set);
        if (ordered) return;
        continue;
      }
      if (ordered && !PodConditions.isAvailable(pod, minReady, now)) return;
    }
    for (Pod pod : ordinals.condemned) {
      if (Owners.isDeleting(pod)) {
        if (ordered) return;
        continue;
      }
      // kube scales down in order only while the pods left behind are healthy (the one removed need not be)
      if (ordered && ordinals.condemned.stream().anyMatch(p -> p != pod && !PodConditions.isReady(p))) return;
      claimsGoWith(set, pod);
      podControl.delete(pod, set);
      if (ordered) return;
    }
    if (!isRollingUpdate(set)) return;
    // every wanted pod is there and (for OrderedReady) available: replace the highest outdated one
    for (int ordinal = ordinals.end - 1; ordinal >= ordinals.start + partition; ordinal--) {
      Pod pod = ordinals.wanted.get(ordinal);
      if (pod == null || Owners.isDeleting(pod)) return;
      if (!updateRevision.equals(revisionOf(pod))) {
        podControl.delete(pod, set);
        return;
      }
      if (!PodConditions.isAvailable(pod, minReady, now)) return;
    }
  }

  private void create(StatefulSet set, int ordinal, String revision, String updateRevision) {
    PodTemplateSpec template = set.getSpec().getTemplate();
    if (!revision.equals(updateRevision)) {
      ControllerRevision r = history.owned(set).stream()
          .filter(x -> revision.equals(x.getMetadata().getName())).findFirst().orElse(null);
      PodTemplateSpec old = r == null ? null : TemplateHistory.template(r);
      if (old != null) template = old;
    }
    String name = set.getMetadata().getName() + "-" + ordinal;
    Pod pod = PodControl.podFromTemplate(template, set, set.getMetadata().getName());
    pod.getMetadata().setName(name);
    Map<String, String> labels = pod.getMetadata().getLabels();
    labels.put(POD_NAME_LABEL, name);
    labels.put(POD_INDEX_LABEL, Integer.toString(ordinal));
    labels.put(TemplateHistory.REVISION_HASH, revision);
    pod.getSpec().setHostname(name);
    String service = set.getSpec().getServiceName();
    if (service != null && !service.isEmpty()) pod.getSpec().setSubdomain(service);
    claimStorage(set, ordinal, pod);
    try {
      podControl.create(pod, set);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) throw e; // made by an earlier sync the cache has not shown yet
    }
  }

  /**
   * kube's createPersistentVolumeClaims + updateStorage: each volumeClaimTemplate gives the pod a
   * claim {@code <template>-<set>-<ordinal>}, made before the pod if absent (labelled with the set's
   * selector, so the set finds them) and mounted in place of any template volume of that name. Claims
   * are kept when pods go (scale-down, deletion): the next pod of that ordinal gets the same data.
   * With persistentVolumeClaimRetentionPolicy.whenDeleted Delete they are owned by the set, so the
   * garbage collector removes them with it.
   */
  private void claimStorage(StatefulSet set, int ordinal, Pod pod) {
    List<PersistentVolumeClaim> templates = set.getSpec().getVolumeClaimTemplates();
    if (templates == null || templates.isEmpty()) return;
    String ns = set.getMetadata().getNamespace();
    var retention = set.getSpec().getPersistentVolumeClaimRetentionPolicy();
    boolean ownedBySet = retention != null && "Delete".equals(retention.getWhenDeleted());
    List<Volume> volumes = new ArrayList<>(pod.getSpec().getVolumes() == null ? List.of() : pod.getSpec().getVolumes());
    for (PersistentVolumeClaim template : templates) {
      String volume = template.getMetadata().getName();
      String claimName = volume + "-" + set.getMetadata().getName() + "-" + ordinal;
      Map<String, String> labels = new TreeMap<>(template.getMetadata().getLabels() == null ? Map.of() : template.getMetadata().getLabels());
      if (set.getSpec().getSelector() != null && set.getSpec().getSelector().getMatchLabels() != null) {
        labels.putAll(set.getSpec().getSelector().getMatchLabels());
      }
      PersistentVolumeClaim claim = new PersistentVolumeClaimBuilder()
          .withNewMetadata()
          .withName(claimName)
          .withNamespace(ns)
          .withLabels(labels)
          .withAnnotations(template.getMetadata().getAnnotations())
          .endMetadata()
          .withSpec(template.getSpec())
          .build();
      if (ownedBySet) claim.getMetadata().setOwnerReferences(List.of(Owners.controllerRef(set)));
      try {
        client.persistentVolumeClaims().inNamespace(ns).resource(claim).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) throw e; // kept from an earlier pod of this ordinal
      }
      volumes.removeIf(v -> v.getName().equals(volume));
      volumes.add(new VolumeBuilder().withName(volume).withNewPersistentVolumeClaim().withClaimName(claimName).endPersistentVolumeClaim()
          .build());
    }
    pod.getSpec().setVolumes(volumes);
  }

  /**
   * persistentVolumeClaimRetentionPolicy.whenScaled Delete: a pod removed by a scale-down becomes an
   * owner of its claims, so the garbage collector deletes them once the pod is gone (kube does the same).
   */
  private void claimsGoWith(StatefulSet set, Pod pod) {
    var retention = set.getSpec().getPersistentVolumeClaimRetentionPolicy();
    List<PersistentVolumeClaim> templates = set.getSpec().getVolumeClaimTemplates();
    if (retention == null || !"Delete".equals(retention.getWhenScaled()) || templates == null) return;
    int ordinal = Ordinals.ordinal(set.getMetadata().getName() + "-", pod.getMetadata().getName());
    if (ordinal < 0) return;
    String ns = set.getMetadata().getNamespace();
    for (PersistentVolumeClaim template : templates) {
      String claimName = template.getMetadata().getName() + "-" + set.getMetadata().getName() + "-" + ordinal;
      PersistentVolumeClaim claim = client.persistentVolumeClaims().inNamespace(ns).withName(claimName).get();
      if (claim == null) continue;
      List<io.fabric8.kubernetes.api.model.OwnerReference> refs = new ArrayList<>(
          claim.getMetadata().getOwnerReferences() == null ? List.of() : claim.getMetadata().getOwnerReferences());
      if (refs.stream().anyMatch(r -> pod.getMetadata().getUid().equals(r.getUid()))) continue;
      refs.add(new io.fabric8.kubernetes.api.model.OwnerReferenceBuilder().withApiVersion("v1").withKind("Pod")
          .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid()).build());
      claim.getMetadata().setOwnerReferences(refs);
      try {
        client.persistentVolumeClaims().inNamespace(ns).resource(claim).update();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404) throw e; // a 409 retries the whole sync; the pod is deleted only after this succeeds
      }
    }
  }

  /** The status writes 0 where there was none; hashing with 0 from the start keeps the revision name stable. */
  private static int collisionCount(StatefulSet set) {
    return set.getStatus() == null || set.getStatus().getCollisionCount() == null ? 0 : set.getStatus().getCollisionCount();
  }

  private static boolean isRollingUpdate(StatefulSet set) {
    return set.getSpec().getUpdateStrategy() == null || !"OnDelete".equals(set.getSpec().getUpdateStrategy().getType());
  }

  private static int partition(StatefulSet set) {
    var s = set.getSpec().getUpdateStrategy();
    if (s == null || s.getRollingUpdate() == null || s.getRollingUpdate().getPartition() == null) return 0;
    return Math.max(0, s.getRollingUpdate().getPartition());
  }

  private static String revisionOf(Pod p) {
    return p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(TemplateHistory.REVISION_HASH);
  }

  /** kube's status: counts of live pods by readiness and revision; the update becomes current once every pod has it. */
  static StatefulSetStatus status(StatefulSet set, List<Pod> owned, String currentRevision, String updateRevision, int minReady, Instant now) {
    int replicas = 0, ready = 0, available = 0, current = 0, updated = 0;
    for (Pod p : owned) {
      if (Owners.isDeleting(p)) continue;
      replicas++;
      if (PodConditions.isReady(p) && !PodConditions.isTerminated(p)) ready++;
      if (PodConditions.isAvailable(p, minReady, now) && !PodConditions.isTerminated(p)) available++;
      if (currentRevision.equals(revisionOf(p))) current++;
      if (updateRevision.equals(revisionOf(p))) updated++;
    }
    int want = set.getSpec().getReplicas() == null ? 1 : set.getSpec().getReplicas();
    // kube's completeRollingUpdate (done for OnDelete too, so its currentRevision does not lag forever)
    if (updated == want && ready == want && replicas == want) {
      currentRevision = updateRevision;
      current = updated;
    }
    return new StatefulSetStatusBuilder()
        .withObservedGeneration(set.getMetadata().getGeneration())
        .withReplicas(replicas)
        .withReadyReplicas(ready)
        .withAvailableReplicas(available)
        .withCurrentReplicas(current)
        .withUpdatedReplicas(updated)
        .withCurrentRevision(currentRevision)
        .withUpdateRevision(updateRevision)
        .withCollisionCount(collisionCount(set))
        .build();
  }

  private static boolean sameStatus(StatefulSetStatus a, StatefulSetStatus b) {
    if (a == null) return false;
    return Objects.equals(a.getObservedGeneration(), b.getObservedGeneration())
        && Objects.equals(a.getReplicas(), b.getReplicas())
        && Objects.equals(a.getReadyReplicas(), b.getReadyReplicas())
        && Objects.equals(a.getAvailableReplicas(), b.getAvailableReplicas())
        && Objects.equals(a.getCurrentReplicas(), b.getCurrentReplicas())
        && Objects.equals(a.getUpdatedReplicas(), b.getUpdatedReplicas())
        && Objects.equals(a.getCurrentRevision(), b.getCurrentRevision())
        && Objects.equals(a.getUpdateRevision(), b.getUpdateRevision())
        && Objects.equals(a.getCollisionCount(), b.getCollisionCount());
  }
}
