package io.keelson.client.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Requests go over the config's TLS with its bearer token, and answers come back whole. */
class DirectHttpTest {
  KubernetesMockServer server;
  KubernetesClient client;

  @BeforeEach
  void setUp() {
    server = new KubernetesMockServer(true); // HTTPS with its own certificate
    server.init();
    client = server.createClient();
  }

  @AfterEach
  void tearDown() {
    client.close();
    server.destroy();
  }

  @Test
  void getAndPostOverTlsWithTheBearerToken() throws Exception {
    Config config = new ConfigBuilder(client.getConfiguration()).withOauthToken("s3cret").build();
    assertThat(config.getMasterUrl()).startsWith("https://");
    server.expect().get().withPath("/api/v1/namespaces/ns/pods/p")
        .andReturn(200, new PodBuilder().withNewMetadata().withName("p").withNamespace("ns").endMetadata().build())
        .once();
    server.expect().post().withPath("/api/v1/namespaces/ns/pods/p/binding").andReturn(409, "{\"message\":\"taken\"}").once();
    DirectHttp http = DirectHttp.of(config);

    DirectHttp.Response got = http.send("GET", "/api/v1/namespaces/ns/pods/p", null, null, 10_000);
    assertThat(got.ok()).isTrue();
    assertThat(got.text()).contains("\"name\":\"p\"");
    var request = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(request.getHeader("Authorization")).isEqualTo("Bearer s3cret");

    DirectHttp.Response posted = http.send(
        "POST", "/api/v1/namespaces/ns/pods/p/binding", "application/json", "{}".getBytes(StandardCharsets.UTF_8), 10_000);
    assertThat(posted.code()).isEqualTo(409);
    assertThat(posted.text()).contains("taken");
    var post = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(post.getHeader("Authorization")).isEqualTo("Bearer s3cret");
    // the body is sent whole, with its length and type
    assertThat(post.getBody().readUtf8()).isEqualTo("{}");
    assertThat(post.getHeader("Content-Length")).isEqualTo("2");
    assertThat(post.getHeader("Content-Type")).isEqualTo("application/json");
  }
}
