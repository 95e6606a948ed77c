package io.keelson.controller.gc;

import io.keelson.client.watch.InformerRetries;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.keelson.controller.runtime.ServedResources;
import io.keelson.controller.runtime.ServedResources.Served;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Kubernetes' garbage collector: watches every served kind, keeps the {@link OwnerGraph}, and
 * deletes objects whose owners are all gone (Background), deletes the dependents of an owner being
 * deleted in the foreground before removing its {@code foregroundDeletion} finalizer, and strips
 * the ownerReferences from the dependents of an owner deleted with {@code orphan} before removing
 * that finalizer. Keys of its work queue are object uids.
 */
public final class GarbageCollector implements Reconciler, ManagedController {
  private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);
  public static final String NAME = "garbagecollector";
  public static final String FOREGROUND = "foregroundDeletion";
  public static final String ORPHAN = "orphan";
  private static final JsonMapper JSON = JsonMapper.builder().build();
  /** Kinds that never own anything and churn constantly. */
  private static final Set<String> IGNORED = Set.of("Event", "Binding", "TokenReview", "SubjectAccessReview",
      "SelfSubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectRulesReview", "ComponentStatus");

  /** How often the served kinds are looked up again: CustomResourceDefinitions add (and remove) kinds while it runs. */
  private static final long REDISCOVER_SECONDS = 10;

  private final KubernetesClient client;
  private volatile ServedResources served;
  /** "apiVersion/kind" of every kind the graph is fed from. */
  private final Set<String> watchedKinds = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** Informers of the kinds found after start (custom resources), by "apiVersion/kind". */
  private final Map<String, io.fabric8.kubernetes.client.informers.SharedIndexInformer<GenericKubernetesResource>> later =
      new java.util.concurrent.ConcurrentHashMap<>();
  private java.util.concurrent.ScheduledExecutorService rediscovery;
  private final OwnerGraph graph = new OwnerGraph();
  private final Controller controller;

  public GarbageCollector(Informers informers, MeterRegistry metrics, int workers) {
    this.client = informers.client();
    this.served = ServedResources.discover(client);
    this.controller = new Controller(NAME, this, workers, metrics);
    int watched = 0;
    int shared = 0;
    for (Served s : served.all()) {
      if (!collectable(s)) continue;
      watchedKinds.add(key(s));
      Class<? extends HasMetadata> typed = TYPED.get(s.apiVersion() + "/" + s.context().getKind());
      if (typed != null) {
        // The process watches this kind already (or will: pods, nodes, leases...): one watch and
        // one decode per event instead of a second, generic copy of every pod update and renewal.
        informers.of(typed).addEventHandler(new GraphBuilder<>(s));
        shared++;
      } else {
        var informer = InformerRetries.forever(client.genericKubernetesResources(s.context()).inAnyNamespace().runnableInformer(0));
        informer.addEventHandler(new GraphBuilder<>(s));
        informers.register(informer);
      }
      watched++;
    }
    log.info("garbage collector watches {} kinds ({} through the shared typed informers)", watched, shared);
  }

  /** Kinds with a typed shared informer in this process, by apiVersion/kind. */
  private static final Map<String, Class<? extends HasMetadata>> TYPED =
      Map.ofEntries(
          Map.entry("v1/Pod", io.fabric8.kubernetes.api.model.Pod.class),
          Map.entry("v1/Node", io.fabric8.kubernetes.api.model.Node.class),
          Map.entry("v1/Namespace", io.fabric8.kubernetes.api.model.Namespace.class),
          Map.entry("coordination.k8s.io/v1/Lease", io.fabric8.kubernetes.api.model.coordination.v1.Lease.class),
          Map.entry("apps/v1/ReplicaSet", io.fabric8.kubernetes.api.model.apps.ReplicaSet.class),
          Map.entry("apps/v1/Deployment", io.fabric8.kubernetes.api.model.apps.Deployment.class),
          Map.entry("apps/v1/DaemonSet", io.fabric8.kubernetes.api.model.apps.DaemonSet.class),
          Map.entry("apps/v1/ControllerRevision", io.fabric8.kubernetes.api.model.apps.ControllerRevision.class),
          Map.entry("batch/v1/Job", io.fabric8.kubernetes.api.model.batch.v1.Job.class),
          Map.entry("batch/v1/CronJob", io.fabric8.kubernetes.api.model.batch.v1.CronJob.class),
          Map.entry("apps/v1/StatefulSet", io.fabric8.kubernetes.api.model.apps.StatefulSet.class));

  private static boolean collectable(Served s) {
    return s.supports("list", "watch", "delete") && !IGNORED.contains(s.context().getKind());
  }

  private static String key(Served s) {
    return s.apiVersion() + "/" + s.context().getKind();
  }

  @Override
  public synchronized void start() {
    rediscovery = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("gc-rediscovery").factory());
    rediscovery.scheduleWithFixedDelay(this::rediscover, REDISCOVER_SECONDS, REDISCOVER_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
  }

  @Override
  public synchronized void stop() {
    if (rediscovery != null) rediscovery.shutdownNow();
    later.forEach((k, informer) -> {
      informer.stop();
      watchedKinds.remove(k);
    });
    later.clear();
  }

  /**
   * Follows the kinds served now: a custom resource defined since start is watched from now on (so
   * its dependents are collected when it goes), one no longer served is no longer watched.
   */
  private void rediscover() {
    try {
      ServedResources now = ServedResources.discover(client);
      served = now;
      Set<String> current = new java.util.HashSet<>();
      for (Served s : now.all()) {
        if (!collectable(s)) continue;
        current.add(key(s));
        if (!watchedKinds.add(key(s))) continue;
        var informer = InformerRetries.forever(client.genericKubernetesResources(s.context()).inAnyNamespace().runnableInformer(0));
        informer.addEventHandler(new GraphBuilder<>(s));
        later.put(key(s), informer);
        // Dependents seen before their owners' kind was: their owners could not be looked up then
        // (kept as present), so they are looked at again once the kind's objects are in the graph.
        String group = s.context().getGroup() == null ? "" : s.context().getGroup();
        informer.start().thenRun(() -> graph.ownedByKind(group, s.context().getKind()).forEach(n -> controller.enqueue(n.uid())));
        log.info("garbage collector watches {} from now on", key(s));
      }
      for (String gone : List.copyOf(later.keySet())) {
        if (current.contains(gone)) continue;
        later.remove(gone).stop();
        watchedKinds.remove(gone);
      }
    } catch (RuntimeException e) {
      log.warn("garbage collector could not look up the served kinds: {}", e.toString());
    }
  }

  public OwnerGraph graph() {
    return graph;
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  /** Feeds the graph and queues the uids whose situation may have changed. */
  private final class GraphBuilder<T extends HasMetadata> implements ResourceEventHandler<T> {
    private final Served served;

    GraphBuilder(Served served) {
      this.served = served;
    }

    private OwnerGraph.Node node(HasMetadata o) {
      var m = o.getMetadata();
      return new OwnerGraph.Node(
          m.getUid(),
          served.apiVersion(),
          served.context().getKind(),
          m.getNamespace(),
          m.getName(),
          m.getOwnerReferences() == null ? List.of() : List.copyOf(m.getOwnerReferences()),
          m.getDeletionTimestamp() != null,
          m.getFinalizers() == null ? List.of() : List.copyOf(m.getFinalizers()),
          m.getResourceVersion());
    }

    @Override
    public void onAdd(T obj) {
      OwnerGraph.Node n = node(obj);
      graph.upsert(n);
      if (!n.owners().isEmpty() || (n.deleting() && (n.hasFinalizer(FOREGROUND) || n.hasFinalizer(ORPHAN)))) {
        controller.enqueue(n.uid());
      }
      // An owner that (re)appears may be one its dependents were waiting on.
      for (OwnerGraph.Node d : graph.dependentsOf(n.uid())) controller.enqueue(d.uid());
    }

    @Override
    public void onUpdate(T oldObj, T obj) {
      OwnerGraph.Node n = node(obj);
      OwnerGraph.Node old = graph.upsert(n);
      if (old != null && Objects.equals(old.resourceVersion(), n.resourceVersion())) return;
      // Status churn (a pod becoming Ready) changes nothing for the collector: only a change of
      // owners, deletion state or finalizers is worth a look.
      boolean relevant =
          old == null
              || !old.owners().equals(n.owners())
              || old.deleting() != n.deleting()
              || !old.finalizers().equals(n.finalizers());
      if (!relevant) return;
      if (!n.owners().isEmpty() || (n.deleting() && (n.hasFinalizer(FOREGROUND) || n.hasFinalizer(ORPHAN)))) {
        controller.enqueue(n.uid());
      }
      if (n.deleting()) {
        for (OwnerGraph.Node d : graph.dependentsOf(n.uid())) controller.enqueue(d.uid());
      }
      // Owners that lost this dependent (or are waiting for it to go) look again.
      if (old != null) {
        for (OwnerReference r : old.owners()) {
          OwnerGraph.Node owner = graph.get(r.getUid());
          if (owner == null || owner.deleting()) controller.enqueue(r.getUid());
        }
      }
    }

    @Override
    public void onDelete(T obj, boolean unknown) {
      OwnerGraph.Node n = graph.remove(obj.getMetadata().getUid());
      if (n == null) n = node(obj);
      for (OwnerGraph.Node d : graph.dependentsOf(n.uid())) controller.enqueue(d.uid());
      for (OwnerReference r : n.owners()) {
        OwnerGraph.Node owner = graph.get(r.getUid());
        if (owner != null && owner.deleting()) controller.enqueue(owner.uid());
      }
    }
  }

  @Override
  public Result reconcile(String uid) throws Exception {
    OwnerGraph.Node n = graph.get(uid);
    if (n == null) return Result.noUpdate();
    if (n.deleting() && n.hasFinalizer(ORPHAN)) {
      orphanDependents(n);
      return Result.noUpdate();
    }
    if (n.deleting() && n.hasFinalizer(FOREGROUND)) {
      deleteDependentsFirst(n);
      return Result.noUpdate();
    }
    if (n.owners().isEmpty() || n.deleting()) return Result.noUpdate();
    attemptToDelete(n);
    return Result.noUpdate();
  }

  private enum OwnerState { SOLID, DANGLING, WAITING_FOR_DEPENDENTS }

  /** Deletes {@code n} if none of its owners exist; drops references to absent ones otherwise. */
  private void attemptToDelete(OwnerGraph.Node n) {
    List<OwnerReference> owners = n.owners();
    List<OwnerReference> solid = new ArrayList<>();
    List<OwnerReference> dangling = new ArrayList<>();
    List<OwnerReference> waiting = new ArrayList<>();
    for (OwnerReference r : owners) {
      switch (ownerState(n, r)) {
        case SOLID -> solid.add(r);
        case DANGLING -> dangling.add(r);
        case WAITING_FOR_DEPENDENTS -> waiting.add(r);
      }
    }
    if (dangling.isEmpty() && waiting.isEmpty()) return;
    // About to delete or patch: decide on the dependent as it is now, as kube's collector does. The
    // graph may lag behind it: an orphaning delete removes the owner reference and then the owner,
    // and the owner's informer can deliver its deletion before the dependent's informer delivers the
    // removed reference; the stale reference would then look dangling and the orphan be deleted.
    if (!stillOwnedBy(n, owners)) return; // its informer event follows and queues it again
    if (!solid.isEmpty()) {
      List<OwnerReference> keep = new ArrayList<>(n.owners());
      keep.removeAll(dangling);
      keep.removeAll(waiting);
      patchOwnerRefs(n, keep);
      return;
    }
    // All owners are gone or going: delete. A dependent of a foreground deletion that has
    // dependents of its own is deleted in the foreground too, so the chain unwinds bottom-up.
    DeletionPropagation policy =
        !waiting.isEmpty() && !graph.dependentsOf(n.uid()).isEmpty()
            ? DeletionPropagation.FOREGROUND
            : DeletionPropagation.BACKGROUND;
    delete(n, policy);
  }

  /** Whether the dependent, read from the api-server, still exists, is not being deleted and has exactly {@code owners}. */
  private boolean stillOwnedBy(OwnerGraph.Node n, List<OwnerReference> owners) {
    GenericKubernetesResource live;
    try {
      live = resource(n).get();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) return false;
      throw e;
    }
    if (live == null || !n.uid().equals(live.getMetadata().getUid()) || live.getMetadata().getDeletionTimestamp() != null) return false;
    List<OwnerReference> current = live.getMetadata().getOwnerReferences() == null ? List.of() : live.getMetadata().getOwnerReferences();
    return current.equals(owners);
  }

  private OwnerState ownerState(OwnerGraph.Node n, OwnerReference r) {
    OwnerGraph.Node owner = graph.get(r.getUid());
    if (owner != null) {
      return owner.deleting() && owner.hasFinalizer(FOREGROUND) ? OwnerState.WAITING_FOR_DEPENDENTS : OwnerState.SOLID;
    }
    // Not in our caches: ask the api-server before deleting anything (the cache may lag).
    Served s = served.forKind(r.getApiVersion(), r.getKind());
    if (s == null) return OwnerState.SOLID; // an owner kind we cannot see: never delete on a guess
    try {
      var op = client.genericKubernetesResources(s.context());
      GenericKubernetesResource live =
          s.namespaced() ? op.inNamespace(n.namespace()).withName(r.getName()).get() : op.withName(r.getName()).get();
      if (live == null || !r.getUid().equals(live.getMetadata().getUid())) return OwnerState.DANGLING;
      if (live.getMetadata().getDeletionTimestamp() != null
          && live.getMetadata().getFinalizers() != null
          && live.getMetadata().getFinalizers().contains(FOREGROUND)) {
        return OwnerState.WAITING_FOR_DEPENDENTS;
      }
      return OwnerState.SOLID;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) return OwnerState.DANGLING;
      throw e;
    }
  }

  private void deleteDependentsFirst(OwnerGraph.Node owner) {
    for (OwnerGraph.Node d : graph.dependentsOf(owner.uid())) {
      if (d.deleting()) continue;
      boolean hasOwnDependents = !graph.dependentsOf(d.uid()).isEmpty();
      // Only delete when this owner is its last live owner; otherwise just drop the reference.
      boolean otherSolidOwner = false;
      for (OwnerReference r : d.owners()) {
        if (r.getUid().equals(owner.uid())) continue;
        if (ownerState(d, r) == OwnerState.SOLID) otherSolidOwner = true;
      }
      if (otherSolidOwner) {
        List<OwnerReference> keep = new ArrayList<>(d.owners());
        keep.removeIf(r -> r.getUid().equals(owner.uid()));
        patchOwnerRefs(d, keep);
      } else {
        delete(d, hasOwnDependents ? DeletionPropagation.FOREGROUND : DeletionPropagation.BACKGROUND);
      }
    }
    if (graph.blockingDependentsOf(owner.uid()).isEmpty()) {
      removeFinalizer(owner, FOREGROUND);
    } else {
      throw new IllegalStateException(
          "waiting for " + graph.blockingDependentsOf(owner.uid()).size() + " dependents of " + owner.kind() + " " + owner.name());
    }
  }

  private void orphanDependents(OwnerGraph.Node owner) {
    for (OwnerGraph.Node d : graph.dependentsOf(owner.uid())) {
      List<OwnerReference> keep = new ArrayList<>(d.owners());
      keep.removeIf(r -> r.getUid().equals(owner.uid()));
      patchOwnerRefs(d, keep);
    }
    removeFinalizer(owner, ORPHAN);
  }

  // ------------------------------------------------------------------ writes

  private Served servedOf(OwnerGraph.Node n) {
    Served s = served.forKind(n.apiVersion(), n.kind());
    if (s == null) throw new IllegalStateException("kind not served: " + n.apiVersion() + "/" + n.kind());
    return s;
  }

  private io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource> resource(OwnerGraph.Node n) {
    Served s = servedOf(n);
    var op = client.genericKubernetesResources(s.context());
    return s.namespaced() ? op.inNamespace(n.namespace()).withName(n.name()) : op.withName(n.name());
  }

  private void delete(OwnerGraph.Node n, DeletionPropagation policy) {
    log.info("deleting {} {}/{} ({}): owners gone", n.kind(), n.namespace() == null ? "" : n.namespace(), n.name(), policy);
    try {
      resource(n).withPropagationPolicy(policy).delete();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) throw e;
    }
  }

  private void patchOwnerRefs(OwnerGraph.Node n, List<OwnerReference> refs) {
    Map<String, Object> meta = new HashMap<>();
    meta.put("uid", n.uid());
    meta.put("ownerReferences", refs);
    patch(n, meta);
  }

  private void removeFinalizer(OwnerGraph.Node n, String finalizer) {
    List<String> rest = new ArrayList<>(n.finalizers());
    rest.remove(finalizer);
    Map<String, Object> meta = new HashMap<>();
    meta.put("uid", n.uid());
    meta.put("resourceVersion", n.resourceVersion());
    meta.put("finalizers", rest);
    log.info("removing finalizer {} from {} {}", finalizer, n.kind(), n.name());
    patch(n, meta);
  }

  private void patch(OwnerGraph.Node n, Map<String, Object> meta) {
    try {
      resource(n).patch(PatchContext.of(PatchType.JSON_MERGE), JSON.writeValueAsString(Map.of("metadata", meta)));
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) throw e;
    }
  }
}
