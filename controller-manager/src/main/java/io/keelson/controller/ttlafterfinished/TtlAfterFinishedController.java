package io.keelson.controller.ttlafterfinished;

import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.keelson.controller.job.JobConditions;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Deletes finished Jobs {@code spec.ttlSecondsAfterFinished} after they finished (kube's
 * ttl-after-finished controller), with background propagation so the garbage collector takes
 * their pods. Waits with a delayed requeue, never by polling.
 */
public final class TtlAfterFinishedController implements Reconciler, ManagedController {
  public static final String NAME = "ttl-after-finished";

  private final KubernetesClient client;
  private final SharedIndexInformer<Job> jobs;
  private final Clock clock;
  private final Controller controller;

  public TtlAfterFinishedController(Informers informers, MeterRegistry metrics, int workers) {
    this(informers, metrics, workers, Clock.systemUTC());
  }

  public TtlAfterFinishedController(Informers informers, MeterRegistry metrics, int workers, Clock clock) {
    this.client = informers.client();
    this.jobs = informers.of(Job.class);
    this.clock = clock;
    this.controller = new Controller(NAME, this, workers, metrics);
    jobs.addEventHandler(Informers.handler(
        j -> j.getSpec().getTtlSecondsAfterFinished() != null && JobConditions.isFinished(j) ? List.of(Informers.key(j)) : List.of(),
        controller::enqueue));
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  /** How long until {@code job} expires: null if it never does (not finished, no TTL), zero if due. */
  public static Duration timeLeft(Job job, Instant now) {
    Integer ttl = job.getSpec().getTtlSecondsAfterFinished();
    if (ttl == null || job.getMetadata().getDeletionTimestamp() != null || !JobConditions.isFinished(job)) return null;
    Instant finished = job.getStatus().getCompletionTime() != null
        ? Instant.parse(job.getStatus().getCompletionTime())
        : JobConditions.finishedAt(job);
    if (finished == null) return null;
    Duration left = Duration.between(now, finished.plusSeconds(ttl));
    return left.isNegative() ? Duration.ZERO : left;
  }

  @Override
  public Result reconcile(String key) {
    Job job = jobs.getIndexer().getByKey(key);
    if (job == null) return Result.noUpdate();
    Duration left = timeLeft(job, clock.instant());
    if (left == null) return Result.noUpdate();
    if (left.isPositive()) return Result.requeueAfter(left);
    // The cache may be stale (TTL changed, Job recreated): decide again on a fresh read.
    Job fresh = client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace()).withName(job.getMetadata().getName()).get();
    if (fresh == null || !Objects.equals(fresh.getMetadata().getUid(), job.getMetadata().getUid())) return Result.noUpdate();
    left = timeLeft(fresh, clock.instant());
    if (left == null) return Result.noUpdate();
    if (left.isPositive()) return Result.requeueAfter(left);
    try {
      client.batch().v1().jobs().inNamespace(fresh.getMetadata().getNamespace()).withName(fresh.getMetadata().getName())
          .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) throw e;
    }
    return Result.noUpdate();
  }
}
