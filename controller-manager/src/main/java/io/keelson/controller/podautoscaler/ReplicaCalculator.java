package io.keelson.controller.podautoscaler;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How many replicas a resource metric asks for, as kube's replica calculator decides it: the
 * usage of the ready pods against their requests (Utilization) or against a per-pod value
 * (AverageValue), no change within the tolerance, and conservative guesses for the pods it cannot
 * measure — unready pods count as idle when scaling up; pods without a sample count as idle when
 * scaling up and as fully busy (at least their target) when scaling down — and no change at all
 * when those guesses flip the direction. Pure: the caller gathers pods and samples.
 */
public final class ReplicaCalculator {

  /** kube's --horizontal-pod-autoscaler-tolerance. */
  public static final double DEFAULT_TOLERANCE = 0.1;
  /** kube's --horizontal-pod-autoscaler-cpu-initialization-period. */
  public static final Duration CPU_INITIALIZATION_PERIOD = Duration.ofMinutes(5);
  /** kube's --horizontal-pod-autoscaler-initial-readiness-delay. */
  public static final Duration INITIAL_READINESS_DELAY = Duration.ofSeconds(30);

  /**
   * One pod of the target as the calculation needs it.
   *
   * @param request the sum of its containers' requests of the resource (milli-units), or null when
   *     a container has none (then Utilization cannot be computed)
   * @param missingRequest the container without a request, for the error message
   * @param ready the Ready condition's status (null when the pod has no Ready condition)
   * @param readySince the Ready condition's lastTransitionTime
   * @param usage the pod's sample (milli-units), or null when the metrics API has none
   */
  public record PodSample(
      String name,
      String phase,
      boolean deleting,
      Instant startTime,
      Boolean ready,
      Instant readySince,
      Long request,
      String missingRequest,
      Long usage,
      Instant sampleTime,
      Duration sampleWindow) {}

  /** The metric's target: a utilization percentage of the requests, or an average value per pod (milli-units). */
  public record Target(Integer utilization, Long averageValue) {
    public static Target utilization(int percent) {
      return new Target(percent, null);
    }

    public static Target averageValue(long milli) {
      return new Target(null, milli);
    }
  }

  /** The answer: replicas wanted, and what the pods use now (utilization percent, average milli-units). */
  public record Recommendation(int replicas, Integer utilization, long averageUsage) {}

  /** What stops the calculation; the message is the one kube puts in events and conditions. */
  public static final class MetricsException extends Exception {
    public MetricsException(String message) {
      super(message);
    }
  }

  private final double tolerance;
  private final Duration cpuInitializationPeriod;
  private final Duration initialReadinessDelay;

  public ReplicaCalculator(double tolerance, Duration cpuInitializationPeriod, Duration initialReadinessDelay) {
    this.tolerance = tolerance;
    this.cpuInitializationPeriod = cpuInitializationPeriod;
    this.initialReadinessDelay = initialReadinessDelay;
  }

  public ReplicaCalculator() {
    this(DEFAULT_TOLERANCE, CPU_INITIALIZATION_PERIOD, INITIAL_READINESS_DELAY);
  }

