package io.keelson.controller.serviceaccount;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives every namespace its {@code default} ServiceAccount, as kube-controller-manager's
 * serviceaccount controller does: pods run as it when they name none, and users configure it
 * ({@code kubectl patch serviceaccount default -p '{"imagePullSecrets": ...}'}). Deleted, it comes
 * back; a namespace being deleted gets none.
 */
public final class ServiceAccountsController implements Reconciler, ManagedController {
  private static final Logger log = LoggerFactory.getLogger(ServiceAccountsController.class);
  public static final String NAME = "serviceaccount";
  public static final String DEFAULT = "default";

  private final KubernetesClient client;
  private final SharedIndexInformer<Namespace> namespaces;
  private final SharedIndexInformer<ServiceAccount> accounts;
  private final Controller controller;

  public ServiceAccountsController(Informers informers, MeterRegistry metrics, int workers) {
    this.client = informers.client();
    this.namespaces = informers.of(Namespace.class);
    this.accounts = informers.of(ServiceAccount.class);
    this.controller = new Controller(NAME, this, workers, metrics);
    namespaces.addEventHandler(Informers.handler(ns -> List.of(ns.getMetadata().getName()), controller::enqueue));
    // a deleted default account is made again (the key is its namespace)
    accounts.addEventHandler(Informers.handler(
        sa -> DEFAULT.equals(sa.getMetadata().getName()) ? List.of(sa.getMetadata().getNamespace()) : List.of(), controller::enqueue));
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public Result reconcile(String namespace) {
    Namespace ns = namespaces.getIndexer().getByKey(namespace);
    if (ns == null || ns.getMetadata().getDeletionTimestamp() != null) return Result.noUpdate();
    if (accounts.getIndexer().getByKey(Informers.key(namespace, DEFAULT)) != null) return Result.noUpdate();
    try {
      client.serviceAccounts().inNamespace(namespace)
          .resource(new ServiceAccountBuilder().withNewMetadata().withName(DEFAULT).withNamespace(namespace).endMetadata().build())
          .create();
      log.debug("namespace {}: created service account {}", namespace, DEFAULT);
    } catch (KubernetesClientException e) {
      // 409: it exists and the informer has not seen it yet; 404/403: the namespace went away or is terminating
      if (e.getCode() != 409 && e.getCode() != 404 && e.getCode() != 403) throw e;
    }
    return Result.noUpdate();
  }
}
