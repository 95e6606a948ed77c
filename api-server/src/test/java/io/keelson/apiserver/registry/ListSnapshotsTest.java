package io.keelson.apiserver.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

class ListSnapshotsTest {

  private final AtomicLong now = new AtomicLong();
  private final ListSnapshots snapshots = new ListSnapshots(2, 1_000, now::get);

  private ListSnapshots.Snapshot snap(String prefix, long rev, String... keys) {
    List<ObjectNode> objs = java.util.Arrays.stream(keys).map(k -> JsonNodeFactory.instance.objectNode().put("k", k)).toList();
    return snapshots.snapshot(prefix, rev, List.of(keys), objs);
  }

  @Test
  void aContinueKeyFindsTheFirstObjectAtOrAfterIt() {
    ListSnapshots.Snapshot s = snap("/p/", 5, "/p/a", "/p/c", "/p/e");
    assertThat(s.positionOf("/p/")).isZero();
    assertThat(s.positionOf("/p/c")).isEqualTo(1);
    assertThat(s.positionOf("/p/a\0")).isEqualTo(1); // etcd tokens: the smallest key after "a"
    assertThat(s.positionOf("/p/d")).isEqualTo(2);
    assertThat(s.positionOf("/p/z")).isEqualTo(3);
  }

  @Test
  void snapshotsAreFoundByPrefixAndRevisionUntilTheyExpireOrAreCrowdedOut() {
    snapshots.put(snap("/p/", 5, "/p/a"));
    snapshots.put(snap("/q/", 5, "/q/a"));
    assertThat(snapshots.get("/p/", 5)).isNotNull();
    assertThat(snapshots.get("/p/", 6)).isNull();
    // the least recently used goes first: /q/ (the /p/ one was just read)
    snapshots.put(snap("/r/", 7, "/r/a"));
    assertThat(snapshots.get("/q/", 5)).isNull();
    assertThat(snapshots.get("/p/", 5)).isNotNull();
    now.addAndGet(2_000);
    assertThat(snapshots.get("/p/", 5)).isNull();
    assertThat(snapshots.size()).isZero();
  }
}