  /** kube's GetResourceReplicas / GetRawResourceReplicas. */
  public Recommendation resourceReplicas(int currentReplicas, Target target, String resource, List<PodSample> pods, Instant now)
      throws MetricsException {
    if (pods.isEmpty()) throw new MetricsException("no pods returned by selector while calculating replica count");
    Map<String, Long> usage = new HashMap<>();
    Map<String, Long> requests = new HashMap<>();
    Set<String> unready = new HashSet<>();
    Set<String> missing = new HashSet<>();
    int readyCount = 0;
    boolean anySample = false;
    for (PodSample p : pods) {
      if (p.usage() != null) anySample = true;
      if (p.deleting() || "Failed".equals(p.phase())) continue; // ignored: neither measured nor guessed
      if (p.request() != null) requests.put(p.name(), p.request());
      else if (target.utilization() != null) {
        throw new MetricsException("missing request for " + resource + " in container " + p.missingRequest() + " of Pod " + p.name());
      }
      if ("Pending".equals(p.phase())) { // pending pods never count as measured
        unready.add(p.name());
        continue;
      }
      if (p.usage() == null) {
        missing.add(p.name());
        continue;
      }
      if (resource.equals("cpu") && unreadyForCpu(p, now)) {
        unready.add(p.name());
        continue;
      }
      usage.put(p.name(), p.usage());
      readyCount++;
    }
    if (!anySample) throw new MetricsException("unable to get metrics for resource " + resource + ": no metrics returned from resource metrics API");
    if (usage.isEmpty()) throw new MetricsException("did not receive metrics for targeted pods (pods might be unready)");

    Ratio first = ratio(usage, requests, target);
    boolean scaleUpWithUnready = !unready.isEmpty() && first.ratio > 1.0;
    if (!scaleUpWithUnready && missing.isEmpty()) {
      if (Math.abs(1.0 - first.ratio) <= tolerance) return new Recommendation(currentReplicas, first.utilization, first.average);
      return new Recommendation((int) Math.ceil(first.ratio * readyCount), first.utilization, first.average);
    }
    if (!missing.isEmpty()) {
      for (String name : missing) {
        if (first.ratio < 1.0) usage.put(name, missingUsageOnScaleDown(requests.getOrDefault(name, 0L), target));
        else if (first.ratio > 1.0) usage.put(name, 0L);
      }
    }
    if (scaleUpWithUnready) for (String name : unready) usage.put(name, 0L);
    Ratio second = ratio(usage, requests, target);
    boolean flips = (first.ratio < 1.0 && second.ratio > 1.0) || (first.ratio > 1.0 && second.ratio < 1.0);
    if (Math.abs(1.0 - second.ratio) <= tolerance || flips) return new Recommendation(currentReplicas, first.utilization, first.average);
    int replicas = (int) Math.ceil(second.ratio * usage.size());
    if ((second.ratio < 1.0 && replicas > currentReplicas) || (second.ratio > 1.0 && replicas < currentReplicas)) {
      return new Recommendation(currentReplicas, first.utilization, first.average);
    }
    return new Recommendation(replicas, first.utilization, first.average);
  }

  /**
   * A CPU sample is not trusted while the pod warms up (within the initialization period: only a
   * ready pod whose sample was taken a full window after it became ready), nor afterwards from a
   * pod that is unready and has never been ready (its readiness flipped within the initial delay).
   */
  private boolean unreadyForCpu(PodSample p, Instant now) {
    if (p.ready() == null || p.startTime() == null) return true;
    if (p.startTime().plus(cpuInitializationPeriod).isAfter(now)) {
      if (!p.ready()) return true;
      if (p.readySince() == null || p.sampleTime() == null) return false;
      Duration window = p.sampleWindow() == null ? Duration.ZERO : p.sampleWindow();
      return p.sampleTime().isBefore(p.readySince().plus(window));
    }
    return !p.ready() && p.readySince() != null && p.startTime().plus(initialReadinessDelay).isAfter(p.readySince());
  }

  /** On a scale down a pod without a sample is assumed busy: at its target, and for utilization at least 100%. */
  private static long missingUsageOnScaleDown(long request, Target target) {
    if (target.averageValue() != null) return target.averageValue();
    return request * Math.max(100, target.utilization()) / 100;
  }

  private record Ratio(double ratio, Integer utilization, long average) {}

  /** kube's GetResourceUtilizationRatio / GetMetricUsageRatio over the measured (or guessed) pods. */
  private static Ratio ratio(Map<String, Long> usage, Map<String, Long> requests, Target target) throws MetricsException {
    long total = 0;
    long requested = 0;
    for (Map.Entry<String, Long> e : usage.entrySet()) {
      total += e.getValue();
      Long r = requests.get(e.getKey());
      if (target.utilization() != null && r == null) throw new MetricsException("missing request for pod " + e.getKey());
      if (r != null) requested += r;
    }
    long average = total / usage.size();
    if (target.utilization() == null) return new Ratio((double) average / target.averageValue(), null, average);
    if (requested == 0) throw new MetricsException("no metrics returned matched known pods");
    int utilization = (int) (total * 100 / requested);
    return new Ratio((double) utilization / target.utilization(), utilization, average);
  }
}
