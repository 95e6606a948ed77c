package io.keelson.agent.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.keelson.agent.service.ServiceCatalog;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Snapshot in, nftables text out: what kube-proxy's nftables mode would program. */
class ServiceRulesTest {

  static final String TABLE = "keelson-0123abcd";

  static Service service(String name, String clusterIp, String type) {
    return new ServiceBuilder().withNewMetadata().withNamespace("default").withName(name).endMetadata()
        .withNewSpec().withType(type).withClusterIP(clusterIp)
        .addNewPort().withName("http").withProtocol("TCP").withPort(80).withNodePort("NodePort".equals(type) ? 30080 : null).endPort()
        .endSpec().build();
  }

  /** One slice of {@code service} with port "http" 8080 and endpoints "ip[:node[:ready|terminating]]". */
  static EndpointSlice slice(String service, String... endpoints) {
    EndpointSliceBuilder b = new EndpointSliceBuilder().withNewMetadata().withNamespace("default").withName(service + "-abc")
        .addToLabels(ServiceCatalog.SERVICE_NAME_LABEL, service).endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName("http").withProtocol("TCP").withPort(8080).endPort();
    for (String e : endpoints) {
      String[] f = e.split(":");
      String node = f.length > 1 ? f[1] : "node-1";
      String state = f.length > 2 ? f[2] : "ready";
      b.addNewEndpoint().withAddresses(f[0]).withNodeName(node)
          .withNewConditions().withReady(state.equals("ready")).withServing(!state.equals("gone"))
          .withTerminating(!state.equals("ready")).endConditions()
          .endEndpoint();
    }
    return b.build();
  }

  static String render(List<Service> services, List<EndpointSlice> slices) {
    return ServiceRules.render(TABLE, ServiceCatalog.Snapshot.of(services, slices), "node-1").text();
  }

  @Test
  void clusterIpLoadBalancesOverReadyEndpointsAndReplacesTheTableAtomically() {
    String nft = render(List.of(service("web", "10.96.0.20", "ClusterIP")), List.of(slice("web", "10.244.1.5", "10.244.2.7:node-2")));

    assertThat(nft).startsWith("add table ip " + TABLE + "\ndelete table ip " + TABLE + "\ntable ip " + TABLE + " {\n");
    assertThat(nft).contains("10.96.0.20 . tcp . 80 : goto svc-");
    assertThat(nft).contains("numgen random mod 2 vmap { 0 : goto ep-");
    assertThat(nft).contains("meta l4proto tcp dnat to 10.244.1.5:8080", "meta l4proto tcp dnat to 10.244.2.7:8080");
    assertThat(nft).contains("jump mark-for-masquerade", "masquerade fully-random");
    // the pod on node-2 keeps a local pod's address (its node applies NetworkPolicies to it); the local one does not
    assertThat(section(nft, "chain ep-" + ServiceRules.hash("default/web/tcp/http__10.244.2.7/8080") + "-default/web/tcp/http__10.244.2.7/8080"))
        .contains("iifname \"kb-0123abcd\" meta mark set meta mark and 0xffffbfff");
    assertThat(section(nft, "chain ep-" + ServiceRules.hash("default/web/tcp/http__10.244.1.5/8080") + "-default/web/tcp/http__10.244.1.5/8080"))
        .doesNotContain("iifname");
    // no NodePort for a ClusterIP Service, no rejects when there are endpoints
    assertThat(section(nft, "map service-nodeports")).doesNotContain("elements");
    assertThat(section(nft, "map no-endpoint-services")).doesNotContain("elements");
  }

  @Test
  void sameSnapshotRendersTheSameText() {
    List<Service> svcs = List.of(service("a", "10.96.0.20", "ClusterIP"), service("b", "10.96.0.21", "NodePort"));
    List<EndpointSlice> slices = List.of(slice("a", "10.244.1.9", "10.244.1.5"), slice("b", "10.244.1.6"));
    List<EndpointSlice> reversed = new ArrayList<>(slices);
    java.util.Collections.reverse(reversed);
    assertThat(render(svcs, slices)).isEqualTo(render(List.of(svcs.get(1), svcs.get(0)), reversed));
  }

  @Test
  void serviceWithoutEndpointsIsRejected() {
    String nft = render(List.of(service("empty", "10.96.0.30", "NodePort")), List.of(slice("empty")));

    assertThat(section(nft, "map no-endpoint-services")).contains("10.96.0.30 . tcp . 80 : goto reject-chain");
    assertThat(section(nft, "map no-endpoint-nodeports")).contains("tcp . 30080 : goto reject-chain");
    assertThat(nft).contains("chain reject-chain {\n    reject\n");
    assertThat(section(nft, "map service-ips")).doesNotContain("elements");
  }

