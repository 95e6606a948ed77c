package io.keelson.controller.namespace;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.keelson.controller.runtime.ServedResources;
import io.keelson.controller.runtime.ServedResources.Served;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Empties a namespace that is being deleted: deletes every object of every served namespaced
 * kind in it, waits until they are all gone, then removes the {@code kubernetes} finalizer
 * through {@code PUT /api/v1/namespaces/{ns}/finalize} so the api-server can delete the namespace.
 */
public final class NamespaceController implements Reconciler, ManagedController {
  private static final Logger log = LoggerFactory.getLogger(NamespaceController.class);
  public static final String NAME = "namespace";
  public static final String FINALIZER = "kubernetes";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final KubernetesClient client;
  private final SharedIndexInformer<Namespace> namespaces;
  private final Controller controller;
  private volatile ServedResources served;

  public NamespaceController(Informers informers, MeterRegistry metrics, int workers) {
    this.client = informers.client();
    this.namespaces = informers.of(Namespace.class);
    this.controller = new Controller(NAME, this, workers, metrics);
    namespaces.addEventHandler(Informers.handler(ns -> List.of(Informers.key(ns)), controller::enqueue));
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public Result reconcile(String name) throws Exception {
    Namespace ns = namespaces.getIndexer().getByKey(name);
    if (ns == null || ns.getMetadata().getDeletionTimestamp() == null) return Result.noUpdate();
    List<String> finalizers = ns.getSpec() == null || ns.getSpec().getFinalizers() == null ? List.of() : ns.getSpec().getFinalizers();
    if (!finalizers.contains(FINALIZER)) return Result.noUpdate();
    // Rediscover each time a namespace is deleted: kinds may have been added since start.
    served = ServedResources.discover(client);
    int remaining = 0;
    for (Served s : served.all()) {
      if (!s.namespaced() || !s.supports("list", "delete")) continue;
      List<GenericKubernetesResource> items;
      try {
        items = listAll(s, name);
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404 || e.getCode() == 405) continue;
        throw e;
      }
      for (GenericKubernetesResource item : items) {
        remaining++;
        if (item.getMetadata().getDeletionTimestamp() != null) continue;
        try {
          client.genericKubernetesResources(s.context()).inNamespace(name).withName(item.getMetadata().getName()).delete();
        } catch (KubernetesClientException e) {
          if (e.getCode() != 404) throw e;
        }
      }
    }
    if (remaining > 0) {
      log.info("namespace {}: waiting for {} objects to be deleted", name, remaining);
      return Result.requeueAfter(Duration.ofSeconds(1));
    }
    finalize(ns);
    log.info("namespace {} finalized", name);
    return Result.noUpdate();
  }

  /** Lists in pages, which also makes the api-server read from storage rather than its cache. */
  private List<GenericKubernetesResource> listAll(Served s, String namespace) {
    List<GenericKubernetesResource> out = new ArrayList<>();
    String cont = null;
    do {
      var page =
          client
              .genericKubernetesResources(s.context())
              .inNamespace(namespace)
              .list(new ListOptionsBuilder().withLimit(500L).withContinue(cont).build());
      out.addAll(page.getItems());
      cont = page.getMetadata() == null ? null : page.getMetadata().getContinue();
    } while (cont != null && !cont.isEmpty());
    return out;
  }

  private void finalize(Namespace ns) {
    List<String> rest = new ArrayList<>(ns.getSpec().getFinalizers());
    rest.remove(FINALIZER);
    Namespace copy = new NamespaceBuilder(ns).build();
    copy.getSpec().setFinalizers(rest);
    String name = ns.getMetadata().getName();
    String url = client.getMasterUrl().toString().replaceAll("/$", "") + "/api/v1/namespaces/" + name + "/finalize";
    try {
      client.raw(url, "PUT", JSON.readTree(io.fabric8.kubernetes.client.utils.Serialization.asJson(copy)));
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404 && namespaces.getIndexer().getByKey(name) == null) return;
      if (e.getCode() != 404 && e.getCode() != 405) throw e;
      // No finalize subresource: fall back to a plain update of spec.finalizers.
      log.warn("namespace {}: PUT .../finalize not served ({}); updating spec.finalizers instead", name, e.getCode());
      client.namespaces().resource(copy).update();
    }
  }
}
