package io.keelson.controller.endpoints;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.keelson.controller.pod.PodConditions;
import io.keelson.controller.runtime.Owners;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * What a Service's endpoints are, computed from its pods as kube's endpoints and endpointslice
 * controllers do. Pure functions of the objects, shared by both controllers and their tests.
 *
 * <p>A pod serves a Service when it is in the Service's namespace, its labels match the Service's
 * (non-empty) selector, it has a pod IP and has not terminated (phase Succeeded or Failed); a pod
 * being deleted counts only where terminating endpoints are wanted (EndpointSlices always, Endpoints
 * with {@code publishNotReadyAddresses}). Each Service port resolves against the pod: a named
 * {@code targetPort} to the pod's container port of that name and protocol, a number (or no
 * targetPort) to itself; a pod that has none of the Service's ports is left out.
 */
public final class ServiceEndpoints {
  /** Labelled on the Endpoints and EndpointSlices of a headless Service (clusterIP None). */
  public static final String HEADLESS_LABEL = "service.kubernetes.io/headless";
  /** Set, as kube does, when more than {@link #MAX_ENDPOINTS_ADDRESSES} addresses were cut. */
  public static final String OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity";
  /** kube's Endpoints capacity: beyond it the controller truncates (EndpointSlices have them all). */
  public static final int MAX_ENDPOINTS_ADDRESSES = 1000;

  private ServiceEndpoints() {}

  /** Whether the controllers keep endpoints for this Service: it has a selector and is not ExternalName. */
  public static boolean managed(Service svc) {
    if (svc == null || svc.getSpec() == null) return false;
    Map<String, String> sel = svc.getSpec().getSelector();
    return sel != null && !sel.isEmpty() && !"ExternalName".equals(svc.getSpec().getType());
  }

  /** Whether the Service's (non-empty) selector matches these labels. */
  public static boolean selects(Service svc, Map<String, String> labels) {
    if (svc.getSpec() == null) return false;
    Map<String, String> sel = svc.getSpec().getSelector();
    if (sel == null || sel.isEmpty()) return false;
    Map<String, String> l = labels == null ? Map.of() : labels;
    for (var e : sel.entrySet()) if (!e.getValue().equals(l.get(e.getKey()))) return false;
    return true;
  }

  public static boolean headless(Service svc) {
    return "None".equals(svc.getSpec().getClusterIP());
  }

  public static String podIp(Pod pod) {
    if (pod.getStatus() == null) return null;
    String ip = pod.getStatus().getPodIP();
    if ((ip == null || ip.isEmpty()) && pod.getStatus().getPodIPs() != null && !pod.getStatus().getPodIPs().isEmpty()) {
      ip = pod.getStatus().getPodIPs().get(0).getIp();
    }
    return ip == null || ip.isEmpty() ? null : ip;
  }

  public static boolean terminating(Pod pod) {
    return Owners.isDeleting(pod);
  }

  public static boolean ready(Pod pod) {
    return PodConditions.isReady(pod);
  }

  /** kube's ShouldPodBeInEndpoints: an IP, not terminated, and not being deleted unless those are wanted. */
  public static boolean shouldBeInEndpoints(Pod pod, boolean includeTerminating) {
    if (PodConditions.isTerminated(pod) || podIp(pod) == null) return false;
    return includeTerminating || !terminating(pod);
  }

  /**
   * The pod's port for a Service port: the number of a named targetPort among the pod's container
   * ports (same protocol), or the numeric targetPort, or the port itself; empty when a named port
   * is not found.
   */
  public static OptionalInt findPort(Pod pod, ServicePort sp) {
    IntOrString target = sp.getTargetPort();
    if (target == null || (target.getIntVal() == null && (target.getStrVal() == null || target.getStrVal().isEmpty()))) {
      return sp.getPort() == null ? OptionalInt.empty() : OptionalInt.of(sp.getPort());
    }
    if (target.getIntVal() != null) return OptionalInt.of(target.getIntVal());
    String name = target.getStrVal();
    String protocol = protocol(sp.getProtocol());
    List<Container> containers = new ArrayList<>();
    if (pod.getSpec() != null) {
      if (pod.getSpec().getContainers() != null) containers.addAll(pod.getSpec().getContainers());
      // sidecars (restartable init containers) serve as long as the pod does
      if (pod.getSpec().getInitContainers() != null) {
        for (Container c : pod.getSpec().getInitContainers()) if ("Always".equals(c.getRestartPolicy())) containers.add(c);
      }
    }
    for (Container c : containers) {
      if (c.getPorts() == null) continue;
      for (ContainerPort p : c.getPorts()) {
        if (name.equals(p.getName()) && protocol.equals(protocol(p.getProtocol())) && p.getContainerPort() != null) {
          return OptionalInt.of(p.getContainerPort());
        }
      }
    }
    return OptionalInt.empty();
  }

  static String protocol(String p) {
    return p == null || p.isEmpty() ? "TCP" : p;
  }

  /** One resolved port of a pod for a Service port (the fields both Endpoints and slices carry). */
  public record ResolvedPort(String name, int port, String protocol, String appProtocol) {}

  /**
   * The Service's ports as this pod serves them, in the Service's order; null when the Service has
   * ports and the pod serves none of them (the pod is left out), empty when the Service has none.
   */
  public static List<ResolvedPort> resolvePorts(Service svc, Pod pod) {
    List<ServicePort> ports = svc.getSpec().getPorts() == null ? List.of() : svc.getSpec().getPorts();
    List<ResolvedPort> out = new ArrayList<>();
    for (ServicePort sp : ports) {
      OptionalInt n = findPort(pod, sp);
      if (n.isPresent()) out.add(new ResolvedPort(sp.getName() == null ? "" : sp.getName(), n.getAsInt(), protocol(sp.getProtocol()), sp.getAppProtocol()));
    }
    if (!ports.isEmpty() && out.isEmpty()) return null;
    return out;
  }

