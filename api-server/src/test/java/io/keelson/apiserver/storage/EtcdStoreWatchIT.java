package io.keelson.apiserver.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keelson.apiserver.it.TestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link EtcdStore#watch} against a real etcd: the watch cache's view of etcd (changes in order with
 * their revisions, a replay from an old revision, progress notifications, compaction and a lost
 * etcd as errors, nothing after close).
 */
class EtcdStoreWatchIT {

  private static TestCluster cluster;
  private static EtcdStore store;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start("store-watch", 0);
    store = new EtcdStore(List.of(cluster.etcdUrl()), null);
  }

  @AfterAll
  static void stop() throws Exception {
    if (store != null) store.close();
    if (cluster != null) cluster.close();
  }

  /** What one watch saw. */
  private static final class Seen {
    final List<EtcdStore.Batch> batches = new CopyOnWriteArrayList<>();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();

    List<String> changes() {
      return batches.stream().flatMap(b -> b.changes().stream())
          .map(c -> (c.deleted() ? "DELETE " : "PUT ") + c.entry().key() + "@" + c.entry().modRevision()
              + (c.deleted() ? "" : "=" + new String(c.entry().value(), StandardCharsets.UTF_8)))
          .toList();
    }

    EtcdStore.Watching watch(String prefix, long from) {
      return store.watch(prefix, from, batches::add, errors::add);
    }
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void changesArriveInOrderAndReplayFromAnOlderRevision() throws Exception {
    Seen live = new Seen();
    EtcdStore.Watching w = live.watch("/w1/", store.currentRevision() + 1);
    long r1 = store.create("/w1/a", b("one"));
    long r2 = store.guardedPut("/w1/a", b("two"), r1);
    store.create("/w1x", b("outside the prefix"));
    long r3 = store.guardedDelete("/w1/a", r2);
    List<String> expected = List.of("PUT /w1/a@" + r1 + "=one", "PUT /w1/a@" + r2 + "=two", "DELETE /w1/a@" + r3);
    await().atMost(Duration.ofSeconds(10)).until(() -> live.changes().size() >= 3);
    assertThat(live.changes()).isEqualTo(expected);
    assertThat(live.errors).isEmpty();

    Seen replay = new Seen();
    EtcdStore.Watching w2 = replay.watch("/w1/", r1);
    await().atMost(Duration.ofSeconds(10)).until(() -> replay.changes().size() >= 3);
    assertThat(replay.changes()).isEqualTo(expected);

    // closed: nothing more arrives
    w.close();
    w2.close();
    int before = live.batches.size();
    long r4 = store.create("/w1/b", b("after close"));
    Seen check = new Seen();
    EtcdStore.Watching w3 = check.watch("/w1/", r4);
    await().atMost(Duration.ofSeconds(10)).until(() -> check.changes().size() >= 1);
    w3.close();
    assertThat(live.batches).hasSize(before);
    assertThat(live.errors).isEmpty();
  }

  @Test
  void progressRequestsTellTheCurrentRevision() throws Exception {
    Seen quiet = new Seen();
    try (EtcdStore.Watching w = quiet.watch("/quiet/", store.currentRevision() + 1)) {
      long rev = store.create("/elsewhere/p", b("x"));
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
        store.requestProgress();
        return quiet.batches.stream().anyMatch(bt -> bt.changes().isEmpty() && bt.revision() >= rev);
      });
      assertThat(quiet.changes()).isEmpty();
      assertThat(quiet.errors).isEmpty();
    }
  }

  @Test
  void aCompactedRevisionIsAnErrorThatSaysSo() throws Exception {
    long r1 = store.create("/w2/a", b("one"));
    long r2 = store.guardedPut("/w2/a", b("two"), r1);
    store.compact(r2);
    Seen seen = new Seen();
    try (EtcdStore.Watching w = seen.watch("/w2/", r1)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> !seen.errors.isEmpty());
      assertThat(seen.errors.get(0).getMessage()).contains("compact");
      assertThat(seen.changes()).isEmpty();
    }
  }

  @Test
  void losingEtcdIsAnErrorAndANewWatchWorksOnceItIsBack() throws Exception {
    Seen seen = new Seen();
    EtcdStore.Watching w = seen.watch("/w3/", store.currentRevision() + 1);
    cluster.killEtcd();
    await().atMost(Duration.ofSeconds(30)).until(() -> !seen.errors.isEmpty());
    w.close();
    cluster.startEtcd();
    Seen again = new Seen();
    try (EtcdStore.Watching w2 = again.watch("/w3/", store.currentRevision() + 1)) {
      long rev = store.create("/w3/back", b("yes"));
      await().atMost(Duration.ofSeconds(30)).until(() -> again.changes().size() >= 1);
      assertThat(again.changes()).containsExactly("PUT /w3/back@" + rev + "=yes");
    }
  }
}
