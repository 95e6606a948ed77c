package io.keelson.apiserver.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.storage.EtcdStore;
import io.keelson.apiserver.storage.ObjectCodec;
import java.nio.charset.StandardCharsets;
import io.keelson.apiserver.status.StatusException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/**
 * Which watchers an event reaches: by namespace and node index, and the unindexed ones always; and
 * that a watch resumed from the window (kept as JSON) gets the events live watchers got.
 */
class WatchCacheTest {

  private final WatchCache cache = new WatchCache(ResourceRegistry.find("", "v1", "pods").orElseThrow(), null, 100);

  private static EtcdStore.Batch put(String ns, String name, String node, long rev) {
    String json = "{\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"" + ns + "\",\"name\":\"" + name + "\"},\"spec\":{"
        + (node == null ? "" : "\"nodeName\":\"" + node + "\"") + "}}";
    EtcdStore.Entry e = new EtcdStore.Entry("/registry/pods/" + ns + "/" + name, json.getBytes(StandardCharsets.UTF_8), rev);
    return new EtcdStore.Batch(List.of(new EtcdStore.Change(false, e, null)), rev);
  }

  private static List<String> drain(Watcher w) throws InterruptedException {
    List<String> out = new ArrayList<>();
    for (WatchEvent ev = w.pollNow(); ev != null; ev = w.pollNow()) {
      if (Watcher.isEnd(ev)) {
        out.add("END");
        break;
      }
      out.add(ev.type() + " " + ev.object().path("metadata").path("name").asString());
    }
    return out;
  }

  private static boolean onNode(ObjectNode o, String node) {
    return node.equals(o.path("spec").path("nodeName").asString(""));
  }

  @Test
  void aValueThatCannotBeDecryptedIsLeftOutAndListsOfItsPrefixSayWhy() {
    cache.apply(put("a", "p1", null, 5));
    String why = "Internal error occurred: unable to transform key \"/registry/pods/a/p2\": aescbc key \"key1\" is gone";
    EtcdStore.Entry sealed = new EtcdStore.Entry("/registry/pods/a/p2", new byte[0], 6, why, true);
    cache.apply(new EtcdStore.Batch(List.of(new EtcdStore.Change(false, sealed, null)), 6));
    assertThat(cache.get("/registry/pods/a/p1")).isNotNull();
    assertThat(cache.get("/registry/pods/a/p2")).isNull();
    assertThat(cache.revision()).isEqualTo(6);
    assertThatThrownBy(() -> cache.checkReadable("/registry/pods/a/")).isInstanceOf(StatusException.class).hasMessage(why);
    cache.checkReadable("/registry/pods/b/"); // other namespaces list as before
    // rewritten with a key the server has (another api-server's write): readable again
    cache.apply(put("a", "p2", null, 7));
    assertThat(cache.get("/registry/pods/a/p2")).isNotNull();
    cache.checkReadable("/registry/pods/a/");
  }

  @Test
  void everyChangeOfOneRevisionIsApplied() throws Exception {
    // an etcd lease's expiry deletes all its keys in one revision; its events come in one batch
    cache.apply(put("a", "e1", null, 5));
    cache.apply(put("a", "e2", null, 6));
    cache.apply(put("a", "e3", null, 7));
    Watcher all = cache.watch(7, o -> true, 100);
    List<EtcdStore.Change> expiry = new ArrayList<>();
    for (String n : List.of("e1", "e2")) {
      expiry.add(new EtcdStore.Change(true, new EtcdStore.Entry("/registry/pods/a/" + n, new byte[0], 8), null));
    }
    cache.apply(new EtcdStore.Batch(expiry, 8));
    assertThat(cache.get("/registry/pods/a/e1")).isNull();
    assertThat(cache.get("/registry/pods/a/e2")).isNull();
    assertThat(drain(all)).containsExactly("DELETED e1", "DELETED e2");
    // a resumed etcd watch repeating that revision changes nothing
    cache.apply(new EtcdStore.Batch(List.of(new EtcdStore.Change(true, new EtcdStore.Entry("/registry/pods/a/e3", new byte[0], 8), null)), 8));
    assertThat(cache.get("/registry/pods/a/e3")).isNotNull();
    assertThat(drain(cache.watch(7, o -> true, 100))).containsExactly("DELETED e1", "DELETED e2");
  }

