package io.keelson.controller.job;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.keelson.controller.pod.PodConditions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * How long a Job waits before replacing failed pods (kube's backoffRecord): 10 s after the first
 * failure since the last success, doubling per further failure, at most 10 minutes (kube 1.32's
 * MaxJobPodFailureBackOff; its documentation still says six minutes). Kept in memory per Job, as
 * kube does: a restarted controller-manager starts without delay.
 */
public record PodFailureBackoff(int failuresAfterLastSuccess, Instant lastFailure) {
  public static final Duration BASE = Duration.ofSeconds(10);
  public static final Duration MAX = Duration.ofMinutes(10);
  public static final PodFailureBackoff NONE = new PodFailureBackoff(0, null);

  /** The record after these pods newly finished (a success resets the count of earlier failures). */
  public PodFailureBackoff after(List<Pod> newSucceeded, List<Pod> newFailed, Instant now) {
    if (newSucceeded.isEmpty() && newFailed.isEmpty()) return this;
    Instant lastSuccess = null;
    for (Pod p : newSucceeded) lastSuccess = max(lastSuccess, finishedAt(p, now));
    int failures = lastSuccess == null ? failuresAfterLastSuccess : 0;
    Instant last = lastSuccess == null ? lastFailure : null;
    for (Pod p : newFailed) {
      Instant t = finishedAt(p, now);
      if (lastSuccess != null && !t.isAfter(lastSuccess)) continue;
      failures++;
      last = max(last, t);
    }
    return new PodFailureBackoff(failures, last);
  }

  /** The delay before the next pod may be created (zero when none is due). */
  public Duration remaining(Instant now) {
    if (failuresAfterLastSuccess == 0 || lastFailure == null) return Duration.ZERO;
    Duration backoff = delay(failuresAfterLastSuccess);
    Duration left = backoff.minus(Duration.between(lastFailure, now));
    return left.isNegative() ? Duration.ZERO : left;
  }

  /** 10 s, 20 s, 40 s ... for the 1st, 2nd, 3rd failure, capped at {@link #MAX}. */
  static Duration delay(int failures) {
    if (failures <= 0) return Duration.ZERO;
    if (failures > 16) return MAX;
    Duration d = BASE.multipliedBy(1L << (failures - 1));
    return d.compareTo(MAX) > 0 ? MAX : d;
  }

  /** When a pod finished: its containers' last finishedAt, else its deletion, else now. */
  static Instant finishedAt(Pod p, Instant now) {
    Instant t = null;
    if (p.getStatus() != null && p.getStatus().getContainerStatuses() != null) {
      for (ContainerStatus cs : p.getStatus().getContainerStatuses()) {
        if (cs.getState() != null && cs.getState().getTerminated() != null) {
          t = max(t, PodConditions.parseTime(cs.getState().getTerminated().getFinishedAt()));
        }
      }
    }
    if (t == null) t = PodConditions.parseTime(p.getMetadata().getDeletionTimestamp());
    return t == null ? now : t;
  }

  private static Instant max(Instant a, Instant b) {
    if (a == null) return b;
    if (b == null) return a;
    return a.isAfter(b) ? a : b;
  }
}
