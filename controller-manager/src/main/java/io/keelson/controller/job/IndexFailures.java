package io.keelson.controller.job;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * An Indexed Job's {@code spec.backoffLimitPerIndex} (kube's indexed_job_utils): each index counts
 * its own failures in an annotation each replacement pod carries one higher than the pod it
 * replaces; an index whose counted failures reach the limit (or whose pod matched a FailIndex
 * rule) is failed for good and listed in {@code status.failedIndexes}.
 */
final class IndexFailures {
  static final String FAILURE_COUNT = "batch.kubernetes.io/job-index-failure-count";
  static final String IGNORED_FAILURE_COUNT = "batch.kubernetes.io/job-index-ignored-failure-count";

  private IndexFailures() {}

  static boolean enabled(Job job) {
    return JobSync.isIndexed(job) && job.getSpec().getBackoffLimitPerIndex() != null;
  }

  /** {@code status.failedIndexes} plus the indexes whose not yet counted pods fail them now. */
  static SortedSet<Integer> failedIndexes(Job job, Iterable<Pod> pods) {
    int completions = JobSync.n(job.getSpec().getCompletions());
    SortedSet<Integer> out = new TreeSet<>();
    for (int ix : CompletedIndexes.parse(job.getStatus() == null ? null : job.getStatus().getFailedIndexes())) {
      if (ix < completions) out.add(ix);
    }
    for (Pod p : pods) {
      int ix = JobSync.completionIndex(p);
      if (ix >= 0 && ix < completions && JobSync.hasTrackingFinalizer(p) && failsIndex(job, p)) out.add(ix);
    }
    return out;
  }

  /** A failed pod fails its index: a FailIndex rule matched, or a counted failure with the limit used up. */
  static boolean failsIndex(Job job, Pod p) {
    if (!JobSync.isFailed(p, job)) return false;
    PodFailurePolicies.Verdict v = PodFailurePolicies.match(job.getSpec().getPodFailurePolicy(), p);
    if (v.failIndex()) return true;
    return v.counts() && failureCount(p) >= job.getSpec().getBackoffLimitPerIndex();
  }

  /**
   * Per index still to be retried, the failed pod the replacement takes its counts from (the one
   * with the most failures, finished last). Such a pod keeps its tracking finalizer until the
   * replacement runs, so the count survives a controller restart.
   */
  static Map<Integer, Pod> awaitingReplacement(
      Job job, Iterable<Pod> pods, Set<String> pending, Set<Integer> succeeded, Set<Integer> failed, Set<Integer> active, Instant now) {
    int completions = JobSync.n(job.getSpec().getCompletions());
    Map<Integer, Pod> out = new HashMap<>();
    for (Pod p : pods) {
      if (!JobSync.hasTrackingFinalizer(p) || pending.contains(p.getMetadata().getUid()) || !JobSync.isFailed(p, job)) continue;
      int ix = JobSync.completionIndex(p);
      if (ix < 0 || ix >= completions || succeeded.contains(ix) || failed.contains(ix) || active.contains(ix)) continue;
      Pod last = out.get(ix);
      if (last == null || (absoluteFailureCount(last) <= absoluteFailureCount(p)
          && !PodFailureBackoff.finishedAt(p, now).isBefore(PodFailureBackoff.finishedAt(last, now)))) {
        out.put(ix, p);
      }
    }
    return out;
  }

  /** How long before the index of {@code replaced} may get a new pod: the backoff of its failure count. */
  static Duration remaining(Pod replaced, Instant now) {
    if (replaced == null) return Duration.ZERO;
    Duration left = PodFailureBackoff.delay(absoluteFailureCount(replaced) + 1)
        .minus(Duration.between(PodFailureBackoff.finishedAt(replaced, now), now));
    return left.isNegative() ? Duration.ZERO : left;
  }

  /** The counts a replacement of {@code replaced} (null for an index's first pod) starts with. */
  static Map<String, String> annotationsFor(Job job, Pod replaced) {
    int counted = 0, ignored = 0;
    if (replaced != null) {
      counted = failureCount(replaced);
      ignored = ignoredFailureCount(replaced);
      if (PodFailurePolicies.match(job.getSpec().getPodFailurePolicy(), replaced).counts()) counted++;
      else ignored++;
    }
    Map<String, String> out = new HashMap<>();
    out.put(FAILURE_COUNT, Integer.toString(counted));
    if (ignored > 0) out.put(IGNORED_FAILURE_COUNT, Integer.toString(ignored));
    return out;
  }

  static int failureCount(Pod p) {
    return count(p, FAILURE_COUNT);
  }

  static int ignoredFailureCount(Pod p) {
    return count(p, IGNORED_FAILURE_COUNT);
  }

  private static int absoluteFailureCount(Pod p) {
    return failureCount(p) + ignoredFailureCount(p);
  }

  /** kube reads a missing, unreadable or negative count as 0 (a user may have edited it). */
  private static int count(Pod p, String annotation) {
    Map<String, String> a = p.getMetadata().getAnnotations();
    String v = a == null ? null : a.get(annotation);
    if (v == null) return 0;
    try {
      return Math.max(0, Integer.parseInt(v));
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
