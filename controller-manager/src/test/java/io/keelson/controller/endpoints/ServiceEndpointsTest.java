package io.keelson.controller.endpoints;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What a Service's Endpoints list, from its pods (kube's endpoints controller's rules). */
public class ServiceEndpointsTest {
  static final KubernetesSerialization JSON = new KubernetesSerialization();

  /** A pod of app=web in default with an IP, ready or not, optionally being deleted, with container port http=8080. */
  public static Pod pod(String name, String ip, boolean ready, boolean deleting) {
    PodBuilder b = new PodBuilder()
        .withNewMetadata().withName(name).withNamespace("default").withUid("uid-" + name).withLabels(Map.of("app", "web"))
        .withDeletionTimestamp(deleting ? "2026-11-28T01:00:00Z" : null).endMetadata()
        .withNewSpec().withNodeName("node-1")
        .addNewContainer().withName("web").withImage("busybox").addNewPort().withName("http").withContainerPort(8080).endPort().endContainer()
        .endSpec()
        .withNewStatus().withPhase("Running").withPodIP(ip)
        .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
        .endStatus();
    return b.build();
  }

  public static ServicePort port(String name, int port, IntOrString target) {
    return new ServicePortBuilder().withName(name).withPort(port).withProtocol("TCP").withTargetPort(target).build();
  }

  public static Service service(Map<String, String> selector, boolean publishNotReady, ServicePort... ports) {
    return new ServiceBuilder()
        .withNewMetadata().withName("web").withNamespace("default").withUid("svc-uid").withLabels(Map.of("app", "web")).endMetadata()
        .withNewSpec().withSelector(selector).withClusterIP("10.96.0.10").withPublishNotReadyAddresses(publishNotReady ? true : null)
        .withPorts(ports).endSpec()
        .build();
  }

  /** "ready ips | not-ready ips | ports" per subset, e.g. "10.0.0.1,10.0.0.2|10.0.0.3|80". */
  static List<String> render(List<EndpointSubset> subsets) {
    List<String> out = new ArrayList<>();
    for (EndpointSubset s : subsets) {
      out.add(String.join(",", s.getAddresses().stream().map(EndpointAddress::getIp).toList()) + "|"
          + String.join(",", s.getNotReadyAddresses().stream().map(EndpointAddress::getIp).toList()) + "|"
          + String.join(",", s.getPorts().stream().map(p -> (p.getName() == null ? "" : p.getName() + "=") + p.getPort()).toList()));
    }
    return out;
  }

  static final Map<String, String> APP_WEB = Map.of("app", "web");
  static final IntOrString NONE = null;

