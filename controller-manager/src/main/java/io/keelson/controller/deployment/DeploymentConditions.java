package io.keelson.controller.deployment;

import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Deployment status conditions and their reasons, as kubectl and users know them. */
public final class DeploymentConditions {
  public static final String AVAILABLE = "Available";
  public static final String PROGRESSING = "Progressing";
  public static final String REPLICA_FAILURE = "ReplicaFailure";

  public static final String MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable";
  public static final String MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable";
  public static final String NEW_RS_CREATED = "NewReplicaSetCreated";
  public static final String FOUND_NEW_RS = "FoundNewReplicaSet";
  public static final String RS_UPDATED = "ReplicaSetUpdated";
  public static final String NEW_RS_AVAILABLE = "NewReplicaSetAvailable";
  public static final String TIMED_OUT = "ProgressDeadlineExceeded";
  public static final String FAILED_RS_CREATE = "ReplicaSetCreateError";
  public static final String PAUSED = "DeploymentPaused";
  public static final String RESUMED = "DeploymentResumed";

  private DeploymentConditions() {}

  static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }

  static DeploymentCondition condition(String type, String status, String reason, String message) {
    String t = now();
    return new DeploymentConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(message)
        .withLastUpdateTime(t)
        .withLastTransitionTime(t)
        .build();
  }

  static DeploymentCondition get(DeploymentStatus s, String type) {
    if (s == null || s.getConditions() == null) return null;
    for (DeploymentCondition c : s.getConditions()) if (type.equals(c.getType())) return c;
    return null;
  }

  /**
   * Sets a condition; an identical status+reason is left alone (keeping its times), and a change
   * of reason with the same status keeps lastTransitionTime.
   */
  static void set(DeploymentStatus s, DeploymentCondition c) {
    DeploymentCondition current = get(s, c.getType());
    if (current != null
        && current.getStatus().equals(c.getStatus())
        && java.util.Objects.equals(current.getReason(), c.getReason())) {
      return;
    }
    if (current != null && current.getStatus().equals(c.getStatus())) {
      c.setLastTransitionTime(current.getLastTransitionTime());
    }
    remove(s, c.getType());
    s.getConditions().add(c);
  }

  static void remove(DeploymentStatus s, String type) {
    List<DeploymentCondition> out = new ArrayList<>();
    if (s.getConditions() != null) {
      for (DeploymentCondition c : s.getConditions()) if (!type.equals(c.getType())) out.add(c);
    }
    s.setConditions(out);
  }
}
