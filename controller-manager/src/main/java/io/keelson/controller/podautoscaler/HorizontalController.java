package io.keelson.controller.podautoscaler;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.autoscaling.v1.Scale;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HPAScalingPolicy;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HPAScalingRules;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerCondition;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerStatus;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricStatus;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.keelson.controller.events.EventRecorder;
import io.keelson.controller.podautoscaler.ReplicaCalculator.MetricsException;
import io.keelson.controller.podautoscaler.ReplicaCalculator.PodSample;
import io.keelson.controller.podautoscaler.ReplicaCalculator.Recommendation;
import io.keelson.controller.podautoscaler.ReplicaCalculator.Target;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.client.selection.LabelSelectors;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.micrometer.core.instrument.MeterRegistry;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * kube's horizontal pod autoscaler: every sync period, per HorizontalPodAutoscaler, reads its
 * target's scale subresource, the target's pods (by the scale's selector) and their samples from
 * metrics.k8s.io, asks the {@link ReplicaCalculator} what each resource metric wants, takes the
 * largest, normalizes it with {@link ScalingRules}, sets the target's scale, and writes the HPA's
 * status (current metrics, replicas, conditions AbleToScale / ScalingActive / ScalingLimited) and
 * kube's events. Pods, Object and External metrics need a custom or external metrics API, which
 * Keelson does not serve: such a metric makes ScalingActive False and is otherwise left out.
 */
public final class HorizontalController implements Reconciler, ManagedController {
  public static final String NAME = "horizontalpodautoscaling";

  /** The controller's flags (kube's --horizontal-pod-autoscaler-*). */
  public record Settings(Duration syncPeriod, Duration downscaleStabilization, double tolerance) {
    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(15), Duration.ofMinutes(5), ReplicaCalculator.DEFAULT_TOLERANCE);
    }
  }

  private final SharedIndexInformer<HorizontalPodAutoscaler> hpas;
  private final SharedIndexInformer<Pod> pods;
  private final EventRecorder events;
  private final Settings settings;
  private final Clock clock;
  private final ScaleTargets targets;
  private final ReplicaCalculator calculator;
  private final Map<String, ScalingRules> history = new ConcurrentHashMap<>();
  private final Controller controller;

  public HorizontalController(Informers informers, EventRecorder events, MeterRegistry metrics, Settings settings) {
    this(informers, events, metrics, settings, Clock.systemUTC(), new ScaleTargets.Api(informers.client()));
  }

  public HorizontalController(Informers informers, EventRecorder events, MeterRegistry metrics, Settings settings, Clock clock,
      ScaleTargets targets) {
    this.hpas = informers.of(HorizontalPodAutoscaler.class);
    this.pods = informers.of(Pod.class);
    this.events = events.forComponent("horizontal-pod-autoscaler");
    this.settings = settings;
    this.clock = clock;
    this.targets = targets;
    this.calculator = new ReplicaCalculator(settings.tolerance(), ReplicaCalculator.CPU_INITIALIZATION_PERIOD,
        ReplicaCalculator.INITIAL_READINESS_DELAY);
    this.controller = new Controller(NAME, this, 1, metrics);
    // New HPAs and spec changes sync at once; otherwise each HPA syncs once per period (kube's resync):
    // its own status writes must not make it scale faster.
    hpas.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(HorizontalPodAutoscaler h) {
        controller.enqueue(Informers.key(h));
      }

      @Override
      public void onUpdate(HorizontalPodAutoscaler old, HorizontalPodAutoscaler h) {
        if (!Objects.equals(old.getMetadata().getGeneration(), h.getMetadata().getGeneration())) controller.enqueue(Informers.key(h));
      }

      @Override
      public void onDelete(HorizontalPodAutoscaler h, boolean unknown) {
        history.remove(Informers.key(h));
      }
    });
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public Result reconcile(String key) throws Exception {
    HorizontalPodAutoscaler hpa = hpas.getIndexer().getByKey(key);
    if (hpa == null) {
      history.remove(key);
      return Result.noUpdate();
    }
    try {
      sync(key, hpa);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) return Result.noUpdate(); // deleted meanwhile
      throw e;
    }
    return Result.requeueAfter(settings.syncPeriod());
  }

  /** kube's reconcileAutoscaler. */
  void sync(String key, HorizontalPodAutoscaler hpa) {
    Instant now = clock.instant();
    HorizontalPodAutoscalerStatus old = hpa.getStatus() == null ? new HorizontalPodAutoscalerStatus() : hpa.getStatus();
    Status st = new Status(old, now);
    var ref = hpa.getSpec().getScaleTargetRef();
    String namespace = hpa.getMetadata().getNamespace();
    String reference = ref.getKind() + "/" + ref.getName();

    Scale scale;
    try {
      scale = targets.get(namespace, ref.getApiVersion(), ref.getKind(), ref.getName());
    } catch (RuntimeException e) {
      String msg = message(e);
      events.warning(hpa, "FailedGetScale", msg);
      st.condition("AbleToScale", "False", "FailedGetScale", "the HPA controller was unable to get the target's current scale: " + msg);
      write(hpa, st, old.getCurrentReplicas() == null ? 0 : old.getCurrentReplicas(), old.getDesiredReplicas(), old.getCurrentMetrics(), false);
      return;
    }
    st.condition("AbleToScale", "True", "SucceededGetScale", "the HPA controller was able to get the target's current scale");
    int current = scale.getSpec() == null || scale.getSpec().getReplicas() == null ? 0 : scale.getSpec().getReplicas();
    int statusReplicas = scale.getStatus() == null || scale.getStatus().getReplicas() == null ? 0 : scale.getStatus().getReplicas();
    int min = hpa.getSpec().getMinReplicas() == null ? 1 : hpa.getSpec().getMinReplicas();
    int max = hpa.getSpec().getMaxReplicas();

    int desired;
    String rescaleReason;
    List<MetricStatus> currentMetrics = old.getCurrentMetrics();
    if (current == 0 && min != 0) {
      // kube: a target scaled to zero by hand is left alone
      desired = 0;
      rescaleReason = "";
      st.condition("ScalingActive", "False", "ScalingDisabled", "scaling is disabled since the replica count of the target is zero");
    } else if (current > max) {
      desired = max;
      rescaleReason = "Current number of replicas above Spec.MaxReplicas";
    } else if (current < min) {
      desired = min;
      rescaleReason = "Current number of replicas below Spec.MinReplicas";
    } else {
      Proposal p = proposal(hpa, scale, current, st, now);
      if (p.replicas() < 0) {
        // no usable recommendation: keep the scale as it is (kube's FailedComputeMetricsReplicas)
        write(hpa, st, statusReplicas, old.getDesiredReplicas() == null ? current : old.getDesiredReplicas(), p.statuses(), false);
        return;
      }
      currentMetrics = p.statuses();
      ScalingRules rules = history.computeIfAbsent(key, k -> new ScalingRules());
      ScalingRules.Decision d = rules.decide(current, p.replicas(), min, max, behavior(hpa), settings.downscaleStabilization(), now);
      if (d.stabilized()) {
        st.condition("AbleToScale", "True", "ScaleDownStabilized",
            "recent recommendations were higher than current one, applying the highest recent recommendation");
      } else {
        st.condition("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size");
      }
      st.condition("ScalingLimited", d.limited() ? "True" : "False", d.limitReason(), d.limitMessage());
      desired = d.replicas();
      rescaleReason = desired > current ? p.reason() + " above target" : "All metrics below target";
    }

    boolean rescaled = false;
    if (desired != current) {
      try {
        targets.setReplicas(namespace, ref.getApiVersion(), ref.getKind(), ref.getName(), scale, desired);
      } catch (RuntimeException e) {
        String msg = message(e);
        events.warning(hpa, "FailedRescale", "New size: " + desired + "; reason: " + rescaleReason + "; error: " + msg);
        st.condition("AbleToScale", "False", "FailedUpdateScale", "the HPA controller was unable to update the target scale: " + msg);
        write(hpa, st, statusReplicas, desired, currentMetrics, false);
        return;
      }
      st.condition("AbleToScale", "True", "SucceededRescale", "the HPA controller was able to update the target scale to " + desired);
      events.normal(hpa, "SuccessfulRescale", "New size: " + desired + "; reason: " + rescaleReason);
      history.computeIfAbsent(key, k -> new ScalingRules()).scaled(current, desired, now);
      rescaled = true;
    }
    write(hpa, st, statusReplicas, desired, currentMetrics, rescaled);
  }

  /** What the metrics ask for: the largest valid recommendation, its reason, and the current values. */
  private record Proposal(int replicas, String reason, List<MetricStatus> statuses) {}

  /**
   * kube's computeReplicasForMetrics; replicas -1 when no metric could be computed, or when one
   * could not and the others would scale down (the missing one might have wanted more).
   */
  private Proposal proposal(HorizontalPodAutoscaler hpa, Scale scale, int current, Status st, Instant now) {
    String selector = scale.getStatus() == null ? null : scale.getStatus().getSelector();
    if (selector == null || selector.isEmpty()) {
      events.warning(hpa, "SelectorRequired", "selector is required");
      st.condition("ScalingActive", "False", "InvalidSelector", "the HPA target's scale is missing a selector");
      return new Proposal(-1, "", List.of());
    }
    LabelSelector podSelector;
    try {
      podSelector = LabelSelectors.parse(selector);
    } catch (IllegalArgumentException e) {
      events.warning(hpa, "InvalidSelector", "couldn't convert selector into a corresponding internal selector object: " + e.getMessage());
      st.condition("ScalingActive", "False", "InvalidSelector", "the HPA target's scale has an invalid selector: " + e.getMessage());
      return new Proposal(-1, "", List.of());
    }
    List<MetricSpec> specs = hpa.getSpec().getMetrics() == null ? List.of() : hpa.getSpec().getMetrics();
    int best = -1;
    String bestReason = "";
    List<MetricStatus> statuses = new ArrayList<>();
    int invalid = 0;
    String firstError = null;
    for (MetricSpec m : specs) {
      String type = m.getType() == null ? "" : m.getType();
      if (!type.equals("Resource") || m.getResource() == null) {
        String what = switch (type) {
          case "Pods" -> "pods metric " + (m.getPods() == null ? "" : m.getPods().getMetric().getName());
          case "Object" -> "object metric " + (m.getObject() == null ? "" : m.getObject().getMetric().getName());
          case "External" -> "external metric " + (m.getExternal() == null ? "" : m.getExternal().getMetric().getName());
          default -> type.isEmpty() ? "metric" : type + " metric";
        };
        String reason = "FailedGet" + (type.isEmpty() ? "" : type) + "Metric";
        String api = type.equals("External") ? "external.metrics.k8s.io" : "custom.metrics.k8s.io";
        String msg = "unable to get " + what + ": the " + api + " API is not served by Keelson";
        events.warning(hpa, reason, msg);
        st.condition("ScalingActive", "False", reason, "the HPA was unable to compute the replica count: " + msg);
        invalid++;
        if (firstError == null) firstError = msg;
        statuses.add(new MetricStatusBuilder().withType(type).build());
        continue;
      }
      String resource = m.getResource().getName();
      var target = m.getResource().getTarget();
      Target t = target.getAverageUtilization() != null ? Target.utilization(target.getAverageUtilization())
          : Target.averageValue(milli(target.getAverageValue()));
      try {
        List<PodSample> samples = samples(hpa.getMetadata().getNamespace(), podSelector, resource);
        Recommendation r = calculator.resourceReplicas(current, t, resource, samples, now);
        var cur = new io.fabric8.kubernetes.api.model.autoscaling.v2.MetricValueStatus();
        cur.setAverageValue(new Quantity(quantity(r.averageUsage())));
        if (r.utilization() != null) cur.setAverageUtilization(r.utilization());
        statuses.add(new MetricStatusBuilder().withType("Resource")
            .withNewResource().withName(resource).withCurrent(cur).endResource().build());
        String reason = resource + " resource" + (t.utilization() != null ? " utilization (percentage of request)" : "");
        if (r.replicas() > best) {
          best = r.replicas();
          bestReason = reason;
        }
      } catch (MetricsException | RuntimeException e) {
        String msg = "failed to get " + resource + (t.utilization() != null ? " utilization: " : " usage: ") + message(e);
        events.warning(hpa, "FailedGetResourceMetric", msg);
        st.condition("ScalingActive", "False", "FailedGetResourceMetric", "the HPA was unable to compute the replica count: " + msg);
        invalid++;
        if (firstError == null) firstError = msg;
        statuses.add(new MetricStatusBuilder().withType("Resource").withNewResource().withName(resource).endResource().build());
      }
    }
    if (best < 0 || (invalid > 0 && best < current)) {
      // the condition stays that of the failed metric
      String msg = "invalid metrics (" + invalid + " invalid out of " + specs.size() + "), first error is: " + firstError;
      events.warning(hpa, "FailedComputeMetricsReplicas", msg);
      return new Proposal(-1, bestReason, statuses);
    }
    st.condition("ScalingActive", "True", "ValidMetricFound",
        "the HPA was able to successfully calculate a replica count from " + bestReason);
    return new Proposal(best, bestReason, statuses);
  }

  /** The target's pods with their requests and samples, for one resource. */
  private List<PodSample> samples(String namespace, LabelSelector selector, String resource) {
    List<Pod> matching = new ArrayList<>();
    // a selector string without requirements selects every pod (labels.Parse)
    for (Pod p : pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace)) {
      if (LabelSelectors.selects(selector, p.getMetadata().getLabels())) matching.add(p);
    }
    Map<String, ScaleTargets.PodUsage> usage = new HashMap<>();
    if (!matching.isEmpty()) {
      for (ScaleTargets.PodUsage u : targets.podMetrics(namespace)) usage.put(u.name(), u);
    }
    List<PodSample> out = new ArrayList<>();
    for (Pod p : matching) {
      Long request = 0L;
      String missing = null;
      for (Container c : p.getSpec().getContainers()) {
        Quantity q = c.getResources() == null || c.getResources().getRequests() == null ? null : c.getResources().getRequests().get(resource);
        if (q == null) {
          request = null;
          missing = c.getName();
          break;
        }
        request += milli(q);
      }
      ScaleTargets.PodUsage u = usage.get(p.getMetadata().getName());
      Long used = u == null ? null : u.usage().get(resource);
      Instant sampleTime = u == null ? null : u.timestamp();
      Duration window = u == null ? null : u.window();
      PodCondition ready = p.getStatus() == null || p.getStatus().getConditions() == null ? null
          : p.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst().orElse(null);
      out.add(new PodSample(p.getMetadata().getName(), p.getStatus() == null ? null : p.getStatus().getPhase(),
          p.getMetadata().getDeletionTimestamp() != null, p.getStatus() == null ? null : parseTime(p.getStatus().getStartTime()),
          ready == null ? null : "True".equals(ready.getStatus()), ready == null ? null : parseTime(ready.getLastTransitionTime()),
          request, missing, used, sampleTime, window));
    }
    return out;
  }

  private static ScalingRules.Behavior behavior(HorizontalPodAutoscaler hpa) {
    var b = hpa.getSpec().getBehavior();
    if (b == null || b.getScaleUp() == null || b.getScaleDown() == null) return null;
    return new ScalingRules.Behavior(rules(b.getScaleUp(), 0), rules(b.getScaleDown(), 300));
  }

  private static ScalingRules.Rules rules(HPAScalingRules r, int defaultWindow) {
    List<ScalingRules.Policy> policies = new ArrayList<>();
    if (r.getPolicies() != null) {
      for (HPAScalingPolicy p : r.getPolicies()) policies.add(new ScalingRules.Policy(p.getType(), p.getValue(), p.getPeriodSeconds()));
    }
    return new ScalingRules.Rules(r.getStabilizationWindowSeconds() == null ? defaultWindow : r.getStabilizationWindowSeconds(),
        r.getSelectPolicy() == null ? "Max" : r.getSelectPolicy(), policies);
  }

  /** The status being built; conditions keep their lastTransitionTime while their status holds. */
  private static final class Status {
    final Map<String, HorizontalPodAutoscalerCondition> conditions = new java.util.LinkedHashMap<>();
    final Map<String, HorizontalPodAutoscalerCondition> before = new HashMap<>();
    final Instant now;

    Status(HorizontalPodAutoscalerStatus old, Instant now) {
      this.now = now;
      if (old.getConditions() != null) for (var c : old.getConditions()) before.put(c.getType(), c);
    }

    void condition(String type, String status, String reason, String message) {
      HorizontalPodAutoscalerCondition prev = before.get(type);
      String since = prev != null && status.equals(prev.getStatus()) && prev.getLastTransitionTime() != null
          ? prev.getLastTransitionTime() : now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
      conditions.put(type, new HorizontalPodAutoscalerCondition(since, message, null, reason, status, type));
    }
  }

  private void write(HorizontalPodAutoscaler hpa, Status st, int currentReplicas, Integer desired, List<MetricStatus> metrics,
      boolean rescaled) {
    HorizontalPodAutoscalerStatus old = hpa.getStatus() == null ? new HorizontalPodAutoscalerStatus() : hpa.getStatus();
    HorizontalPodAutoscalerStatus s = new HorizontalPodAutoscalerStatus();
    s.setObservedGeneration(hpa.getMetadata().getGeneration());
    s.setCurrentReplicas(currentReplicas);
    s.setDesiredReplicas(desired == null ? 0 : desired);
    s.setCurrentMetrics(metrics == null || metrics.isEmpty() ? null : metrics);
    s.setLastScaleTime(rescaled ? st.now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString() : old.getLastScaleTime());
    // kube's order: AbleToScale, ScalingActive, ScalingLimited (those not set this time keep their old value)
    List<HorizontalPodAutoscalerCondition> conds = new ArrayList<>();
    for (String type : List.of("AbleToScale", "ScalingActive", "ScalingLimited")) {
      HorizontalPodAutoscalerCondition c = st.conditions.getOrDefault(type, st.before.get(type));
      if (c != null) conds.add(c);
    }
    s.setConditions(conds);
    if (s.equals(old)) return;
    HorizontalPodAutoscaler copy = new io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder(hpa).withStatus(s).build();
    targets.updateStatus(copy);
  }

  /** A milli-unit value as kube prints it: "12m", or whole units with the largest exact SI suffix ("229376", "2k", "5M"). */
  static String quantity(long milli) {
    if (milli % 1000 != 0) return milli + "m";
    long v = milli / 1000;
    String[] suffixes = {"", "k", "M", "G", "T", "P"};
    int i = 0;
    while (v != 0 && v % 1000 == 0 && i < suffixes.length - 1) {
      v /= 1000;
      i++;
    }
    return v + suffixes[i];
  }

  static long milli(Quantity q) {
    if (q == null) return 0;
    BigDecimal v = Quantity.getAmountInBytes(q).multiply(BigDecimal.valueOf(1000));
    return v.setScale(0, java.math.RoundingMode.CEILING).longValueExact();
  }

  private static Instant parseTime(String s) {
    if (s == null || s.isEmpty()) return null;
    try {
      return Instant.parse(s);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static String message(Exception e) {
    return io.keelson.controller.runtime.ApiErrors.message(e);
  }
}
