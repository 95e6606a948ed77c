package io.keelson.agent.netpol;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Policies, pods and namespaces in, nftables text out. */
class PolicyRulesTest {

  static final String TABLE = "keelson-np-0123abcd";
  static final String GATEWAY = "10.244.1.1";

  /** A running pod "ns/name" at {@code ip} on {@code node}, with labels "k=v,..." and an http port 8080. */
  static Pod pod(String nsName, String ip, String node, String labels) {
    String[] n = nsName.split("/");
    PodBuilder b = new PodBuilder().withNewMetadata().withNamespace(n[0]).withName(n[1]).endMetadata()
        .withNewSpec().withNodeName(node).addNewContainer().withName("c").addNewPort().withName("http").withContainerPort(8080)
        .withProtocol("TCP").endPort().endContainer().endSpec()
        .withNewStatus().withPhase("Running").withPodIP(ip).endStatus();
    Pod p = b.build();
    if (!labels.isEmpty()) {
      for (String kv : labels.split(",")) {
        p.getMetadata().setLabels(new java.util.HashMap<>(p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels()));
        p.getMetadata().getLabels().put(kv.split("=")[0], kv.split("=")[1]);
      }
    }
    return p;
  }

  static Namespace namespace(String name, String labels) {
    NamespaceBuilder b = new NamespaceBuilder().withNewMetadata().withName(name).endMetadata();
    Namespace ns = b.build();
    if (!labels.isEmpty()) ns.getMetadata().setLabels(Map.of(labels.split("=")[0], labels.split("=")[1]));
    return ns;
  }

  /** default/deny: selects app=db, no ingress rule (default deny ingress). */
  static NetworkPolicy denyDb() {
    return new NetworkPolicyBuilder().withNewMetadata().withNamespace("default").withName("deny").endMetadata()
        .withNewSpec().withNewPodSelector().addToMatchLabels("app", "db").endPodSelector().withPolicyTypes("Ingress").endSpec().build();
  }

  /** default/clients: app=db accepts role=client pods on TCP 5432 and on the named port http. */
  static NetworkPolicy allowClients() {
    return new NetworkPolicyBuilder().withNewMetadata().withNamespace("default").withName("clients").endMetadata()
        .withNewSpec().withNewPodSelector().addToMatchLabels("app", "db").endPodSelector()
        .addNewIngress().addNewFrom().withNewPodSelector().addToMatchLabels("role", "client").endPodSelector().endFrom()
        .addNewPort().withProtocol("TCP").withPort(new IntOrString(5432)).endPort()
        .addNewPort().withProtocol("TCP").withPort(new IntOrString("http")).endPort().endIngress()
        .endSpec().build();
  }

  static final List<Pod> PODS = List.of(
      pod("default/db", "10.244.1.5", "node-1", "app=db"),
      pod("default/db-remote", "10.244.2.5", "node-2", "app=db"),
      pod("default/client", "10.244.2.7", "node-2", "role=client"),
      pod("other/client", "10.244.1.9", "node-1", "role=client"),
      pod("default/stranger", "10.244.1.8", "node-1", ""));

  static String render(List<NetworkPolicy> policies, List<Pod> pods, List<Namespace> namespaces) {
    return PolicyRules.render(TABLE, new PolicyCatalog.Snapshot(policies, pods, namespaces), "node-1", GATEWAY).text();
  }

  @Test
  void withoutPoliciesNothingIsIsolated() {
    String nft = render(List.of(), PODS, List.of());
    assertThat(nft).startsWith("add table ip " + TABLE + "\ndelete table ip " + TABLE + "\ntable ip " + TABLE + " {\n");
    assertThat(section(nft, "map ingress-pods")).doesNotContain("elements");
    assertThat(section(nft, "map egress-pods")).doesNotContain("elements");
    assertThat(nft).contains("type filter hook forward priority 0; policy accept;", "ct state established,related accept",
        "ip daddr vmap @ingress-pods", "type filter hook input priority 0;");
  }

  @Test
  void defaultDenyIsolatesOnlyThisNodesSelectedPods() {
    String nft = render(List.of(denyDb()), PODS, List.of());
    assertThat(section(nft, "map ingress-pods")).contains("10.244.1.5 : goto ingress-isolated-")
        .doesNotContain("10.244.2.5", "10.244.1.8");
    assertThat(isolation(nft, "ingress", "10.244.1.5")).contains("jump ingress-", "default/deny", "drop");
    // the policy's own chain accepts nothing
    String policyChain = nft.lines().filter(l -> l.startsWith("  chain ingress-") && l.contains("default/deny")).findFirst().orElseThrow();
    assertThat(section(nft, policyChain.trim())).doesNotContain("accept");
    assertThat(section(nft, "map egress-pods")).doesNotContain("elements");
  }

  @Test
  void podSelectorPeersAndPortsBecomeSetsAndMatches() {
    String nft = render(List.of(denyDb(), allowClients()), PODS, List.of());
    assertThat(isolation(nft, "ingress", "10.244.1.5")).contains("default/clients", "default/deny");
    // role=client in the policy's namespace only: the pod on node-2, not other/client
    String peer = nft.lines().filter(l -> l.trim().startsWith("set peer-")).findFirst().orElseThrow().trim();
    assertThat(section(nft, peer)).contains("10.244.2.7").doesNotContain("10.244.1.9");
    assertThat(nft).contains("ip saddr @" + peer.replace("set ", "").replace(" {", "") + " meta l4proto tcp th dport 5432 accept");
    // the named port: each pod's own number for "http"
    assertThat(nft).contains("ip daddr . meta l4proto . th dport @port-tcp-http accept");
    assertThat(section(nft, "set port-tcp-http")).contains("10.244.1.5 . tcp . 8080");
  }