  @Test
  void anAnnouncedWriteIsAppliedWithoutDecodingItsEventOnlyWhenTheBytesMatch() throws Exception {
    Watcher all = cache.watch(0, o -> true, 100);
    String key = "/registry/pods/a/p1";
    EtcdStore.Batch mine = put("a", "p1", null, 7);
    byte[] bytes = mine.changes().get(0).entry().value();
    ObjectNode announced = ObjectCodec.decodedCopy((ObjectNode) ObjectCodec.JSON.readTree(bytes));
    WatchCache.Pending p = cache.expect(key, bytes, announced);
    cache.apply(put("a", "p1", "n1", 6)); // another writer's change of the key (other bytes): decoded
    assertThat(cache.get(key)).isNotSameAs(announced);
    cache.apply(mine); // the announced write's event: that object, with the event's resourceVersion
    assertThat(cache.get(key)).isSameAs(announced);
    assertThat(cache.get(key).path("metadata").path("resourceVersion").asString()).isEqualTo("7");
    assertThat(cache.get(key)).isEqualTo(ObjectCodec.decode(mine.changes().get(0).entry()));
    cache.apply(put("a", "p1", null, 8)); // same bytes again, nothing announced: decoded
    assertThat(cache.get(key)).isNotSameAs(announced);
    assertThat(drain(all)).containsExactly("ADDED p1", "MODIFIED p1", "MODIFIED p1");
    WatchCache.Pending failed = cache.expect(key, bytes, ObjectCodec.decodedCopy(announced));
    cache.abandon(key, failed); // the write failed: its object is never used
    cache.apply(put("a", "p1", null, 9));
    assertThat(cache.get(key).path("metadata").path("resourceVersion").asString()).isEqualTo("9");
    assertThat(p).isNotNull();
  }

  @Test
  void anAnnouncedWritesEventCarriesItsStoredBytesWithItsResourceVersion() throws Exception {
    Watcher all = cache.watch(0, o -> true, 100);
    ObjectNode pod = (ObjectNode) ObjectCodec.JSON.readTree(
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"a\",\"name\":\"p2\",\"labels\":{\"x\":\"1\"}},\"spec\":{}}");
    ObjectCodec.Stored stored = ObjectCodec.encodeStored(pod);
    String key = "/registry/pods/a/p2";
    ObjectNode announced = ObjectCodec.decodedCopy(pod);
    cache.expect(key, stored, announced);
    EtcdStore.Entry e = new EtcdStore.Entry(key, stored.bytes(), 11);
    cache.apply(new EtcdStore.Batch(List.of(new EtcdStore.Change(false, e, null)), 11));
    WatchEvent ev = all.pollNow();
    assertThat(ev.object()).isSameAs(announced);
    assertThat(new String(ev.objectJson(), StandardCharsets.UTF_8))
        .startsWith("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":\"11\",");
    // the same JSON a watcher would get by serializing the cached object (field order aside)
    assertThat(ObjectCodec.JSON.readTree(ev.objectJson())).isEqualTo(ObjectCodec.JSON.readTree(ObjectCodec.JSON.writeValueAsBytes(ev.object())));

    cache.apply(put("a", "p3", null, 12)); // another writer's object: encoded once (for the window), for every stream
    WatchEvent other = all.pollNow();
    assertThat(other.objectJson()).isSameAs(other.json());
    assertThat(ObjectCodec.JSON.readTree(other.objectJson())).isEqualTo(other.object());
  }

  @Test
  void eventsReachOnlyTheWatchersTheirIndexKeysName() throws Exception {
    Watcher inA = cache.watch(0, o -> true, 100, Set.of(WatchCache.namespaceKey("a")));
    Watcher inB = cache.watch(0, o -> true, 100, Set.of(WatchCache.namespaceKey("b")));
    Watcher everything = cache.watch(0, o -> true, 100);
    Watcher node1 = cache.watch(0, o -> onNode(o, "n1"), 100, Set.of(WatchCache.nodeKey("n1"), WatchCache.nodeKey("n2")));

    cache.apply(put("a", "p1", null, 2));
    cache.apply(put("a", "p1", "n1", 3)); // bound: the node's watcher sees it appear
    cache.apply(put("b", "p2", "n3", 4));

    assertThat(drain(inA)).containsExactly("ADDED p1", "MODIFIED p1");
    assertThat(drain(inB)).containsExactly("ADDED p2");
    assertThat(drain(everything)).containsExactly("ADDED p1", "MODIFIED p1", "ADDED p2");
    assertThat(drain(node1)).containsExactly("ADDED p1");
    assertThat(cache.watcherCount()).isEqualTo(4);

    inA.close();
    node1.close();
    cache.apply(put("a", "p3", "n1", 5));
    assertThat(drain(inA)).containsExactly("END"); // closed: nothing more
    assertThat(drain(node1)).containsExactly("END");
    assertThat(drain(everything)).containsExactly("ADDED p3");
    assertThat(cache.watcherCount()).isEqualTo(2);
  }

  private static EtcdStore.Batch delete(String ns, String name, long rev) {
    EtcdStore.Entry e = new EtcdStore.Entry("/registry/pods/" + ns + "/" + name, new byte[0], rev);
    return new EtcdStore.Batch(List.of(new EtcdStore.Change(true, e, null)), rev);
  }

