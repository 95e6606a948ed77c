package io.keelson.controller.podautoscaler;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a metric recommendation into the replica count to set, as kube's horizontal controller
 * normalizes it: stabilization (the highest recommendation of the scale-down window, so a brief
 * dip does not remove pods; with {@code spec.behavior}, also the lowest of the scale-up window),
 * then the rate limits (without behavior: at most double or +4 per sync; with behavior: its
 * policies over the scale events of their periods), then minReplicas/maxReplicas. Holds one HPA's
 * history; the caller keeps one per HPA and passes the clock's time in.
 */
public final class ScalingRules {

  /** One rate-limiting policy: Pods or Percent per period. */
  public record Policy(String type, int value, int periodSeconds) {}

  /** One direction's rules ({@code spec.behavior.scaleUp} or {@code scaleDown}). */
  public record Rules(int stabilizationWindowSeconds, String selectPolicy, List<Policy> policies) {}

  /** The behavior of an HPA; null rules mean "no behavior given" (kube's defaults without policies). */
  public record Behavior(Rules scaleUp, Rules scaleDown) {}

  /** The outcome and the ScalingLimited / AbleToScale wording kube gives it. */
  public record Decision(int replicas, boolean limited, String limitReason, String limitMessage, boolean stabilized) {}

  private record Timed(Instant at, int replicas) {}

  private final List<Timed> recommendations = new ArrayList<>();
  private final List<Timed> scaleUps = new ArrayList<>();
  private final List<Timed> scaleDowns = new ArrayList<>();

  /**
   * The replicas to set now.
   *
   * @param defaultDownscaleWindow kube's --horizontal-pod-autoscaler-downscale-stabilization (used without behavior)
   */
  public synchronized Decision decide(int current, int recommended, int min, int max, Behavior behavior,
      Duration defaultDownscaleWindow, Instant now) {
    int stabilized;
    Decision limits;
    if (behavior == null || behavior.scaleUp() == null || behavior.scaleDown() == null) {
      stabilized = recommended;
      Instant cutoff = now.minus(defaultDownscaleWindow);
      recommendations.removeIf(r -> !r.at().isAfter(cutoff));
      for (Timed r : recommendations) stabilized = Math.max(stabilized, r.replicas());
      recommendations.add(new Timed(now, recommended));
      limits = withoutBehavior(current, stabilized, min, max);
    } else {
      Instant upCutoff = now.minusSeconds(behavior.scaleUp().stabilizationWindowSeconds());
      Instant downCutoff = now.minusSeconds(behavior.scaleDown().stabilizationWindowSeconds());
      int up = recommended;
      int down = recommended;
      for (Timed r : recommendations) {
        if (r.at().isAfter(upCutoff)) up = Math.min(up, r.replicas());
        if (r.at().isAfter(downCutoff)) down = Math.max(down, r.replicas());
      }
      int longest = Math.max(behavior.scaleUp().stabilizationWindowSeconds(), behavior.scaleDown().stabilizationWindowSeconds());
      Instant keep = now.minusSeconds(longest);
      recommendations.removeIf(r -> !r.at().isAfter(keep));
      recommendations.add(new Timed(now, recommended));
      stabilized = current;
      if (stabilized < up) stabilized = up;
      if (stabilized > down) stabilized = down;
      limits = withBehavior(current, stabilized, min, max, behavior, now);
    }
    return new Decision(limits.replicas(), limits.limited(), limits.limitReason(), limits.limitMessage(), stabilized != recommended);
  }

  /** Records a rescale that happened, for the policies' periods. */
  public synchronized void scaled(int from, int to, Instant now) {
    if (to > from) scaleUps.add(new Timed(now, to - from));
    else if (to < from) scaleDowns.add(new Timed(now, from - to));
    Instant keep = now.minus(Duration.ofMinutes(30)); // the longest policy period kube allows
    scaleUps.removeIf(e -> e.at().isBefore(keep));
    scaleDowns.removeIf(e -> e.at().isBefore(keep));
  }

