package io.keelson.controller.deployment;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import java.util.List;

/**
 * The arithmetic of a rollout, as Kubernetes' deployment util does it: maxSurge rounds up and
 * maxUnavailable rounds down (so "25%" of 3 is surge 1, unavailable 0), both zero means one
 * unavailable, and when a Deployment is resized mid-rollout the change is spread over its
 * ReplicaSets in proportion to their size. Pure functions, table-tested.
 */
public final class RolloutMath {
  static final String DEFAULT_PERCENT = "25%";

  private RolloutMath() {}

  /** An int-or-percent against {@code total}, rounding percentages up or down. */
  public static int scaledValue(IntOrString v, int total, boolean roundUp) {
    if (v == null) v = new IntOrString(DEFAULT_PERCENT);
    if (v.getIntVal() != null) return v.getIntVal();
    String s = v.getStrVal().trim();
    if (!s.endsWith("%")) {
      try {
        return Integer.parseInt(s); // a number sent as a string
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("invalid value for IntOrString: " + s);
      }
    }
    int percent = Integer.parseInt(s.substring(0, s.length() - 1));
    long scaled = (long) percent * total;
    return (int) (roundUp ? Math.ceilDiv(scaled, 100L) : Math.floorDiv(scaled, 100L));
  }

  /** [maxSurge, maxUnavailable] for {@code desired} replicas; never both zero. */
  public static int[] resolveFenceposts(IntOrString maxSurge, IntOrString maxUnavailable, int desired) {
    int surge = scaledValue(maxSurge, desired, true);
    int unavailable = scaledValue(maxUnavailable, desired, false);
    if (surge == 0 && unavailable == 0) unavailable = 1;
    return new int[] {surge, unavailable};
  }

  static boolean isRollingUpdate(Deployment d) {
    return d.getSpec().getStrategy() == null
        || d.getSpec().getStrategy().getType() == null
        || "RollingUpdate".equals(d.getSpec().getStrategy().getType());
  }

  static int replicas(Deployment d) {
    return d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
  }

  static IntOrString surgeOf(Deployment d) {
    var s = d.getSpec().getStrategy();
    return s == null || s.getRollingUpdate() == null ? null : s.getRollingUpdate().getMaxSurge();
  }

  static IntOrString unavailableOf(Deployment d) {
    var s = d.getSpec().getStrategy();
    return s == null || s.getRollingUpdate() == null ? null : s.getRollingUpdate().getMaxUnavailable();
  }

  public static int maxSurge(Deployment d) {
    if (!isRollingUpdate(d)) return 0;
    return resolveFenceposts(surgeOf(d), unavailableOf(d), replicas(d))[0];
  }

  public static int maxUnavailable(Deployment d) {
    if (!isRollingUpdate(d) || replicas(d) == 0) return 0;
    int u = resolveFenceposts(surgeOf(d), unavailableOf(d), replicas(d))[1];
    return Math.min(u, replicas(d));
  }

  static int specReplicas(ReplicaSet rs) {
    return rs == null || rs.getSpec().getReplicas() == null ? 0 : rs.getSpec().getReplicas();
  }

  static int statusReplicas(ReplicaSet rs) {
    return rs == null || rs.getStatus() == null || rs.getStatus().getReplicas() == null ? 0 : rs.getStatus().getReplicas();
  }

  static int availableReplicas(ReplicaSet rs) {
    return rs == null || rs.getStatus() == null || rs.getStatus().getAvailableReplicas() == null
        ? 0
        : rs.getStatus().getAvailableReplicas();
  }

  static int readyReplicas(ReplicaSet rs) {
    return rs == null || rs.getStatus() == null || rs.getStatus().getReadyReplicas() == null
        ? 0
        : rs.getStatus().getReadyReplicas();
  }

  static int sumSpec(List<ReplicaSet> rss) {
    return rss.stream().mapToInt(RolloutMath::specReplicas).sum();
  }

  /**
   * How many replicas the new ReplicaSet should have now: for RollingUpdate, grow it as far as
   * maxSurge allows over the total of all ReplicaSets; for Recreate, straight to the desired count.
   */
  public static int newRSNewReplicas(Deployment d, List<ReplicaSet> all, ReplicaSet newRS) {
    if (!isRollingUpdate(d)) return replicas(d);
    int current = sumSpec(all);
    int maxTotal = replicas(d) + maxSurge(d);
    if (current >= maxTotal) return specReplicas(newRS);
    int scaleUp = Math.min(maxTotal - current, replicas(d) - specReplicas(newRS));
    return specReplicas(newRS) + scaleUp;
  }

  /**
   * This ReplicaSet's share of a resize: its size scaled by (new total / the total recorded in
   * its max-replicas annotation), limited to what is still left to add or remove.
   */
  public static int proportion(ReplicaSet rs, Deployment d, int toAdd, int added) {
    if (rs == null || specReplicas(rs) == 0 || toAdd == 0 || toAdd == added) return 0;
    int fraction = fraction(rs, d);
    int allowed = toAdd - added;
    return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
  }

  static int fraction(ReplicaSet rs, Deployment d) {
    if (replicas(d) == 0) return -specReplicas(rs);
    int deploymentReplicas = replicas(d) + maxSurge(d);
    Integer annotated = Revisions.intAnnotation(rs, Revisions.MAX_REPLICAS);
    int base = annotated != null ? annotated : (d.getStatus() == null || d.getStatus().getReplicas() == null ? 0 : d.getStatus().getReplicas());
    if (base == 0) return 0;
    double size = (double) specReplicas(rs) * deploymentReplicas / base;
    return (int) Math.round(size) - specReplicas(rs);
  }
}
