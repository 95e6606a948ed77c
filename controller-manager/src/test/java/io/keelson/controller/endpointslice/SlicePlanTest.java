package io.keelson.controller.endpointslice;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.keelson.controller.endpoints.ServiceEndpointsTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The EndpointSlices of a Service, from its pods and its current slices. */
class SlicePlanTest {
  static final KubernetesSerialization JSON = new KubernetesSerialization();
  static final Map<String, String> APP_WEB = Map.of("app", "web");

  static Service svc(boolean publishNotReady) {
    return ServiceEndpointsTest.service(APP_WEB, publishNotReady, ServiceEndpointsTest.port("", 80, new IntOrString(8080)));
  }

  /** Applies a plan as the api-server would (names, versions), returning the stored slices. */
  static List<EndpointSlice> apply(List<EndpointSlice> current, SlicePlan.Changes c) {
    List<EndpointSlice> out = new ArrayList<>(current);
    out.removeIf(s -> c.delete().stream().anyMatch(d -> d.getMetadata().getName().equals(s.getMetadata().getName()))
        || c.update().stream().anyMatch(d -> d.getMetadata().getName().equals(s.getMetadata().getName())));
    for (EndpointSlice u : c.update()) out.add(JSON.unmarshal(JSON.asJson(u), EndpointSlice.class));
    int n = out.size();
    for (EndpointSlice s : c.create()) {
      EndpointSlice stored = JSON.unmarshal(JSON.asJson(s), EndpointSlice.class);
      stored.getMetadata().setName(s.getMetadata().getGenerateName() + "x" + (n++));
      out.add(stored);
    }
    return out;
  }

  static String render(Endpoint e) {
    var c = e.getConditions();
    return e.getAddresses().get(0) + (c.getReady() ? " ready" : "") + (c.getServing() ? " serving" : "")
        + (c.getTerminating() ? " terminating" : "");
  }

