package io.keelson.controller.resourcequota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.keelson.client.fake.InMemoryApiServer;
import io.keelson.client.fake.SelfSignedTls;
import io.keelson.controller.ControllerManager;
import io.keelson.controller.testing.TestControllerManager;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/**
 * The resourcequota controller against the in-memory API: status.hard follows spec.hard, status.used
 * is recounted from the namespace's objects, given back when pods end or go or a Service stops
 * being a NodePort, and an over-charge (as
 * admission's optimistic charge of a create that then failed leaves) is corrected on a recount.
 */
class ResourceQuotaControllerTest {
  static final String NS = "team";
  InMemoryApiServer api;
  ControllerManager manager;

  @BeforeEach
  void start() throws Exception {
    api = InMemoryApiServer.start((SelfSignedTls) null);
    manager = TestControllerManager.against(api, 2, ResourceQuotaController.NAME);
    manager.start();
  }

  @AfterEach
  void stop() {
    if (api != null) api.close();
    if (manager != null) manager.close();
  }

  static String pod(String name, String cpu) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + NS + "\"},"
        + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"resources\":{\"requests\":{\"cpu\":\"" + cpu
        + "\",\"memory\":\"64Mi\"}}}]},\"status\":{\"phase\":\"Running\"}}";
  }

  Map<String, String> used(String quota) {
    ResourceQuota q = manager.client().resourceQuotas().inNamespace(NS).withName(quota).get();
    Map<String, String> out = new TreeMap<>();
    if (q.getStatus() != null && q.getStatus().getUsed() != null) {
      q.getStatus().getUsed().forEach((k, v) -> out.put(k, v.toString()));
    }
    return out;
  }

  @Test
  void usageIsCountedFromTheObjectsAndGivenBackWhenPodsEndOrGo() {
    api.create("pods", pod("a", "250m"));
    api.create("pods", pod("b", "500m"));
    api.create("configmaps", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"namespace\":\"" + NS + "\"}}");
    api.create("resourcequotas", "{\"apiVersion\":\"v1\",\"kind\":\"ResourceQuota\",\"metadata\":{\"name\":\"q\",\"namespace\":\"" + NS
        + "\"},\"spec\":{\"hard\":{\"pods\":\"5\",\"requests.cpu\":\"2\",\"requests.memory\":\"1Gi\",\"configmaps\":\"3\"}}}");

    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(used("q"))
        .containsEntry("pods", "2").containsEntry("requests.cpu", "750m").containsEntry("requests.memory", "128Mi")
        .containsEntry("configmaps", "1"));
    ResourceQuota q = manager.client().resourceQuotas().inNamespace(NS).withName("q").get();
    assertThat(q.getStatus().getHard()).containsEntry("pods", new Quantity("5")).containsEntry("requests.cpu", new Quantity("2"));

    api.update("pods", NS, "a", o -> {
      ((ObjectNode) o.get("status")).put("phase", "Succeeded");
      return o;
    });
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(used("q"))
        .containsEntry("pods", "1").containsEntry("requests.cpu", "500m"));

    api.delete("pods", NS, "b");
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(used("q"))
        .containsEntry("pods", "0").containsEntry("requests.cpu", "0").containsEntry("configmaps", "1"));
  }

  @Test
  void aServiceNoLongerANodePortGivesItsPortsBack() {
    api.create("services", "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\",\"namespace\":\"" + NS
        + "\"},\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":30080}]}}");
    api.create("resourcequotas", "{\"apiVersion\":\"v1\",\"kind\":\"ResourceQuota\",\"metadata\":{\"name\":\"q\",\"namespace\":\"" + NS
        + "\"},\"spec\":{\"hard\":{\"services.nodeports\":\"1\"}}}");
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(used("q")).containsEntry("services.nodeports", "1"));
    // past the first recounts: only the type change can bring it back before the five-minute resync
    await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> true);
    api.update("services", NS, "web", o -> {
      ObjectNode spec = (ObjectNode) o.get("spec");
      spec.put("type", "ClusterIP");
      ((ObjectNode) spec.get("ports").get(0)).remove("nodePort");
      return o;
    });
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(used("q")).containsEntry("services.nodeports", "0"));
  }

  @Test
  void anOverChargeIsCorrectedOnTheNextRecount() {
    api.create("pods", pod("a", "100m"));
    api.create("pods", pod("gone", "100m"));
    api.create("resourcequotas", "{\"apiVersion\":\"v1\",\"kind\":\"ResourceQuota\",\"metadata\":{\"name\":\"q\",\"namespace\":\"" + NS
        + "\"},\"spec\":{\"hard\":{\"pods\":\"3\"}}}");
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(used("q")).containsEntry("pods", "2"));
    // admission charged a create that never got written: used says 3, the namespace has 2 pods
    api.update("resourcequotas", NS, "q", o -> {
      ((ObjectNode) o.get("status").get("used")).put("pods", "3");
      return o;
    });
    assertThat(used("q")).containsEntry("pods", "3");
    api.delete("pods", NS, "gone"); // any recount (a deletion here, else the five-minute resync) sets it right
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(used("q")).containsEntry("pods", "1"));
  }
}
