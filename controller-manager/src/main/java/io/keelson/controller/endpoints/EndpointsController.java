package io.keelson.controller.endpoints;

import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a core/v1 Endpoints object, of the Service's name, for every Service with a selector, as
 * kube-controller-manager's endpoints controller does: the IPs of the pods the selector matches,
 * ready ones under {@code addresses} and the others under {@code notReadyAddresses}, with the
 * Service's ports resolved against each pod (see {@link ServiceEndpoints}). Labels are the
 * Service's. Services without a selector keep whatever Endpoints their users write; deleting a
 * Service deletes its Endpoints. It writes only when the computed object differs from the stored
 * one. On start, Endpoints whose Service is gone are deleted (kube's checkLeftoverEndpoints).
 */
public final class EndpointsController implements Reconciler, ManagedController {
  private static final Logger log = LoggerFactory.getLogger(EndpointsController.class);
  public static final String NAME = "endpoint";
  /** Leader-election records kept in Endpoints (old clients) are never cleaned up. */
  static final String LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader";

  private final KubernetesClient client;
  private final KubernetesSerialization json;
  private final SharedIndexInformer<Service> services;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<Endpoints> endpoints;
  private final WriteTracker writes = new WriteTracker();
  private final Controller controller;

  public EndpointsController(Informers informers, MeterRegistry metrics, int workers) {
    this.client = informers.client();
    this.json = client.getKubernetesSerialization();
    this.services = informers.of(Service.class);
    this.pods = informers.of(Pod.class);
    this.endpoints = informers.of(Endpoints.class);
    this.controller = new Controller(NAME, this, workers, metrics);
    services.addEventHandler(Informers.handler(s -> List.of(Informers.key(s)), controller::enqueue));
    pods.addEventHandler(new ServicePods(services, controller::enqueue));
    // someone else changed or deleted the Endpoints of a Service we manage: put it back
    endpoints.addEventHandler(Informers.handler(
        ep -> ServiceEndpoints.managed(services.getIndexer().getByKey(Informers.key(ep))) ? List.of(Informers.key(ep)) : List.of(),
        controller::enqueue));
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public void start() {
    for (Endpoints ep : endpoints.getIndexer().list()) {
      Map<String, String> a = ep.getMetadata().getAnnotations();
      if (a != null && a.containsKey(LEADER_ANNOTATION)) continue;
      if (services.getIndexer().getByKey(Informers.key(ep)) == null) controller.enqueue(Informers.key(ep));
    }
  }

  @Override
  public Result reconcile(String key) {
    String ns = Informers.namespaceOf(key);
    String name = Informers.nameOf(key);
    Service svc = services.getIndexer().getByKey(key);
    Endpoints current = endpoints.getIndexer().getByKey(key);
    if (svc == null) {
      writes.forget(key);
      if (current == null) return Result.noUpdate();
      Map<String, String> a = current.getMetadata().getAnnotations();
      if (a != null && a.containsKey(LEADER_ANNOTATION)) return Result.noUpdate();
      try {
        client.endpoints().inNamespace(ns).withName(name).delete();
        log.debug("service {} is gone: deleted its endpoints", key);
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404) throw e;
      }
      return Result.noUpdate();
    }
    if (!ServiceEndpoints.managed(svc)) return Result.noUpdate();
    if (writes.stale(key, n -> endpoints.getIndexer().getByKey(Informers.key(ns, n)))) {
      return Result.requeueAfter(Duration.ofMillis(200)); // our last write is not in the cache yet
    }

    List<Pod> inNs = pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, ns);
    List<EndpointSubset> subsets = ServiceEndpoints.subsets(svc, inNs);
    boolean truncated = ServiceEndpoints.truncate(subsets);
    Endpoints desired = desired(svc, current, subsets, truncated);
    if (current != null && sameContent(json, current, desired)) return Result.noUpdate();
    try {
      if (current == null) {
        client.endpoints().inNamespace(ns).resource(desired).create();
        writes.created(key, name);
        log.debug("service {}: created endpoints", key);
      } else {
        Endpoints updated = client.endpoints().inNamespace(ns).resource(desired).update();
        writes.updated(key, name, current.getMetadata().getResourceVersion(), updated.getMetadata().getResourceVersion());
        log.debug("service {}: updated endpoints", key);
      }
    } catch (KubernetesClientException e) {
      // the namespace is going away: nothing to keep
      if (current == null && (e.getCode() == 403 || e.getCode() == 404)) return Result.noUpdate();
      throw e;
    }
    return Result.noUpdate();
  }

  /** The Endpoints to store: the current object (if any) with the computed labels and subsets. */
  static Endpoints desired(Service svc, Endpoints current, List<EndpointSubset> subsets, boolean truncated) {
    Endpoints ep = new Endpoints();
    var meta = new io.fabric8.kubernetes.api.model.ObjectMeta();
    if (current != null) {
      meta.setName(current.getMetadata().getName());
      meta.setNamespace(current.getMetadata().getNamespace());
      meta.setResourceVersion(current.getMetadata().getResourceVersion());
      meta.setUid(current.getMetadata().getUid());
      meta.setCreationTimestamp(current.getMetadata().getCreationTimestamp());
      meta.setOwnerReferences(current.getMetadata().getOwnerReferences());
      meta.setFinalizers(current.getMetadata().getFinalizers());
    } else {
      meta.setName(svc.getMetadata().getName());
      meta.setNamespace(svc.getMetadata().getNamespace());
    }
    meta.setLabels(new LinkedHashMap<>(ServiceEndpoints.endpointsLabels(svc)));
    Map<String, String> annotations = new LinkedHashMap<>();
    if (current != null && current.getMetadata().getAnnotations() != null) annotations.putAll(current.getMetadata().getAnnotations());
    if (truncated) annotations.put(ServiceEndpoints.OVER_CAPACITY, "truncated");
    else annotations.remove(ServiceEndpoints.OVER_CAPACITY);
    meta.setAnnotations(annotations);
    ep.setMetadata(meta);
    ep.setSubsets(new ArrayList<>(subsets));
    return ep;
  }

  /** Whether the stored Endpoints already shows these labels, annotations and subsets. */
  static boolean sameContent(KubernetesSerialization json, Endpoints current, Endpoints desired) {
    return Objects.equals(orEmpty(current.getMetadata().getLabels()), orEmpty(desired.getMetadata().getLabels()))
        && Objects.equals(orEmpty(current.getMetadata().getAnnotations()), orEmpty(desired.getMetadata().getAnnotations()))
        && json.asJson(orEmpty(current.getSubsets())).equals(json.asJson(orEmpty(desired.getSubsets())));
  }

  private static <K, V> Map<K, V> orEmpty(Map<K, V> m) {
    return m == null ? Map.of() : m;
  }

  private static <T> List<T> orEmpty(List<T> l) {
    return l == null ? List.of() : l;
  }
}