  @Test
  void terminatingEndpointsServeOnlyWhenNoneIsReady() {
    String both = render(List.of(service("web", "10.96.0.20", "ClusterIP")),
        List.of(slice("web", "10.244.1.5", "10.244.1.6:node-1:terminating")));
    assertThat(both).contains("dnat to 10.244.1.5:8080").doesNotContain("dnat to 10.244.1.6:8080");

    String onlyTerminating = render(List.of(service("web", "10.96.0.20", "ClusterIP")),
        List.of(slice("web", "10.244.1.6:node-1:terminating", "10.244.1.7:node-1:gone")));
    assertThat(onlyTerminating).contains("dnat to 10.244.1.6:8080").doesNotContain("10.244.1.7");
  }

  @Test
  void nodePortUsesTheNodesAddressesButNotLoopback() {
    String nft = render(List.of(service("np", "10.96.0.40", "NodePort")), List.of(slice("np", "10.244.1.5")));

    assertThat(section(nft, "map service-nodeports")).contains("tcp . 30080 : goto svc-");
    assertThat(nft).contains("fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports");
  }

  @Test
  void localTrafficPoliciesUseOnlyThisNodesEndpoints() {
    Service svc = service("local", "10.96.0.50", "NodePort");
    svc.getSpec().setExternalTrafficPolicy("Local");
    String nft = render(List.of(svc), List.of(slice("local", "10.244.1.5:node-1", "10.244.2.5:node-2")));

    // ClusterIP (internal policy Cluster): both; NodePort: only node-1's, in a chain of its own
    assertThat(section(nft, "chain svc-")).contains("numgen random mod 2");
    assertThat(section(nft, "chain ext-")).contains("numgen random mod 1", "10.244.1.5/8080").doesNotContain("10.244.2.5");
    assertThat(section(nft, "map service-nodeports")).contains("goto ext-");

    svc.getSpec().setInternalTrafficPolicy("Local");
    String none = ServiceRules.render(TABLE,
        ServiceCatalog.Snapshot.of(List.of(svc), List.of(slice("local", "10.244.2.5:node-2"))), "node-1").text();
    assertThat(section(none, "chain svc-")).contains("drop");
  }

  @Test
  void clientIpAffinityRemembersTheEndpointPerClient() {
    Service svc = service("sticky", "10.96.0.60", "ClusterIP");
    svc.getSpec().setSessionAffinity("ClientIP");
    String nft = render(List.of(svc), List.of(slice("sticky", "10.244.1.5")));

    assertThat(nft).contains("flags dynamic,timeout", "timeout 10800s", "update @affinity-");
    assertThat(section(nft, "chain svc-")).containsPattern("ip saddr @affinity-\\w+ goto ep-");
  }

  @Test
  void headlessAndExternalNameServicesAreNotProxied() {
    Service headless = service("headless", "None", "ClusterIP");
    Service external = service("ext", null, "ExternalName");
    String nft = render(List.of(headless, external), List.of(slice("headless", "10.244.1.5")));

    assertThat(nft).doesNotContain("10.244.1.5", "goto svc-");
  }

  @Test
  void aNodePortClaimedTwiceIsProgrammedOnce() {
    String nft = render(List.of(service("a", "10.96.0.20", "NodePort"), service("b", "10.96.0.21", "NodePort")),
        List.of(slice("a", "10.244.1.5"), slice("b", "10.244.1.6")));

    assertThat(section(nft, "map service-nodeports")).containsOnlyOnce("tcp . 30080");
  }

  @Test
  void slicePortsAreMatchedByName() {
    Service svc = service("named", "10.96.0.70", "ClusterIP");
    EndpointSlice other = slice("named", "10.244.1.5");
    other.getPorts().get(0).setName("metrics");
    String nft = render(List.of(svc), List.of(other));

    assertThat(section(nft, "map no-endpoint-services")).contains("10.96.0.70 . tcp . 80");
  }

  /** From the first line that starts with {@code start} (after indentation) to the closing brace of that block. */
  static String section(String nft, String start) {
    int i = nft.indexOf("  " + start);
    assertThat(i).as("'%s' in%n%s", start, nft).isGreaterThanOrEqualTo(0);
    int end = nft.indexOf("\n  }\n", i);
    return nft.substring(i, end);
  }
}
