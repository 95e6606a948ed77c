package io.keelson.agent.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceCatalogTest {

  private static EndpointSlice slice(String ns, String name, String service) {
    var meta = new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withNamespace(ns).withName(name);
    if (service != null) {
      meta.addToLabels(ServiceCatalog.SERVICE_NAME_LABEL, service);
    }
    return new EndpointSliceBuilder().withMetadata(meta.build()).withAddressType("IPv4").build();
  }

  @Test
  void slicesAreGroupedUnderTheirServiceInTheirNamespace() {
    var web = new ServiceBuilder().withNewMetadata().withNamespace("a").withName("web").endMetadata().build();
    var snap = ServiceCatalog.Snapshot.of(List.of(web), List.of(
        slice("a", "web-abc", "web"), slice("a", "web-def", "web"), slice("b", "web-xyz", "web"), slice("a", "orphan", null)));

    assertEquals(web, snap.services().get("a/web"));
    assertEquals(List.of("web-abc", "web-def"), snap.slicesOf("a", "web").stream().map(s -> s.getMetadata().getName()).sorted().toList());
    assertEquals(1, snap.slicesOf("b", "web").size(), "a slice belongs to the Service of its own namespace");
    assertTrue(snap.slicesOf("a", "db").isEmpty());
    assertEquals(2, snap.slices().size(), "a slice without the service-name label belongs to no Service");
  }
}
