package io.keelson.controller.cronjob;

import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobStatus;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.keelson.controller.events.EventRecorder;
import io.keelson.controller.job.JobConditions;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Owners;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Starts a Job for each due time of every CronJob's schedule (kube's CronJob controller v2):
 * honours suspend, startingDeadlineSeconds and concurrencyPolicy, keeps {@code status.active},
 * lastScheduleTime and lastSuccessfulTime, prunes finished Jobs beyond the history limits, and
 * requeues each CronJob for its next schedule time instead of polling. The clock and the local
 * zone are injected so the schedule logic can be tested.
 */
public final class CronJobController implements Reconciler, ManagedController {
  public static final String NAME = "cronjob";

  private final KubernetesClient client;
  private final SharedIndexInformer<CronJob> cronJobs;
  private final SharedIndexInformer<Job> jobs;
  private final EventRecorder events;
  private final Clock clock;
  private final ZoneId local;
  private final Controller controller;

  public CronJobController(Informers informers, EventRecorder events, MeterRegistry metrics, int workers) {
    this(informers, events, metrics, workers, Clock.systemUTC(), ZoneId.systemDefault());
  }

  public CronJobController(
      Informers informers, EventRecorder events, MeterRegistry metrics, int workers, Clock clock, ZoneId local) {
    this.client = informers.client();
    this.cronJobs = informers.of(CronJob.class);
    this.jobs = informers.of(Job.class);
    this.events = events.forComponent("cronjob-controller");
    this.clock = clock;
    this.local = local;
    this.controller = new Controller(NAME, this, workers, metrics);
    cronJobs.addEventHandler(Informers.handler(cj -> List.of(Informers.key(cj)), controller::enqueue));
    jobs.addEventHandler(Informers.handler(this::ownerKey, controller::enqueue));
  }

  private List<String> ownerKey(Job job) {
    return Owners.controllerOf(job)
        .filter(r -> "CronJob".equals(r.getKind()))
        .map(r -> List.of(Informers.key(job.getMetadata().getNamespace(), r.getName())))
        .orElse(List.of());
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public Result reconcile(String key) {
    CronJob cj = cronJobs.getIndexer().getByKey(key);
    if (cj == null) return Result.noUpdate();
    List<Job> owned = new ArrayList<>();
    for (Job j : jobs.getIndexer().byIndex(Cache.NAMESPACE_INDEX, cj.getMetadata().getNamespace())) {
      if (Owners.isControlledBy(j, cj)) owned.add(j);
    }
    // Compared with what is written below; absent and empty active lists are the same status.
    CronJobStatus old = new CronJobStatusBuilder(cj.getStatus() == null ? new CronJobStatus() : cj.getStatus()).build();
    old.setActive(new ArrayList<>(old.getActive() == null ? List.of() : old.getActive()));
    CronJobStatus status = new CronJobStatusBuilder(old).build();
    List<ObjectReference> active = new ArrayList<>(old.getActive());
    status.setActive(active);
    reconcileActive(cj, owned, status);

    CronJob view = new CronJobBuilder(cj).withStatus(status).build();
    CronJobSync.Decision d = CronJobSync.decide(view, clock.instant(), local);
    for (String[] e : d.events()) events.record(cj, e[0], e[1], e[2]);
    if (d.scheduled() != null) {
      if (d.replaceActive()) {
        for (ObjectReference ref : List.copyOf(active)) {
          deleteJob(cj, ref.getName());
          active.remove(ref);
        }
      }
      Job job = jobFor(cj, d.scheduled(), CronJobSync.zone(cj, local));
      Job created = createJob(cj, job);
      if (created != null) {
        if (!JobConditions.isFinished(created) && active.stream().noneMatch(r -> Objects.equals(r.getUid(), created.getMetadata().getUid()))) {
          active.add(reference(created));
        }
        status.setLastScheduleTime(d.scheduled().toString());
      }
    }

    if (cj.getMetadata().getDeletionTimestamp() == null) {
      for (Job j : CronJobSync.historyToDelete(owned, cj.getSpec().getSuccessfulJobsHistoryLimit(), cj.getSpec().getFailedJobsHistoryLimit())) {
        if (deleteJob(cj, j.getMetadata().getName())) active.removeIf(r -> Objects.equals(r.getUid(), j.getMetadata().getUid()));
      }
    }
    if (!Objects.equals(status, old)) {
      try {
        client.batch().v1().cronjobs().inNamespace(cj.getMetadata().getNamespace())
            .resource(new CronJobBuilder(cj).withStatus(status).build()).updateStatus();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404) throw e;
      }
    }
    return d.requeueAfter() == null ? Result.noUpdate() : Result.requeueAfter(d.requeueAfter());
  }

