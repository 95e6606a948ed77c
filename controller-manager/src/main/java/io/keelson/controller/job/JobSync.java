package io.keelson.controller.job;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.UncountedTerminatedPods;
import io.keelson.controller.pod.PodConditions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One pass of the Job controller as a pure function of the Job, its pods, the time and what the
 * controller is still waiting to observe (kube's syncJob): which pods to create and delete, the
 * status to write before any tracking finalizer is removed, and the terminal condition to add
 * once every finished pod is counted ({@link #finish}).
 *
 * <p>Counting follows kube's finalizer protocol so a pod is neither lost nor counted twice: a
 * finished pod still holding {@code batch.kubernetes.io/job-tracking} is first recorded by uid in
 * {@code status.uncountedTerminatedPods} (written), then its finalizer is removed, and only then
 * is it moved into {@code succeeded}/{@code failed}.
 */
public final class JobSync {
  public static final String TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking";
  public static final String COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index";
  /** kube caps uncounted uids per pass so the status stays small and big Jobs do not starve others. */
  static final int MAX_UNCOUNTED = 500;
  /** At most this many pod creates or deletes per pass (kube's MaxPodCreateDeletePerSync). */
  static final int MAX_CREATE_DELETE = 500;

  private JobSync() {}

  /** What the controller knows besides the Job and its pods. */
  public record Context(Instant now, boolean expectationsSatisfied, Set<String> finalizerRemovalsPending, PodFailureBackoff backoff) {}

  /**
   * The decisions of one pass.
   *
   * @param createIndexes one entry per pod to create: its completion index, or -1 (NonIndexed)
   * @param deleteKeepingFinalizer active pods of a finishing Job (counted as failed when gone)
   * @param deleteUncounted pods removed for suspend or surplus: finalizer off first, never counted
   * @param status the status to write before removing finalizers (uncounted uids, interim conditions)
   * @param removeFinalizer finished pods (or all, for a finishing/deleted Job) to release
   * @param terminal Complete or Failed, to add once nothing is uncounted or terminating; else null
   * @param replacing with backoffLimitPerIndex: per index to retry, the failed pod whose counts its replacement carries
   */
  public record Plan(
      List<Integer> createIndexes,
      List<Pod> deleteKeepingFinalizer,
      List<Pod> deleteUncounted,
      JobStatus status,
      List<Pod> removeFinalizer,
      JobCondition terminal,
      boolean reachedMaxUncounted,
      Duration requeueAfter,
      List<String[]> events,
      PodFailureBackoff backoff,
      Map<Integer, Pod> replacing) {}

  public static Plan plan(Job job, List<Pod> pods, Context ctx) {
    Instant now = ctx.now();
    JobStatus status = mutableCopy(job.getStatus());
    UncountedTerminatedPods uncounted = status.getUncountedTerminatedPods();
    List<String[]> events = new ArrayList<>();
    Duration requeue = null;

    boolean indexed = isIndexed(job);
    boolean suspended = Boolean.TRUE.equals(job.getSpec().getSuspend());
    Integer completions = job.getSpec().getCompletions();
    int parallelism = job.getSpec().getParallelism() == null ? 1 : job.getSpec().getParallelism();
    int backoffLimit = job.getSpec().getBackoffLimit() == null ? 6 : job.getSpec().getBackoffLimit();

    List<Pod> active = new ArrayList<>();
    int terminating = 0;
    // podReplacementPolicy Failed (the default with a podFailurePolicy): a pod is replaced only once
    // it has failed, so terminating pods still take a slot.
    boolean onlyReplaceFailed = "Failed".equals(job.getSpec().getPodReplacementPolicy()) || job.getSpec().getPodFailurePolicy() != null;
    for (Pod p : pods) {
      if (PodConditions.isActive(p)) active.add(p);
      else if (!PodConditions.isTerminated(p) && p.getMetadata().getDeletionTimestamp() != null) terminating++;
    }
    int ready = (int) active.stream().filter(PodConditions::isReady).count();

    Set<String> pending = ctx.finalizerRemovalsPending();
    List<Pod> newSucceeded = new ArrayList<>();
    List<Pod> newFailed = new ArrayList<>();
    for (Pod p : pods) {
      if (!tracked(p, pending)) continue;
      String uid = p.getMetadata().getUid();
      if (isSucceeded(p) && !uncounted.getSucceeded().contains(uid)) newSucceeded.add(p);
      else if (isFailed(p, job) && !uncounted.getFailed().contains(uid)) newFailed.add(p);
    }
    int succeeded = n(status.getSucceeded()) + newSucceeded.size() + uncounted.getSucceeded().size();
    var policy = job.getSpec().getPodFailurePolicy();
    int ignored = (int) newFailed.stream().filter(p -> !PodFailurePolicies.match(policy, p).counts()).count();
    int failed = n(status.getFailed()) + newFailed.size() - ignored + uncounted.getFailed().size();

    if (status.getStartTime() == null && !suspended) status.setStartTime(ts(now));
    PodFailureBackoff backoff = ctx.backoff().after(newSucceeded, newFailed, now);

    // The verdict: an earlier pass's interim condition stands; otherwise backoff limit, deadline.
    JobCondition finished = trueCondition(status, JobConditions.SUCCESS_CRITERIA_MET);
    boolean newFailureTarget = false;
    if (finished == null) {
      JobCondition target = trueCondition(status, JobConditions.FAILURE_TARGET);
      String failJob = failJobMessage(job, pods);
      if (target != null) {
        finished = JobConditions.condition(JobConditions.FAILED, "True", target.getReason(), target.getMessage(), now);
      } else if (failJob != null) {
        finished = failureTarget(JobConditions.REASON_POD_FAILURE_POLICY, failJob, now);
        newFailureTarget = true;
      } else if (failed > backoffLimit || pastBackoffLimitOnFailure(job, pods, backoffLimit)) {
        finished = failureTarget(JobConditions.REASON_BACKOFF_LIMIT, JobConditions.MESSAGE_BACKOFF_LIMIT, now);
        newFailureTarget = true;
      } else if (pastActiveDeadline(job, status, now)) {
        finished = failureTarget(JobConditions.REASON_DEADLINE, JobConditions.MESSAGE_DEADLINE, now);
        newFailureTarget = true;
      } else if (job.getSpec().getActiveDeadlineSeconds() != null && !suspended) {
        Instant start = Instant.parse(status.getStartTime());
        requeue = min(requeue, Duration.between(now, start.plusSeconds(job.getSpec().getActiveDeadlineSeconds())));
      }
    }

    TreeSet<Integer> succeededIndexes = new TreeSet<>();
    SortedSet<Integer> failedIndexes = null;
    Map<Integer, Pod> replacing = Map.of();
    if (indexed) {
      succeededIndexes.addAll(CompletedIndexes.parse(status.getCompletedIndexes()));
      for (Pod p : pods) {
        int ix = completionIndex(p);
        if (isSucceeded(p) && ix >= 0 && ix < n(completions)) succeededIndexes.add(ix);
      }
      succeeded = succeededIndexes.size();
      if (IndexFailures.enabled(job)) {
        failedIndexes = IndexFailures.failedIndexes(job, pods);
        if (finished == null) {
          Integer maxFailed = job.getSpec().getMaxFailedIndexes();
          if (maxFailed != null && failedIndexes.size() > maxFailed) {
            finished = failureTarget(JobConditions.REASON_MAX_FAILED_INDEXES, JobConditions.MESSAGE_MAX_FAILED_INDEXES, now);
            newFailureTarget = true;
          } else if (!failedIndexes.isEmpty() && failedIndexes.size() + succeededIndexes.size() >= n(completions)) {
            // every index is done one way or the other
            finished = failureTarget(JobConditions.REASON_FAILED_INDEXES, JobConditions.MESSAGE_FAILED_INDEXES, now);
            newFailureTarget = true;
          }
        }
        Set<Integer> activeIndexes = new TreeSet<>();
        for (Pod p : active) if (completionIndex(p) >= 0) activeIndexes.add(completionIndex(p));
        replacing = IndexFailures.awaitingReplacement(job, pods, pending, succeededIndexes, failedIndexes, activeIndexes, now);
      }
      if (finished == null) {
        String matched = matchSuccessPolicy(job, succeededIndexes);
        if (matched != null) {
          finished = JobConditions.condition(
              JobConditions.SUCCESS_CRITERIA_MET, "True", JobConditions.REASON_SUCCESS_POLICY, matched, now);
        }
      }
    }

    List<Integer> create = new ArrayList<>();
    List<Pod> deleteKeeping = new ArrayList<>();
    List<Pod> deleteUncounted = new ArrayList<>();
    int activeCount = active.size();
    if (finished != null) {
      // Finishing: remove what still runs; not declared finished until the cache agrees.
      deleteKeeping.addAll(active);
      terminating += active.size();
      activeCount = 0;
      if (!ctx.expectationsSatisfied()) finished = null;
    } else {
      boolean managed = false;
      if (ctx.expectationsSatisfied() && job.getMetadata().getDeletionTimestamp() == null) {
        managed = true;
        if (suspended) {
          deleteUncounted.addAll(active);
        } else if (indexed) {
          requeue = min(requeue, manageIndexed(job, active, succeededIndexes, failedIndexes, replacing, parallelism, backoff, now, create, deleteUncounted));
        } else {
          int want;
          if (completions == null) want = succeeded > 0 ? active.size() : parallelism;
          else want = Math.max(0, Math.min(parallelism, completions - succeeded));
          int slotsTaken = onlyReplaceFailed ? terminating : 0;
          if (active.size() + slotsTaken < want) {
            Duration wait = backoff.remaining(now);
            if (wait.isPositive()) requeue = min(requeue, wait);
            else for (int i = 0; i < Math.min(MAX_CREATE_DELETE, want - slotsTaken - active.size()); i++) create.add(-1);
          } else if (active.size() > want) {
            List<Pod> sorted = new ArrayList<>(active);
            sorted.sort(DELETE_FIRST);
            deleteUncounted.addAll(sorted.subList(0, Math.min(MAX_CREATE_DELETE, active.size() - want)));
          }
        }
        activeCount = active.size() - deleteUncounted.size() + create.size();
        terminating += deleteUncounted.size();
      }
      boolean complete =
          completions == null ? succeeded > 0 && activeCount == 0 : succeeded >= completions && activeCount == 0;
      if (complete) {
        finished = JobConditions.condition(
            JobConditions.SUCCESS_CRITERIA_MET, "True", JobConditions.REASON_COMPLETIONS, JobConditions.MESSAGE_COMPLETIONS, now);
      } else if (managed) {
        if (suspended) {
          if (JobConditions.ensure(status.getConditions(), JobConditions.SUSPENDED, "True", "JobSuspended", "Job suspended", now)) {
            events.add(new String[] {"Normal", "Suspended", "Job suspended"});
          }
        } else if (JobConditions.ensure(status.getConditions(), JobConditions.SUSPENDED, "False", "JobResumed", "Job resumed", now)) {
          events.add(new String[] {"Normal", "Resumed", "Job resumed"});
          // activeDeadlineSeconds counts continuous activity: the clock restarts on resume.
          status.setStartTime(ts(now));
        }
      }
    }
    // A suspended Job that never started has no startTime; one suspended later keeps it (kube).
    status.setActive(activeCount);
    status.setReady(ready - (int) deleteKeeping.stream().filter(PodConditions::isReady).count()
        - (int) deleteUncounted.stream().filter(PodConditions::isReady).count());
    status.setTerminating(terminating);

    // Record finished pods as uncounted before their finalizers go.
    List<Pod> release = new ArrayList<>();
    boolean reachedMax = false;
    boolean finishing = finished != null || job.getMetadata().getDeletionTimestamp() != null;
    boolean failing = finished != null && !JobConditions.SUCCESS_CRITERIA_MET.equals(finished.getType())
        && !JobConditions.COMPLETE.equals(finished.getType());
    Set<String> withFinalizer = uidsWithFinalizer(pods, pending);
    moveCounted(status, withFinalizer);
    for (Pod p : pods) {
      if (!tracked(p, pending)) continue;
      boolean podFailed = isFailed(p, job);
      if (!(finishing || isSucceeded(p) || podFailed)) continue;
      // the failed pod an index's replacement takes its failure count from stays until that replacement runs
      Pod awaiting = replacing.get(completionIndex(p));
      if (!finishing && podFailed && awaiting != null && awaiting.getMetadata().getUid().equals(p.getMetadata().getUid())) continue;
      release.add(p);
      String uid = p.getMetadata().getUid();
      if (isSucceeded(p) && !uncounted.getFailed().contains(uid)) {
        if (!indexed && !uncounted.getSucceeded().contains(uid)) uncounted.getSucceeded().add(uid);
      } else if (podFailed || failing) {
        int ix = completionIndex(p);
        boolean counts = !podFailed || PodFailurePolicies.match(policy, p).counts();
        if (counts && !uncounted.getFailed().contains(uid) && (!indexed || (ix >= 0 && ix < n(completions)))) {
          uncounted.getFailed().add(uid);
        }
      }
      if (uncounted.getSucceeded().size() + uncounted.getFailed().size() >= MAX_UNCOUNTED) {
        reachedMax = true;
        break;
      }
    }
    if (indexed) {
      status.setSucceeded(succeededIndexes.size());
      status.setCompletedIndexes(CompletedIndexes.format(succeededIndexes));
    }
    if (failedIndexes != null) status.setFailedIndexes(CompletedIndexes.format(failedIndexes));
    JobCondition terminal = null;
    if (finished != null) {
      String type = finished.getType();
      if (newFailureTarget) {
        status.getConditions().add(finished);
        terminal = JobConditions.condition(JobConditions.FAILED, "True", finished.getReason(), finished.getMessage(), now);
      } else if (JobConditions.SUCCESS_CRITERIA_MET.equals(type)) {
        if (trueCondition(status, JobConditions.SUCCESS_CRITERIA_MET) == null) status.getConditions().add(finished);
        terminal = JobConditions.condition(JobConditions.COMPLETE, "True", finished.getReason(), finished.getMessage(), now);
      } else {
        terminal = finished;
      }
    }
    return new Plan(create, deleteKeeping, deleteUncounted, status, release, terminal, reachedMax, requeue, events, backoff, replacing);
  }

  /**
   * After the finalizers of some pods were removed: moves their uids from uncounted into the
   * counters and, when nothing is uncounted or terminating any more, adds the terminal condition
   * (and completionTime). Returns the events to record (empty unless the Job just finished).
   */
  public static List<String[]> finish(Job job, JobStatus status, Set<String> uidsStillWithFinalizer, Plan plan, Instant now) {
    moveCounted(status, uidsStillWithFinalizer);
    JobCondition terminal = plan.terminal();
    UncountedTerminatedPods u = status.getUncountedTerminatedPods();
    if (terminal == null || plan.reachedMaxUncounted()) return List.of();
    if (!u.getSucceeded().isEmpty() || !u.getFailed().isEmpty()) return List.of();
    if (n(status.getTerminating()) > 0) return List.of();
    JobConditions.ensure(status.getConditions(), terminal.getType(), "True", terminal.getReason(), terminal.getMessage(), now);
    List<String[]> events = new ArrayList<>();
    if (JobConditions.COMPLETE.equals(terminal.getType())) {
      status.setCompletionTime(ts(now));
      Integer completions = job.getSpec().getCompletions();
      if (completions != null && n(status.getSucceeded()) > completions) {
        events.add(new String[] {"Warning", "TooManySucceededPods", "Too many succeeded pods running after completion count reached"});
      }
      events.add(new String[] {"Normal", "Completed", "Job completed"});
    } else {
      events.add(new String[] {"Warning", terminal.getReason(), terminal.getMessage()});
    }
    return events;
  }

  /** A copy whose condition and uncounted lists can be changed in place. */
  public static JobStatus mutableCopy(JobStatus s) {
    JobStatus c = s == null ? new JobStatus() : new JobStatusBuilder(s).build();
    c.setConditions(c.getConditions() == null ? new ArrayList<>() : new ArrayList<>(c.getConditions()));
    UncountedTerminatedPods u = c.getUncountedTerminatedPods();
    c.setUncountedTerminatedPods(new UncountedTerminatedPods(
        u == null || u.getFailed() == null ? new ArrayList<>() : new ArrayList<>(u.getFailed()),
        u == null || u.getSucceeded() == null ? new ArrayList<>() : new ArrayList<>(u.getSucceeded())));
    return c;
  }

  /** Equal but for how absent and empty fields are spelled (so an unchanged status is not rewritten). */
  public static boolean sameStatus(JobStatus a, JobStatus b) {
    return canonical(a).equals(canonical(b));
  }

  private static JobStatus canonical(JobStatus s) {
    JobStatus c = mutableCopy(s);
    c.setActive(n(c.getActive()));
    c.setReady(n(c.getReady()));
    c.setTerminating(n(c.getTerminating()));
    c.setSucceeded(n(c.getSucceeded()));
    c.setFailed(n(c.getFailed()));
    if ("".equals(c.getCompletedIndexes())) c.setCompletedIndexes(null);
    if ("".equals(c.getFailedIndexes())) c.setFailedIndexes(null);
    return c;
  }

  /** Counts the uncounted uids whose pods no longer hold the tracking finalizer (or are gone). */
  static boolean moveCounted(JobStatus status, Set<String> uidsWithFinalizer) {
    UncountedTerminatedPods u = status.getUncountedTerminatedPods();
    int s = u.getSucceeded().size(), f = u.getFailed().size();
    u.getSucceeded().removeIf(uid -> !uidsWithFinalizer.contains(uid));
    u.getFailed().removeIf(uid -> !uidsWithFinalizer.contains(uid));
    status.setSucceeded(n(status.getSucceeded()) + s - u.getSucceeded().size());
    status.setFailed(n(status.getFailed()) + f - u.getFailed().size());
    return s != u.getSucceeded().size() || f != u.getFailed().size();
  }

  static Set<String> uidsWithFinalizer(List<Pod> pods, Set<String> pending) {
    Set<String> out = new LinkedHashSet<>();
    for (Pod p : pods) if (tracked(p, pending)) out.add(p.getMetadata().getUid());
    return out;
  }

  /**
   * Indexed: one active pod per index not yet succeeded (nor failed, with backoffLimitPerIndex),
   * lowest first; duplicates and done indexes go. With backoffLimitPerIndex each index backs off on
   * its own failure count instead of the Job's.
   */
  private static Duration manageIndexed(
      Job job, List<Pod> active, Set<Integer> succeededIndexes, Set<Integer> failedIndexes, Map<Integer, Pod> replacing,
      int parallelism, PodFailureBackoff backoff, Instant now, List<Integer> create, List<Pod> delete) {
    int completions = n(job.getSpec().getCompletions());
    Set<Integer> running = new TreeSet<>();
    List<Pod> sorted = new ArrayList<>(active);
    sorted.sort(Comparator.comparing((Pod p) -> p.getMetadata().getCreationTimestamp(), Comparator.nullsLast(Comparator.naturalOrder())));
    for (Pod p : sorted) {
      int ix = completionIndex(p);
      if (ix < 0 || ix >= completions || succeededIndexes.contains(ix) || !running.add(ix)) delete.add(p);
    }
    int activeNow = active.size() - delete.size();
    int want = Math.max(0, Math.min(parallelism, completions - succeededIndexes.size()));
    if (activeNow > want) {
      List<Pod> keep = new ArrayList<>(active);
      keep.removeAll(delete);
      keep.sort(DELETE_FIRST);
      delete.addAll(keep.subList(0, activeNow - want));
      return null;
    }
    if (activeNow < want) {
      if (failedIndexes == null) {
        Duration wait = backoff.remaining(now);
        if (wait.isPositive()) return wait;
      }
      List<Integer> pendingIndexes = new ArrayList<>();
      for (int ix = 0; ix < completions && pendingIndexes.size() < Math.min(MAX_CREATE_DELETE, want - activeNow); ix++) {
        if (!succeededIndexes.contains(ix) && !running.contains(ix) && (failedIndexes == null || !failedIndexes.contains(ix))) {
          pendingIndexes.add(ix);
        }
      }
      if (failedIndexes == null) {
        create.addAll(pendingIndexes);
        return null;
      }
      Duration soonest = null;
      for (int ix : pendingIndexes) {
        Duration wait = IndexFailures.remaining(replacing.get(ix), now);
        if (wait.isPositive()) soonest = min(soonest, wait);
        else create.add(ix);
      }
      return soonest;
    }
    return null;
  }

  /** With restartPolicy OnFailure container restarts of running pods count against backoffLimit. */
  static boolean pastBackoffLimitOnFailure(Job job, List<Pod> pods, int backoffLimit) {
    var tpl = job.getSpec().getTemplate();
    if (tpl == null || tpl.getSpec() == null || !"OnFailure".equals(tpl.getSpec().getRestartPolicy())) return false;
    int restarts = 0;
    for (Pod p : pods) {
      String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
      if (!"Running".equals(phase) && !"Pending".equals(phase)) continue;
      for (var list : List.of(
          p.getStatus().getInitContainerStatuses() == null ? List.<io.fabric8.kubernetes.api.model.ContainerStatus>of() : p.getStatus().getInitContainerStatuses(),
          p.getStatus().getContainerStatuses() == null ? List.<io.fabric8.kubernetes.api.model.ContainerStatus>of() : p.getStatus().getContainerStatuses())) {
        for (var cs : list) restarts += n(cs.getRestartCount());
      }
    }
    return backoffLimit == 0 ? restarts > 0 : restarts >= backoffLimit;
  }

  static boolean pastActiveDeadline(Job job, JobStatus status, Instant now) {
    Long ads = job.getSpec().getActiveDeadlineSeconds();
    if (ads == null || status.getStartTime() == null || Boolean.TRUE.equals(job.getSpec().getSuspend())) return false;
    return !Instant.parse(status.getStartTime()).plusSeconds(ads).isAfter(now);
  }

  public static boolean isIndexed(Job job) {
    return "Indexed".equals(job.getSpec().getCompletionMode());
  }

  static boolean isSucceeded(Pod p) {
    return p.getStatus() != null && "Succeeded".equals(p.getStatus().getPhase());
  }

  /**
   * Failed, or deleted before it could finish (an orphan that never reaches Failed) — kube's
   * isPodFailed; with podReplacementPolicy Failed or a podFailurePolicy only the Failed phase counts.
   */
  static boolean isFailed(Pod p, Job job) {
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    if ("Failed".equals(phase)) return true;
    if ("Failed".equals(job.getSpec().getPodReplacementPolicy()) || job.getSpec().getPodFailurePolicy() != null) return false;
    return p.getMetadata().getDeletionTimestamp() != null && !"Succeeded".equals(phase);
  }

  public static boolean hasTrackingFinalizer(Pod p) {
    var f = p.getMetadata().getFinalizers();
    return f != null && f.contains(TRACKING_FINALIZER);
  }

  /** Holds the finalizer and its removal is not already on the way (then an earlier pass counted it). */
  private static boolean tracked(Pod p, Set<String> pending) {
    return hasTrackingFinalizer(p) && !pending.contains(p.getMetadata().getUid());
  }

  public static int completionIndex(Pod p) {
    Map<String, String> a = p.getMetadata().getAnnotations();
    String v = a == null ? null : a.get(COMPLETION_INDEX);
    if (v == null) return -1;
    try {
      int ix = Integer.parseInt(v);
      return ix < 0 ? -1 : ix;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * An Indexed Job's successPolicy: the first rule met ("Matched rules at index i"), else null. A
   * rule names indexes (all must have succeeded, or succeededCount of them) and/or a count.
   */
  static String matchSuccessPolicy(Job job, Set<Integer> succeededIndexes) {
    var policy = job.getSpec().getSuccessPolicy();
    if (policy == null || policy.getRules() == null) return null;
    for (int i = 0; i < policy.getRules().size(); i++) {
      var rule = policy.getRules().get(i);
      Integer count = rule.getSucceededCount();
      boolean met;
      if (rule.getSucceededIndexes() != null) {
        var wanted = CompletedIndexes.parse(rule.getSucceededIndexes());
        long have = wanted.stream().filter(succeededIndexes::contains).count();
        met = count == null ? have == wanted.size() : have >= count;
      } else {
        met = count != null && succeededIndexes.size() >= count;
      }
      if (met) return "Matched rules at index " + i;
    }
    return null;
  }

  /** The FailJob message of the first failed pod a podFailurePolicy rule fails the Job for. */
  private static String failJobMessage(Job job, List<Pod> pods) {
    if (job.getSpec().getPodFailurePolicy() == null) return null;
    for (Pod p : pods) {
      if (!isFailed(p, job)) continue;
      String m = PodFailurePolicies.match(job.getSpec().getPodFailurePolicy(), p).failJobMessage();
      if (m != null) return m;
    }
    return null;
  }

  private static JobCondition trueCondition(JobStatus status, String type) {
    JobCondition c = JobConditions.find(status.getConditions(), type);
    return c != null && "True".equals(c.getStatus()) ? c : null;
  }

  private static JobCondition failureTarget(String reason, String message, Instant now) {
    return JobConditions.condition(JobConditions.FAILURE_TARGET, "True", reason, message, now);
  }

  /** Cheapest to lose first: not ready before ready, unscheduled before scheduled, newer before older. */
  static final Comparator<Pod> DELETE_FIRST =
      Comparator.comparing((Pod p) -> PodConditions.isReady(p))
          .thenComparing(p -> p.getSpec() != null && p.getSpec().getNodeName() != null)
          .thenComparing(
              (Pod p) -> p.getMetadata().getCreationTimestamp() == null ? "" : p.getMetadata().getCreationTimestamp(),
              Comparator.reverseOrder());

  static String ts(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static Duration min(Duration a, Duration b) {
    if (b == null) return a;
    if (b.isNegative()) b = Duration.ZERO;
    return a == null || b.compareTo(a) < 0 ? b : a;
  }

  static int n(Integer i) {
    return i == null ? 0 : i;
  }
}