  /** The hostname a pod is known by in the Service (its spec.hostname when its subdomain is the Service). */
  public static String hostname(Service svc, Pod pod) {
    if (pod.getSpec() == null) return null;
    String h = pod.getSpec().getHostname();
    if (h == null || h.isEmpty()) return null;
    return svc.getMetadata().getName().equals(pod.getSpec().getSubdomain())
        && Objects.equals(svc.getMetadata().getNamespace(), pod.getMetadata().getNamespace()) ? h : null;
  }

  public static ObjectReference podRef(Pod pod) {
    ObjectReference r = new ObjectReference();
    r.setKind("Pod");
    r.setNamespace(pod.getMetadata().getNamespace());
    r.setName(pod.getMetadata().getName());
    r.setUid(pod.getMetadata().getUid());
    return r;
  }

  /** The labels of the Service's Endpoints: the Service's, plus the headless label when headless. */
  public static Map<String, String> endpointsLabels(Service svc) {
    Map<String, String> out = new TreeMap<>();
    if (svc.getMetadata().getLabels() != null) out.putAll(svc.getMetadata().getLabels());
    out.remove(HEADLESS_LABEL);
    if (headless(svc)) out.put(HEADLESS_LABEL, "");
    return out;
  }

  /**
   * The subsets of the Service's Endpoints, as kube's endpoints controller writes them after
   * repacking: addresses with the same set of ports share one subset; within a subset ready
   * addresses under {@code addresses}, the others under {@code notReadyAddresses}, each sorted by IP.
   * With {@code publishNotReadyAddresses} every pod (terminating ones too) is under addresses.
   */
  public static List<EndpointSubset> subsets(Service svc, List<Pod> pods) {
    boolean publishNotReady = Boolean.TRUE.equals(svc.getSpec().getPublishNotReadyAddresses());
    boolean noPorts = svc.getSpec().getPorts() == null || svc.getSpec().getPorts().isEmpty();
    if (noPorts && !headless(svc)) return new ArrayList<>(); // only headless services may have no ports
    record Group(List<ResolvedPort> ports, List<EndpointAddress> ready, List<EndpointAddress> notReady) {}
    Map<List<ResolvedPort>, Group> groups = new LinkedHashMap<>();
    for (Pod pod : pods) {
      if (!selects(svc, pod.getMetadata().getLabels())) continue;
      if (!Objects.equals(svc.getMetadata().getNamespace(), pod.getMetadata().getNamespace())) continue;
      if (!shouldBeInEndpoints(pod, publishNotReady)) continue;
      List<ResolvedPort> ports = resolvePorts(svc, pod);
      if (ports == null) continue;
      EndpointAddress a = new EndpointAddress();
      a.setIp(podIp(pod));
      a.setHostname(hostname(svc, pod));
      String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
      a.setNodeName(node == null || node.isEmpty() ? null : node);
      a.setTargetRef(podRef(pod));
      Group g = groups.computeIfAbsent(ports, p -> new Group(p, new ArrayList<>(), new ArrayList<>()));
      if (publishNotReady || ready(pod)) g.ready().add(a);
      else g.notReady().add(a);
    }
    Comparator<EndpointAddress> byIp = Comparator.comparing(EndpointAddress::getIp)
        .thenComparing(a -> a.getTargetRef().getUid() == null ? "" : a.getTargetRef().getUid());
    List<Group> sorted = new ArrayList<>(groups.values());
    sorted.sort(Comparator.comparing(g -> g.ports().toString()));
    List<EndpointSubset> out = new ArrayList<>();
    for (Group g : sorted) {
      g.ready().sort(byIp);
      g.notReady().sort(byIp);
      EndpointSubset s = new EndpointSubset();
      s.setAddresses(g.ready());
      s.setNotReadyAddresses(g.notReady());
      List<EndpointPort> ports = new ArrayList<>();
      for (ResolvedPort p : g.ports()) {
        EndpointPort ep = new EndpointPort();
        ep.setName(p.name().isEmpty() ? null : p.name());
        ep.setPort(p.port());
        ep.setProtocol(p.protocol());
        ep.setAppProtocol(p.appProtocol());
        ports.add(ep);
      }
      s.setPorts(ports);
      out.add(s);
    }
    return out;
  }

  /**
   * Cuts subsets to {@link #MAX_ENDPOINTS_ADDRESSES} addresses, ready ones first, as kube does;
   * returns whether anything was cut.
   */
  public static boolean truncate(List<EndpointSubset> subsets) {
    int total = 0;
    for (EndpointSubset s : subsets) total += s.getAddresses().size() + s.getNotReadyAddresses().size();
    if (total <= MAX_ENDPOINTS_ADDRESSES) return false;
    int budget = MAX_ENDPOINTS_ADDRESSES;
    for (EndpointSubset s : subsets) {
      int keep = Math.min(budget, s.getAddresses().size());
      s.setAddresses(new ArrayList<>(s.getAddresses().subList(0, keep)));
      budget -= keep;
    }
    for (EndpointSubset s : subsets) {
      int keep = Math.min(budget, s.getNotReadyAddresses().size());
      s.setNotReadyAddresses(new ArrayList<>(s.getNotReadyAddresses().subList(0, keep)));
      budget -= keep;
    }
    subsets.removeIf(s -> s.getAddresses().isEmpty() && s.getNotReadyAddresses().isEmpty());
    return true;
  }
}
