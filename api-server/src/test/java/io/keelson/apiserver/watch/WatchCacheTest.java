package io.keelson.apiserver.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.storage.EtcdStore;
import io.keelson.apiserver.storage.ObjectCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/** Which watchers an event reaches: by namespace and node index, and the unindexed ones always. */
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
    for (WatchEvent ev = w.poll(0); ev != null; ev = w.poll(0)) {
      out.add(ev.type() + " " + ev.object().path("metadata").path("name").asString());
    }
    return out;
  }

  private static boolean onNode(ObjectNode o, String node) {
    return node.equals(o.path("spec").path("nodeName").asString(""));
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
    WatchEvent ev = all.poll(0);
    assertThat(ev.object()).isSameAs(announced);
    assertThat(new String(ev.objectJson(), StandardCharsets.UTF_8))
        .startsWith("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":\"11\",");
    // the same JSON a watcher would get by serializing the cached object (field order aside)
    assertThat(ObjectCodec.JSON.readTree(ev.objectJson())).isEqualTo(ObjectCodec.JSON.readTree(ObjectCodec.JSON.writeValueAsBytes(ev.object())));

    cache.apply(put("a", "p3", null, 12)); // another writer's object: encoded once, for every stream
    WatchEvent other = all.poll(0);
    assertThat(other.json()).isNull();
    assertThat(other.objectJson()).isSameAs(other.objectJson());
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
    assertThat(drain(inA)).isEmpty();
    assertThat(drain(node1)).isEmpty();
    assertThat(drain(everything)).containsExactly("ADDED p3");
    assertThat(cache.watcherCount()).isEqualTo(2);
  }
}
