package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Secrets encrypted at rest (--encryption-provider-config), against a real etcd read with
 * etcdctl: etcd holds kube's envelope and never the secret's data, while every API path (get, the
 * watch cache, watch events, paged lists read from etcd, updates) sees the plain object; a key is
 * rotated by restarting with the new key first, rewriting, then dropping the old one.
 */
class EncryptionAtRestIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String KEY1 = "key1: " + key(1);
  private static final String KEY2 = "key2: " + key(2);
  private static final String PASSWORD = Base64.getEncoder().encodeToString("hunter2-at-rest".getBytes(StandardCharsets.UTF_8));
  private static Path config;
  private static TestCluster c;

  private static String key(int fill) {
    byte[] b = new byte[32];
    java.util.Arrays.fill(b, (byte) fill);
    return Base64.getEncoder().encodeToString(b);
  }

  /** An EncryptionConfiguration for secrets: aescbc with these "name: secret" keys (first writes), then identity. */
  private static void configure(String... keys) throws Exception {
    StringBuilder y = new StringBuilder("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
        + "- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n");
    for (String k : keys) y.append("      - {name: ").append(k.split(": ")[0]).append(", secret: ").append(k.split(": ")[1]).append("}\n");
    y.append("  - identity: {}\n");
    Files.writeString(config, y);
  }

  @BeforeAll
  static void up() throws Exception {
    config = Files.createTempFile("encryption-config", ".yaml");
    configure(KEY1);
    c = TestCluster.start("encryption", 1, List.of("--encryption-provider-config", config.toString()));
  }

  @AfterAll
  static void down() throws Exception {
    if (c != null) c.close();
    if (config != null) Files.deleteIfExists(config);
  }

  private static HttpResponse<String> send(String method, String path, String body) throws Exception {
    return c.send(method, path, TestCluster.doubleQuoted(body));
  }

  private static JsonNode ok(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 201);
    return JSON.readTree(r.body());
  }

  private static String stored(String key) throws Exception {
    return c.etcdctl("get", key, "--print-value-only");
  }

  private static String secretJson(String name, String password) {
    return "{'apiVersion':'v1','kind':'Secret','metadata':{'name':'" + name + "'},'data':{'password':'" + password + "'}}";
  }

  @Test
  void secretsAreSealedInEtcdAndPlainThroughTheApi() throws Exception {
    JsonNode before = ok(send("GET", "/api/v1/namespaces/default/secrets", null));
    String rv0 = before.path("metadata").path("resourceVersion").asString();
    WatchLog watch = c.watch("/api/v1/namespaces/default/secrets?watch=1&resourceVersion=" + rv0 + "&timeoutSeconds=60",
        ev -> ev.path("type").asString() + " " + ev.path("object").path("metadata").path("name").asString() + " "
            + ev.path("object").path("data").path("password").asString());

    JsonNode created = ok(send("POST", "/api/v1/namespaces/default/secrets", secretJson("s1", PASSWORD)));
    ok(send("POST", "/api/v1/namespaces/default/configmaps", "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c1'},"
        + "'data':{'visible':'plain-config'}}"));
    String atRest = stored("/registry/core/secrets/default/s1");
    assertThat(atRest).startsWith("k8s:enc:aescbc:v1:key1:").doesNotContain(PASSWORD).doesNotContain("\"kind\"");
    assertThat(stored("/registry/core/configmaps/default/c1")).as("configmaps are not configured").contains("plain-config");

    assertThat(ok(send("GET", "/api/v1/namespaces/default/secrets/s1", null)).path("data").path("password").asString()).isEqualTo(PASSWORD);
    // a paged list at an exact revision is read from etcd, not the watch cache
    String rv = created.path("metadata").path("resourceVersion").asString();
    JsonNode exact = ok(send("GET", "/api/v1/secrets?limit=10&resourceVersion=" + rv + "&resourceVersionMatch=Exact", null));
    assertThat(exact.path("items").findValuesAsString("password")).contains(PASSWORD);

    // an update and a merge patch are sealed too
    String updated = Base64.getEncoder().encodeToString("second".getBytes(StandardCharsets.UTF_8));
    var patch = c.request(c.api(), "/api/v1/namespaces/default/secrets/s1").header("Content-Type", "application/merge-patch+json")
        .method("PATCH", BodyPublishers.ofString("{\"data\":{\"password\":\"" + updated + "\"}}")).build();
    ok(c.send(patch));
    assertThat(stored("/registry/core/secrets/default/s1")).startsWith("k8s:enc:aescbc:v1:key1:").doesNotContain(updated);
    await().atMost(Duration.ofSeconds(15)).until(() -> watch.sawAll("ADDED s1 " + PASSWORD, "MODIFIED s1 " + updated));
    watch.close();

    // rotation, as kube documents it: the new key first (restart), rewrite every secret, drop the old key (restart)
    ok(send("POST", "/api/v1/namespaces/default/secrets", secretJson("left-behind", PASSWORD)));
    configure(KEY2, KEY1);
    c.api().restart();
    JsonNode s1 = ok(send("GET", "/api/v1/namespaces/default/secrets/s1", null));
    assertThat(s1.path("data").path("password").asString()).as("read with the old key after a restart").isEqualTo(updated);
    // unchanged, yet written: its value at rest was sealed with a key that is no longer the first (kube's stale read)
    String rewritten = ok(send("PUT", "/api/v1/namespaces/default/secrets/s1", s1.toString())).path("metadata").path("resourceVersion").asString();
    assertThat(rewritten).isNotEqualTo(s1.path("metadata").path("resourceVersion").asString());
    assertThat(stored("/registry/core/secrets/default/s1")).startsWith("k8s:enc:aescbc:v1:key2:");
    assertThat(stored("/registry/core/secrets/default/left-behind")).startsWith("k8s:enc:aescbc:v1:key1:");

    configure(KEY2);
    c.api().restart();
    assertThat(ok(send("GET", "/api/v1/namespaces/default/secrets/s1", null)).path("data").path("password").asString()).isEqualTo(updated);
    // the secret still sealed with the dropped key: the server is ready, its other secrets are served,
    // and reads that meet it answer a 500 naming the missing key (kube-apiserver's "unable to transform key")
    String why = "unable to transform key \"/registry/core/secrets/default/left-behind\"";
    for (String path : List.of("/api/v1/namespaces/default/secrets/left-behind", "/api/v1/namespaces/default/secrets",
        "/api/v1/secrets?limit=10&resourceVersion=" + rewritten + "&resourceVersionMatch=Exact")) {
      HttpResponse<String> unreadable = send("GET", path, null);
      assertThat(unreadable.statusCode()).as(path + ": " + unreadable.body()).isEqualTo(500);
      assertThat(JSON.readTree(unreadable.body()).path("message").asString()).as(path).contains(why).contains("aescbc key \"key1\"");
    }
    assertThat(ok(send("GET", "/api/v1/namespaces/kube-system/secrets", null)).path("kind").asString()).isEqualTo("SecretList");
  }
}
