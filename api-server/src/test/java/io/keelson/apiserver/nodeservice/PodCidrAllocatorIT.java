package io.keelson.apiserver.nodeservice;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.storage.EtcdStore;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Pod CIDR claims against a real etcd: two "api-server replicas" never hand out one range twice. */
class PodCidrAllocatorIT {

  static Process etcd;
  static EtcdStore store;

  @BeforeAll
  static void startEtcd() throws Exception {
    int client;
    int peer;
    try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(0)) {
      client = a.getLocalPort();
      peer = b.getLocalPort();
    }
    Path data = Files.createTempDirectory("cidr-etcd");
    etcd = new ProcessBuilder("etcd", "--data-dir", data.toString(),
        "--listen-client-urls", "http://127.0.0.1:" + client, "--advertise-client-urls", "http://127.0.0.1:" + client,
        "--listen-peer-urls", "http://127.0.0.1:" + peer, "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer,
        "--initial-cluster", "default=http://127.0.0.1:" + peer, "--log-level", "error")
        .redirectErrorStream(true).redirectOutput(data.resolve("etcd.log").toFile()).start();
    store = new EtcdStore(List.of("http://127.0.0.1:" + client), null);
    Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> store.currentRevision() > 0);
  }

  @AfterAll
  static void stopEtcd() {
    if (store != null) store.close();
    if (etcd != null) etcd.destroyForcibly();
  }

  @Test
  void concurrentReplicasNeverShareARange() throws Exception {
    PodCidrAllocator a = new PodCidrAllocator(store, ClusterCidr.DEFAULT);
    PodCidrAllocator b = new PodCidrAllocator(store, ClusterCidr.DEFAULT);
    Set<String> nodes = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<String>> got = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      PodCidrAllocator which = i % 2 == 0 ? a : b;
      String node = "race-" + i;
      nodes.add(node);
      got.add(pool.submit(() -> which.allocate(node, List.of(), nodes::contains)));
    }
    Set<String> cidrs = ConcurrentHashMap.newKeySet();
    for (Future<String> f : got) assertThat(cidrs.add(f.get())).as("a range handed out twice").isTrue();
    pool.shutdown();
    assertThat(cidrs).hasSize(40).allMatch(c -> c.matches("10\\.244\\.\\d+\\.0/24"));
  }

  /**
   * As at registration: a node's Node object exists only after its range was handed out, so a claim
   * whose owner is not (yet) a Node may belong to a registration still in flight (3 lab hosts
   * registering at once got 10.244.0.0/24 twice, and their pods could not reach each other).
   */
  @Test
  void nodesRegisteringAtOnceNeverShareARange() throws Exception {
    PodCidrAllocator a = new PodCidrAllocator(store, ClusterCidr.DEFAULT);
    PodCidrAllocator b = new PodCidrAllocator(store, ClusterCidr.DEFAULT);
    Set<String> nodes = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<String>> got = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      PodCidrAllocator which = i % 2 == 0 ? a : b;
      String node = "inflight-" + i;
      got.add(pool.submit(() -> {
        String cidr = which.allocate(node, List.of(), nodes::contains);
        nodes.add(node); // the Node is created after the range was claimed
        return cidr;
      }));
    }
    Set<String> cidrs = ConcurrentHashMap.newKeySet();
    for (Future<String> f : got) assertThat(cidrs.add(f.get())).as("a range handed out twice").isTrue();
    pool.shutdown();
    assertThat(cidrs).hasSize(40);
  }

  @Test
  void aNodeGetsItsOwnClaimBackAndOrphanedClaimsAreReused() {
    PodCidrAllocator a = new PodCidrAllocator(store, ClusterCidr.DEFAULT);
    String first = a.allocate("again", List.of(), n -> true);
    assertThat(a.allocate("again", List.of(), n -> true)).isEqualTo(first);
    // the owner is not a Node: while other ranges are free its claim stays (it may be registering)
    String other = a.allocate("newcomer", List.of(), n -> !n.equals("again"));
    assertThat(other).isNotEqualTo(first);
    // no range free (the others held by stored Nodes): the orphaned claim is taken over
    List<String> allButFirst = new ArrayList<>();
    for (int i = 0; i < 256; i++) allButFirst.add("10.244." + i + ".0/24");
    allButFirst.remove(first);
    assertThat(a.allocate("latecomer", allButFirst, n -> !n.equals("again"))).isEqualTo(first);
  }

  @Test
  void rangesHeldByStoredNodesAreSkipped() {
    PodCidrAllocator a = new PodCidrAllocator(store, ClusterCidr.DEFAULT);
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 256; i++) all.add("10.244." + i + ".0/24");
    assertThat(a.allocate("nowhere", all, n -> true)).isNull();
  }

  /** {@code --cluster-cidr}: ranges come from the cluster's own range, and only as many as it holds. */
  @Test
  void rangesComeFromTheClustersOwnRange() {
    PodCidrAllocator a = new PodCidrAllocator(store, ClusterCidr.parse("10.245.8.0/23"));
    // claims left by the other tests here are orphans (their nodes are not "own-" nodes): taken over
    Set<String> got = Set.of(a.allocate("own-a", List.of(), n -> n.startsWith("own-")),
        a.allocate("own-b", List.of(), n -> n.startsWith("own-")));
    assertThat(got).containsExactlyInAnyOrder("10.245.8.0/24", "10.245.9.0/24");
    assertThat(a.allocate("own-c", List.of(), n -> n.startsWith("own-"))).isNull();
  }
}
