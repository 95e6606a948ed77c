package io.keelson.controller.rootcacert;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the cluster CA as ConfigMap {@code kube-root-ca.crt} (key {@code ca.crt}) in every
 * namespace, as kube-controller-manager's root-ca-cert-publisher does: every pod's API credentials
 * volume projects it next to the token, so in-cluster clients verify the api-server. Edited or
 * deleted, it is put back.
 */
public final class RootCaCertPublisher implements Reconciler, ManagedController {
  private static final Logger log = LoggerFactory.getLogger(RootCaCertPublisher.class);
  public static final String NAME = "root-ca-cert-publisher";
  public static final String CONFIG_MAP = "kube-root-ca.crt";
  static final String DESCRIPTION = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
      + "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
      + "distributions of Kubernetes clusters.";

  private final KubernetesClient client;
  private final String caPem;
  private final SharedIndexInformer<Namespace> namespaces;
  private final SharedIndexInformer<ConfigMap> configMaps;
  private final Controller controller;

  public RootCaCertPublisher(Informers informers, String caPem, MeterRegistry metrics, int workers) {
    this.client = informers.client();
    this.caPem = caPem;
    this.namespaces = informers.of(Namespace.class);
    this.configMaps = informers.of(ConfigMap.class);
    this.controller = new Controller(NAME, this, workers, metrics);
    namespaces.addEventHandler(Informers.handler(ns -> List.of(ns.getMetadata().getName()), controller::enqueue));
    configMaps.addEventHandler(Informers.handler(
        cm -> CONFIG_MAP.equals(cm.getMetadata().getName()) ? List.of(cm.getMetadata().getNamespace()) : List.of(), controller::enqueue));
  }

  /** The CA the client trusts (its kubeconfig's certificate-authority data or file); null when it has none. */
  public static String caPem(KubernetesClient client) {
    var config = client.getConfiguration();
    try {
      if (config.getCaCertData() != null && !config.getCaCertData().isEmpty()) {
        return new String(Base64.getDecoder().decode(config.getCaCertData()), StandardCharsets.UTF_8);
      }
      if (config.getCaCertFile() != null && !config.getCaCertFile().isEmpty()) {
        return Files.readString(Path.of(config.getCaCertFile()));
      }
    } catch (IOException | IllegalArgumentException e) {
      log.warn("cannot read the cluster CA from the kubeconfig: {}", e.toString());
    }
    return null;
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public Result reconcile(String namespace) {
    Namespace ns = namespaces.getIndexer().getByKey(namespace);
    if (ns == null || ns.getMetadata().getDeletionTimestamp() != null) return Result.noUpdate();
    ConfigMap cm = configMaps.getIndexer().getByKey(Informers.key(namespace, CONFIG_MAP));
    Map<String, String> want = Map.of("ca.crt", caPem);
    try {
      if (cm == null) {
        client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder().withNewMetadata().withName(CONFIG_MAP)
            .withNamespace(namespace).addToAnnotations("kubernetes.io/description", DESCRIPTION).endMetadata()
            .withData(want).build()).create();
        log.debug("namespace {}: published {}", namespace, CONFIG_MAP);
      } else if (!want.equals(cm.getData()) || cm.getBinaryData() != null && !cm.getBinaryData().isEmpty()) {
        // the CA, nothing else: a stale or edited copy would make clients trust the wrong thing
        ConfigMap fixed = new ConfigMapBuilder(cm).withData(want).withBinaryData(null).build();
        client.configMaps().inNamespace(namespace).resource(fixed).update();
      }
    } catch (KubernetesClientException e) {
      // 409: created or changed meanwhile (the informer brings it back here); 404/403: namespace gone or terminating
      if (e.getCode() != 409 && e.getCode() != 404 && e.getCode() != 403) throw e;
    }
    return Result.noUpdate();
  }
}
