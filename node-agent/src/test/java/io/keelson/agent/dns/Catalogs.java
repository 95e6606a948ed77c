package io.keelson.agent.dns;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.keelson.agent.service.ServiceCatalog;
import io.keelson.agent.service.ServiceCatalog.Snapshot;
import java.util.List;

/** A small cluster's Services and EndpointSlices for DNS tests. */
final class Catalogs {
  private Catalogs() {}

  /**
   * shop/web: ClusterIP 10.96.0.10, ports http 80/TCP and dns 53/UDP; shop/db: headless with
   * endpoints db-0 (10.244.0.5, ready), 10.244.0.6 (no hostname, ready) and db-2 (not ready), port
   * pg 5432; shop/legacy: ExternalName legacy.example.com; shop/early: headless with
   * publishNotReadyAddresses and one not-ready endpoint.
   */
  static Snapshot shop() {
    Service web = new ServiceBuilder().withNewMetadata().withNamespace("shop").withName("web").endMetadata()
        .withNewSpec().withClusterIP("10.96.0.10").withClusterIPs("10.96.0.10")
        .addNewPort().withName("http").withPort(80).withProtocol("TCP").endPort()
        .addNewPort().withName("dns").withPort(53).withProtocol("UDP").endPort().endSpec().build();
    Service db = new ServiceBuilder().withNewMetadata().withNamespace("shop").withName("db").endMetadata()
        .withNewSpec().withClusterIP("None").addNewPort().withName("pg").withPort(5432).endPort().endSpec().build();
    Service legacy = new ServiceBuilder().withNewMetadata().withNamespace("shop").withName("legacy").endMetadata()
        .withNewSpec().withType("ExternalName").withExternalName("legacy.example.com").endSpec().build();
    Service early = new ServiceBuilder().withNewMetadata().withNamespace("shop").withName("early").endMetadata()
        .withNewSpec().withClusterIP("None").withPublishNotReadyAddresses(true).endSpec().build();
    EndpointSlice dbSlice = new EndpointSliceBuilder().withNewMetadata().withNamespace("shop").withName("db-x")
        .addToLabels(ServiceCatalog.SERVICE_NAME_LABEL, "db").endMetadata().withAddressType("IPv4")
        .addNewPort().withName("pg").withPort(5432).withProtocol("TCP").endPort()
        .withEndpoints(
            new EndpointBuilder().withAddresses("10.244.0.5").withHostname("db-0").withNewConditions().withReady(true).endConditions().build(),
            new EndpointBuilder().withAddresses("10.244.0.6").withNewConditions().withReady(true).endConditions().build(),
            new EndpointBuilder().withAddresses("10.244.0.7").withHostname("db-2").withNewConditions().withReady(false).endConditions().build())
        .build();
    EndpointSlice earlySlice = new EndpointSliceBuilder().withNewMetadata().withNamespace("shop").withName("early-x")
        .addToLabels(ServiceCatalog.SERVICE_NAME_LABEL, "early").endMetadata().withAddressType("IPv4")
        .withEndpoints(new EndpointBuilder().withAddresses("10.244.0.9").withNewConditions().withReady(false).endConditions().build())
        .build();
    return Snapshot.of(List.of(web, db, legacy, early), List.of(dbSlice, earlySlice));
  }
}
