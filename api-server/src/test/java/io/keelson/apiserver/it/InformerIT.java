package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A fabric8 SharedIndexInformer (as the scheduler and controllers use it) against a real etcd +
 * api-server: it sees adds, updates and deletes, and recovers by itself when the api-server and,
 * separately, etcd are killed and restarted, while every object keeps its uid and resourceVersion.
 * Also: a watch from a compacted revision gets 410 Expired, and `kubectl get -w` sees a change made
 * by another client.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InformerIT {

  private static final String NS = "inf";
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static TestCluster c;
  private static KubernetesClient kube;
  private static SharedIndexInformer<ConfigMap> informer;
  private static final List<String> events = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void up() throws Exception {
    c = TestCluster.start("informer", 1);
    kube = client();
    kube.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
    informer = kube.configMaps().inNamespace(NS).inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(ConfigMap cm) {
        events.add("ADD " + cm.getMetadata().getName() + " " + cm.getData());
      }

      @Override
      public void onUpdate(ConfigMap old, ConfigMap cm) {
        events.add("UPDATE " + cm.getMetadata().getName() + " " + cm.getData());
      }

      @Override
      public void onDelete(ConfigMap cm, boolean unknownFinalState) {
        events.add("DELETE " + cm.getMetadata().getName());
      }
    }, 0);
    await().atMost(Duration.ofSeconds(30)).until(informer::hasSynced);
  }

  @AfterAll
  static void down() throws Exception {
    if (informer != null) informer.close();
    if (kube != null) kube.close();
    if (c != null) c.close();
  }

  private static KubernetesClient client() throws Exception {
    Path kc = c.kubeconfig();
    Config config = Config.fromKubeconfig(null, Files.readString(kc), kc.toString());
    config.setWatchReconnectInterval(500);
    config.setRequestTimeout(30_000);
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  private static ConfigMap cm(String name, String value) {
    return new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(NS).endMetadata()
        .addToData("v", value).build();
  }

  private static void awaitEvent(String event) {
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
        .untilAsserted(() -> assertThat(events).as("informer events").contains(event));
  }

  /** name -> uid/resourceVersion of every ConfigMap in the namespace, read straight from the API. */
  private static Map<String, String> identities() {
    Map<String, String> out = new TreeMap<>();
    for (ConfigMap m : kube.configMaps().inNamespace(NS).list().getItems()) {
      out.put(m.getMetadata().getName(), m.getMetadata().getUid() + "/" + m.getMetadata().getResourceVersion());
    }
    return out;
  }

  @Test
  @Order(1)
  void informerSeesAddUpdateDelete() {
    kube.configMaps().inNamespace(NS).resource(cm("a", "1")).create();
    awaitEvent("ADD a {v=1}");
    kube.configMaps().inNamespace(NS).withName("a").edit(m -> {
      m.getData().put("v", "2");
      return m;
    });
    awaitEvent("UPDATE a {v=2}");
    kube.configMaps().inNamespace(NS).withName("a").delete();
    awaitEvent("DELETE a");
    assertThat(informer.getStore().list()).extracting(m -> m.getMetadata().getName()).doesNotContain("a");
  }

  @Test
  @Order(2)
  void noOpUpdateKeepsResourceVersion() {
    ConfigMap m = kube.configMaps().inNamespace(NS).resource(cm("same", "1")).create();
    String rv = m.getMetadata().getResourceVersion();
    ConfigMap again = kube.configMaps().inNamespace(NS).withName("same").edit(x -> x);
    assertThat(again.getMetadata().getResourceVersion()).isEqualTo(rv);
    ConfigMap patched = kube.configMaps().inNamespace(NS).withName("same")
        .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            "{\"data\":{\"v\":\"1\"}}");
    assertThat(patched.getMetadata().getResourceVersion()).isEqualTo(rv);
  }

  @Test
  @Order(3)
  void survivesApiServerRestart() throws Exception {
    for (int i = 0; i < 5; i++) kube.configMaps().inNamespace(NS).resource(cm("before-api-" + i, "x")).create();
    awaitEvent("ADD before-api-4 {v=x}");
    Map<String, String> before = identities();
    long t0 = System.nanoTime();
    c.api().restart();
    System.out.printf("api-server restart took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> assertThat(identities()).isEqualTo(before));
    kube.configMaps().inNamespace(NS).resource(cm("after-api", "y")).create();
    awaitEvent("ADD after-api {v=y}");
    kube.configMaps().inNamespace(NS).withName("before-api-0").edit(m -> {
      m.getData().put("v", "changed");
      return m;
    });
    awaitEvent("UPDATE before-api-0 {v=changed}");
    assertThat(informer.getStore().list()).hasSameSizeAs(kube.configMaps().inNamespace(NS).list().getItems());
  }

  @Test
  @Order(4)
  void survivesEtcdRestart() throws Exception {
    kube.configMaps().inNamespace(NS).resource(cm("before-etcd", "x")).create();
    awaitEvent("ADD before-etcd {v=x}");
    Map<String, String> before = identities();
    c.killEtcd();
    c.startEtcd();
    await().atMost(Duration.ofSeconds(120)).ignoreExceptions().untilAsserted(() -> assertThat(identities()).isEqualTo(before));
    await().atMost(Duration.ofSeconds(120)).ignoreExceptions()
        .until(() -> kube.configMaps().inNamespace(NS).resource(cm("after-etcd", "y")).create() != null);
    awaitEvent("ADD after-etcd {v=y}");
    kube.configMaps().inNamespace(NS).withName("before-etcd").delete();
    awaitEvent("DELETE before-etcd");
  }

  @Test
  @Order(5)
  void watchFromCompactedRevisionIsExpired() throws Exception {
    ConfigMap m = kube.configMaps().inNamespace(NS).resource(cm("old", "0")).create();
    String oldRv = m.getMetadata().getResourceVersion();
    for (int i = 1; i <= 3; i++) {
      String v = "" + i;
      kube.configMaps().inNamespace(NS).withName("old").edit(x -> {
        x.getData().put("v", v);
        return x;
      });
    }
    long rev = JSON.readTree(c.etcdctl("get", "/registry/", "--prefix", "--keys-only", "--limit", "1", "-w", "json"))
        .path("header").path("revision").asLong();
    assertThat(rev).isGreaterThan(Long.parseLong(oldRv));
    c.etcdctl("compact", Long.toString(rev));
    HttpResponse<String> r = c.send(c.request(c.api(), "/api/v1/namespaces/" + NS + "/configmaps?watch=true&resourceVersion="
        + oldRv + "&timeoutSeconds=5").GET().build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<String> lines = r.body().lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines).as(r.body()).hasSize(1);
    JsonNode ev = JSON.readTree(lines.get(0));
    assertThat(ev.path("type").asString()).isEqualTo("ERROR");
    assertThat(ev.path("object").path("kind").asString()).isEqualTo("Status");
    assertThat(ev.path("object").path("code").asInt()).isEqualTo(410);
    assertThat(ev.path("object").path("reason").asString()).isEqualTo("Expired");
    // a watch from the current revision still works
    HttpResponse<String> ok = c.send(c.request(c.api(), "/api/v1/namespaces/" + NS + "/configmaps?watch=true&resourceVersion="
        + rev + "&timeoutSeconds=1").GET().build());
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).doesNotContain("ERROR");
    // and the informer, which resumes from newer revisions, is unaffected
    kube.configMaps().inNamespace(NS).resource(cm("after-compaction", "z")).create();
    awaitEvent("ADD after-compaction {v=z}");
  }

  @Test
  @Order(6)
  void kubectlWatchSeesChangeFromAnotherClient() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/kubectl")), "no /usr/bin/kubectl on this host");
    ProcessBuilder pb = new ProcessBuilder("/usr/bin/kubectl", "--kubeconfig", c.kubeconfig().toString(),
        "--cache-dir", c.dir.resolve("kube-cache").toString(), "get", "cm", "-n", NS, "-w").redirectErrorStream(true);
    Process p = pb.start();
    StringBuffer out = new StringBuffer();
    Thread reader = Thread.ofVirtual().start(() -> {
      try (var in = p.getInputStream()) {
        byte[] b = new byte[4096];
        int n;
        while ((n = in.read(b)) > 0) out.append(new String(b, 0, n, StandardCharsets.UTF_8));
      } catch (Exception ignored) {
        // process ended
      }
    });
    try {
      // the first lines list what exists (the synthetic ADDED events of the watch)
      await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(out.toString()).contains("same"));
      kube.configMaps().inNamespace(NS).resource(cm("seen-by-kubectl", "w")).create();
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(out.toString()).contains("seen-by-kubectl"));
    } finally {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
      reader.join(5000);
    }
  }

  @Test
  @Order(7)
  void watchDeliversABurstWholeAndInOrder() throws Exception {
    // Concurrent creates queue events faster than one watch writes them; the stream must still
    // carry each as one complete line, in resourceVersion order, none missing.
    String ns = "burst";
    kube.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    String rv = kube.configMaps().inNamespace(ns).list().getMetadata().getResourceVersion();
    HttpResponse<java.util.stream.Stream<String>> watch = c.client().send(c.request(c.api(), "/api/v1/namespaces/" + ns
        + "/configmaps?watch=true&resourceVersion=" + rv + "&timeoutSeconds=60").GET().build(), HttpResponse.BodyHandlers.ofLines());
    assertThat(watch.statusCode()).isEqualTo(200);
    int n = 300;
    List<String> seen = new CopyOnWriteArrayList<>();
    Thread reader = Thread.ofVirtual().start(() -> watch.body().filter(l -> !l.isBlank()).limit(n).forEach(seen::add));
    try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
      for (int i = 0; i < n; i++) {
        String name = "b-" + i;
        pool.submit(() -> kube.configMaps().inNamespace(ns).resource(cm(name, "x")).create());
      }
    }
    reader.join(Duration.ofSeconds(60));
    watch.body().close();
    assertThat(seen).hasSize(n);
    long last = Long.parseLong(rv);
    java.util.Set<String> names = new java.util.HashSet<>();
    for (String line : seen) {
      JsonNode ev = JSON.readTree(line);
      assertThat(ev.path("type").asString()).as(line).isEqualTo("ADDED");
      long at = Long.parseLong(ev.path("object").path("metadata").path("resourceVersion").asString());
      assertThat(at).as("resourceVersions in order").isGreaterThan(last);
      last = at;
      names.add(ev.path("object").path("metadata").path("name").asString());
    }
    assertThat(names).hasSize(n);
  }
}