  static Stream<Arguments> cases() {
    Pod a = pod("a", "10.244.1.5", true, false);
    Pod b = pod("b", "10.244.1.4", true, false);
    Pod notReady = pod("c", "10.244.2.9", false, false);
    Pod terminating = pod("d", "10.244.2.10", true, true);
    Pod noIp = pod("e", null, true, false);
    Pod succeeded = pod("f", "10.244.2.11", true, false);
    succeeded.getStatus().setPhase("Succeeded");
    Pod otherApp = pod("g", "10.244.2.12", true, false);
    otherApp.getMetadata().setLabels(Map.of("app", "other"));
    Pod otherNs = pod("h", "10.244.2.13", true, false);
    otherNs.getMetadata().setNamespace("elsewhere");
    Pod noNamedPort = pod("i", "10.244.3.1", true, false);
    noNamedPort.getSpec().getContainers().get(0).getPorts().get(0).setName("metrics");
    List<Pod> all = List.of(a, b, notReady, terminating, noIp, succeeded, otherApp, otherNs);
    return Stream.of(
        Arguments.of("numeric targetPort: ready sorted by IP, not ready apart; terminating, IP-less, finished, unselected left out",
            service(APP_WEB, false, port("", 80, new IntOrString(8080))), all,
            List.of("10.244.1.4,10.244.1.5|10.244.2.9|8080")),
        Arguments.of("no targetPort: the port itself",
            service(APP_WEB, false, port("", 80, NONE)), List.of(a), List.of("10.244.1.5||80")),
        Arguments.of("named targetPort resolves to the container port; pods without it are left out",
            service(APP_WEB, false, port("web", 80, new IntOrString("http"))), List.of(a, noNamedPort),
            List.of("10.244.1.5||web=8080")),
        Arguments.of("a pod with only some of the ports gets a subset of its own",
            service(APP_WEB, false, port("web", 80, new IntOrString("http")), port("admin", 9000, new IntOrString(9000))),
            List.of(a, noNamedPort), List.of("10.244.3.1||admin=9000", "10.244.1.5||web=8080,admin=9000")),
        Arguments.of("publishNotReadyAddresses: not ready and terminating pods are addresses too",
            service(APP_WEB, true, port("", 80, new IntOrString(8080))), all,
            List.of("10.244.1.4,10.244.1.5,10.244.2.10,10.244.2.9||8080")),
        Arguments.of("no ready pod: only notReadyAddresses",
            service(APP_WEB, false, port("", 80, new IntOrString(8080))), List.of(notReady), List.of("|10.244.2.9|8080")),
        Arguments.of("no pods: no subsets", service(APP_WEB, false, port("", 80, NONE)), List.of(), List.of()),
        Arguments.of("no selector: nothing selected", service(null, false, port("", 80, NONE)), all, List.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void subsets(String why, Service svc, List<Pod> pods, List<String> expected) {
    assertThat(render(ServiceEndpoints.subsets(svc, pods))).as(why).isEqualTo(expected);
  }

  @Test
  void addressesCarryNodeAndPodReference() {
    Service svc = service(APP_WEB, false, port("", 80, NONE));
    EndpointAddress a = ServiceEndpoints.subsets(svc, List.of(pod("a", "10.244.1.5", true, false))).get(0).getAddresses().get(0);
    assertThat(a.getNodeName()).isEqualTo("node-1");
    assertThat(a.getTargetRef().getKind()).isEqualTo("Pod");
    assertThat(a.getTargetRef().getName()).isEqualTo("a");
    assertThat(a.getTargetRef().getNamespace()).isEqualTo("default");
    assertThat(a.getTargetRef().getUid()).isEqualTo("uid-a");
  }

  @Test
  void servicesWithoutSelectorOrExternalNameAreNotManaged() {
    assertThat(ServiceEndpoints.managed(service(APP_WEB, false, port("", 80, NONE)))).isTrue();
    assertThat(ServiceEndpoints.managed(service(null, false, port("", 80, NONE)))).isFalse();
    assertThat(ServiceEndpoints.managed(service(Map.of(), false, port("", 80, NONE)))).isFalse();
    Service external = service(APP_WEB, false);
    external.getSpec().setType("ExternalName");
    assertThat(ServiceEndpoints.managed(external)).isFalse();
  }

  @Test
  void headlessWithoutPortsListsBareAddresses() {
    Service svc = service(APP_WEB, false);
    svc.getSpec().setClusterIP("None");
    assertThat(render(ServiceEndpoints.subsets(svc, List.of(pod("a", "10.244.1.5", true, false))))).containsExactly("10.244.1.5||");
    svc.getSpec().setClusterIP("10.96.0.10");
    assertThat(ServiceEndpoints.subsets(svc, List.of(pod("a", "10.244.1.5", true, false)))).as("not headless: needs ports").isEmpty();
  }

  @Test
  void anUnchangedComputationIsNotAWrite() {
    Service svc = service(APP_WEB, false, port("", 80, new IntOrString(8080)));
    List<Pod> pods = List.of(pod("a", "10.244.1.5", true, false), pod("b", "10.244.1.4", false, false));
    Endpoints first = EndpointsController.desired(svc, null, ServiceEndpoints.subsets(svc, pods), false);
    assertThat(first.getMetadata().getLabels()).isEqualTo(Map.of("app", "web"));
    // as stored and read back by an informer
    Endpoints stored = JSON.unmarshal(JSON.asJson(first), Endpoints.class);
    stored.getMetadata().setResourceVersion("7");
    Endpoints again = EndpointsController.desired(svc, stored, ServiceEndpoints.subsets(svc, pods), false);
    assertThat(EndpointsController.sameContent(JSON, stored, again)).isTrue();
    assertThat(again.getMetadata().getResourceVersion()).isEqualTo("7");
    Endpoints scaled = EndpointsController.desired(svc, stored,
        ServiceEndpoints.subsets(svc, List.of(pods.get(0), pods.get(1), pod("c", "10.244.2.2", true, false))), false);
    assertThat(EndpointsController.sameContent(JSON, stored, scaled)).isFalse();
  }
}
