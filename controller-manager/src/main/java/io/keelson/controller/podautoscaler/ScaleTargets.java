package io.keelson.controller.podautoscaler;

import io.fabric8.kubernetes.api.model.autoscaling.v1.Scale;
import io.fabric8.kubernetes.api.model.autoscaling.v1.ScaleBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ScalableResource;
import java.util.List;

/**
 * The calls the autoscaler makes: the scale subresource of its targets, pod samples from
 * metrics.k8s.io, and its own status. An interface so that tests can stand in for the api-server
 * (the in-memory fake serves neither scale nor metrics).
 */
public interface ScaleTargets {

  Scale get(String namespace, String apiVersion, String kind, String name);

  /** Writes spec.replicas through the scale subresource (guarded by the read scale's resourceVersion). */
  void setReplicas(String namespace, String apiVersion, String kind, String name, Scale read, int replicas);

  /** The pods' samples from metrics.k8s.io/v1beta1 in {@code namespace}. */
  List<PodUsage> podMetrics(String namespace);

  /**
   * One pod's sample: per resource, the sum over its containers (milli-units), when it was taken and
   * over how long. Read from the JSON as served: fabric8's Duration misreads Go's "11.974s".
   */
  record PodUsage(String name, java.util.Map<String, Long> usage, java.time.Instant timestamp, java.time.Duration window) {}

  void updateStatus(HorizontalPodAutoscaler hpa);

  /** Through the api-server: apps/v1 Deployments and ReplicaSets, the kinds Keelson serves with /scale. */
  final class Api implements ScaleTargets {
    private final KubernetesClient client;

    public Api(KubernetesClient client) {
      this.client = client;
    }

    private ScalableResource<?> target(String namespace, String apiVersion, String kind, String name) {
      String group = apiVersion == null || !apiVersion.contains("/") ? "" : apiVersion.substring(0, apiVersion.indexOf('/'));
      if (group.equals("apps") && kind.equals("Deployment")) return client.apps().deployments().inNamespace(namespace).withName(name);
      if (group.equals("apps") && kind.equals("ReplicaSet")) return client.apps().replicaSets().inNamespace(namespace).withName(name);
      throw new KubernetesClientException("no matches for kind \"" + kind + "\" in group \"" + group + "\"");
    }

    @Override
    public Scale get(String namespace, String apiVersion, String kind, String name) {
      Scale s = target(namespace, apiVersion, kind, name).scale();
      if (s == null) {
        throw new KubernetesClientException(kind.toLowerCase(java.util.Locale.ROOT) + "s.apps \"" + name + "\" not found");
      }
      return s;
    }

    @Override
    public void setReplicas(String namespace, String apiVersion, String kind, String name, Scale read, int replicas) {
      Scale next = new ScaleBuilder(read).editOrNewSpec().withReplicas(replicas).endSpec().build();
      target(namespace, apiVersion, kind, name).scale(next);
    }

    @Override
    public List<PodUsage> podMetrics(String namespace) {
      var list = client.genericKubernetesResources("metrics.k8s.io/v1beta1", "PodMetrics").inNamespace(namespace).list();
      List<PodUsage> out = new java.util.ArrayList<>();
      for (var item : list.getItems()) {
        java.util.Map<String, Object> props = item.getAdditionalProperties();
        java.util.Map<String, Long> usage = new java.util.HashMap<>();
        if (props.get("containers") instanceof List<?> containers) {
          for (Object c : containers) {
            if (!(c instanceof java.util.Map<?, ?> cm) || !(cm.get("usage") instanceof java.util.Map<?, ?> u)) continue;
            for (var e : u.entrySet()) {
              usage.merge(String.valueOf(e.getKey()), HorizontalController.milli(new io.fabric8.kubernetes.api.model.Quantity(String.valueOf(e.getValue()))), Long::sum);
            }
          }
        }
        out.add(new PodUsage(item.getMetadata().getName(), usage, parseTime(props.get("timestamp")), goDuration(props.get("window"))));
      }
      return out;
    }

    private static java.time.Instant parseTime(Object s) {
      try {
        return s == null ? null : java.time.Instant.parse(String.valueOf(s));
      } catch (RuntimeException e) {
        return null;
      }
    }

    /** A Go duration as metrics.k8s.io writes it ("11.974s", "1m0s", "500ms"); null when unreadable. */
    static java.time.Duration goDuration(Object s) {
      try {
        return s == null ? null : io.keelson.controller.runtime.GoDurations.parse(String.valueOf(s));
      } catch (IllegalArgumentException e) {
        return null;
      }
    }

    @Override
    public void updateStatus(HorizontalPodAutoscaler hpa) {
      client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(hpa.getMetadata().getNamespace()).resource(hpa).updateStatus();
    }
  }
}
