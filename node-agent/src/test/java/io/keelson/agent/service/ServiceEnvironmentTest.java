package io.keelson.agent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceEnvironmentTest {
  private static Service service(String ns, String name, String clusterIp) {
    return new ServiceBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
        .withNewSpec().withClusterIP(clusterIp).addNewPort().withPort(443).withProtocol("TCP").endPort().endSpec().build();
  }

  final Service kubernetes = new ServiceBuilder(service("default", "kubernetes", "10.96.0.1"))
      .editSpec().editFirstPort().withName("https").endPort().endSpec().build();
  final Service web = new ServiceBuilder().withNewMetadata().withNamespace("shop").withName("my-web").endMetadata()
      .withNewSpec().withClusterIP("10.96.0.10")
      .addNewPort().withName("http").withPort(80).endPort()
      .addNewPort().withName("dns-udp").withPort(53).withProtocol("UDP").endPort().endSpec().build();
  final ServiceCatalog.Snapshot snapshot = ServiceCatalog.Snapshot.of(List.of(kubernetes, web,
      service("shop", "headless", "None"), service("other", "elsewhere", "10.96.0.20")), List.of());

  @Test
  void everyServiceOfTheNamespaceAndTheApiServerAsKubeletWritesThem() {
    Map<String, String> env = ServiceEnvironment.of(snapshot, "shop", true);
    assertThat(env).containsAllEntriesOf(Map.ofEntries(
        Map.entry("MY_WEB_SERVICE_HOST", "10.96.0.10"),
        Map.entry("MY_WEB_SERVICE_PORT", "80"),
        Map.entry("MY_WEB_SERVICE_PORT_HTTP", "80"),
        Map.entry("MY_WEB_SERVICE_PORT_DNS_UDP", "53"),
        Map.entry("MY_WEB_PORT", "tcp://10.96.0.10:80"),
        Map.entry("MY_WEB_PORT_80_TCP", "tcp://10.96.0.10:80"),
        Map.entry("MY_WEB_PORT_80_TCP_PROTO", "tcp"),
        Map.entry("MY_WEB_PORT_80_TCP_PORT", "80"),
        Map.entry("MY_WEB_PORT_80_TCP_ADDR", "10.96.0.10"),
        Map.entry("MY_WEB_PORT_53_UDP", "udp://10.96.0.10:53"),
        Map.entry("MY_WEB_PORT_53_UDP_PROTO", "udp"),
        Map.entry("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
        Map.entry("KUBERNETES_SERVICE_PORT", "443"),
        Map.entry("KUBERNETES_SERVICE_PORT_HTTPS", "443"),
        Map.entry("KUBERNETES_PORT", "tcp://10.96.0.1:443")));
    assertThat(env.keySet()).as("headless Services and other namespaces have none")
        .noneMatch(k -> k.startsWith("HEADLESS_") || k.startsWith("ELSEWHERE_"));
    assertThat(env).hasSize(13 + 8); // web: 4 SERVICE_* + _PORT + 2 ports * 4; kubernetes: 3 + 1 + 4
  }

  @Test
  void withoutServiceLinksOnlyTheApiServer() {
    assertThat(ServiceEnvironment.of(snapshot, "shop", false).keySet()).allMatch(k -> k.startsWith("KUBERNETES_"));
  }

  @Test
  void aServiceNamedKubernetesInThePodsNamespaceWins() {
    var mine = service("shop", "kubernetes", "10.96.0.99");
    var snap = ServiceCatalog.Snapshot.of(List.of(kubernetes, mine), List.of());
    assertThat(ServiceEnvironment.of(snap, "shop", true)).containsEntry("KUBERNETES_SERVICE_HOST", "10.96.0.99");
    assertThat(ServiceEnvironment.of(snap, "other", true)).containsEntry("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  }
}
