package io.keelson.apiserver.controlplane;

import io.keelson.apiserver.admission.Defaulter;
import io.keelson.apiserver.registry.ListOptions;
import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code default/kubernetes} Service that pods reach the API through (ClusterIP {@link
 * Defaulter#KUBERNETES_SERVICE_IP}, port {@code https} 443 → this server's secure port), with its
 * Endpoints and its EndpointSlice {@code kubernetes}: kube-apiserver's master endpoints reconciler
 * with leases. Every api-server renews a Lease {@code kube-system/apiserver-endpoint-<hash>}
 * naming its advertised address; the endpoints are the addresses of the Leases renewed within
 * {@link #LEASE_TTL}, sorted, so that several api-servers write the same objects instead of taking
 * turns, and a stopped one drops out after the TTL. Runs every {@link #PERIOD}; writes only what
 * differs.
 */
@Component
public class KubernetesService {
  private static final Logger log = LoggerFactory.getLogger(KubernetesService.class);

  static final Duration PERIOD = Duration.ofSeconds(10);
  static final Duration LEASE_TTL = Duration.ofSeconds(45);
  static final String LEASE_PREFIX = "apiserver-endpoint-";
  private static final String MANAGER = "kube-apiserver";
  private static final WriteOptions WRITE = WriteOptions.manager(MANAGER);
  /** metav1.MicroTime. */
  private static final java.time.format.DateTimeFormatter MICRO_TIME =
      java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(java.time.ZoneOffset.UTC);

  private final ResourceService svc;
  private final String address;
  private final int port;
  private final ResourceType services = type("", "v1", "services");
  private final ResourceType endpoints = type("", "v1", "endpoints");
  private final ResourceType slices = type("discovery.k8s.io", "v1", "endpointslices");
  private final ResourceType leases = type("coordination.k8s.io", "v1", "leases");

  public KubernetesService(ResourceService svc,
      @Value("${keelson.advertise-address:127.0.0.1}") String address,
      @Value("${server.port:6443}") int port) {
    this.svc = svc;
    this.address = address;
    this.port = port;
  }

  private static ResourceType type(String group, String version, String resource) {
    return ResourceRegistry.find(group, version, resource).orElseThrow();
  }

  @EventListener(ApplicationStartedEvent.class)
  public void start() {
    Thread.ofVirtual().name("kubernetes-service").start(() -> {
      log.info("reconciling default/kubernetes: endpoint {}:{}", address, port);
      while (!Thread.currentThread().isInterrupted()) {
        try {
          if (svc.ready()) {
            reconcile();
          }
        } catch (RuntimeException e) {
          log.warn("reconciling default/kubernetes: {}", e.getMessage());
        }
        try {
          Thread.sleep(PERIOD);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
  }

  /** One pass: renew this server's Lease, then make the Service, Endpoints and slice match the live Leases. */
  void reconcile() {
    renewLease();
    List<String> live = liveAddresses();
    ensure(services, serviceJson(), this::serviceSpec);
    ensure(endpoints, endpointsJson(live), o -> {
      o.set("subsets", endpointsJson(live).get("subsets"));
      return o;
    });
    ensure(slices, sliceJson(live), o -> {
      ObjectNode want = sliceJson(live);
      o.set("addressType", want.get("addressType"));
      o.set("endpoints", want.get("endpoints"));
      o.set("ports", want.get("ports"));
      ((ObjectNode) o.get("metadata")).putObject("labels").setAll((ObjectNode) want.get("metadata").get("labels"));
      return o;
    });
  }

  private void renewLease() {
    String name = LEASE_PREFIX + hash(address + ":" + port);
    String now = MICRO_TIME.format(Instant.now());
    ObjectNode lease = json("""
        {"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"%s","namespace":"kube-system",
         "labels":{"keelson.io/apiserver-endpoint":"true"}},
         "spec":{"holderIdentity":"%s","leaseDurationSeconds":%d,"renewTime":"%s"}}"""
        .formatted(name, address, LEASE_TTL.toSeconds(), now));
    ensure(leases, lease, o -> {
      ((ObjectNode) o.get("spec")).setAll((ObjectNode) lease.get("spec"));
      return o;
    });
  }

  /** The addresses of the api-servers whose Lease is fresh, this one always among them. */
  List<String> liveAddresses() {
    TreeSet<String> live = new TreeSet<>(List.of(address));
    Instant cutoff = Instant.now().minus(LEASE_TTL);
    for (ObjectNode l : svc.list(leases, "kube-system", ListOptions.ALL).items()) {
      String name = l.path("metadata").path("name").asString("");
      JsonNode spec = l.path("spec");
      String holder = spec.path("holderIdentity").asString("");
      if (!name.startsWith(LEASE_PREFIX) || holder.isEmpty()) {
        continue;
      }
      try {
        if (Instant.parse(spec.path("renewTime").asString("")).isAfter(cutoff)) {
          live.add(holder);
        }
      } catch (java.time.DateTimeException e) {
        // not a lease this reconciler wrote
      }
    }
    return List.copyOf(live);
  }

  /** Creates the object when absent, else applies {@code change} (a write only when it changes something). */
  private void ensure(ResourceType type, ObjectNode want, UnaryOperator<ObjectNode> change) {
    String ns = want.path("metadata").path("namespace").asString("default");
    String name = want.path("metadata").path("name").asString();
    if (svc.cached(type, ns, name) == null) {
      try {
        svc.create(type, ns, want, WRITE);
        return;
      } catch (StatusException e) {
        if (e.code() != 409) {
          throw e;
        }
      }
    }
    svc.mutate(type, ns, name, WRITE, change);
  }

  private ObjectNode serviceSpec(ObjectNode o) {
    ObjectNode spec = (ObjectNode) o.get("spec");
    ObjectNode want = (ObjectNode) serviceJson().get("spec");
    // ports and the IP are the reconciler's; whatever else a user changed stays (kube does the same)
    spec.set("ports", want.get("ports"));
    spec.set("clusterIP", want.get("clusterIP"));
    spec.set("clusterIPs", want.get("clusterIPs"));
    return o;
  }

  private ObjectNode serviceJson() {
    return json("""
        {"apiVersion":"v1","kind":"Service","metadata":{"name":"kubernetes","namespace":"default",
         "labels":{"component":"apiserver","provider":"kubernetes"}},
         "spec":{"type":"ClusterIP","clusterIP":"%s","clusterIPs":["%s"],"sessionAffinity":"None",
          "ports":[{"name":"https","protocol":"TCP","port":443,"targetPort":%d}]}}"""
        .formatted(Defaulter.KUBERNETES_SERVICE_IP, Defaulter.KUBERNETES_SERVICE_IP, port));
  }

  private ObjectNode endpointsJson(List<String> live) {
    ObjectNode o = json("""
        {"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"kubernetes","namespace":"default",
         "labels":{"endpointslice.kubernetes.io/skip-mirror":"true"}},
         "subsets":[{"addresses":[],"ports":[{"name":"https","port":%d,"protocol":"TCP"}]}]}""".formatted(port));
    ArrayNode addrs = (ArrayNode) o.get("subsets").get(0).get("addresses");
    live.forEach(a -> addrs.addObject().put("ip", a));
    return o;
  }

  private ObjectNode sliceJson(List<String> live) {
    ObjectNode o = json("""
        {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"kubernetes","namespace":"default",
         "labels":{"kubernetes.io/service-name":"kubernetes"}},
         "addressType":"IPv4","endpoints":[],
         "ports":[{"name":"https","port":%d,"protocol":"TCP"}]}""".formatted(port));
    ArrayNode eps = (ArrayNode) o.get("endpoints");
    live.forEach(a -> {
      ObjectNode e = eps.addObject();
      e.putArray("addresses").add(a);
      e.putObject("conditions").put("ready", true);
    });
    return o;
  }

  private static ObjectNode json(String s) {
    return (ObjectNode) ObjectCodec.JSON.readTree(s);
  }

  private static String hash(String s) {
    try {
      byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d, 0, 5);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
