package io.keelson.controller.rootcacert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.keelson.client.fake.InMemoryApiServer;
import io.keelson.controller.ControllerManager;
import io.keelson.controller.testing.TestControllerManager;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The root-ca-cert-publisher against the in-memory API over TLS: the CA its kubeconfig trusts
 * appears as kube-root-ca.crt in every namespace, and comes back when edited or deleted.
 */
class RootCaCertPublisherTest {
  InMemoryApiServer api;
  ControllerManager manager;

  @BeforeEach
  void start() throws Exception {
    api = InMemoryApiServer.start(Files.createTempDirectory("root-ca-test"));
    manager = TestControllerManager.against(api, 1, RootCaCertPublisher.NAME);
    manager.start();
  }

  @AfterEach
  void stop() {
    if (api != null) api.close();
    if (manager != null) manager.close();
  }

  private ConfigMap published(String ns) {
    return manager.client().configMaps().inNamespace(ns).withName(RootCaCertPublisher.CONFIG_MAP).get();
  }

  @Test
  void everyNamespaceGetsTheClusterCaAndKeepsIt() {
    org.junit.jupiter.api.Assumptions.assumeTrue(api.tls() != null, "keytool could not make a TLS key: no CA to publish");
    String ca = api.tls().certificatePem();
    api.create("namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"team\"}}");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      ConfigMap cm = published("team");
      assertThat(cm).isNotNull();
      assertThat(cm.getData()).containsExactlyEntriesOf(java.util.Map.of("ca.crt", ca));
      assertThat(cm.getMetadata().getAnnotations()).containsKey("kubernetes.io/description");
    });

    api.update("configmaps", "team", RootCaCertPublisher.CONFIG_MAP, o -> {
      o.putObject("data").put("ca.crt", "not the CA").put("extra", "x");
      return o;
    });
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(published("team").getData()).containsExactlyEntriesOf(java.util.Map.of("ca.crt", ca)));

    api.delete("configmaps", "team", RootCaCertPublisher.CONFIG_MAP);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(published("team")).isNotNull());
  }
}
