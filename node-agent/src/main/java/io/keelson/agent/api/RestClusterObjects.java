package io.keelson.agent.api;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.keelson.agent.pod.ClusterObjects;
import io.keelson.agent.service.ServiceCatalog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads ConfigMaps, Secrets, RuntimeClasses, PersistentVolumeClaims and PersistentVolumes and writes Events through the ordinary REST API with
 * the kubeconfig's token (fabric8 client). Events are sent from a small bounded queue so a slow
 * api-server never blocks a pod worker; when the queue is full they are dropped.
 */
public final class RestClusterObjects implements ClusterObjects, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RestClusterObjects.class);

  private record Cached(String handler, Instant at) {}

  private final KubernetesClient client;
  private final String nodeName;
  private volatile ServiceCatalog services;
  private volatile io.keelson.agent.netpol.PolicyCatalog networkPolicies;
  private final Map<String, Cached> runtimeClasses = new ConcurrentHashMap<>();
  private final ExecutorService events =
      new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(2000),
          Thread.ofPlatform().name("events").daemon().factory(), new ThreadPoolExecutor.DiscardPolicy());

  public RestClusterObjects(KubernetesClient client, String nodeName) {
    this.client = client;
    this.nodeName = nodeName;
  }

  public static KubernetesClient client(Path kubeconfig) throws IOException {
    Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
    // as the scheduler and controller-manager: fabric8's WebSocket watch attempt hangs against our
    // api-server, so the Service informers would see their first change ~20 s late
    config.setOnlyHttpWatches(true);
    // fabric8 reads a PKCS#8 client key as RSA unless told; the agents' keys (ClusterCredentials) are EC
    if (config.getClientKeyAlgo() == null && config.getClientKeyData() != null) config.setClientKeyAlgo(ClusterCredentials.keyAlgorithm(config));
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** Starts watching Services and EndpointSlices (real nodes only: hollow nodes run no proxy or DNS). */
  public RestClusterObjects watchServices() {
    if (services == null) {
      services = ServiceCatalog.watch(client);
    }
    return this;
  }

  @Override
  public ServiceCatalog services() {
    return services;
  }

  /** Starts watching NetworkPolicies, pods and namespaces (real nodes only: hollow nodes enforce nothing). */
  public RestClusterObjects watchNetworkPolicies() {
    if (networkPolicies == null) {
      networkPolicies = io.keelson.agent.netpol.PolicyCatalog.watch(client);
    }
    return this;
  }

  @Override
  public io.keelson.agent.netpol.PolicyCatalog networkPolicies() {
    return networkPolicies;
  }

  @Override
  public PersistentVolumeClaim persistentVolumeClaim(String namespace, String name) {
    return client.persistentVolumeClaims().inNamespace(namespace).withName(name).get();
  }

  @Override
  public PersistentVolume persistentVolume(String name) {
    return client.persistentVolumes().withName(name).get();
  }

  @Override
  public List<PersistentVolume> persistentVolumes() {
    return client.persistentVolumes().list().getItems();
  }

  @Override
  public ConfigMap configMap(String namespace, String name) {
    return client.configMaps().inNamespace(namespace).withName(name).get();
  }

  @Override
  public Secret secret(String namespace, String name) {
    return client.secrets().inNamespace(namespace).withName(name).get();
  }

  @Override
  public String serviceAccountToken(Pod pod, String audience, long expirationSeconds) {
    String account = pod.getSpec().getServiceAccountName() == null ? "default" : pod.getSpec().getServiceAccountName();
    TokenRequest request = new TokenRequestBuilder().withNewSpec()
        .withAudiences(audience == null || audience.isEmpty() ? List.of() : List.of(audience))
        .withExpirationSeconds(expirationSeconds)
        .withNewBoundObjectRef().withApiVersion("v1").withKind("Pod").withName(pod.getMetadata().getName())
        .withUid(pod.getMetadata().getUid()).endBoundObjectRef()
        .endSpec().build();
    return client.serviceAccounts().inNamespace(pod.getMetadata().getNamespace()).withName(account)
        .tokenRequest(request).getStatus().getToken();
  }

  @Override
  public String runtimeClassHandler(String name) {
    Cached c = runtimeClasses.get(name);
    if (c != null && c.at.isAfter(Instant.now().minusSeconds(30))) {
      return c.handler;
    }
    String handler = null;
    try {
      RuntimeClass rc = client.resources(RuntimeClass.class).withName(name).get();
      handler = rc == null ? null : rc.getHandler();
    } catch (RuntimeException e) {
      log.warn("reading RuntimeClass {} failed: {}", name, e.toString());
      if (c != null) {
        return c.handler;
      }
    }
    runtimeClasses.put(name, new Cached(handler, Instant.now()));
    return handler;
  }

  @Override
  public void event(Pod pod, String fieldPath, String type, String reason, String message) {
    var m = pod.getMetadata();
    post(new ObjectReferenceBuilder().withKind("Pod").withApiVersion("v1").withNamespace(m.getNamespace())
        .withName(m.getName()).withUid(m.getUid()).withResourceVersion(m.getResourceVersion()).withFieldPath(fieldPath)
        .build(), type, reason, message);
  }

  @Override
  public void nodeEvent(String type, String reason, String message) {
    // as the kubelet does: Node events live in "default", and the Node's uid is its name
    post(new ObjectReferenceBuilder().withKind("Node").withApiVersion("v1").withName(nodeName).withUid(nodeName).build(),
        type, reason, message);
  }

  private void post(ObjectReference involved, String type, String reason, String message) {
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    String ns = involved.getNamespace() == null ? "default" : involved.getNamespace();
    Event e =
        new EventBuilder()
            .withNewMetadata()
            .withNamespace(ns)
            .withName(involved.getName() + "." + Long.toHexString(System.nanoTime())
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000)))
            .endMetadata()
            .withInvolvedObject(involved)
            .withType(type)
            .withReason(reason)
            .withMessage(message)
            .withCount(1)
            .withFirstTimestamp(now)
            .withLastTimestamp(now)
            .withNewSource()
            .withComponent("kubelet")
            .withHost(nodeName)
            .endSource()
            .withReportingComponent("kubelet")
            .withReportingInstance(nodeName)
            .build();
    events.execute(() -> {
      try {
        client.v1().events().inNamespace(ns).resource(e).create();
      } catch (RuntimeException ex) {
        log.debug("event {} dropped: {}", reason, ex.toString());
      }
    });
  }

  @Override
  public void close() {
    events.shutdown();
    if (services != null) {
      services.close();
    }
    if (networkPolicies != null) {
      networkPolicies.close();
    }
    client.close();
  }
}
