package io.keelson.scheduler.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodListBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The lean pod watch against canned list and watch answers: what a handler sees, and relisting after a 410. */
class LeanPodWatchTest {
  KubernetesMockServer server;
  KubernetesClient client;
  LeanPodWatch watch;
  final List<String> seen = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() {
    server = new KubernetesMockServer(false);
    server.init();
    client = server.createClient();
  }

  @AfterEach
  void tearDown() {
    if (watch != null) {
      watch.close();
    }
    client.close();
    server.destroy();
  }

  static Pod pod(String name, String rv, String node) {
    return new PodBuilder()
        .withNewMetadata().withName(name).withNamespace("ns").withUid("u-" + name).withResourceVersion(rv).endMetadata()
        .withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("busybox").endContainer().endSpec()
        .build();
  }

  static String event(String type, Pod p) {
    return "{\"type\":\"" + type + "\",\"object\":" + Serialization.asJson(p) + "}\n";
  }

  static String watchPath(String rv) {
    return "/api/v1/pods?watch=true&allowWatchBookmarks=true&timeoutSeconds=" + LeanPodWatch.WATCH_TIMEOUT_SECONDS
        + "&resourceVersion=" + rv;
  }

  final ResourceEventHandler<Pod> recorder =
      new ResourceEventHandler<>() {
        @Override
        public void onAdd(Pod p) {
          seen.add("add " + p.getMetadata().getName());
        }

        @Override
        public void onUpdate(Pod old, Pod p) {
          seen.add("update " + p.getMetadata().getName() + " " + old.getSpec().getNodeName() + "->" + p.getSpec().getNodeName());
        }

        @Override
        public void onDelete(Pod p, boolean unknown) {
          seen.add("delete " + p.getMetadata().getName() + (unknown ? " (relist)" : ""));
        }
      };

  @Test
  void deliversListThenWatchEventsAndRelistsWhenTheVersionExpired() {
    server.expect().get().withPath("/api/v1/pods")
        .andReturn(200, new PodListBuilder().withNewMetadata().withResourceVersion("10").endMetadata()
            .withItems(pod("a", "5", null), pod("b", "6", null)).build())
        .once();
    String expired = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
        + "\"status\":\"Failure\",\"message\":\"too old resource version\",\"reason\":\"Expired\",\"code\":410}}\n";
    // one event split over two chunks, as a stream may deliver it
    String bound = event("MODIFIED", pod("b", "11", "n1"));
    server.expect().get().withPath(watchPath("10"))
        .andReturnChunked(200, bound.substring(0, 20), bound.substring(20), event("ADDED", pod("c", "12", null)),
            "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"13\"}}}\n",
            event("DELETED", pod("a", "14", null)), expired)
        .once();
    // the relist: b unchanged, c gone meanwhile, d new
    server.expect().get().withPath("/api/v1/pods")
        .andReturn(200, new PodListBuilder().withNewMetadata().withResourceVersion("20").endMetadata()
            .withItems(pod("b", "11", "n1"), pod("d", "19", null)).build())
        .once();

    watch = new LeanPodWatch(client, recorder);
    watch.start();

    await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() >= 7);
    assertThat(seen).containsExactly(
        "add a", "add b", "update b null->n1", "add c", "delete a", "add d", "delete c (relist)");
    assertThat(watch.hasSynced()).isTrue();
    assertThat(watch.size()).isEqualTo(2);
  }
}
