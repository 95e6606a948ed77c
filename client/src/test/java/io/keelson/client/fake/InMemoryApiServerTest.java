package io.keelson.client.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.keelson.client.http.DirectHttp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The training runs' fake api-server behaves as the real one for what fabric8 does against it:
 * over its own TLS and kubeconfig, a create gets a uid and resourceVersion, a stale update is a
 * 409, a watch from a list's resourceVersion sees the later changes, a binding sets the node, and
 * the change listener and request counts see it all.
 */
class InMemoryApiServerTest {
  @Test
  void servesWhatAClientDoes() throws Exception {
    Path dir = Files.createTempDirectory("fake-api");
    try (InMemoryApiServer api = InMemoryApiServer.start(dir)) {
      assertThat(api.url()).startsWith("https://");
      List<String> changes = new CopyOnWriteArrayList<>();
      api.onChange(c -> changes.add(c.type() + " " + c.kind().plural() + " " + c.object().path("metadata").path("name").asString()));
      Path kubeconfig = api.writeKubeconfig(dir.resolve("kubeconfig"));
      Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
      config.setOnlyHttpWatches(true);
      try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
        Pod created = client.pods().inNamespace("ns").resource(new PodBuilder().withNewMetadata().withName("p").endMetadata()
            .withNewSpec().addNewContainer().withName("c").withImage("busybox").endContainer().endSpec().build()).create();
        assertThat(created.getMetadata().getUid()).isNotBlank();
        String listed = client.pods().inAnyNamespace().list().getMetadata().getResourceVersion();

        List<String> events = new CopyOnWriteArrayList<>();
        var watch = client.pods().inAnyNamespace().withResourceVersion(listed).watch(new Watcher<Pod>() {
          @Override
          public void eventReceived(Action action, Pod pod) {
            events.add(action + " " + pod.getMetadata().getName() + " " + pod.getSpec().getNodeName());
          }

          @Override
          public void onClose(WatcherException cause) {}
        });
        Pod stale = new PodBuilder(created).editMetadata().addToLabels("a", "b").endMetadata().build();
        client.pods().inNamespace("ns").resource(stale).update();
        assertThatThrownBy(() -> client.pods().inNamespace("ns").resource(stale).update())
            .isInstanceOf(KubernetesClientException.class).extracting(e -> ((KubernetesClientException) e).getCode()).isEqualTo(409);
        // the scheduler's binding: POST pods/{name}/binding
        DirectHttp.of(client.getConfiguration()).send("POST", "/api/v1/namespaces/ns/pods/p/binding", "application/json",
            "{\"kind\":\"Binding\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\"},\"target\":{\"kind\":\"Node\",\"name\":\"n1\"}}"
                .getBytes(StandardCharsets.UTF_8), 10_000);
        client.pods().inNamespace("ns").withName("p").delete();
        await().atMost(Duration.ofSeconds(10)).until(() -> events.size() >= 3);
        watch.close();
        assertThat(events).containsExactly("MODIFIED p null", "MODIFIED p n1", "DELETED p n1");
      }
      assertThat(changes).containsExactly("ADDED pods p", "MODIFIED pods p", "MODIFIED pods p", "DELETED pods p");
      assertThat(api.requests("POST pods/binding")).isEqualTo(1);
      assertThat(api.count("pods")).isZero();
    }
  }
}
