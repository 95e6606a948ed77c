package io.keelson.controller.endpointslice;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.keelson.controller.endpoints.ServiceEndpoints;
import io.keelson.controller.endpoints.ServiceEndpoints.ResolvedPort;
import io.keelson.controller.runtime.Owners;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The EndpointSlices a Service should have, computed from its pods and its current slices, as kube's
 * endpointslice reconciler does in outline: endpoints are grouped by their set of ports (one group
 * per distinct set, usually one), at most {@link #MAX_ENDPOINTS_PER_SLICE} per slice; an endpoint
 * stays in the slice it is already in, new ones fill slices with room before new slices are made,
 * and unneeded slices are reused for new groups before any is deleted. A Service without endpoints
 * keeps one empty placeholder slice. Only IPv4 pod addresses are listed (addressType IPv4).
 */
public final class SlicePlan {
  public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
  public static final String MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
  public static final String MANAGED_BY = "endpointslice-controller.k8s.io";
  public static final int MAX_ENDPOINTS_PER_SLICE = 100;

  /** Slices to create (no name; generateName set), to update (full objects) and to delete. */
  public record Changes(List<EndpointSlice> create, List<EndpointSlice> update, List<EndpointSlice> delete) {
    public boolean isEmpty() {
      return create.isEmpty() && update.isEmpty() && delete.isEmpty();
    }
  }

  private SlicePlan() {}

  /** The endpoint of a pod: its IP, conditions (ready, serving, terminating), node, hostname and reference. */
  static Endpoint endpoint(Service svc, Pod pod) {
    boolean serving = ServiceEndpoints.ready(pod);
    boolean terminating = ServiceEndpoints.terminating(pod);
    boolean publishNotReady = Boolean.TRUE.equals(svc.getSpec().getPublishNotReadyAddresses());
    Endpoint e = new Endpoint();
    e.setAddresses(new ArrayList<>(List.of(ServiceEndpoints.podIp(pod))));
    EndpointConditions c = new EndpointConditions();
    c.setReady(publishNotReady || (serving && !terminating)); // never ready while terminating
    c.setServing(serving);
    c.setTerminating(terminating);
    e.setConditions(c);
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    e.setNodeName(node == null || node.isEmpty() ? null : node);
    e.setHostname(ServiceEndpoints.hostname(svc, pod));
    e.setTargetRef(ServiceEndpoints.podRef(pod));
    return e;
  }

  static List<EndpointPort> ports(List<ResolvedPort> resolved) {
    List<EndpointPort> out = new ArrayList<>();
    for (ResolvedPort p : resolved) {
      EndpointPort ep = new EndpointPort();
      ep.setName(p.name());
      ep.setPort(p.port());
      ep.setProtocol(p.protocol());
      ep.setAppProtocol(p.appProtocol());
      out.add(ep);
    }
    return out;
  }

  /** The Service's endpoints grouped by port set (ports in the Service's order), each sorted by IP. */
  static Map<String, Group> groups(Service svc, List<Pod> pods) {
    boolean noPorts = svc.getSpec().getPorts() == null || svc.getSpec().getPorts().isEmpty();
    Map<String, Group> out = new TreeMap<>();
    if (noPorts && !ServiceEndpoints.headless(svc)) return out;
    for (Pod pod : pods) {
      if (!Objects.equals(svc.getMetadata().getNamespace(), pod.getMetadata().getNamespace())) continue;
      if (!ServiceEndpoints.selects(svc, pod.getMetadata().getLabels())) continue;
      if (!ServiceEndpoints.shouldBeInEndpoints(pod, true)) continue;
      if (ServiceEndpoints.podIp(pod).contains(":")) continue; // IPv6: not in an IPv4 slice
      List<ResolvedPort> resolved = ServiceEndpoints.resolvePorts(svc, pod);
      if (resolved == null) continue;
      List<EndpointPort> ports = ports(resolved);
      out.computeIfAbsent(portsKey(ports), k -> new Group(ports, new ArrayList<>())).endpoints().add(endpoint(svc, pod));
    }
    for (Group g : out.values()) g.endpoints().sort(Comparator.comparing((Endpoint e) -> e.getAddresses().get(0)).thenComparing(SlicePlan::uid));
    return out;
  }

  record Group(List<EndpointPort> ports, List<Endpoint> endpoints) {}

  private static String uid(Endpoint e) {
    return e.getTargetRef() == null || e.getTargetRef().getUid() == null ? "" : e.getTargetRef().getUid();
  }

  /** Identifies an endpoint across passes: its pod, else its address. */
  private static String id(Endpoint e) {
    String uid = uid(e);
    return uid.isEmpty() ? "ip:" + e.getAddresses() : uid;
  }

  /** The labels of the Service's slices: the Service's, the service-name and managed-by labels, headless. */
  static Map<String, String> labels(Service svc) {
    Map<String, String> out = ServiceEndpoints.endpointsLabels(svc);
    out.put(SERVICE_NAME_LABEL, svc.getMetadata().getName());
    out.put(MANAGED_BY_LABEL, MANAGED_BY);
    return out;
  }

  /** What to create, update and delete so that {@code existing} (this controller's slices of the Service) shows the pods. */
  public static Changes plan(KubernetesSerialization json, Service svc, List<Pod> pods, List<EndpointSlice> existing) {
    Map<String, Group> groups = groups(svc, pods);
    List<EndpointSlice> current = new ArrayList<>(existing);
    current.sort(Comparator.comparing((EndpointSlice s) -> s.getMetadata().getName()));
    Map<String, List<EndpointSlice>> byPorts = new LinkedHashMap<>();
    for (EndpointSlice s : current) byPorts.computeIfAbsent(portsKey(s.getPorts()), k -> new ArrayList<>()).add(s);

    // desired content per slice: existing slices keep their endpoints that are still wanted
    List<Desired> desired = new ArrayList<>();
    List<EndpointSlice> unused = new ArrayList<>();
    for (var e : byPorts.entrySet()) if (!groups.containsKey(e.getKey())) unused.addAll(e.getValue());
    for (var g : groups.entrySet()) {
      Map<String, Endpoint> wanted = new LinkedHashMap<>();
      for (Endpoint ep : g.getValue().endpoints()) wanted.putIfAbsent(id(ep), ep);
      Set<String> placed = new HashSet<>();
      List<Desired> mine = new ArrayList<>();
      for (EndpointSlice s : byPorts.getOrDefault(g.getKey(), List.of())) {
        List<Endpoint> keep = new ArrayList<>();
        for (Endpoint old : orEmpty(s.getEndpoints())) {
          String id = id(old);
          Endpoint now = wanted.get(id);
          if (now != null && placed.add(id) && keep.size() < MAX_ENDPOINTS_PER_SLICE) keep.add(now);
        }
        mine.add(new Desired(s, g.getValue().ports(), keep));
      }
      List<Endpoint> fresh = new ArrayList<>();
      for (var w : wanted.entrySet()) if (!placed.contains(w.getKey())) fresh.add(w.getValue());
      int i = 0;
      for (Desired d : mine) {
        while (i < fresh.size() && d.endpoints().size() < MAX_ENDPOINTS_PER_SLICE) d.endpoints().add(fresh.get(i++));
      }
      while (i < fresh.size()) {
        List<Endpoint> chunk = new ArrayList<>(fresh.subList(i, Math.min(fresh.size(), i + MAX_ENDPOINTS_PER_SLICE)));
        i += chunk.size();
        mine.add(new Desired(null, g.getValue().ports(), chunk));
      }
      // slices left empty go back to the pool
      for (Desired d : mine) {
        if (d.endpoints().isEmpty() && d.slice() != null) unused.add(d.slice());
        else if (!d.endpoints().isEmpty()) desired.add(d);
      }
    }
    if (desired.isEmpty()) desired.add(new Desired(null, List.of(), List.of())); // the placeholder
    // new slices take over unused ones (a placeholder first: same shape), the rest of the unused are deleted
    unused.sort(Comparator.comparing((EndpointSlice s) -> !orEmpty(s.getEndpoints()).isEmpty() || !orEmpty(s.getPorts()).isEmpty())
        .thenComparing(s -> s.getMetadata().getName()));
    List<EndpointSlice> create = new ArrayList<>();
    List<EndpointSlice> update = new ArrayList<>();
    for (Desired d : desired) {
      EndpointSlice base = d.slice();
      if (base == null && !unused.isEmpty()) base = unused.remove(0);
      EndpointSlice want = build(json, svc, base, d.ports(), d.endpoints());
      if (base == null) create.add(want);
      else if (!same(json, base, want)) update.add(want);
    }
    return new Changes(create, update, unused);
  }

  private record Desired(EndpointSlice slice, List<EndpointPort> ports, List<Endpoint> endpoints) {}

  /** The slice to store: {@code base} (a copy) or a new one named {@code <service>-...}, with this content. */
  static EndpointSlice build(KubernetesSerialization json, Service svc, EndpointSlice base, List<EndpointPort> ports, List<Endpoint> endpoints) {
    EndpointSlice s;
    if (base != null) {
      s = json.clone(base);
    } else {
      s = new EndpointSlice();
      s.setApiVersion("discovery.k8s.io/v1");
      s.setKind("EndpointSlice");
      s.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMeta());
      s.getMetadata().setGenerateName(svc.getMetadata().getName() + "-");
      s.getMetadata().setNamespace(svc.getMetadata().getNamespace());
    }
    Map<String, String> labels = new LinkedHashMap<>(labels(svc));
    s.getMetadata().setLabels(labels);
    List<OwnerReference> owners = new ArrayList<>();
    if (base != null && base.getMetadata().getOwnerReferences() != null) {
      for (OwnerReference r : base.getMetadata().getOwnerReferences()) {
        if (!Boolean.TRUE.equals(r.getController())) owners.add(r); // one controller: the Service
      }
    }
    owners.add(0, Owners.controllerRef(svc));
    s.getMetadata().setOwnerReferences(owners);
    s.setAddressType("IPv4");
    s.setPorts(new ArrayList<>(ports));
    s.setEndpoints(new ArrayList<>(endpoints));
    return s;
  }

  static boolean same(KubernetesSerialization json, EndpointSlice a, EndpointSlice b) {
    return Objects.equals(orEmpty(a.getMetadata().getLabels()), orEmpty(b.getMetadata().getLabels()))
        && json.asJson(orEmpty(a.getMetadata().getOwnerReferences())).equals(json.asJson(orEmpty(b.getMetadata().getOwnerReferences())))
        && Objects.equals(a.getAddressType(), b.getAddressType())
        && portsKey(a.getPorts()).equals(portsKey(b.getPorts()))
        && json.asJson(orEmpty(a.getEndpoints())).equals(json.asJson(orEmpty(b.getEndpoints())));
  }

  /** A port set as text, defaults filled in, so that stored and computed ports compare equal. */
  static String portsKey(List<EndpointPort> ports) {
    StringBuilder b = new StringBuilder();
    for (EndpointPort p : orEmpty(ports)) {
      b.append(p.getName() == null ? "" : p.getName()).append('/').append(p.getPort()).append('/')
          .append(p.getProtocol() == null ? "TCP" : p.getProtocol()).append('/')
          .append(p.getAppProtocol() == null ? "" : p.getAppProtocol()).append(';');
    }
    return b.toString();
  }

  private static <K, V> Map<K, V> orEmpty(Map<K, V> m) {
    return m == null ? Map.of() : m;
  }

  private static <T> List<T> orEmpty(List<T> l) {
    return l == null ? List.of() : l;
  }
}
