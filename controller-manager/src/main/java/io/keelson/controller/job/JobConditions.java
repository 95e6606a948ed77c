package io.keelson.controller.job;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/**
 * A Job's status conditions as kube 1.32 writes them: the interim SuccessCriteriaMet and
 * FailureTarget first, the terminal Complete and Failed once every pod is accounted for, and
 * Suspended while {@code spec.suspend} holds.
 */
public final class JobConditions {
  public static final String COMPLETE = "Complete";
  public static final String FAILED = "Failed";
  public static final String SUCCESS_CRITERIA_MET = "SuccessCriteriaMet";
  public static final String FAILURE_TARGET = "FailureTarget";
  public static final String SUSPENDED = "Suspended";

  public static final String REASON_BACKOFF_LIMIT = "BackoffLimitExceeded";
  public static final String MESSAGE_BACKOFF_LIMIT = "Job has reached the specified backoff limit";
  public static final String REASON_DEADLINE = "DeadlineExceeded";
  public static final String MESSAGE_DEADLINE = "Job was active longer than specified deadline";
  public static final String REASON_POD_FAILURE_POLICY = "PodFailurePolicy";
  public static final String REASON_MAX_FAILED_INDEXES = "MaxFailedIndexesExceeded";
  public static final String MESSAGE_MAX_FAILED_INDEXES = "Job has exceeded the specified maximal number of failed indexes";
  public static final String REASON_FAILED_INDEXES = "FailedIndexes";
  public static final String MESSAGE_FAILED_INDEXES = "Job has failed indexes";
  public static final String REASON_SUCCESS_POLICY = "SuccessPolicy";
  public static final String REASON_COMPLETIONS = "CompletionsReached";
  public static final String MESSAGE_COMPLETIONS = "Reached expected number of succeeded pods";

  private JobConditions() {}

  public static JobCondition find(List<JobCondition> conditions, String type) {
    if (conditions == null) return null;
    for (JobCondition c : conditions) if (type.equals(c.getType())) return c;
    return null;
  }

  public static boolean isTrue(List<JobCondition> conditions, String type) {
    JobCondition c = find(conditions, type);
    return c != null && "True".equals(c.getStatus());
  }

  /** Finished for good: Complete or Failed is True (what {@code kubectl wait} and the CronJob read). */
  public static boolean isFinished(Job job) {
    var c = job.getStatus() == null ? null : job.getStatus().getConditions();
    return isTrue(c, COMPLETE) || isTrue(c, FAILED);
  }

  /** "Complete" or "Failed" for a finished Job, else null. */
  public static String finishedType(Job job) {
    var c = job.getStatus() == null ? null : job.getStatus().getConditions();
    if (isTrue(c, COMPLETE)) return COMPLETE;
    if (isTrue(c, FAILED)) return FAILED;
    return null;
  }

  /** When a finished Job finished (its terminal condition's transition), else null. */
  public static Instant finishedAt(Job job) {
    var conditions = job.getStatus() == null ? null : job.getStatus().getConditions();
    for (String t : List.of(COMPLETE, FAILED)) {
      JobCondition c = find(conditions, t);
      if (c != null && "True".equals(c.getStatus()) && c.getLastTransitionTime() != null) {
        return Instant.parse(c.getLastTransitionTime());
      }
    }
    return null;
  }

  public static JobCondition condition(String type, String status, String reason, String message, Instant now) {
    String t = now.truncatedTo(ChronoUnit.SECONDS).toString();
    return new JobConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(message)
        .withLastProbeTime(t)
        .withLastTransitionTime(t)
        .build();
  }

  /**
   * Sets condition {@code type} to {@code status}, reason and message (kube's
   * ensureJobConditionStatus): a missing condition is only added when it is not False, and the
   * transition time moves only when the status does. Returns whether anything changed.
   */
  public static boolean ensure(
      List<JobCondition> conditions, String type, String status, String reason, String message, Instant now) {
    JobCondition c = find(conditions, type);
    if (c == null) {
      if ("False".equals(status)) return false;
      conditions.add(condition(type, status, reason, message, now));
      return true;
    }
    if (Objects.equals(c.getStatus(), status)
        && Objects.equals(c.getReason(), reason)
        && Objects.equals(c.getMessage(), message)) {
      return false;
    }
    String t = now.truncatedTo(ChronoUnit.SECONDS).toString();
    if (!Objects.equals(c.getStatus(), status)) c.setLastTransitionTime(t);
    c.setStatus(status);
    c.setReason(reason);
    c.setMessage(message);
    c.setLastProbeTime(t);
    return true;
  }
}
