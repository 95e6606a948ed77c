package io.keelson.client.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetListBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The lean informer against canned list and watch answers: what handlers see and what the cache
 * and its indexes hold, across a watch event split over chunks, a bookmark, a delete and a relist
 * after the resourceVersion expired; and that stopping it ends its watch.
 */
class LeanInformerTest {
  KubernetesMockServer server;
  KubernetesClient client;
  LeanInformer<ReplicaSet> informer;
  final List<String> seen = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() {
    server = new KubernetesMockServer(false);
    server.init();
    client = server.createClient();
  }

  @AfterEach
  void tearDown() {
    if (informer != null) informer.stop();
    client.close();
    server.destroy();
  }

  static ReplicaSet rs(String name, String rv, int replicas) {
    return new ReplicaSetBuilder()
        .withNewMetadata().withName(name).withNamespace("ns").withUid("u-" + name).withResourceVersion(rv)
        .addToLabels("app", name).endMetadata()
        .withNewSpec().withReplicas(replicas).endSpec()
        .build();
  }

  static String event(String type, ReplicaSet o) {
    return "{\"type\":\"" + type + "\",\"object\":" + Serialization.asJson(o) + "}\n";
  }

  static String watchPath(String rv) {
    return "/apis/apps/v1/replicasets?watch=true&allowWatchBookmarks=true&timeoutSeconds="
        + LeanInformer.WATCH_TIMEOUT_SECONDS + "&resourceVersion=" + rv;
  }

  final ResourceEventHandler<ReplicaSet> recorder =
      new ResourceEventHandler<>() {
        @Override
        public void onAdd(ReplicaSet o) {
          seen.add("add " + o.getMetadata().getName());
        }

        @Override
        public void onUpdate(ReplicaSet old, ReplicaSet o) {
          // the cache holds the new object before handlers run
          ReplicaSet cached = informer.getIndexer().getByKey("ns/" + o.getMetadata().getName());
          seen.add("update " + o.getMetadata().getName() + " " + old.getSpec().getReplicas() + "->" + o.getSpec().getReplicas()
              + (cached == o ? "" : " (cache behind)"));
        }

        @Override
        public void onDelete(ReplicaSet o, boolean unknown) {
          seen.add("delete " + o.getMetadata().getName() + (unknown ? " (relist)" : ""));
        }
      };

  @Test
  void pathOfCoreAndGroupedKinds() {
    assertThat(LeanInformer.path(io.fabric8.kubernetes.api.model.Pod.class)).isEqualTo("/api/v1/pods");
    assertThat(LeanInformer.path(ReplicaSet.class)).isEqualTo("/apis/apps/v1/replicasets");
    assertThat(LeanInformer.path(io.fabric8.kubernetes.api.model.coordination.v1.Lease.class))
        .isEqualTo("/apis/coordination.k8s.io/v1/leases");
  }

  @Test
  void deliversListThenWatchEventsAndRelistsWhenTheVersionExpired() throws Exception {
    server.expect().get().withPath("/apis/apps/v1/replicasets")
        .andReturn(200, new ReplicaSetListBuilder().withMetadata(new io.fabric8.kubernetes.api.model.ListMetaBuilder().withResourceVersion("10").build())
            .withItems(rs("a", "5", 1), rs("b", "6", 1)).build())
        .once();
    String expired = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
        + "\"status\":\"Failure\",\"message\":\"too old resource version\",\"reason\":\"Expired\",\"code\":410}}\n";
    String scaled = event("MODIFIED", rs("b", "11", 3));
    server.expect().get().withPath(watchPath("10"))
        .andReturnChunked(200, scaled.substring(0, 25), scaled.substring(25), event("ADDED", rs("c", "12", 1)),
            "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ReplicaSet\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"resourceVersion\":\"13\"}}}\n",
            event("DELETED", rs("a", "14", 1)), expired)
        .once();
    // the relist: b unchanged, c gone meanwhile, d new
    server.expect().get().withPath("/apis/apps/v1/replicasets")
        .andReturn(200, new ReplicaSetListBuilder().withMetadata(new io.fabric8.kubernetes.api.model.ListMetaBuilder().withResourceVersion("20").build())
            .withItems(rs("b", "11", 3), rs("d", "19", 1)).build())
        .once();

    informer = new LeanInformer<>(client, ReplicaSet.class);
    informer.addIndexers(Map.of("byApp", o -> List.of(o.getMetadata().getLabels().get("app"))));
    informer.addEventHandler(recorder);
    informer.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(informer.hasSynced()).isTrue();

    await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() >= 7);
    assertThat(seen).containsExactly(
        "add a", "add b", "update b 1->3", "add c", "delete a", "add d", "delete c (relist)");
    assertThat(informer.getStore().listKeys()).containsExactlyInAnyOrder("ns/b", "ns/d");
    assertThat(informer.getIndexer().byIndex("byApp", "d")).hasSize(1);
    assertThat(informer.getIndexer().byIndex("byApp", "c")).isEmpty();
    assertThat(informer.getIndexer().byIndex(io.fabric8.kubernetes.client.informers.cache.Cache.NAMESPACE_INDEX, "ns")).hasSize(2);
    assertThat(informer.lastSyncResourceVersion()).isEqualTo("20");
  }

  @Test
  void stopEndsAWatchInProgress() throws Exception {
    server.expect().get().withPath("/apis/apps/v1/replicasets")
        .andReturn(200, new ReplicaSetListBuilder().withMetadata(new io.fabric8.kubernetes.api.model.ListMetaBuilder().withResourceVersion("10").build())
            .withItems(rs("a", "5", 1)).build())
        .once();
    // a watch request the server does not answer for a minute
    server.expect().get().delay(60, TimeUnit.SECONDS).withPath(watchPath("10")).andReturnChunked(200, "").once();

    informer = new LeanInformer<>(client, ReplicaSet.class);
    informer.addEventHandler(recorder);
    informer.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(informer.isRunning()).isTrue();
    assertThat(seen).containsExactly("add a");

    informer.stop();
    informer.stopped().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(informer.isRunning()).isFalse();
    assertThat(informer.isWatching()).isFalse();
  }
}
