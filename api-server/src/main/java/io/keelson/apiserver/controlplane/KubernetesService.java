package io.keelson.apiserver.controlplane;

import io.keelson.apiserver.admission.Defaulter;
import io.keelson.apiserver.registry.DeleteOptions;
import io.keelson.apiserver.registry.ListOptions;
import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.selection.FieldSelector;
import io.keelson.apiserver.selection.LabelSelector;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
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
 * naming its advertised address and port; the endpoints are those of the Leases renewed within
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
  private static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
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

  /** An api-server's advertised address and secure port, as its Lease names it ("ip:port"). */
  record ApiEndpoint(String ip, int port) implements Comparable<ApiEndpoint> {
    static ApiEndpoint parse(String s) {
      int colon = s.lastIndexOf(':');
      return new ApiEndpoint(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)));
    }

    @Override
    public String toString() {
      return ip + ":" + port;
    }

    @Override
    public int compareTo(ApiEndpoint o) {
      int c = Integer.compare(port, o.port);
      return c != 0 ? c : ip.compareTo(o.ip);
    }
  }

  /**
   * One pass: renew this server's Lease, then make the Service, Endpoints and slices match the live
   * Leases. Api-servers on different ports (two on one host) get a subset and a slice per port: the
   * lowest port's slice is named {@code kubernetes}, the others {@code kubernetes-<port>}.
   */
  void reconcile() {
    renewLease();
    TreeMap<Integer, List<String>> byPort = new TreeMap<>();
    for (ApiEndpoint e : liveEndpoints()) {
      byPort.computeIfAbsent(e.port(), p -> new ArrayList<>()).add(e.ip());
    }
    ensure(services, serviceJson(byPort.firstKey()), o -> serviceSpec(o, byPort.firstKey()));
    ObjectNode eps = endpointsJson(byPort);
    ensure(endpoints, eps, o -> {
      o.set("subsets", eps.get("subsets"));
      return o;
    });
    Set<String> wanted = new HashSet<>();
    for (var e : byPort.entrySet()) {
      ObjectNode want = sliceJson(e.getKey().equals(byPort.firstKey()) ? "kubernetes" : "kubernetes-" + e.getKey(), e.getKey(), e.getValue());
      wanted.add(want.path("metadata").path("name").asString());
      ensure(slices, want, o -> {
        o.set("addressType", want.get("addressType"));
        o.set("endpoints", want.get("endpoints"));
        o.set("ports", want.get("ports"));
        ((ObjectNode) o.get("metadata")).putObject("labels").setAll((ObjectNode) want.get("metadata").get("labels"));
        return o;
      });
    }
    // the slices of ports whose api-servers are gone
    ListOptions ours = new ListOptions(LabelSelector.parse(SERVICE_NAME_LABEL + "=kubernetes"), FieldSelector.EVERYTHING, "", 0, null);
    for (ObjectNode slice : svc.list(slices, "default", ours).items()) {
      String name = slice.path("metadata").path("name").asString("");
      if ((name.equals("kubernetes") || name.startsWith("kubernetes-")) && !wanted.contains(name)) {
        try {
          svc.delete(slices, "default", name, DeleteOptions.DEFAULT);
        } catch (StatusException e) {
          if (e.code() != 404) throw e;
        }
      }
    }
  }

  private void renewLease() {
    ApiEndpoint self = new ApiEndpoint(address, port);
    String name = LEASE_PREFIX + hash(self.toString());
    String now = MICRO_TIME.format(Instant.now());
    ObjectNode lease = json("""
        {"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"%s","namespace":"kube-system",
         "labels":{"keelson.io/apiserver-endpoint":"true"}},
         "spec":{"holderIdentity":"%s","leaseDurationSeconds":%d,"renewTime":"%s"}}"""
        .formatted(name, self, LEASE_TTL.toSeconds(), now));
    ensure(leases, lease, o -> {
      ((ObjectNode) o.get("spec")).setAll((ObjectNode) lease.get("spec"));
      return o;
    });
  }

  /** The api-servers whose Lease is fresh, this one always among them. */
  SortedSet<ApiEndpoint> liveEndpoints() {
    SortedSet<ApiEndpoint> live = new TreeSet<>(List.of(new ApiEndpoint(address, port)));
    Instant cutoff = Instant.now().minus(LEASE_TTL);
    for (ObjectNode l : svc.list(leases, "kube-system", ListOptions.ALL).items()) {
      String name = l.path("metadata").path("name").asString("");
      JsonNode spec = l.path("spec");
      if (!name.startsWith(LEASE_PREFIX)) {
        continue;
      }
      try {
        if (Instant.parse(spec.path("renewTime").asString("")).isAfter(cutoff)) {
          live.add(ApiEndpoint.parse(spec.path("holderIdentity").asString("")));
        }
      } catch (RuntimeException e) {
        // not a lease this reconciler wrote (bad time or holder)
      }
    }
    return live;
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

  private ObjectNode serviceSpec(ObjectNode o, int targetPort) {
    ObjectNode spec = (ObjectNode) o.get("spec");
    ObjectNode want = (ObjectNode) serviceJson(targetPort).get("spec");
    // ports and the IP are the reconciler's; whatever else a user changed stays (kube does the same)
    spec.set("ports", want.get("ports"));
    spec.set("clusterIP", want.get("clusterIP"));
    spec.set("clusterIPs", want.get("clusterIPs"));
    return o;
  }

  private ObjectNode serviceJson(int targetPort) {
    return json("""
        {"apiVersion":"v1","kind":"Service","metadata":{"name":"kubernetes","namespace":"default",
         "labels":{"component":"apiserver","provider":"kubernetes"}},
         "spec":{"type":"ClusterIP","clusterIP":"%s","clusterIPs":["%s"],"sessionAffinity":"None",
          "ports":[{"name":"https","protocol":"TCP","port":443,"targetPort":%d}]}}"""
        .formatted(Defaulter.KUBERNETES_SERVICE_IP, Defaulter.KUBERNETES_SERVICE_IP, targetPort));
  }

  private ObjectNode endpointsJson(Map<Integer, List<String>> byPort) {
    ObjectNode o = json("""
        {"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"kubernetes","namespace":"default",
         "labels":{"endpointslice.kubernetes.io/skip-mirror":"true"}},"subsets":[]}""");
    ArrayNode subsets = (ArrayNode) o.get("subsets");
    byPort.forEach((p, ips) -> {
      ObjectNode subset = subsets.addObject();
      ArrayNode addrs = subset.putArray("addresses");
      ips.forEach(ip -> addrs.addObject().put("ip", ip));
      subset.putArray("ports").addObject().put("name", "https").put("port", p).put("protocol", "TCP");
    });
    return o;
  }

  private ObjectNode sliceJson(String name, int slicePort, List<String> ips) {
    ObjectNode o = json("""
        {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"%s","namespace":"default",
         "labels":{"%s":"kubernetes"}},
         "addressType":"IPv4","endpoints":[],
         "ports":[{"name":"https","port":%d,"protocol":"TCP"}]}""".formatted(name, SERVICE_NAME_LABEL, slicePort));
    ArrayNode eps = (ArrayNode) o.get("endpoints");
    ips.forEach(a -> {
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