  /** kube's convertDesiredReplicasWithRules: min/max, and at most max(2x, 4) on a scale up. */
  private static Decision withoutBehavior(int current, int desired, int min, int max) {
    int scaleUpLimit = Math.max(2 * current, 4);
    int maxAllowed = max > scaleUpLimit ? scaleUpLimit : max;
    String reason = max > scaleUpLimit ? "ScaleUpLimit" : "TooManyReplicas";
    String message = max > scaleUpLimit ? "the desired replica count is increasing faster than the maximum scale rate"
        : "the desired replica count is more than the maximum replica count";
    int minAllowed = Math.max(min, 1);
    if (desired < minAllowed) return new Decision(minAllowed, true, "TooFewReplicas", "the desired replica count is less than the minimum replica count", false);
    if (desired > maxAllowed) return new Decision(maxAllowed, true, reason, message, false);
    return new Decision(desired, false, "DesiredWithinRange", "the desired count is within the acceptable range", false);
  }

  /** kube's convertDesiredReplicasWithBehaviorRate. */
  private Decision withBehavior(int current, int desired, int min, int max, Behavior b, Instant now) {
    if (desired > current) {
      int limit = Math.max(scaleUpLimit(current, b.scaleUp(), now), current);
      int maxAllowed = Math.min(max, limit);
      if (desired > maxAllowed) {
        return maxAllowed == limit
            ? new Decision(maxAllowed, true, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate", false)
            : new Decision(maxAllowed, true, "TooManyReplicas", "the desired replica count is more than the maximum replica count", false);
      }
    } else if (desired < current) {
      int limit = Math.min(scaleDownLimit(current, b.scaleDown(), now), current);
      int minAllowed = Math.max(min, limit);
      if (desired < minAllowed) {
        return minAllowed == limit
            ? new Decision(minAllowed, true, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate", false)
            : new Decision(minAllowed, true, "TooFewReplicas", "the desired replica count is less than the minimum replica count", false);
      }
    }
    return new Decision(desired, false, "DesiredWithinRange", "the desired count is within the acceptable range", false);
  }

  private int scaleUpLimit(int current, Rules rules, Instant now) {
    if ("Disabled".equals(rules.selectPolicy())) return current;
    boolean pickMax = !"Min".equals(rules.selectPolicy());
    int result = pickMax ? Integer.MIN_VALUE : Integer.MAX_VALUE;
    for (Policy p : rules.policies()) {
      int start = current - changeWithin(scaleUps, p.periodSeconds(), now) + changeWithin(scaleDowns, p.periodSeconds(), now);
      int proposed = p.type().equals("Pods") ? start + p.value() : (int) Math.ceil(start * (1 + p.value() / 100.0));
      result = pickMax ? Math.max(result, proposed) : Math.min(result, proposed);
    }
    return rules.policies().isEmpty() ? current : result;
  }

  private int scaleDownLimit(int current, Rules rules, Instant now) {
    if ("Disabled".equals(rules.selectPolicy())) return current;
    boolean pickMax = !"Min".equals(rules.selectPolicy()); // Max: the policy allowing the biggest change, i.e. the lowest count
    int result = pickMax ? Integer.MAX_VALUE : Integer.MIN_VALUE;
    for (Policy p : rules.policies()) {
      int start = current - changeWithin(scaleUps, p.periodSeconds(), now) + changeWithin(scaleDowns, p.periodSeconds(), now);
      int proposed = p.type().equals("Pods") ? start - p.value() : (int) (start * (1 - p.value() / 100.0));
      result = pickMax ? Math.min(result, proposed) : Math.max(result, proposed);
    }
    return rules.policies().isEmpty() ? current : result;
  }

  private static int changeWithin(List<Timed> events, int periodSeconds, Instant now) {
    Instant cutoff = now.minusSeconds(periodSeconds);
    int sum = 0;
    for (Timed e : events) if (e.at().isAfter(cutoff)) sum += e.replicas();
    return sum;
  }
}
