package io.keelson.controller.endpoints;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.keelson.controller.runtime.Informers;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Maps pod events to the Services whose endpoints they change: every Service in the pod's namespace
 * whose selector matches the pod's old or new labels. Updates that change nothing an endpoint shows
 * (IP, readiness, deletion, phase, node, hostname) and no labels queue nothing.
 */
public final class ServicePods implements ResourceEventHandler<Pod> {
  private final SharedIndexInformer<Service> services;
  private final Consumer<String> sink;

  public ServicePods(SharedIndexInformer<Service> services, Consumer<String> sink) {
    this.services = services;
    this.sink = sink;
  }

  /** The keys of the Services in the pod's namespace that select it. */
  public static Set<String> servicesOf(SharedIndexInformer<Service> services, Pod pod) {
    Set<String> out = new LinkedHashSet<>();
    List<Service> inNs = services.getIndexer().byIndex(Cache.NAMESPACE_INDEX, pod.getMetadata().getNamespace());
    for (Service s : inNs) {
      if (ServiceEndpoints.selects(s, pod.getMetadata().getLabels())) out.add(Informers.key(s));
    }
    return out;
  }

  /** Whether an update changes what a pod contributes to endpoints. */
  static boolean endpointsChanged(Pod a, Pod b) {
    if (!Objects.equals(a.getMetadata().getLabels(), b.getMetadata().getLabels())) return true;
    if (!Objects.equals(ServiceEndpoints.podIp(a), ServiceEndpoints.podIp(b))) return true;
    if (ServiceEndpoints.ready(a) != ServiceEndpoints.ready(b)) return true;
    if (ServiceEndpoints.terminating(a) != ServiceEndpoints.terminating(b)) return true;
    if (!Objects.equals(phase(a), phase(b))) return true;
    if (a.getSpec() == null || b.getSpec() == null) return a.getSpec() != b.getSpec();
    return !Objects.equals(a.getSpec().getNodeName(), b.getSpec().getNodeName())
        || !Objects.equals(a.getSpec().getHostname(), b.getSpec().getHostname())
        || !Objects.equals(a.getSpec().getSubdomain(), b.getSpec().getSubdomain());
  }

  private static String phase(Pod p) {
    return p.getStatus() == null ? null : p.getStatus().getPhase();
  }

  @Override
  public void onAdd(Pod pod) {
    servicesOf(services, pod).forEach(sink);
  }

  @Override
  public void onUpdate(Pod oldPod, Pod newPod) {
    if (Objects.equals(oldPod.getMetadata().getResourceVersion(), newPod.getMetadata().getResourceVersion())) return;
    if (!endpointsChanged(oldPod, newPod)) return;
    Set<String> keys = servicesOf(services, newPod);
    keys.addAll(servicesOf(services, oldPod));
    keys.forEach(sink);
  }

  @Override
  public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
    servicesOf(services, pod).forEach(sink);
  }
}
