package io.keelson.agent.netpol;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.keelson.client.selection.LabelSelectors;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Renders the NetworkPolicies that apply to this node's pods as one nftables table.
 *
 * <p>Shape: a verdict map per direction from a local pod's IP ({@code ingress-pods}: by
 * destination, {@code egress-pods}: by source), holding only pods that some policy isolates in that
 * direction, to a chain that jumps to the chain of every policy selecting the pod and drops what
 * none accepted (one such chain per distinct list of policies, shared by the pods it selects). A policy's chain is written once however many pods it
 * selects; its peers are named sets of pod IPs (one per distinct namespace and selectors, shared),
 * ipBlocks are prefixes with their excepts, named ports a set of {@code pod IP . protocol . port}
 * per port name (resolved on the destination pod, for ingress and egress alike). So the rules grow
 * with policies, and pods only add set elements.
 *
 * <p>Hooks: {@code forward} (traffic between pods, routed from other nodes or bridged on this one
 * — br_netfilter hands bridged IPv4 to these hooks — and Service traffic after its DNAT, before the
 * proxy's masquerading in postrouting, so policy sees the client pod and the chosen endpoint) for
 * egress, then for ingress in a later chain (an accepted egress goes on to the ingress check); and
 * {@code input} for egress to the node itself (the node DNS on the pod gateway, host ports).
 * Replies of allowed connections pass ({@code ct state established,related}). Traffic the node
 * itself sends (probes) never crosses forward, so it is always allowed, as kube requires.
 *
 * <p>The node's DNS server is not a pod: it is matched as one, at this node's pod gateway, in
 * namespace kube-system with {@code k8s-app=kube-dns} and CoreDNS's ports {@code dns} (UDP 53) and
 * {@code dns-tcp} (TCP 53), so the usual "allow DNS" egress rule works unchanged.
 *
 * <p>Not enforced: hostNetwork pods (neither selected nor matched as peers: their address is the
 * node's), IPv6. The text is deterministic for a given snapshot.
 */
public final class PolicyRules {

  /** The labels the node DNS answers to as a peer, those of CoreDNS's pods. */
  public static final Map<String, String> DNS_LABELS = Map.of("k8s-app", "kube-dns");
  public static final String DNS_NAMESPACE = "kube-system";
  /** The label kube sets on every namespace (and Keelson assumes for namespaceSelectors). */
  static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final List<String> PROTOCOLS = List.of("tcp", "udp", "sctp");

  /** A pod as policy sees it: where it is, what it is called, the ports it names. */
  record Member(String namespace, String name, String ip, String node, Map<String, String> labels, List<ContainerPort> ports,
      boolean pod) {}

  /** A rendered ruleset: {@link #text} replaces the table in one transaction. */
  public record Rendered(String table, String block, int policies, int isolatedPods, int rules) {
    public String text() {
      return "add table ip " + table + "\ndelete table ip " + table + "\n" + block;
    }
  }

  private PolicyRules() {}

  /**
   * The ruleset for {@code table} on node {@code nodeName}; {@code dnsAddress} is where the node
   * answers DNS (its pod gateway), null when it does not.
   */
  public static Rendered render(String table, PolicyCatalog.Snapshot snapshot, String nodeName, String dnsAddress) {
    List<Member> members = new ArrayList<>();
    for (Pod p : snapshot.pods()) {
      Member m = member(p);
      if (m != null) members.add(m);
    }
    if (dnsAddress != null) {
      members.add(new Member(DNS_NAMESPACE, "node-dns", dnsAddress, nodeName, DNS_LABELS, List.of(
          new ContainerPort(53, null, null, "dns", "UDP"), new ContainerPort(53, null, null, "dns-tcp", "TCP")), false));
    }
    members.sort(Comparator.comparing(Member::ip));
    Map<String, Map<String, String>> namespaceLabels = new HashMap<>();
    for (Namespace ns : snapshot.namespaces()) {
      Map<String, String> labels = new TreeMap<>(ns.getMetadata().getLabels() == null ? Map.of() : ns.getMetadata().getLabels());
      labels.put(NAMESPACE_NAME_LABEL, ns.getMetadata().getName());
      namespaceLabels.put(ns.getMetadata().getName(), labels);
    }
    List<NetworkPolicy> policies = new ArrayList<>(snapshot.policies());
    policies.sort(Comparator.comparing(PolicyRules::key));
    return new Writer(table, nodeName, members, namespaceLabels).write(policies);
  }

  /** The pod as a policy target or peer, or null when policy cannot see it (no IPv4 yet, host network, finished). */
  static Member member(Pod p) {
    if (p.getStatus() == null || p.getSpec() == null || Boolean.TRUE.equals(p.getSpec().getHostNetwork())) return null;
    String ip = p.getStatus().getPodIP();
    String phase = p.getStatus().getPhase();
    if (ip == null || !IPV4.matcher(ip).matches() || "Succeeded".equals(phase) || "Failed".equals(phase)) return null;
    List<ContainerPort> ports = new ArrayList<>();
    for (Container c : p.getSpec().getContainers() == null ? List.<Container>of() : p.getSpec().getContainers()) {
      if (c.getPorts() != null) ports.addAll(c.getPorts());
    }
    return new Member(p.getMetadata().getNamespace(), p.getMetadata().getName(), ip, p.getSpec().getNodeName(),
        p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels(), ports, true);
  }

  private static String key(NetworkPolicy np) {
    return np.getMetadata().getNamespace() + "/" + np.getMetadata().getName();
  }

  /** The policy's types as stored, or kube's defaults when absent (Ingress, and Egress with egress rules). */
  static Set<String> policyTypes(NetworkPolicySpec spec) {
    if (spec.getPolicyTypes() != null && !spec.getPolicyTypes().isEmpty()) return Set.copyOf(spec.getPolicyTypes());
    return spec.getEgress() != null && !spec.getEgress().isEmpty() ? Set.of("Ingress", "Egress") : Set.of("Ingress");
  }

  /** Short stable hash for names, as kube-proxy puts into chain names. */
  static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 4).toUpperCase(Locale.ROOT);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An IPv4 prefix in canonical form (host bits cleared, as nft wants), or null for anything else (IPv6). */
  static String ipv4Prefix(String cidr) {
    String[] f = cidr == null ? new String[0] : cidr.split("/");
    if (f.length != 2 || !IPV4.matcher(f[0]).matches()) return null;
    int bits;
    try {
      bits = Integer.parseInt(f[1]);
    } catch (NumberFormatException e) {
      return null;
    }
    if (bits < 0 || bits > 32) return null;
    long addr = 0;
    for (String octet : f[0].split("\\.")) addr = (addr << 8) | Integer.parseInt(octet);
    long mask = bits == 0 ? 0 : (0xFFFFFFFFL << (32 - bits)) & 0xFFFFFFFFL;
    addr &= mask;
    return ((addr >> 24) & 255) + "." + ((addr >> 16) & 255) + "." + ((addr >> 8) & 255) + "." + (addr & 255) + "/" + bits;
  }

  /** Builds the text of one ruleset. */
  private static final class Writer {
    private final String table;
    private final String nodeName;
    private final List<Member> members;
    private final Map<String, Map<String, String>> namespaceLabels;
    private final StringBuilder chains = new StringBuilder();
    /** Peer sets by name: their elements. */
    private final Map<String, TreeSet<String>> peerSets = new TreeMap<>();
    /** Named-port sets by name: their elements. */
    private final Map<String, TreeSet<String>> portSets = new TreeMap<>();
    /** Local pods' IP → the policy chains that apply, per direction. */
    private final Map<String, List<String>> ingress = new TreeMap<>();
    private final Map<String, List<String>> egress = new TreeMap<>();
    private int rules;

    Writer(String table, String nodeName, List<Member> members, Map<String, Map<String, String>> namespaceLabels) {
      this.table = table;
      this.nodeName = nodeName;
      this.members = members;
      this.namespaceLabels = namespaceLabels;
    }

    Rendered write(List<NetworkPolicy> policies) {
      int applied = 0;
      for (NetworkPolicy np : policies) {
        if (policy(np)) applied++;
      }
      StringBuilder out = new StringBuilder("table ip ").append(table).append(" {\n");
      podMap(out, "ingress-pods", ingress, "ingress");
      podMap(out, "egress-pods", egress, "egress");
      peerSets.forEach((name, elements) -> set(out, name, "ipv4_addr", elements));
      portSets.forEach((name, elements) -> set(out, name, "ipv4_addr . inet_proto . inet_service", elements));
      // egress first; what it accepts goes on to the ingress chain, a later base chain on the same hook
      chain(out, "egress-forward", "type filter hook forward priority 0; policy accept;",
          "ct state established,related accept", "ip saddr vmap @egress-pods");
      chain(out, "ingress-forward", "type filter hook forward priority 1; policy accept;",
          "ct state established,related accept", "ip daddr vmap @ingress-pods");
      chain(out, "egress-input", "type filter hook input priority 0; policy accept;",
          "ct state established,related accept", "ip saddr vmap @egress-pods");
      podChains(out, ingress, "ingress");
      podChains(out, egress, "egress");
      out.append(chains).append("}\n");
      Set<String> isolated = new TreeSet<>(ingress.keySet());
      isolated.addAll(egress.keySet());
      return new Rendered(table, out.toString(), applied, isolated.size(), rules);
    }

    /** Writes the policy's chains when it selects a pod of this node; whether it did. */
    private boolean policy(NetworkPolicy np) {
      NetworkPolicySpec spec = np.getSpec();
      if (spec == null) return false;
      String ns = np.getMetadata().getNamespace();
      LabelSelector podSelector = spec.getPodSelector() == null ? new LabelSelector() : spec.getPodSelector();
      List<Member> selected = members.stream()
          .filter(m -> nodeName.equals(m.node()) && ns.equals(m.namespace()) && m.pod())
          .filter(m -> LabelSelectors.selects(podSelector, m.labels())).toList();
      if (selected.isEmpty()) return false;
      Set<String> types = policyTypes(spec);
      String id = hash(key(np)) + "-" + key(np);
      if (types.contains("Ingress")) {
        String chain = "ingress-" + id;
        List<String> body = new ArrayList<>();
        for (var rule : spec.getIngress() == null ? List.<io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule>of() : spec.getIngress()) {
          rules(body, ns, "saddr", rule.getFrom(), rule.getPorts());
        }
        chain(chains, chain, null, body.toArray(String[]::new));
        for (Member m : selected) ingress.computeIfAbsent(m.ip(), k -> new ArrayList<>()).add(chain);
      }
      if (types.contains("Egress")) {
        String chain = "egress-" + id;
        List<String> body = new ArrayList<>();
        for (var rule : spec.getEgress() == null ? List.<io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule>of() : spec.getEgress()) {
          rules(body, ns, "daddr", rule.getTo(), rule.getPorts());
        }
        chain(chains, chain, null, body.toArray(String[]::new));
        for (Member m : selected) egress.computeIfAbsent(m.ip(), k -> new ArrayList<>()).add(chain);
      }
      return true;
    }

    /** One accept per peer × port of a rule; no peers means every source (destination), no ports every port. */
    private void rules(List<String> body, String ns, String peerField, List<NetworkPolicyPeer> peers, List<NetworkPolicyPort> ports) {
      List<String> peerMatches = new ArrayList<>();
      if (peers == null || peers.isEmpty()) {
        peerMatches.add("");
      } else {
        for (NetworkPolicyPeer peer : peers) {
          String m = peer(ns, peerField, peer);
          if (m != null) peerMatches.add(m);
        }
      }
      List<String> portMatches = new ArrayList<>();
      if (ports == null || ports.isEmpty()) {
        portMatches.add("");
      } else {
        for (NetworkPolicyPort port : ports) {
          String m = port(port);
          if (m != null) portMatches.add(m);
        }
      }
      for (String peer : peerMatches) {
        for (String port : portMatches) {
          body.add((peer + " " + port).trim() + (peer.isEmpty() && port.isEmpty() ? "accept" : " accept"));
        }
      }
    }

    /** The match of one peer, or null when it can match nothing here (an IPv6 block). */
    private String peer(String ns, String field, NetworkPolicyPeer peer) {
      IPBlock block = peer.getIpBlock();
      if (block != null) {
        String cidr = ipv4Prefix(block.getCidr());
        if (cidr == null) return null;
        List<String> except = new ArrayList<>();
        for (String e : block.getExcept() == null ? List.<String>of() : block.getExcept()) {
          String p = ipv4Prefix(e);
          if (p != null) except.add(p);
        }
        return "ip " + field + " " + cidr + (except.isEmpty() ? "" : " ip " + field + " != { " + String.join(", ", except) + " }");
      }
      LabelSelector pods = peer.getPodSelector();
      LabelSelector namespaces = peer.getNamespaceSelector();
      // podSelector alone: the policy's namespace; namespaceSelector alone: all pods of those namespaces
      LabelSelector podMatch = pods == null ? new LabelSelector() : pods;
      String key = namespaces == null ? "ns=" + ns + " pods=" + canonical(podMatch) : "namespaces=" + canonical(namespaces) + " pods=" + canonical(podMatch);
      String name = "peer-" + hash(key);
      if (!peerSets.containsKey(name)) {
        TreeSet<String> ips = new TreeSet<>();
        for (Member m : members) {
          boolean inNamespace = namespaces == null ? ns.equals(m.namespace())
              : LabelSelectors.selects(namespaces, namespaceLabels.getOrDefault(m.namespace(), Map.of(NAMESPACE_NAME_LABEL, m.namespace())));
          if (inNamespace && LabelSelectors.selects(podMatch, m.labels())) ips.add(m.ip());
        }
        peerSets.put(name, ips);
      }
      return "ip " + field + " @" + name;
    }

    /** The match of one port, or null for a protocol nft does not know here. */
    private String port(NetworkPolicyPort port) {
      String protocol = port.getProtocol() == null ? "tcp" : port.getProtocol().toLowerCase(Locale.ROOT);
      if (!PROTOCOLS.contains(protocol)) return null;
      IntOrString p = port.getPort();
      if (p == null) return "meta l4proto " + protocol;
      if (p.getStrVal() != null) {
        // a named port: the destination pod's container port of that name and protocol
        String name = "port-" + protocol + "-" + p.getStrVal();
        if (!portSets.containsKey(name)) {
          TreeSet<String> elements = new TreeSet<>();
          for (Member m : members) {
            for (ContainerPort cp : m.ports()) {
              String cpProtocol = cp.getProtocol() == null ? "tcp" : cp.getProtocol().toLowerCase(Locale.ROOT);
              if (p.getStrVal().equals(cp.getName()) && protocol.equals(cpProtocol) && cp.getContainerPort() != null) {
                elements.add(m.ip() + " . " + protocol + " . " + cp.getContainerPort());
              }
            }
          }
          portSets.put(name, elements);
        }
        return "ip daddr . meta l4proto . th dport @" + name;
      }
      int from = p.getIntVal();
      Integer end = port.getEndPort();
      return "meta l4proto " + protocol + " th dport " + (end != null && end > from ? from + "-" + end : String.valueOf(from));
    }

    private void podMap(StringBuilder out, String name, Map<String, List<String>> pods, String direction) {
      List<String> elements = new ArrayList<>();
      pods.forEach((ip, policyChains) -> elements.add(ip + " : goto " + isolationChain(direction, policyChains)));
      out.append("  map ").append(name).append(" {\n    type ipv4_addr : verdict\n");
      elements(out, elements);
      out.append("  }\n");
    }

    /** One chain per distinct list of policies: pods selected by the same policies share it. */
    private void podChains(StringBuilder out, Map<String, List<String>> pods, String direction) {
      Set<List<String>> written = new java.util.HashSet<>();
      pods.values().forEach(policyChains -> {
        if (!written.add(policyChains)) return;
        List<String> body = new ArrayList<>();
        policyChains.forEach(c -> body.add("jump " + c));
        body.add("drop"); // isolated: only what some policy accepted passes
        chain(out, isolationChain(direction, policyChains), null, body.toArray(String[]::new));
      });
    }

    private static String isolationChain(String direction, List<String> policyChains) {
      return direction + "-isolated-" + hash(String.join(",", policyChains));
    }

    private static void set(StringBuilder out, String name, String type, TreeSet<String> elements) {
      out.append("  set ").append(name).append(" {\n    type ").append(type).append('\n');
      elements(out, new ArrayList<>(elements));
      out.append("  }\n");
    }

    private static void elements(StringBuilder out, List<String> elements) {
      if (elements.isEmpty()) return;
      out.append("    elements = {\n");
      for (int i = 0; i < elements.size(); i++) {
        out.append("      ").append(elements.get(i)).append(i + 1 < elements.size() ? ",\n" : "\n");
      }
      out.append("    }\n");
    }

    private void chain(StringBuilder to, String name, String hook, String... body) {
      to.append("  chain ").append(name).append(" {\n");
      if (hook != null) to.append("    ").append(hook).append('\n');
      for (String r : body) {
        to.append("    ").append(r).append('\n');
        rules++;
      }
      to.append("  }\n");
    }
  }

  /** A selector as stable text (for set names shared by equal selectors). */
  private static String canonical(LabelSelector s) {
    Map<String, String> labels = new TreeMap<>(s.getMatchLabels() == null ? Map.of() : s.getMatchLabels());
    List<String> exprs = new ArrayList<>();
    for (LabelSelectorRequirement r : s.getMatchExpressions() == null ? List.<LabelSelectorRequirement>of() : s.getMatchExpressions()) {
      exprs.add(r.getKey() + " " + r.getOperator() + " " + new TreeSet<>(r.getValues() == null ? List.of() : r.getValues()));
    }
    exprs.sort(null);
    return labels + exprs.toString();
  }
}