  @Test
  void namespaceSelectorsIpBlocksAndEgress() {
    NetworkPolicy np = new NetworkPolicyBuilder().withNewMetadata().withNamespace("default").withName("mixed").endMetadata()
        .withNewSpec().withNewPodSelector().endPodSelector().withPolicyTypes("Ingress", "Egress")
        .addNewIngress().addNewFrom().withNewNamespaceSelector().addToMatchLabels("team", "a").endNamespaceSelector().endFrom()
        .addNewFrom().withNewIpBlock().withCidr("192.168.7.9/16").withExcept("192.168.1.0/24").endIpBlock().endFrom().endIngress()
        .addNewEgress().addNewTo().withNewNamespaceSelector().addToMatchLabels(PolicyRules.NAMESPACE_NAME_LABEL, "kube-system")
        .endNamespaceSelector().withNewPodSelector().addToMatchLabels("k8s-app", "kube-dns").endPodSelector().endTo()
        .addNewPort().withProtocol("UDP").withPort(new IntOrString(53)).endPort().endEgress()
        .addNewEgress().addNewPort().withProtocol("TCP").withPort(new IntOrString(8000)).withEndPort(8080).endPort().endEgress()
        .endSpec().build();
    String nft = render(List.of(np), PODS, List.of(namespace("other", "team=a"), namespace("default", "")));
    // every pod of this node in "default" is isolated both ways
    assertThat(section(nft, "map ingress-pods")).contains("10.244.1.5", "10.244.1.8").doesNotContain("10.244.1.9");
    assertThat(section(nft, "map egress-pods")).contains("10.244.1.5", "10.244.1.8");
    // namespaceSelector team=a: other/client; the ipBlock in canonical form with its except
    assertThat(nft).contains("ip saddr 192.168.0.0/16 ip saddr != { 192.168.1.0/24 } accept");
    // the node DNS is kube-system's kube-dns: at the gateway
    assertThat(nft).contains("meta l4proto udp th dport 53 accept", "meta l4proto tcp th dport 8000-8080 accept");
    String egressChain = nft.lines().filter(l -> l.startsWith("  chain egress-") && l.contains("default/mixed")).findFirst().orElseThrow();
    String dnsRule = section(nft, egressChain.trim()).lines().filter(l -> l.contains("udp")).findFirst().orElseThrow().trim();
    String dnsSet = dnsRule.split("@")[1].split(" ")[0];
    assertThat(section(nft, "set " + dnsSet)).contains(GATEWAY).doesNotContain("10.244.1.5", "10.244.1.9", "10.244.2.7");
    String nsRule = section(nft, nft.lines().filter(l -> l.startsWith("  chain ingress-") && l.contains("default/mixed"))
        .findFirst().orElseThrow().trim()).lines().filter(l -> l.contains("@peer-")).findFirst().orElseThrow().trim();
    assertThat(section(nft, "set " + nsRule.split("@")[1].split(" ")[0])).contains("10.244.1.9").doesNotContain("10.244.1.5");
  }

  @Test
  void podsSelectedByTheSamePoliciesShareOneChain() {
    List<Pod> pods = new java.util.ArrayList<>(PODS);
    pods.add(pod("default/db-2", "10.244.1.6", "node-1", "app=db"));
    String nft = render(List.of(denyDb(), allowClients()), pods, List.of());
    assertThat(isolation(nft, "ingress", "10.244.1.5")).isEqualTo(isolation(nft, "ingress", "10.244.1.6"));
    assertThat(nft.lines().filter(l -> l.startsWith("  chain ingress-isolated-")).count()).isEqualTo(1);
  }

  /** The chain the {@code direction}-pods map sends {@code ip} to. */
  static String isolation(String nft, String direction, String ip) {
    String element = section(nft, "map " + direction + "-pods").lines().map(String::trim)
        .filter(l -> l.startsWith(ip + " : goto ")).findFirst().orElseThrow();
    return section(nft, "chain " + element.substring(element.indexOf("goto ") + 5).replace(",", ""));
  }

  @Test
  void hostNetworkAndFinishedPodsAreNeitherTargetsNorPeers() {
    Pod host = pod("default/host", "10.0.0.5", "node-1", "app=db");
    host.getSpec().setHostNetwork(true);
    Pod done = pod("default/done", "10.244.1.6", "node-1", "app=db");
    done.getStatus().setPhase("Succeeded");
    String nft = render(List.of(denyDb()), List.of(host, done), List.of());
    assertThat(section(nft, "map ingress-pods")).doesNotContain("elements");
  }

  @Test
  void sameSnapshotRendersTheSameText() {
    List<Pod> reversed = new java.util.ArrayList<>(PODS);
    java.util.Collections.reverse(reversed);
    assertThat(render(List.of(denyDb(), allowClients()), PODS, List.of()))
        .isEqualTo(render(List.of(allowClients(), denyDb()), reversed, List.of()));
  }

  /** The block that starts with {@code header}, up to its closing brace. */
  static String section(String nft, String header) {
    header = header.endsWith(" {") ? header.substring(0, header.length() - 2) : header;
    int start = nft.indexOf(header + " {");
    assertThat(start).as(header).isGreaterThanOrEqualTo(0);
    int depth = 0;
    for (int i = nft.indexOf('{', start); i < nft.length(); i++) {
      if (nft.charAt(i) == '{') depth++;
      if (nft.charAt(i) == '}' && --depth == 0) return nft.substring(start, i + 1);
    }
    return nft.substring(start);
  }
}
