package io.keelson.controller.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.time.Instant;

/** How controllers read a pod's state: active, ready, available (minReadySeconds). */
public final class PodConditions {
  private PodConditions() {}

  /** Counted by workload controllers: not terminated and not being deleted. */
  public static boolean isActive(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return !"Succeeded".equals(phase)
        && !"Failed".equals(phase)
        && pod.getMetadata().getDeletionTimestamp() == null;
  }

  public static boolean isTerminated(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  public static PodCondition readyCondition(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) return null;
    for (PodCondition c : pod.getStatus().getConditions()) {
      if ("Ready".equals(c.getType())) return c;
    }
    return null;
  }

  public static boolean isReady(Pod pod) {
    PodCondition c = readyCondition(pod);
    return c != null && "True".equals(c.getStatus());
  }

  /** Ready for at least {@code minReadySeconds} at {@code now}. */
  public static boolean isAvailable(Pod pod, int minReadySeconds, Instant now) {
    PodCondition c = readyCondition(pod);
    if (c == null || !"True".equals(c.getStatus())) return false;
    if (minReadySeconds <= 0) return true;
    Instant since = readySince(c);
    return since != null && !since.plusSeconds(minReadySeconds).isAfter(now);
  }

  /** When the pod became Ready (null if unknown). */
  public static Instant readySince(PodCondition c) {
    if (c == null || c.getLastTransitionTime() == null) return null;
    try {
      return Instant.parse(c.getLastTransitionTime());
    } catch (RuntimeException e) {
      return null;
    }
  }

  public static Instant parseTime(String t) {
    if (t == null) return null;
    try {
      return Instant.parse(t);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
