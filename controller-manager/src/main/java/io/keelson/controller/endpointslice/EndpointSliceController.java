package io.keelson.controller.endpointslice;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.keelson.controller.endpoints.ServiceEndpoints;
import io.keelson.controller.endpoints.ServicePods;
import io.keelson.controller.endpoints.WriteTracker;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Owners;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mirrors every selector Service's endpoints into discovery.k8s.io/v1 EndpointSlices, as
 * kube-controller-manager's endpointslice controller does: slices named {@code <service>-<random>}
 * (generateName), labelled {@code kubernetes.io/service-name} and
 * {@code endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io}, owned by the
 * Service (so the garbage collector deletes them with it), addressType IPv4, one endpoint per pod
 * with its conditions (ready, serving, terminating), node and pod reference. See {@link SlicePlan}
 * for how endpoints are spread over slices. Slices of other managers and Services without a
 * selector are left alone. Writes only what differs.
 */
public final class EndpointSliceController implements Reconciler, ManagedController {
  private static final Logger log = LoggerFactory.getLogger(EndpointSliceController.class);
  public static final String NAME = "endpointslice";
  /** Index of this controller's slices by their Service's key (namespace/name). */
  static final String BY_SERVICE = "endpointslice-service";

  private final KubernetesClient client;
  private final KubernetesSerialization json;
  private final SharedIndexInformer<Service> services;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<EndpointSlice> slices;
  private final WriteTracker writes = new WriteTracker();
  private final Controller controller;

  public EndpointSliceController(Informers informers, MeterRegistry metrics, int workers) {
    this.client = informers.client();
    this.json = client.getKubernetesSerialization();
    this.services = informers.of(Service.class);
    this.pods = informers.of(Pod.class);
    this.slices = informers.of(EndpointSlice.class);
    informers.index(EndpointSlice.class, BY_SERVICE, EndpointSliceController::serviceKeys);
    this.controller = new Controller(NAME, this, workers, metrics);
    services.addEventHandler(Informers.handler(s -> List.of(Informers.key(s)), controller::enqueue));
    pods.addEventHandler(new ServicePods(services, controller::enqueue));
    // a slice of ours changed or went away (by us: a no-op pass; by someone else: repaired)
    slices.addEventHandler(Informers.handler(EndpointSliceController::serviceKeys, controller::enqueue));
  }

  /** The key of the Service a slice of this controller belongs to (none for slices of other managers). */
  private static List<String> serviceKeys(EndpointSlice s) {
    String svc = serviceOf(s);
    return svc == null ? List.of() : List.of(Informers.key(s.getMetadata().getNamespace(), svc));
  }

  /** The Service a slice of this controller belongs to, or null for slices managed by others. */
  static String serviceOf(EndpointSlice s) {
    Map<String, String> l = s.getMetadata().getLabels();
    if (l == null || !SlicePlan.MANAGED_BY.equals(l.get(SlicePlan.MANAGED_BY_LABEL))) return null;
    return l.get(SlicePlan.SERVICE_NAME_LABEL);
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public Result reconcile(String key) {
    String ns = Informers.namespaceOf(key);
    Service svc = services.getIndexer().getByKey(key);
    if (svc == null) {
      // its slices are owned by it: the garbage collector deletes them, as in kube
      writes.forget(key);
      return Result.noUpdate();
    }
    if (!ServiceEndpoints.managed(svc)) return Result.noUpdate();
    if (writes.stale(key, name -> slices.getIndexer().getByKey(Informers.key(ns, name)))) {
      return Result.requeueAfter(Duration.ofMillis(200)); // our last writes are not in the cache yet
    }
    List<EndpointSlice> existing = new ArrayList<>();
    for (EndpointSlice s : slices.getIndexer().byIndex(BY_SERVICE, key)) {
      if (!Owners.isDeleting(s)) existing.add(s);
    }
    List<Pod> inNs = pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, ns);
    SlicePlan.Changes changes = SlicePlan.plan(json, svc, inNs, existing);
    if (changes.isEmpty()) return Result.noUpdate();
    try {
      for (EndpointSlice s : changes.create()) {
        EndpointSlice made = client.resource(s).inNamespace(ns).create();
        writes.created(key, made.getMetadata().getName());
        log.debug("service {}: created endpoint slice {}", key, made.getMetadata().getName());
      }
      for (EndpointSlice s : changes.update()) {
        String before = s.getMetadata().getResourceVersion();
        EndpointSlice after = client.resource(s).inNamespace(ns).update();
        writes.updated(key, s.getMetadata().getName(), before, after.getMetadata().getResourceVersion());
      }
      for (EndpointSlice s : changes.delete()) {
        try {
          client.resource(s).inNamespace(ns).delete();
        } catch (KubernetesClientException e) {
          if (e.getCode() != 404) throw e;
        }
        writes.deleted(key, s.getMetadata().getName());
      }
    } catch (KubernetesClientException e) {
      // the namespace is going away: nothing to keep
      if (e.getCode() == 403 && ns != null && namespaceTerminating(e)) return Result.noUpdate();
      throw e;
    }
    return Result.noUpdate();
  }

  private static boolean namespaceTerminating(KubernetesClientException e) {
    return e.getMessage() != null && e.getMessage().contains("being terminated");
  }
}
