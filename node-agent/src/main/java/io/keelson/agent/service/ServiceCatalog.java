package io.keelson.agent.service;

import io.keelson.client.watch.InformerRetries;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The cluster's Services and their EndpointSlices as this node sees them, kept by one informer each
 * (what kube-proxy and a node-local DNS both watch). Consumers read an immutable {@link Snapshot} and
 * are told of every change through {@link #onChange}; they batch work themselves, because a burst of
 * endpoint changes arrives as many events.
 */
public final class ServiceCatalog implements AutoCloseable {

  /** The slices' owning Service name label (discovery.k8s.io/v1). */
  public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  /**
   * Services by "namespace/name" and, by the same key, the EndpointSlices labelled with that
   * Service's name. Slices of a Service that does not exist (yet) are kept under its key too.
   */
  public record Snapshot(Map<String, Service> services, Map<String, List<EndpointSlice>> slices) {
    public Snapshot {
      services = Map.copyOf(services);
      slices = Map.copyOf(slices);
    }

    public static final Snapshot EMPTY = new Snapshot(Map.of(), Map.of());

    /** The slices of one Service, empty when it has none. */
    public List<EndpointSlice> slicesOf(String namespace, String name) {
      return slices.getOrDefault(namespace + "/" + name, List.of());
    }

    /** Builds a snapshot from lists (informer stores, or tests). */
    public static Snapshot of(List<Service> services, List<EndpointSlice> slices) {
      Map<String, Service> byKey = new HashMap<>();
      for (Service s : services) {
        byKey.put(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(), s);
      }
      Map<String, List<EndpointSlice>> slicesByKey = new HashMap<>();
      for (EndpointSlice es : slices) {
        Map<String, String> labels = es.getMetadata().getLabels();
        String svc = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
        if (svc != null) {
          slicesByKey.computeIfAbsent(es.getMetadata().getNamespace() + "/" + svc, k -> new ArrayList<>()).add(es);
        }
      }
      slicesByKey.replaceAll((k, v) -> List.copyOf(v));
      return new Snapshot(byKey, slicesByKey);
    }
  }

  private final SharedIndexInformer<Service> services;
  private final SharedIndexInformer<EndpointSlice> slices;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  private ServiceCatalog(KubernetesClient client) {
    ResourceEventHandler<Object> changed = new ResourceEventHandler<>() {
      @Override
      public void onAdd(Object obj) {
        fire();
      }

      @Override
      public void onUpdate(Object oldObj, Object newObj) {
        fire();
      }

      @Override
      public void onDelete(Object obj, boolean deletedFinalStateUnknown) {
        fire();
      }
    };
    // no resync: a relist that changes nothing must not make consumers rewrite their state
    this.services = InformerRetries.forever(client.services().inAnyNamespace().runnableInformer(0));
    this.slices = InformerRetries.forever(client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0));
    services.addEventHandler(cast(changed));
    slices.addEventHandler(cast(changed));
  }

  @SuppressWarnings("unchecked")
  private static <T> ResourceEventHandler<T> cast(ResourceEventHandler<Object> h) {
    return (ResourceEventHandler<T>) (ResourceEventHandler<?>) h;
  }

  /** Starts watching Services and EndpointSlices through {@code client}; returns at once. */
  public static ServiceCatalog watch(KubernetesClient client) {
    ServiceCatalog c = new ServiceCatalog(client);
    c.services.start();
    c.slices.start();
    return c;
  }

  /** Called (on an informer thread) after every add, update or delete of a Service or slice. */
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  /** Whether both informers have listed once: before that, a snapshot may lack Services. */
  public boolean synced() {
    return services.hasSynced() && slices.hasSynced();
  }

  public Snapshot snapshot() {
    return Snapshot.of(services.getStore().list(), slices.getStore().list());
  }

  private void fire() {
    for (Runnable r : listeners) {
      r.run();
    }
  }

  @Override
  public void close() {
    services.close();
    slices.close();
  }
}
