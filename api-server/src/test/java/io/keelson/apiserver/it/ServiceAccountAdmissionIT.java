package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A ServiceAccount with automountServiceAccountToken: false keeps the API credentials out of its pods, unless a pod asks. */
class ServiceAccountAdmissionIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static TestCluster c;

  @BeforeAll
  static void up() throws Exception {
    c = TestCluster.start("saadmission", 1);
    assertThat(post("/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"sa\"}}").statusCode())
        .isEqualTo(201);
    assertThat(post("/api/v1/namespaces/sa/serviceaccounts", "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\","
        + "\"metadata\":{\"name\":\"quiet\"},\"automountServiceAccountToken\":false}").statusCode()).isEqualTo(201);
  }

  @AfterAll
  static void down() throws Exception {
    if (c != null) c.close();
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return c.send(c.request(c.api(), path).header("Content-Type", "application/json").POST(BodyPublishers.ofString(body)).build());
  }

  private static JsonNode pod(String extraSpec) throws Exception {
    HttpResponse<String> r = post("/api/v1/namespaces/sa/pods", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"generateName\":\"p-\"},"
        + "\"spec\":{" + extraSpec + "\"serviceAccountName\":\"quiet\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body());
  }

  @Test
  void anAccountThatOptsOutGetsNoTokenVolumeUnlessThePodAsks() throws Exception {
    // admission reads accounts from its watch cache, which follows etcd by a few milliseconds
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(pod("").path("spec").path("volumes").size()).isZero());
    JsonNode asks = pod("\"automountServiceAccountToken\":true,");
    assertThat(asks.path("spec").path("volumes").path(0).path("name").asString()).startsWith("kube-api-access-");
    assertThat(asks.path("spec").path("containers").path(0).path("volumeMounts").path(0).path("mountPath").asString())
        .isEqualTo("/var/run/secrets/kubernetes.io/serviceaccount");
  }
}
