package io.keelson.agent.proxy;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.keelson.agent.service.ServiceCatalog;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Renders the node's whole Service ruleset, one nftables table, from a catalog snapshot — the shape
 * of kube-proxy's nftables mode: a verdict map from ClusterIP . protocol . port to a chain per
 * Service port, one from protocol . node port to it (for the node's own addresses), a chain per
 * endpoint that DNATs, random choice between endpoints ({@code numgen random}), and maps of the
 * Service ports that have no endpoints, whose new connections are rejected so that clients fail at
 * once instead of timing out.
 *
 * <p>Endpoints are those of the slices (IPv4) whose port has the Service port's name; ready ones, or
 * when none is ready the serving-but-terminating ones (kube's fallback). {@code
 * internalTrafficPolicy: Local} limits ClusterIP traffic, {@code externalTrafficPolicy: Local}
 * NodePort traffic, to this node's endpoints (dropped when it has none). {@code sessionAffinity:
 * ClientIP} remembers each client's endpoint in a timed set per endpoint.
 *
 * <p>Service traffic is masqueraded (kube-proxy's {@code --masquerade-all}): a pod reaching a
 * Service whose endpoint sits on the same bridge (itself, or a neighbour) gets the reply straight
 * over the bridge unless the reply comes back through this host, which br_netfilter would arrange
 * but is not loaded everywhere (lab namespaces, hosts without the module). The cost: endpoints see
 * the node's address instead of the client's. The exception: a pod of this node's bridge reaching
 * an endpoint on another node keeps its address (the reply is routed back through this node
 * anyway), so that the endpoint's node can apply NetworkPolicies to the client pod, as kube-proxy
 * without {@code --masquerade-all} leaves pod-to-pod Service traffic.
 *
 * <p>NodePorts answer on the node's local addresses except 127.0.0.0/8, as in kube-proxy's nftables
 * mode: DNAT of loopback traffic to a pod needs {@code route_localnet}, which opens the host's
 * loopback services to the network.
 *
 * <p>ExternalName and headless Services are not proxied. The text is deterministic for a given
 * snapshot, so an unchanged snapshot renders the same ruleset.
 */
public final class ServiceRules {

  /** The packet mark bit that asks for masquerading (kube-proxy's 0x4000). */
  static final String MASQUERADE_MARK = "0x4000";
  /** Every bit but {@link #MASQUERADE_MARK}: clears it. */
  static final String NOT_MASQUERADE_MARK = "0xffffbfff";

  /** kube-proxy's default for {@code sessionAffinityConfig.clientIP.timeoutSeconds}. */
  static final int DEFAULT_AFFINITY_SECONDS = 10800;

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  /** What one Service port turns into. */
  record ServicePortRules(
      String key,
      String clusterIp,
      String protocol,
      int port,
      int nodePort,
      List<Backend> all,
      List<Backend> internal,
      List<Backend> external,
      int affinitySeconds) {}

  /** One endpoint address and port of a Service port. */
  record Backend(String ip, int port, String nodeName) implements Comparable<Backend> {
    @Override
    public int compareTo(Backend o) {
      int c = ip.compareTo(o.ip);
      return c != 0 ? c : Integer.compare(port, o.port);
    }
  }

  /** The summary of a rendered ruleset, for logs and metrics. */
  /**
   * A rendered ruleset: the table's block, the names of its chains and affinity sets, and the
   * scripts that load it — {@link #text} replaces the table outright; {@link #updateFrom} keeps the
   * table, its affinity sets and their remembered clients, and rewrites everything else.
   */
  public record Rendered(String table, String block, Set<String> chains, Set<String> sets,
      int servicePorts, int endpoints, int rules) {

    /** Replaces the table in one transaction ("add" first so that "delete" succeeds on a first sync). */
    public String text() {
      return "add table ip " + table + "\ndelete table ip " + table + "\n" + block;
    }

    /**
     * Rewrites the table as {@code previous} left it, in one transaction: rules and map elements are
     * flushed and written anew, chains and sets that are no longer rendered are deleted, affinity
     * sets that stay keep their clients (a delete-and-add would forget every client's endpoint on
     * each change anywhere in the cluster). Fails when the table is not as {@code previous} left it;
     * {@link #text} then repairs it.
     */
    public String updateFrom(Rendered previous) {
      StringBuilder sb = new StringBuilder("add table ip ").append(table).append('\n');
      sb.append("flush table ip ").append(table).append('\n'); // rules only: sets and maps keep their elements
      for (String map : MAPS) {
        sb.append("flush map ip ").append(table).append(' ').append(map).append('\n');
      }
      sb.append(block);
      for (String chain : previous.chains()) {
        if (!chains.contains(chain)) {
          sb.append("delete chain ip ").append(table).append(' ').append(chain).append('\n');
        }
      }
      for (String set : previous.sets()) {
        if (!sets.contains(set)) {
          sb.append("delete set ip ").append(table).append(' ').append(set).append('\n');
        }
      }
      return sb.toString();
    }
  }

  /** The verdict maps every ruleset has. */
  static final List<String> MAPS = List.of("service-ips", "service-nodeports", "no-endpoint-services", "no-endpoint-nodeports");

  private ServiceRules() {}

  /**
   * The ruleset for {@code table} (an {@code ip} family table) on node {@code nodeName}, loaded
   * atomically by {@code nft -f} with {@link Rendered#text} or {@link Rendered#updateFrom}.
   */
  public static Rendered render(String table, ServiceCatalog.Snapshot snapshot, String nodeName) {
    List<ServicePortRules> ports = servicePorts(snapshot, nodeName);
    return new Writer(table, ports, nodeName, bridgeOf(table)).write();
  }

  /** The node's bridge: the table is named after it ({@code keelson-<hash>}, {@code kb-<hash>}). */
  static String bridgeOf(String table) {
    return "kb-" + table.substring(table.lastIndexOf('-') + 1);
  }

  /** The Service ports to program, sorted by their key. */
  static List<ServicePortRules> servicePorts(ServiceCatalog.Snapshot snapshot, String nodeName) {
    Map<String, ServicePortRules> byKey = new TreeMap<>();
    for (Service svc : snapshot.services().values()) {
      ServiceSpec spec = svc.getSpec();
      if (spec == null || spec.getPorts() == null || "ExternalName".equals(spec.getType())) {
        continue;
      }
      String clusterIp = spec.getClusterIP();
      if (clusterIp == null || !IPV4.matcher(clusterIp).matches()) {
        continue; // headless ("None"), not allocated yet, or IPv6
      }
      String ns = svc.getMetadata().getNamespace();
      String name = svc.getMetadata().getName();
      List<EndpointSlice> slices = snapshot.slicesOf(ns, name);
      boolean nodePorts = "NodePort".equals(spec.getType()) || "LoadBalancer".equals(spec.getType());
      int affinity = "ClientIP".equals(spec.getSessionAffinity()) ? affinitySeconds(spec) : 0;
      for (ServicePort sp : spec.getPorts()) {
        if (sp.getPort() == null) {
          continue;
        }
        String protocol = sp.getProtocol() == null ? "tcp" : sp.getProtocol().toLowerCase(Locale.ROOT);
        if (!List.of("tcp", "udp", "sctp").contains(protocol)) {
          continue;
        }
        String portName = sp.getName() == null ? "" : sp.getName();
        List<Backend> all = backends(slices, portName, protocol);
        List<Backend> local = all.stream().filter(b -> nodeName.equals(b.nodeName())).toList();
        String key = ns + "/" + name + "/" + protocol + "/" + (portName.isEmpty() ? String.valueOf(sp.getPort()) : portName);
        int nodePort = nodePorts && sp.getNodePort() != null ? sp.getNodePort() : 0;
        byKey.put(key, new ServicePortRules(
            key, clusterIp, protocol, sp.getPort(), nodePort, all,
            "Local".equals(spec.getInternalTrafficPolicy()) ? local : all,
            "Local".equals(spec.getExternalTrafficPolicy()) ? local : all,
            affinity));
      }
    }
    return List.copyOf(byKey.values());
  }

  private static int affinitySeconds(ServiceSpec spec) {
    var config = spec.getSessionAffinityConfig();
    Integer t = config == null || config.getClientIP() == null ? null : config.getClientIP().getTimeoutSeconds();
    return t == null || t <= 0 ? DEFAULT_AFFINITY_SECONDS : t;
  }

  /**
   * The endpoints of the slices' port named {@code portName}: the ready ones, or when there are
   * none the serving and terminating ones; each address once, sorted.
   */
  static List<Backend> backends(List<EndpointSlice> slices, String portName, String protocol) {
    TreeSet<Backend> ready = new TreeSet<>();
    TreeSet<Backend> terminating = new TreeSet<>();
    for (EndpointSlice slice : slices) {
      if (!"IPv4".equals(slice.getAddressType()) || slice.getPorts() == null || slice.getEndpoints() == null) {
        continue;
      }
      EndpointPort port = null;
      for (EndpointPort p : slice.getPorts()) {
        String n = p.getName() == null ? "" : p.getName();
        String proto = p.getProtocol() == null ? "tcp" : p.getProtocol().toLowerCase(Locale.ROOT);
        if (n.equals(portName) && proto.equals(protocol) && p.getPort() != null) {
          port = p;
          break;
        }
      }
      if (port == null) {
        continue;
      }
      for (Endpoint ep : slice.getEndpoints()) {
        if (ep.getAddresses() == null || ep.getAddresses().isEmpty()) {
          continue;
        }
        EndpointConditions c = ep.getConditions();
        // discovery.k8s.io/v1: an unknown (nil) condition means ready, and serving follows ready
        boolean isReady = c == null || c.getReady() == null || c.getReady();
        boolean serving = c == null || c.getServing() == null ? isReady : c.getServing();
        boolean isTerminating = c != null && Boolean.TRUE.equals(c.getTerminating());
        Backend b = new Backend(ep.getAddresses().get(0), port.getPort(), ep.getNodeName());
        if (isReady && !isTerminating) {
          ready.add(b);
        } else if (serving && isTerminating) {
          terminating.add(b);
        }
      }
    }
    return List.copyOf(ready.isEmpty() ? terminating : ready);
  }

  /** Short stable hash, as kube-proxy puts into chain names so that long names stay unique. */
  static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 4).toUpperCase(Locale.ROOT);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Builds the text of one ruleset. */
  private static final class Writer {
    private final String table;
    private final List<ServicePortRules> ports;
    private final String nodeName;
    private final String bridge;
    private final StringBuilder out = new StringBuilder();
    /** Affinity sets, written before the chains that use them. */
    private final StringBuilder sets = new StringBuilder();
    private final Set<String> chainNames = new java.util.HashSet<>();
    private final Set<String> setNames = new java.util.HashSet<>();
    private final List<String> serviceIps = new ArrayList<>();
    private final List<String> nodePorts = new ArrayList<>();
    private final List<String> noEndpointServices = new ArrayList<>();
    private final List<String> noEndpointNodePorts = new ArrayList<>();
    private int rules;
    private int endpoints;

    Writer(String table, List<ServicePortRules> ports, String nodeName, String bridge) {
      this.table = table;
      this.ports = ports;
      this.nodeName = nodeName;
      this.bridge = bridge;
    }

    Rendered write() {
      out.append("table ip ").append(table).append(" {\n");
      StringBuilder perService = new StringBuilder();
      for (ServicePortRules p : ports) {
        servicePort(p, perService);
      }
      base();
      map("service-ips", "ipv4_addr . inet_proto . inet_service", serviceIps);
      map("service-nodeports", "inet_proto . inet_service", nodePorts);
      map("no-endpoint-services", "ipv4_addr . inet_proto . inet_service", noEndpointServices);
      map("no-endpoint-nodeports", "inet_proto . inet_service", noEndpointNodePorts);
      out.append(sets).append(perService);
      out.append("}\n");
      return new Rendered(table, out.toString(), Set.copyOf(chainNames), Set.copyOf(setNames), ports.size(), endpoints, rules);
    }

    /** The hooks and the chains every ruleset has. */
    private void base() {
      chain(out, "filter-input", "type filter hook input priority -110;",
          "ct state new jump nodeport-endpoints-check",
          "ct state new jump service-endpoints-check");
      chain(out, "filter-forward", "type filter hook forward priority -110;",
          "ct state new jump service-endpoints-check");
      chain(out, "filter-output", "type filter hook output priority -110;",
          "ct state new jump service-endpoints-check",
          "ct state new jump nodeport-endpoints-check");
      chain(out, "service-endpoints-check", null, "ip daddr . meta l4proto . th dport vmap @no-endpoint-services");
      chain(out, "nodeport-endpoints-check", null,
          "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports");
      chain(out, "reject-chain", null, "reject");
      chain(out, "nat-prerouting", "type nat hook prerouting priority dstnat;", "jump services");
      chain(out, "nat-output", "type nat hook output priority -100;", "jump services");
      chain(out, "nat-postrouting", "type nat hook postrouting priority srcnat;", "jump masquerading");
      chain(out, "services", null,
          "ip daddr . meta l4proto . th dport vmap @service-ips",
          "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports");
      chain(out, "mark-for-masquerade", null, "meta mark set meta mark or " + MASQUERADE_MARK);
      chain(out, "masquerading", null,
          "meta mark & " + MASQUERADE_MARK + " == 0 return",
          // clear the bit: a packet that goes on through another table's chains is not masqueraded twice
          "meta mark set meta mark xor " + MASQUERADE_MARK,
          "masquerade fully-random");
    }

    private void servicePort(ServicePortRules p, StringBuilder chains) {
      String id = hash(p.key()) + "-" + p.key();
      String ipKey = p.clusterIp() + " . " + p.protocol() + " . " + p.port();
      String npKey = p.protocol() + " . " + p.nodePort();
      if (p.all().isEmpty()) {
        noEndpointServices.add(ipKey + " : goto reject-chain");
        if (p.nodePort() > 0) {
          noEndpointNodePorts.add(npKey + " : goto reject-chain");
        }
        return;
      }
      String clusterChain = "svc-" + id;
      serviceChain(chains, clusterChain, p, p.internal());
      serviceIps.add(ipKey + " : goto " + clusterChain);
      if (p.nodePort() > 0) {
        String externalChain = clusterChain;
        if (!p.external().equals(p.internal())) {
          externalChain = "ext-" + id;
          serviceChain(chains, externalChain, p, p.external());
        }
        nodePorts.add(npKey + " : goto " + externalChain);
      }
      for (Backend b : p.all()) {
        endpointChain(chains, p, b);
      }
    }

    private void serviceChain(StringBuilder chains, String name, ServicePortRules p, List<Backend> backends) {
      List<String> body = new ArrayList<>();
      body.add("jump mark-for-masquerade");
      if (backends.isEmpty()) {
        body.add("drop"); // a Local policy and no endpoint on this node: kube-proxy drops too
      } else {
        if (p.affinitySeconds() > 0) {
          for (Backend b : backends) {
            body.add("ip saddr @" + affinitySet(p, b) + " goto " + endpointChainName(p, b));
          }
        }
        StringBuilder vmap = new StringBuilder("numgen random mod ").append(backends.size()).append(" vmap { ");
        for (int i = 0; i < backends.size(); i++) {
          vmap.append(i == 0 ? "" : ", ").append(i).append(" : goto ").append(endpointChainName(p, backends.get(i)));
        }
        body.add(vmap.append(" }").toString());
      }
      chain(chains, name, null, body.toArray(String[]::new));
    }

    private void endpointChain(StringBuilder chains, ServicePortRules p, Backend b) {
      endpoints++;
      List<String> body = new ArrayList<>();
      if (p.affinitySeconds() > 0) {
        String set = affinitySet(p, b);
        setNames.add(set);
        sets.append("  set ").append(set).append(" {\n    type ipv4_addr\n    flags dynamic,timeout\n    timeout ")
            .append(p.affinitySeconds()).append("s\n  }\n");
        body.add("update @" + set + " { ip saddr }");
      }
      if (b.nodeName() != null && !b.nodeName().equals(nodeName)) {
        // a local pod to another node's pod: not masqueraded (see the class comment)
        body.add("iifname \"" + bridge + "\" meta mark set meta mark and " + NOT_MASQUERADE_MARK);
      }
      body.add("meta l4proto " + p.protocol() + " dnat to " + b.ip() + ":" + b.port());
      chain(chains, endpointChainName(p, b), null, body.toArray(String[]::new));
    }

    private static String endpointChainName(ServicePortRules p, Backend b) {
      String ep = p.key() + "__" + b.ip() + "/" + b.port();
      return "ep-" + hash(ep) + "-" + ep;
    }

    /** Named after the timeout too: a set's timeout cannot change in place. */
    private static String affinitySet(ServicePortRules p, Backend b) {
      return "affinity-" + hash(p.key() + "__" + b.ip() + "/" + b.port() + "/" + p.affinitySeconds());
    }

    private void map(String name, String type, List<String> all) {
      // one element per key: two Services claiming one node port (or, briefly, one IP) would
      // otherwise make nft refuse the whole ruleset; the first by Service key wins
      Map<String, String> byKey = new java.util.LinkedHashMap<>();
      for (String e : all) {
        byKey.putIfAbsent(e.substring(0, e.indexOf(" : ")), e);
      }
      List<String> elements = List.copyOf(byKey.values());
      out.append("  map ").append(name).append(" {\n    type ").append(type).append(" : verdict\n");
      if (!elements.isEmpty()) {
        out.append("    elements = {\n");
        for (int i = 0; i < elements.size(); i++) {
          out.append("      ").append(elements.get(i)).append(i + 1 < elements.size() ? ",\n" : "\n");
        }
        out.append("    }\n");
      }
      out.append("  }\n");
    }

    private void chain(StringBuilder to, String name, String hook, String... body) {
      chainNames.add(name);
      to.append("  chain ").append(name).append(" {\n");
      if (hook != null) {
        to.append("    ").append(hook).append('\n');
      }
      for (String r : body) {
        to.append("    ").append(r).append('\n');
        rules++;
      }
      to.append("  }\n");
    }
  }
}
