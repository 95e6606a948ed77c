package io.keelson.agent.netpol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.keelson.agent.host.HostTools;
import io.keelson.agent.proxy.Nft;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rendered rulesets loaded by the real nft into a throwaway "node" (a network namespace with a
 * bridge) whose three "pods" (namespaces on veths) talk over it: a server (app=db), a client
 * (role=client) and a stranger, all on one bridge, so that the bridged path is what is tested.
 * Needs root, nft and busybox.
 */
class PolicyNftIT {

  private final String id = Long.toString(ProcessHandle.current().pid(), 36);
  private final String node = "np-node-" + id;
  private final List<String> namespaces = new ArrayList<>();
  private final List<Process> servers = new ArrayList<>();
  private Nft nft;

  static final String SERVER = "10.250.1.5";
  static final String CLIENT = "10.250.1.7";
  static final String STRANGER = "10.250.1.8";
  static final String REMOTE = "10.250.2.7";

  @BeforeEach
  void network() throws IOException {
    String why = Nft.fromPath().problem();
    assumeTrue(why == null, why);
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/busybox")), "busybox is not installed");
    try {
      HostTools.run("ip", "netns", "add", node);
    } catch (IOException e) {
      assumeTrue(false, "cannot create a network namespace (root needed): " + e.getMessage());
    }
    namespaces.add(node);
    in(node, "ip", "link", "add", "br0", "type", "bridge");
    in(node, "ip", "addr", "add", "10.250.1.1/24", "dev", "br0");
    in(node, "ip", "link", "set", "br0", "up");
    // a second bridge stands for another node's pods: its traffic is routed, not bridged
    in(node, "ip", "link", "add", "br1", "type", "bridge");
    in(node, "ip", "addr", "add", "10.250.2.1/24", "dev", "br1");
    in(node, "ip", "link", "set", "br1", "up");
    in(node, "sysctl", "-qw", "net.ipv4.ip_forward=1");
    in(node, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1");
    pod("srv", SERVER, "br0");
    pod("cli", CLIENT, "br0");
    pod("str", STRANGER, "br0");
    pod("rem", REMOTE, "br1");
    nft = new Nft(List.of("ip", "netns", "exec", node, "nft"));
    // the server: busybox httpd answering 404 on its port 8080 ("http"); the node answers too, on its gateway
    serve("np-srv-" + id, SERVER);
    serve(node, "10.250.1.1");
  }

  private void serve(String ns, String ip) throws IOException {
    Path root = Files.createTempDirectory("np-www");
    servers.add(new ProcessBuilder("ip", "netns", "exec", ns, "busybox", "httpd", "-f", "-p", ip + ":8080",
        "-h", root.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
  }

  private void pod(String name, String ip, String bridge) throws IOException {
    String ns = "np-" + name + "-" + id;
    HostTools.run("ip", "netns", "add", ns);
    namespaces.add(0, ns);
    String host = "v" + name + id;
    HostTools.run("ip", "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns);
    HostTools.run("ip", "link", "set", host, "netns", node);
    in(node, "ip", "link", "set", host, "master", bridge, "up");
    in(ns, "ip", "addr", "add", ip + "/24", "dev", "eth0");
    in(ns, "ip", "link", "set", "eth0", "up");
    in(ns, "ip", "link", "set", "lo", "up");
    in(ns, "ip", "route", "add", "default", "via", ip.substring(0, ip.lastIndexOf('.')) + ".1");
  }

  private static String in(String ns, String... cmd) throws IOException {
    List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    c.addAll(List.of(cmd));
    return HostTools.run(c.toArray(String[]::new));
  }

  @AfterEach
  void remove() throws IOException {
    servers.forEach(Process::destroyForcibly);
    for (String ns : namespaces) {
      HostTools.run("ip", "netns", "del", ns);
    }
  }

  /** Whether {@code from} gets the server's HTTP answer within 2 s. */
  private boolean reaches(String from) {
    return reaches(from, SERVER);
  }

  /** Whether {@code from} gets an HTTP answer from port 8080 at {@code ip} within 2 s. */
  private boolean reaches(String from, String ip) {
    String ns = from.equals("node") ? node : "np-" + from + "-" + id;
    try {
      String out = in(ns, "sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | timeout 3 busybox nc -w 2 " + ip + " 8080");
      return out.contains("HTTP/1");
    } catch (IOException e) {
      return false;
    }
  }

  private void apply(List<NetworkPolicy> policies) throws IOException {
    List<Pod> pods = List.of(
        PolicyRulesTest.pod("default/srv", SERVER, "node-1", "app=db"),
        PolicyRulesTest.pod("default/cli", CLIENT, "node-1", "role=client"),
        PolicyRulesTest.pod("default/str", STRANGER, "node-1", ""),
        PolicyRulesTest.pod("default/rem", REMOTE, "node-2", "role=client"));
    nft.apply(PolicyRules.render("keelson-np-it", new PolicyCatalog.Snapshot(policies, pods, List.of()), "node-1", "10.250.1.1").text());
  }

  @Test
  void bridgedTrafficFollowsThePolicies() throws IOException {
    apply(List.of());
    assertThat(reaches("cli")).as("no policy: open").isTrue();
    assertThat(reaches("str")).isTrue();

    apply(List.of(PolicyRulesTest.denyDb()));
    assertThat(reaches("cli")).as("default deny").isFalse();
    assertThat(reaches("str")).isFalse();
    assertThat(reaches("node")).as("the pod's own node is always allowed").isTrue();

    assertThat(reaches("rem")).as("default deny, routed from another node").isFalse();

    apply(List.of(PolicyRulesTest.denyDb(), PolicyRulesTest.allowClients()));
    assertThat(reaches("cli")).as("role=client, to the named port http").isTrue();
    assertThat(reaches("rem")).as("role=client on another node").isTrue();
    assertThat(reaches("str")).as("an unlabelled pod stays out").isFalse();

    apply(List.of());
    assertThat(reaches("str")).as("policies deleted: open again").isTrue();
    assertThat(nft.listTable("keelson-np-it")).contains("ingress-forward");
    nft.deleteTable("keelson-np-it");
  }

  @Test
  void egressIsolatedPodsReachOnlyWhatTheirPoliciesAllow() throws IOException {
    // the client may send only to app=db pods on TCP 8080; the stranger nowhere
    NetworkPolicy toDb = new io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder()
        .withNewMetadata().withNamespace("default").withName("to-db").endMetadata()
        .withNewSpec().withNewPodSelector().addToMatchLabels("role", "client").endPodSelector().withPolicyTypes("Egress")
        .addNewEgress().addNewTo().withNewPodSelector().addToMatchLabels("app", "db").endPodSelector().endTo()
        .addNewPort().withProtocol("TCP").withPort(new io.fabric8.kubernetes.api.model.IntOrString(8080)).endPort().endEgress()
        .endSpec().build();
    NetworkPolicy strangerNowhere = new io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder()
        .withNewMetadata().withNamespace("default").withName("nowhere").endMetadata()
        .withNewSpec().withNewPodSelector().addNewMatchExpression().withKey("role").withOperator("DoesNotExist").endMatchExpression()
        .addNewMatchExpression().withKey("app").withOperator("DoesNotExist").endMatchExpression().endPodSelector()
        .withPolicyTypes("Egress").endSpec().build();
    apply(List.of(toDb, strangerNowhere));
    assertThat(reaches("cli")).as("allowed egress").isTrue();
    assertThat(reaches("cli", "10.250.1.1")).as("the node is not app=db").isFalse();
    assertThat(reaches("str")).as("egress-isolated without rules").isFalse();
    assertThat(reaches("str", "10.250.1.1")).as("nor to its node").isFalse();
    assertThat(reaches("rem")).as("another node's client: not this node's to police").isTrue();

    // an ipBlock with the gateway opens the node (as for its DNS)
    strangerNowhere.getSpec().setEgress(List.of(new io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder()
        .addNewTo().withNewIpBlock().withCidr("10.250.1.1/32").endIpBlock().endTo().build()));
    apply(List.of(toDb, strangerNowhere));
    assertThat(reaches("str", "10.250.1.1")).isTrue();
    assertThat(reaches("str")).isFalse();
    nft.deleteTable("keelson-np-it");
  }
}