  private static boolean labelled(ObjectNode o) {
    return "1".equals(o.path("metadata").path("labels").path("x").asString(""));
  }

  /** A random history of pods (creates, label changes, bindings, deletes), half of it this api-server's writes. */
  private static long history(WatchCache c, int writes, long seed) {
    Random r = new Random(seed);
    long rev = 1;
    for (int i = 0; i < writes; i++) {
      rev++;
      String name = "p" + r.nextInt(6);
      String ns = r.nextBoolean() ? "a" : "b";
      String key = "/registry/pods/" + ns + "/" + name;
      if (c.get(key) != null && r.nextInt(5) == 0) {
        c.apply(delete(ns, name, rev));
        continue;
      }
      ObjectNode pod = (ObjectNode) ObjectCodec.JSON.readTree("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\""
          + ns + "\",\"name\":\"" + name + "\",\"labels\":{\"x\":\"" + r.nextInt(2) + "\"}},\"spec\":{"
          + (r.nextBoolean() ? "\"nodeName\":\"n" + r.nextInt(2) + "\"" : "") + "},\"status\":{\"n\":" + i + "}}");
      ObjectCodec.Stored stored = ObjectCodec.encodeStored(pod);
      if (r.nextBoolean()) c.expect(key, stored, ObjectCodec.decodedCopy(pod)); // this api-server's write
      c.apply(new EtcdStore.Batch(List.of(new EtcdStore.Change(false, new EtcdStore.Entry(key, stored.bytes(), rev), null)), rev));
    }
    return rev;
  }

  private static List<WatchEvent> events(Watcher w) throws InterruptedException {
    List<WatchEvent> out = new ArrayList<>();
    for (WatchEvent ev = w.pollNow(); ev != null; ev = w.pollNow()) out.add(ev);
    return out;
  }

  private static void assertSameEvents(List<WatchEvent> resumed, List<WatchEvent> live) {
    assertThat(resumed).hasSameSizeAs(live);
    for (int i = 0; i < live.size(); i++) {
      WatchEvent a = resumed.get(i);
      WatchEvent b = live.get(i);
      assertThat(a.type()).isEqualTo(b.type());
      assertThat(a.revision()).isEqualTo(b.revision());
      assertThat(Arrays.equals(a.objectJson(), b.objectJson())).as("JSON of event at %d", b.revision()).isTrue();
      assertThat(a.object()).isEqualTo(b.object());
      assertThat(a.prev()).isEqualTo(b.prev());
    }
  }

  @Test
  void aWatchResumedFromTheWindowGetsTheEventsLiveWatchersGot() throws Exception {
    WatchCache c = new WatchCache(ResourceRegistry.find("", "v1", "pods").orElseThrow(), null, 1000);
    List<Predicate<ObjectNode>> filters = List.of(o -> true, WatchCacheTest::labelled, o -> onNode(o, "n1"));
    List<Watcher> live = new ArrayList<>();
    for (Predicate<ObjectNode> f : filters) live.add(c.watch(0, f, 10_000));
    long last = history(c, 300, 1);
    List<List<WatchEvent>> seen = new ArrayList<>();
    for (Watcher w : live) seen.add(events(w));
    assertThat(seen.get(1)).extracting(WatchEvent::type) // selector transitions: out of the selection is DELETED
        .contains(WatchEvent.Type.ADDED, WatchEvent.Type.MODIFIED, WatchEvent.Type.DELETED);
    for (long from = 1; from <= last; from += 7) {
      for (int f = 0; f < filters.size(); f++) {
        long after = from;
        Watcher resumed = c.watch(from, filters.get(f), 10_000);
        assertSameEvents(events(resumed), seen.get(f).stream().filter(ev -> ev.revision() > after).toList());
        resumed.close();
      }
    }
  }

  @Test
  void aWatchFromBeforeTheWindowIsGoneAndOneInsideItResumes() throws Exception {
    WatchCache c = new WatchCache(ResourceRegistry.find("", "v1", "pods").orElseThrow(), null, 20);
    Watcher live = c.watch(0, WatchCacheTest::labelled, 10_000);
    long last = history(c, 200, 2); // most previous versions fell out of the window long before
    List<WatchEvent> seen = events(live);
    assertThatThrownBy(() -> c.watch(last - 25, o -> true, 100)).isInstanceOf(StatusException.class)
        .hasMessageContaining("too old resource version");
    Watcher resumed = c.watch(last - 19, WatchCacheTest::labelled, 100);
    assertSameEvents(events(resumed), seen.stream().filter(ev -> ev.revision() > last - 19).toList());
  }
}
