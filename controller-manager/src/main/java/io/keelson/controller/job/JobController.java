package io.keelson.controller.job;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.keelson.controller.events.EventRecorder;
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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs batch/v1 Jobs to completion (kube's job controller): creates pods from the template up to
 * the wanted parallelism, counts finished pods through the {@code batch.kubernetes.io/job-tracking}
 * finalizer and {@code status.uncountedTerminatedPods}, backs off after failures, enforces
 * backoffLimit and activeDeadlineSeconds, suspends and resumes, and writes Complete or Failed.
 * The decisions are {@link JobSync}'s; this class reads the caches and makes the calls.
 */
public final class JobController implements Reconciler, ManagedController {
  public static final String NAME = "job";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final KubernetesClient client;
  private final SharedIndexInformer<Job> jobs;
  private final SharedIndexInformer<Pod> pods;
  private final EventRecorder events;
  private final PodControl podControl;
  private final Clock clock;
  private final Expectations expectations = new Expectations();
  /** Per Job key: pod uids whose finalizer removal was sent but not yet seen in the cache. */
  private final Map<String, Set<String>> finalizerRemovals = new ConcurrentHashMap<>();
  private final Map<String, PodFailureBackoff> backoffs = new ConcurrentHashMap<>();
  private final Controller controller;
  private final ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();

  public JobController(Informers informers, EventRecorder events, MeterRegistry metrics, int workers) {
    this(informers, events, metrics, workers, Clock.systemUTC());
  }

  public JobController(Informers informers, EventRecorder events, MeterRegistry metrics, int workers, Clock clock) {
    this.client = informers.client();
    this.jobs = informers.of(Job.class);
    this.pods = informers.of(Pod.class);
    this.events = events.forComponent("job-controller");
    this.podControl = new PodControl(client, this.events);
    this.clock = clock;
    this.controller = new Controller(NAME, this, workers, metrics);
    jobs.addEventHandler(Informers.handler(j -> List.of(Informers.key(j)), controller::enqueue));
    pods.addEventHandler(new PodHandler());
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public Result reconcile(String key) throws Exception {
    Job job = jobs.getIndexer().getByKey(key);
    String namespace = Informers.namespaceOf(key);
    List<Pod> inNamespace = pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace);
    if (job == null) {
      // Deleted: its pods must not keep the finalizer (they would never go away).
      expectations.forget(key);
      backoffs.remove(key);
      releaseOrphans(inNamespace, Informers.nameOf(key), null);
      finalizerRemovals.computeIfPresent(key, (k, v) -> v.isEmpty() ? null : v);
      return Result.noUpdate();
    }
    releaseOrphans(inNamespace, job.getMetadata().getName(), job.getMetadata().getUid());
    if (JobConditions.isFinished(job)) {
      backoffs.remove(key);
      Set<String> pending = finalizerRemovals.getOrDefault(key, Set.of());
      removeFinalizers(key, inNamespace.stream()
          .filter(p -> Owners.isControlledBy(p, job) && JobSync.hasTrackingFinalizer(p) && !pending.contains(p.getMetadata().getUid()))
          .toList());
      return Result.noUpdate();
    }
    String mode = job.getSpec().getCompletionMode();
    if (mode != null && !mode.equals("NonIndexed") && !mode.equals("Indexed")) {
      events.warning(job, "UnknownCompletionMode", "Skipped Job sync because completion mode is unknown");
      return Result.noUpdate();
    }
    boolean satisfied = expectations.satisfied(key);
    // The api-server generates the selector; without one, only the pods this Job created are its own.
    List<Pod> owned = job.getSpec().getSelector() == null
        ? inNamespace.stream().filter(p -> Owners.isControlledBy(p, job)).toList()
        : OwnershipClaims.claim(client, job, job.getSpec().getSelector(), inNamespace);
    Set<String> pending = Set.copyOf(finalizerRemovals.getOrDefault(key, Set.of()));
    Instant now = clock.instant();
    JobSync.Plan plan =
        JobSync.plan(job, owned, new JobSync.Context(now, satisfied, pending, backoffs.getOrDefault(key, PodFailureBackoff.NONE)));

    Exception manageError = null;
    try {
      deletePods(key, job, plan.deleteUncounted(), true);
      deletePods(key, job, plan.deleteKeepingFinalizer(), false);
      createPods(key, job, plan.createIndexes(), plan.replacing());
    } catch (Exception e) {
      manageError = e;
    }

    // 1. uncounted uids and interim conditions first, so a pod released below is never lost.
    JobStatus status = plan.status();
    Job current = job;
    if (!JobSync.sameStatus(status, job.getStatus())) current = writeStatus(job, status);
    backoffs.put(key, plan.backoff());
    for (String[] e : plan.events()) events.record(job, e[0], e[1], e[2]);
    // 2. release the finished pods, 3. count what was released, 4. maybe finish.
    Set<String> stillHeld = JobSync.uidsWithFinalizer(owned, pending);
    stillHeld.removeAll(removeFinalizers(key, plan.removeFinalizer()));
    JobStatus after = JobSync.mutableCopy(status);
    List<String[]> finishEvents = JobSync.finish(job, after, stillHeld, plan, clock.instant());
    if (!JobSync.sameStatus(after, status)) writeStatus(current, after);
    for (String[] e : finishEvents) events.record(job, e[0], e[1], e[2]);
    if (manageError != null) throw manageError;
    return plan.requeueAfter() == null ? Result.noUpdate() : Result.requeueAfter(plan.requeueAfter().plusMillis(100));
  }

  private Job writeStatus(Job job, JobStatus status) {
    Job copy = new JobBuilder(job).withStatus(status).build();
    // updateStatus carries the cached resourceVersion: a stale cache gets 409 and a retry instead
    // of counting the same pods twice.
    return client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace()).resource(copy).updateStatus();
  }

  private void createPods(String key, Job job, List<Integer> indexes, Map<Integer, Pod> replacing) throws Exception {
    if (indexes.isEmpty()) return;
    expectations.expectCreations(key, indexes.size());
    List<Future<?>> done = new ArrayList<>();
    for (int ix : indexes) done.add(calls.submit(() -> podControl.create(podFor(job, ix, replacing.get(ix)), job)));
    int failed = 0;
    Exception first = null;
    for (Future<?> f : done) {
      try {
        f.get();
      } catch (ExecutionException e) {
        failed++;
        if (first == null) first = (Exception) e.getCause();
      }
    }
    if (failed > 0) {
      expectations.lowerCreations(key, failed);
      throw first;
    }
  }

  static Pod podFor(Job job, int index) {
    return podFor(job, index, null);
  }

  /**
   * A pod from the Job's template: owned by the Job, tracked by the finalizer, indexed if asked;
   * with backoffLimitPerIndex it carries its index's failure counts, one more than {@code replaced}'s.
   */
  static Pod podFor(Job job, int index, Pod replaced) {
    String name = job.getMetadata().getName();
    Pod pod = PodControl.podFromTemplate(job.getSpec().getTemplate(), job, index < 0 ? name : name + "-" + index);
    pod.getMetadata().setFinalizers(new ArrayList<>(List.of(JobSync.TRACKING_FINALIZER)));
    if (index >= 0) {
      String ix = Integer.toString(index);
      Map<String, String> annotations = pod.getMetadata().getAnnotations() == null ? new HashMap<>() : pod.getMetadata().getAnnotations();
      annotations.put(JobSync.COMPLETION_INDEX, ix);
      if (IndexFailures.enabled(job)) annotations.putAll(IndexFailures.annotationsFor(job, replaced));
      pod.getMetadata().setAnnotations(annotations);
      pod.getMetadata().getLabels().put(JobSync.COMPLETION_INDEX, ix);
      if (pod.getSpec().getHostname() == null || pod.getSpec().getHostname().isEmpty()) pod.getSpec().setHostname(name + "-" + ix);
      EnvVar env = new EnvVarBuilder()
          .withName("JOB_COMPLETION_INDEX")
          .withNewValueFrom().withNewFieldRef().withFieldPath("metadata.annotations['" + JobSync.COMPLETION_INDEX + "']").endFieldRef().endValueFrom()
          .build();
      for (var containers : List.of(pod.getSpec().getContainers(), pod.getSpec().getInitContainers() == null ? List.<io.fabric8.kubernetes.api.model.Container>of() : pod.getSpec().getInitContainers())) {
        for (var c : containers) {
          List<EnvVar> envs = c.getEnv() == null ? new ArrayList<>() : new ArrayList<>(c.getEnv());
          if (envs.stream().noneMatch(e -> "JOB_COMPLETION_INDEX".equals(e.getName()))) envs.add(env);
          c.setEnv(envs);
        }
      }
    }
    return pod;
  }

  /** Deletes pods; for uncounted deletions (suspend, surplus) the finalizer goes first, as kube does. */
  private void deletePods(String key, Job job, List<Pod> victims, boolean releaseFirst) throws Exception {
    if (victims.isEmpty()) return;
    if (releaseFirst) removeFinalizers(key, victims.stream().filter(JobSync::hasTrackingFinalizer).toList());
    Set<String> keys = new HashSet<>();
    victims.forEach(p -> keys.add(Informers.key(p)));
    expectations.expectDeletions(key, keys);
    List<Future<?>> done = new ArrayList<>();
    for (Pod p : victims) {
      done.add(calls.submit(() -> {
        try {
          podControl.delete(p, job);
        } catch (RuntimeException e) {
          expectations.deletionObserved(key, Informers.key(p));
          throw e;
        }
      }));
    }
    for (Future<?> f : done) f.get();
  }

  /**
   * Removes the tracking finalizer from each pod (a merge patch guarded by the pod's
   * resourceVersion, so a concurrent change is retried rather than overwritten). Returns the uids
   * released (or already gone).
   */
  private Set<String> removeFinalizers(String key, List<Pod> targets) throws Exception {
    Set<String> released = ConcurrentHashMap.newKeySet();
    if (targets.isEmpty()) return released;
    Set<String> pending = finalizerRemovals.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet());
    List<Future<?>> done = new ArrayList<>();
    for (Pod p : targets) {
      String uid = p.getMetadata().getUid();
      pending.add(uid);
      done.add(calls.submit(() -> {
        List<String> rest = new ArrayList<>(p.getMetadata().getFinalizers());
        rest.remove(JobSync.TRACKING_FINALIZER);
        Map<String, Object> meta = new HashMap<>();
        meta.put("resourceVersion", p.getMetadata().getResourceVersion());
        meta.put("finalizers", rest);
        try {
          client.pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName())
              .patch(PatchContext.of(PatchType.JSON_MERGE), JSON.writeValueAsString(Map.of("metadata", meta)));
          released.add(uid);
        } catch (KubernetesClientException e) {
          if (e.getCode() == 404) {
            released.add(uid);
            pending.remove(uid);
            return;
          }
          pending.remove(uid); // no update will come for this one
          throw e;
        }
      }));
    }
    Exception first = null;
    for (Future<?> f : done) {
      try {
        f.get();
      } catch (ExecutionException e) {
        if (first == null) first = (Exception) e.getCause();
      }
    }
    if (first != null && released.isEmpty()) throw first;
    return released;
  }

  /** Pods naming a Job of this name as controller that is gone (or another incarnation) lose the finalizer. */
  private void releaseOrphans(List<Pod> inNamespace, String jobName, String liveUid) throws Exception {
    List<Pod> orphans = new ArrayList<>();
    String namespace = inNamespace.isEmpty() ? "" : inNamespace.get(0).getMetadata().getNamespace();
    Set<String> pending = finalizerRemovals.getOrDefault(Informers.key(namespace, jobName), Set.of());
    for (Pod p : inNamespace) {
      if (!JobSync.hasTrackingFinalizer(p) || pending.contains(p.getMetadata().getUid())) continue;
      var ref = Owners.controllerOf(p).orElse(null);
      if (ref == null || !"Job".equals(ref.getKind()) || !jobName.equals(ref.getName())) continue;
      if (liveUid == null || !liveUid.equals(ref.getUid())) orphans.add(p);
    }
    if (!orphans.isEmpty()) removeFinalizers(Informers.key(namespace, jobName), orphans);
  }

  // ---- pod events → Job keys (and expectations bookkeeping)

  private static String jobKey(Pod pod) {
    return Owners.controllerOf(pod)
        .filter(r -> "Job".equals(r.getKind()))
        .map(r -> Informers.key(pod.getMetadata().getNamespace(), r.getName()))
        .orElse(null);
  }

  private void finalizerObserved(String key, Pod pod) {
    Set<String> pending = finalizerRemovals.get(key);
    if (pending != null && !JobSync.hasTrackingFinalizer(pod)) pending.remove(pod.getMetadata().getUid());
  }

  private final class PodHandler implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod pod) {
      String key = jobKey(pod);
      if (key == null) return;
      if (pod.getMetadata().getDeletionTimestamp() != null) {
        expectations.deletionObserved(key, Informers.key(pod));
      } else {
        expectations.creationObserved(key);
      }
      controller.enqueue(key);
    }

    @Override
    public void onUpdate(Pod old, Pod pod) {
      if (Objects.equals(old.getMetadata().getResourceVersion(), pod.getMetadata().getResourceVersion())) return;
      String key = jobKey(pod);
      if (key == null) return;
      if (pod.getMetadata().getDeletionTimestamp() != null) expectations.deletionObserved(key, Informers.key(pod));
      finalizerObserved(key, pod);
      controller.enqueue(key);
    }

    @Override
    public void onDelete(Pod pod, boolean finalStateUnknown) {
      String key = jobKey(pod);
      if (key == null) return;
      expectations.deletionObserved(key, Informers.key(pod));
      Set<String> pending = finalizerRemovals.get(key);
      if (pending != null) pending.remove(pod.getMetadata().getUid());
      controller.enqueue(key);
    }
  }
}
