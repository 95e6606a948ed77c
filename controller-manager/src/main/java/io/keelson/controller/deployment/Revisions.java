package io.keelson.controller.deployment;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The deployment.kubernetes.io annotations that carry rollout history on ReplicaSets, which is
 * what {@code kubectl rollout history} lists and {@code rollout undo} picks from.
 */
public final class Revisions {
  public static final String REVISION = "deployment.kubernetes.io/revision";
  public static final String REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
  public static final String DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
  public static final String MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
  static final String ROLLBACK_TO = "deprecated.deployment.rollback.to";
  static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
  /** Deployment annotations that are not copied onto its ReplicaSets. */
  static final Set<String> NOT_COPIED =
      Set.of(LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO);

  private Revisions() {}

  public static long revision(HasMetadata obj) {
    Map<String, String> a = obj.getMetadata().getAnnotations();
    if (a == null || a.get(REVISION) == null) return 0;
    try {
      return Long.parseLong(a.get(REVISION));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  public static long maxRevision(List<ReplicaSet> rss) {
    long max = 0;
    for (ReplicaSet rs : rss) max = Math.max(max, revision(rs));
    return max;
  }

  static Integer intAnnotation(HasMetadata obj, String key) {
    Map<String, String> a = obj.getMetadata().getAnnotations();
    if (a == null || a.get(key) == null) return null;
    try {
      return Integer.parseInt(a.get(key));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  static Map<String, String> annotations(HasMetadata obj) {
    if (obj.getMetadata().getAnnotations() == null) obj.getMetadata().setAnnotations(new HashMap<>());
    return obj.getMetadata().getAnnotations();
  }

  /**
   * Brings the new ReplicaSet's annotations up to date: copies the Deployment's own annotations,
   * raises its revision to {@code newRevision} (remembering the old one in revision-history, as
   * happens when an undo makes an old ReplicaSet new again) and, for a ReplicaSet being created,
   * records desired/max replicas. Returns whether anything changed.
   */
  static boolean setNewReplicaSetAnnotations(Deployment d, ReplicaSet rs, long newRevision, boolean exists) {
    boolean changed = copyDeploymentAnnotations(d, rs);
    Map<String, String> a = annotations(rs);
    String oldRevision = a.get(REVISION);
    long old = 0;
    if (oldRevision != null && !oldRevision.isEmpty()) {
      try {
        old = Long.parseLong(oldRevision);
      } catch (NumberFormatException e) {
        return false;
      }
    }
    if (old < newRevision) {
      a.put(REVISION, Long.toString(newRevision));
      changed = true;
      if (oldRevision != null && !oldRevision.isEmpty()) {
        String history = a.get(REVISION_HISTORY);
        a.put(REVISION_HISTORY, history == null || history.isEmpty() ? oldRevision : history + "," + oldRevision);
      }
    }
    if (!exists) {
      changed |= setReplicasAnnotations(rs, RolloutMath.replicas(d), RolloutMath.replicas(d) + RolloutMath.maxSurge(d));
    }
    return changed;
  }

  static boolean copyDeploymentAnnotations(Deployment d, ReplicaSet rs) {
    Map<String, String> from = d.getMetadata().getAnnotations();
    if (from == null) return false;
    boolean changed = false;
    Map<String, String> to = annotations(rs);
    for (var e : from.entrySet()) {
      if (NOT_COPIED.contains(e.getKey())) continue;
      if (!e.getValue().equals(to.get(e.getKey()))) {
        to.put(e.getKey(), e.getValue());
        changed = true;
      }
    }
    return changed;
  }

  static boolean setReplicasAnnotations(ReplicaSet rs, int desired, int max) {
    Map<String, String> a = annotations(rs);
    boolean changed = false;
    if (!Integer.toString(desired).equals(a.get(DESIRED_REPLICAS))) {
      a.put(DESIRED_REPLICAS, Integer.toString(desired));
      changed = true;
    }
    if (!Integer.toString(max).equals(a.get(MAX_REPLICAS))) {
      a.put(MAX_REPLICAS, Integer.toString(max));
      changed = true;
    }
    return changed;
  }

  static boolean replicasAnnotationsNeedUpdate(ReplicaSet rs, int desired, int max) {
    Map<String, String> a = rs.getMetadata().getAnnotations();
    if (a == null) return true;
    return !Integer.toString(desired).equals(a.get(DESIRED_REPLICAS))
        || !Integer.toString(max).equals(a.get(MAX_REPLICAS));
  }

  /** Old ReplicaSets sorted by revision, oldest first (the order revisionHistoryLimit deletes in). */
  static List<ReplicaSet> byRevision(List<ReplicaSet> rss) {
    List<ReplicaSet> out = new ArrayList<>(rss);
    out.sort(
        (x, y) -> {
          int c = Long.compare(revision(x), revision(y));
          return c != 0 ? c : ReplicaSets.byCreation().compare(x, y);
        });
    return out;
  }
}