  /** Drops finished and vanished Jobs from status.active and notes the latest success. */
  private void reconcileActive(CronJob cj, List<Job> owned, CronJobStatus status) {
    List<ObjectReference> active = status.getActive();
    for (Job j : owned) {
      String uid = j.getMetadata().getUid();
      boolean listed = active.stream().anyMatch(r -> Objects.equals(r.getUid(), uid));
      String finished = JobConditions.finishedType(j);
      if (finished == null) {
        if (!listed) events.warning(cj, "UnexpectedJob", "Saw a job that the controller did not create or forgot: " + j.getMetadata().getName());
        continue;
      }
      if (listed) {
        active.removeIf(r -> Objects.equals(r.getUid(), uid));
        events.normal(cj, "SawCompletedJob", "Saw completed job: " + j.getMetadata().getName() + ", condition: " + finished);
      }
      if (JobConditions.COMPLETE.equals(finished) && j.getStatus().getCompletionTime() != null) {
        Instant done = Instant.parse(j.getStatus().getCompletionTime());
        if (status.getLastSuccessfulTime() == null || done.isAfter(Instant.parse(status.getLastSuccessfulTime()))) {
          status.setLastSuccessfulTime(j.getStatus().getCompletionTime());
        }
      }
    }
    for (ObjectReference ref : List.copyOf(active)) {
      if (owned.stream().anyMatch(j -> Objects.equals(j.getMetadata().getUid(), ref.getUid()))) continue;
      // Not in the cache: gone, or the cache is behind a Job just created. Ask.
      Job live = client.batch().v1().jobs().inNamespace(cj.getMetadata().getNamespace()).withName(ref.getName()).get();
      if (live == null || !Objects.equals(live.getMetadata().getUid(), ref.getUid())) {
        events.normal(cj, "MissingJob", "Active job went missing: " + ref.getName());
        active.remove(ref);
      }
    }
  }

  /** The Job for one scheduled time: the template's metadata and spec, owned by the CronJob. */
  static Job jobFor(CronJob cj, Instant scheduled, ZoneId zone) {
    var tpl = cj.getSpec().getJobTemplate();
    var meta = tpl.getMetadata();
    Map<String, String> labels = meta == null || meta.getLabels() == null ? new HashMap<>() : new HashMap<>(meta.getLabels());
    Map<String, String> annotations = meta == null || meta.getAnnotations() == null ? new HashMap<>() : new HashMap<>(meta.getAnnotations());
    annotations.put(CronJobSync.SCHEDULED_TIMESTAMP, DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(scheduled.atZone(zone)));
    return new JobBuilder()
        .withMetadata(new ObjectMetaBuilder()
            .withName(CronJobSync.jobName(cj.getMetadata().getName(), scheduled))
            .withNamespace(cj.getMetadata().getNamespace())
            .withLabels(labels)
            .withAnnotations(annotations)
            .withOwnerReferences(Owners.controllerRef(cj))
            .build())
        .withSpec(new JobSpecBuilder(tpl.getSpec()).build())
        .build();
  }

  /** Creates the Job; one already there and ours counts as created (an earlier pass did it). */
  private Job createJob(CronJob cj, Job job) {
    var api = client.batch().v1().jobs().inNamespace(cj.getMetadata().getNamespace());
    try {
      Job created = api.resource(job).create();
      events.normal(cj, "SuccessfulCreate", "Created job " + job.getMetadata().getName());
      return created;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        Job existing = api.withName(job.getMetadata().getName()).get();
        if (existing != null && Owners.isControlledBy(existing, cj)) return existing;
      }
      events.warning(cj, "FailedCreate", "Error creating job: " + io.keelson.controller.runtime.ApiErrors.message(e));
      throw e;
    }
  }

  /** Deletes a Job with background propagation (the garbage collector takes its pods). */
  private boolean deleteJob(CronJob cj, String name) {
    try {
      client.batch().v1().jobs().inNamespace(cj.getMetadata().getNamespace()).withName(name)
          .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
      events.normal(cj, "SuccessfulDelete", "Deleted job " + name);
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) return true;
      events.warning(cj, "FailedDelete", "Deleted job: " + e.getMessage());
      throw e;
    }
  }

  private static ObjectReference reference(Job j) {
    return new ObjectReferenceBuilder()
        .withApiVersion("batch/v1")
        .withKind("Job")
        .withNamespace(j.getMetadata().getNamespace())
        .withName(j.getMetadata().getName())
        .withUid(j.getMetadata().getUid())
        .withResourceVersion(j.getMetadata().getResourceVersion())
        .build();
  }
}