  @Test
  void oneSliceWithConditionsLabelsOwnerAndPorts() {
    List<Pod> pods = List.of(ServiceEndpointsTest.pod("a", "10.244.1.5", true, false),
        ServiceEndpointsTest.pod("b", "10.244.1.4", false, false),
        ServiceEndpointsTest.pod("c", "10.244.2.7", true, true),
        ServiceEndpointsTest.pod("d", null, true, false));
    SlicePlan.Changes c = SlicePlan.plan(JSON, svc(false), pods, List.of());
    assertThat(c.update()).isEmpty();
    assertThat(c.delete()).isEmpty();
    assertThat(c.create()).hasSize(1);
    EndpointSlice s = c.create().get(0);
    assertThat(s.getMetadata().getGenerateName()).isEqualTo("web-");
    assertThat(s.getMetadata().getNamespace()).isEqualTo("default");
    assertThat(s.getMetadata().getLabels()).containsEntry("kubernetes.io/service-name", "web")
        .containsEntry("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io").containsEntry("app", "web");
    var owner = s.getMetadata().getOwnerReferences().get(0);
    assertThat(owner.getKind()).isEqualTo("Service");
    assertThat(owner.getName()).isEqualTo("web");
    assertThat(owner.getUid()).isEqualTo("svc-uid");
    assertThat(owner.getController()).isTrue();
    assertThat(owner.getBlockOwnerDeletion()).isTrue();
    assertThat(s.getAddressType()).isEqualTo("IPv4");
    assertThat(s.getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getPort()).isEqualTo(8080);
      assertThat(p.getProtocol()).isEqualTo("TCP");
      assertThat(p.getName()).isEmpty();
    });
    assertThat(s.getEndpoints().stream().map(SlicePlanTest::render))
        .containsExactly("10.244.1.4", "10.244.1.5 ready serving", "10.244.2.7 serving terminating");
    Endpoint e = s.getEndpoints().get(1);
    assertThat(e.getNodeName()).isEqualTo("node-1");
    assertThat(e.getTargetRef().getKind()).isEqualTo("Pod");
    assertThat(e.getTargetRef().getName()).isEqualTo("a");
    assertThat(e.getTargetRef().getUid()).isEqualTo("uid-a");

    // publishNotReadyAddresses: every endpoint is ready
    SlicePlan.Changes all = SlicePlan.plan(JSON, svc(true), pods, List.of());
    assertThat(all.create().get(0).getEndpoints()).allSatisfy(ep -> assertThat(ep.getConditions().getReady()).isTrue());
  }

  @Test
  void stableWhenNothingChangedAndEndpointsStayInTheirSlice() {
    Service svc = svc(false);
    List<Pod> pods = new ArrayList<>(List.of(ServiceEndpointsTest.pod("a", "10.244.1.5", true, false),
        ServiceEndpointsTest.pod("b", "10.244.1.6", true, false)));
    List<EndpointSlice> stored = apply(List.of(), SlicePlan.plan(JSON, svc, pods, List.of()));
    assertThat(SlicePlan.plan(JSON, svc, pods, stored).isEmpty()).as("no write when unchanged").isTrue();

    pods.add(ServiceEndpointsTest.pod("c", "10.244.1.1", true, false)); // sorts first, but goes last: no reshuffle
    SlicePlan.Changes c = SlicePlan.plan(JSON, svc, pods, stored);
    assertThat(c.create()).isEmpty();
    assertThat(c.update()).hasSize(1);
    assertThat(c.update().get(0).getMetadata().getName()).isEqualTo(stored.get(0).getMetadata().getName());
    assertThat(c.update().get(0).getEndpoints().stream().map(e -> e.getAddresses().get(0)))
        .containsExactly("10.244.1.5", "10.244.1.6", "10.244.1.1");
    stored = apply(stored, c);
    assertThat(SlicePlan.plan(JSON, svc, pods, stored).isEmpty()).isTrue();
  }

  @Test
  void noEndpointsKeepsOnePlaceholderAndBeyondAHundredASecondSlice() {
    Service svc = svc(false);
    List<EndpointSlice> stored = apply(List.of(), SlicePlan.plan(JSON, svc, List.of(), List.of()));
    assertThat(stored).singleElement().satisfies(s -> {
      assertThat(s.getEndpoints()).isEmpty();
      assertThat(s.getPorts()).isEmpty();
    });
    assertThat(SlicePlan.plan(JSON, svc, List.of(), stored).isEmpty()).isTrue();

    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < 150; i++) pods.add(ServiceEndpointsTest.pod("p" + i, "10.244." + (i / 200) + "." + (i % 200), true, false));
    SlicePlan.Changes c = SlicePlan.plan(JSON, svc, pods, stored);
    assertThat(c.update()).as("the placeholder is reused").hasSize(1);
    assertThat(c.create()).hasSize(1);
    stored = apply(stored, c);
    assertThat(stored.stream().mapToInt(s -> s.getEndpoints().size()).sorted().toArray()).containsExactly(50, 100);
    assertThat(SlicePlan.plan(JSON, svc, pods, stored).isEmpty()).isTrue();

    // all gone: one slice becomes the placeholder, the other is deleted
    c = SlicePlan.plan(JSON, svc, List.of(), stored);
    assertThat(c.update()).hasSize(1);
    assertThat(c.delete()).hasSize(1);
    stored = apply(stored, c);
    assertThat(stored).singleElement().satisfies(s -> assertThat(s.getEndpoints()).isEmpty());
  }

  @Test
  void namedPortsGroupPodsBySlice() {
    Service svc = ServiceEndpointsTest.service(APP_WEB, false, ServiceEndpointsTest.port("web", 80, new IntOrString("http")));
    Pod a = ServiceEndpointsTest.pod("a", "10.244.1.5", true, false);
    Pod other = ServiceEndpointsTest.pod("b", "10.244.1.6", true, false);
    other.getSpec().getContainers().get(0).getPorts().get(0).setContainerPort(9090);
    Pod without = ServiceEndpointsTest.pod("c", "10.244.1.7", true, false);
    without.getSpec().getContainers().get(0).getPorts().get(0).setName("metrics");
    SlicePlan.Changes c = SlicePlan.plan(JSON, svc, List.of(a, other, without), List.of());
    assertThat(c.create()).hasSize(2);
    assertThat(c.create().stream().map(s -> s.getPorts().get(0).getName() + ":" + s.getPorts().get(0).getPort() + "="
        + s.getEndpoints().get(0).getAddresses().get(0)))
        .containsExactlyInAnyOrder("web:8080=10.244.1.5", "web:9090=10.244.1.6");
  }
}
