package io.keelson.apiserver.watch;

import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.EtcdStore;
import io.keelson.apiserver.storage.ObjectCodec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The in-memory copy of one resource type, fed by a single etcd watch. It serves client watches and
 * {@code resourceVersion=0} lists so that many watchers never touch etcd, and keeps a window of
 * recent events so that a watch can resume from a resourceVersion it has already seen.
 */
public class WatchCache implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(WatchCache.class);

  private final ResourceType type;
  private final EtcdStore store;
  private final int windowSize;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition advanced = lock.newCondition();
  private final ConcurrentSkipListMap<String, ObjectNode> objects = new ConcurrentSkipListMap<>();
  /**
   * The last {@code windowSize} events, for watches that resume from a revision they have seen. Kept
   * as the JSON watchers were sent, not as trees (a tree costs ~10x its JSON): live watchers get the
   * events as they happen, and resuming from the window is rare and usually short, so it decodes
   * what it replays.
   */
  private final Deque<Past> window = new ArrayDeque<>();
  /** The window's latest event of each key (its JSON is the next event's previous object). */
  private final Map<String, Past> latestInWindow = new java.util.HashMap<>();
  /** Every watcher; and, to find the ones an event concerns without testing them all, by index key. */
  private final List<Watcher> watchers = new CopyOnWriteArrayList<>();
  private final List<Watcher> unindexed = new CopyOnWriteArrayList<>();
  private final Map<String, List<Watcher>> indexed = new ConcurrentHashMap<>();
  /**
   * Objects this api-server is writing, by key, from just before the etcd transaction until its
   * event arrives: an event whose value has exactly these bytes is applied with this object instead
   * of decoding the value again. Events still come only from etcd, in revision order; writes of
   * other api-servers (other bytes) are decoded as before.
   */
  private final Map<String, Pending> written = new ConcurrentHashMap<>();

  /** A write in flight: the bytes sent to etcd and the object they decode to (no resourceVersion yet). */
  public static final class Pending {
    private final byte[] bytes;
    private final ObjectCodec.Stored stored; // when known: where the resourceVersion goes into the bytes
    private final ObjectNode object;
    private final long since = System.nanoTime();

    private Pending(byte[] bytes, ObjectCodec.Stored stored, ObjectNode object) {
      this.bytes = bytes;
      this.stored = stored;
      this.object = object;
    }
  }

  /**
   * An event of the window: its type, revision, the object's JSON as watchers got it (with its
   * resourceVersion) and the previous version's JSON (null for ADDED) — the same byte arrays as the
   * previous event's, so a version's JSON is held once. {@link #event} decodes them again.
   */
  static final class Past {
    final WatchEvent.Type type;
    final long revision;
    final String key;
    final byte[] json;
    final byte[] prevJson;

    Past(WatchEvent.Type type, long revision, String key, byte[] json, byte[] prevJson) {
      this.type = type;
      this.revision = revision;
      this.key = key;
      this.json = json;
      this.prevJson = prevJson;
    }

    /**
     * The event as it was delivered: equal objects, the same JSON. {@code decoded} shares the
     * trees of one replay (an event's object is the next one's previous object).
     */
    WatchEvent event(Map<byte[], ObjectNode> decoded) {
      return new WatchEvent(type, decode(json, decoded), prevJson == null ? null : decode(prevJson, decoded), revision, json);
    }

    private static ObjectNode decode(byte[] json, Map<byte[], ObjectNode> decoded) {
      return decoded.computeIfAbsent(json, j -> (ObjectNode) ObjectCodec.JSON.readTree(j));
    }
  }

  private final Map<String, String> unreadable = new ConcurrentSkipListMap<>(); // key -> why it cannot be read
  private volatile long revision; // everything up to here is reflected in objects
  private volatile long oldestResumable; // a watch from rv >= this can be served from the window
  private volatile boolean ready;
  private volatile boolean closed;
  private EtcdStore.Watching etcdWatch;

  public WatchCache(ResourceType type, EtcdStore store, int windowSize) {
    this.type = type;
    this.store = store;
    this.windowSize = windowSize;
  }

  public ResourceType type() {
    return type;
  }

  public boolean ready() {
    return ready;
  }

  public long revision() {
    return revision;
  }

  public int size() {
    return objects.size();
  }

  public int watcherCount() {
    return watchers.size();
  }

  /** Load the current state from etcd and start following it. Retries until etcd answers. */
  public void start() {
    Thread.ofVirtual().name("watch-cache-" + type.resource()).start(this::relistLoop);
  }

  private void relistLoop() {
    long backoff = 200;
    while (!closed) {
      try {
        relist();
        return;
      } catch (Exception e) {
        log.warn("watch cache {}: initial list failed ({}); retrying", type.qualifiedResource(), e.getMessage());
        sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  private void relist() throws Exception {
    List<EtcdStore.Entry> all = new ArrayList<>();
    String start = null;
    long rev = 0;
    while (true) {
      EtcdStore.Page p = store.list(type.keyPrefix(), start, rev, 5000);
      rev = p.revision();
      if (start != null && !p.entries().isEmpty()) all.addAll(p.entries().subList(1, p.entries().size()));
      else all.addAll(p.entries());
      if (!p.more() || p.entries().isEmpty()) break;
      start = p.entries().get(p.entries().size() - 1).key();
    }
    lock.lock();
    try {
      Map<String, ObjectNode> old = Map.copyOf(objects);
      objects.clear();
      written.clear();
      unreadable.clear();
      for (EtcdStore.Entry e : all) {
        if (readable(e)) objects.put(e.key(), ObjectCodec.decode(e));
      }
      revision = Math.max(revision, rev);
      oldestResumable = rev;
      window.clear();
      latestInWindow.clear();
      if (!old.isEmpty()) {
        // After a relist (compaction while disconnected) watchers cannot be told exactly what changed: end them.
        for (Watcher w : watchers) w.terminate(StatusException.gone("the watch cache was re-initialised; restart the watch"));
      }
      ready = true;
      advanced.signalAll();
    } finally {
      lock.unlock();
    }
    follow(rev + 1);
  }

  private void follow(long from) {
    if (closed) return;
    etcdWatch = store.watch(type.keyPrefix(), from, this::apply, this::onWatchError);
  }

  private void onWatchError(Throwable t) {
    if (closed) return;
    String m = String.valueOf(t.getMessage());
    log.warn("watch cache {}: etcd watch ended ({}); resuming", type.qualifiedResource(), m);
    Thread.ofVirtual().start(() -> {
      sleep(500);
      try {
        if (etcdWatch != null) etcdWatch.close();
      } catch (Exception ignored) {
        // already closed
      }
      if (m.contains("compact")) relistLoop();
      else follow(revision + 1);
    });
  }

  /**
   * Announce a write of {@code bytes} under {@code key}, about to be sent to etcd. {@code object}
   * must be what decoding the bytes gives (see ObjectCodec.decodedCopy), owned by the cache from
   * now on. Call {@link #abandon} if the write fails.
   */
  public Pending expect(String key, byte[] bytes, ObjectNode object) {
    Pending p = new Pending(bytes, null, object);
    written.put(key, p);
    return p;
  }

  /**
   * As {@link #expect(String, byte[], ObjectNode)}, with the encoding: when the event arrives, the
   * object's JSON for watchers is these bytes plus its resourceVersion ({@link WatchEvent#json}),
   * so no watch stream has to serialize it.
   */
  public Pending expect(String key, ObjectCodec.Stored stored, ObjectNode object) {
    Pending p = new Pending(stored.bytes(), stored, object);
    written.put(key, p);
    return p;
  }

  /** The announced write did not happen (conflict, etcd unavailable). */
  public void abandon(String key, Pending p) {
    written.remove(key, p);
  }

  /** The announced write for this change if its bytes are the ones announced, else null (decode). */
  private Pending takeWritten(EtcdStore.Entry e) {
    Pending p = written.get(e.key());
    if (p == null || !java.util.Arrays.equals(p.bytes, e.value()) || !written.remove(e.key(), p)) return null;
    ObjectCodec.setResourceVersion(p.object, e.modRevision());
    return p;
  }

  void apply(EtcdStore.Batch batch) {
    lock.lock();
    try {
      long before = revision;
      for (EtcdStore.Change c : batch.changes()) {
        // Seen already: a duplicate after a resumed watch. (Not "<= revision": one revision may
        // change several keys — a lease's expiry deletes all its objects at once — and its events
        // come in one batch.)
        if (c.entry().modRevision() <= before) continue;
        WatchEvent ev;
        if (c.deleted()) unreadable.remove(c.entry().key());
        if (!c.deleted() && !readable(c.entry())) {
          objects.remove(c.entry().key());
          continue;
        }
        if (c.deleted()) {
          ObjectNode prev = objects.remove(c.entry().key());
          if (prev == null && c.prev() != null) prev = ObjectCodec.decode(c.prev());
          if (prev == null) continue;
          ObjectNode last = prev.deepCopy();
          ObjectCodec.setResourceVersion(last, c.entry().modRevision());
          ev = new WatchEvent(WatchEvent.Type.DELETED, last, prev, c.entry().modRevision(), EncodedObjects.json(last));
        } else {
          Pending mine = takeWritten(c.entry());
          ObjectNode obj = mine != null ? mine.object : ObjectCodec.decode(c.entry());
          // this api-server's write: watchers get its stored bytes plus the resourceVersion, not a new serialization
          byte[] json = mine != null && mine.stored != null ? mine.stored.withResourceVersion(c.entry().modRevision())
              : EncodedObjects.json(obj);
          ObjectNode prev = objects.put(c.entry().key(), obj);
          ev = new WatchEvent(prev == null ? WatchEvent.Type.ADDED : WatchEvent.Type.MODIFIED, obj, prev, c.entry().modRevision(), json);
        }
        revision = ev.revision();
        remember(c.entry().key(), ev);
        deliver(ev);
      }
      if (batch.revision() > revision) revision = batch.revision();
      // Announced writes whose event never came (the watch was re-established past it): drop
      // them once they pile up.
      if (written.size() > 4096) {
        long old = System.nanoTime() - TimeUnit.SECONDS.toNanos(60);
        written.values().removeIf(p -> p.since - old < 0);
      }
      advanced.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Called under the lock: adds the event to the window, as JSON, and drops the oldest beyond its size. */
  private void remember(String key, WatchEvent ev) {
    byte[] prevJson = null;
    if (ev.prev() != null) {
      Past last = latestInWindow.get(key);
      // the previous version's JSON: as its own event sent it, while that is in the window
      prevJson = last != null && last.type != WatchEvent.Type.DELETED && last.revision == ObjectCodec.resourceVersion(ev.prev())
          ? last.json : EncodedObjects.json(ev.prev());
    }
    Past p = new Past(ev.type(), ev.revision(), key, ev.objectJson(), prevJson);
    window.addLast(p);
    latestInWindow.put(key, p);
    while (window.size() > windowSize) {
      Past old = window.removeFirst();
      latestInWindow.remove(old.key, old);
      oldestResumable = old.revision;
    }
  }

  /**
   * Index keys of an object: its namespace and, for pods, its node. A watcher registered under keys
   * only sees events whose object (or previous object) has one of them — like kube-apiserver's
   * watch-cache triggers, so that 1,000 watchers of other namespaces, or one pod watcher per node,
   * cost nothing for an event they cannot match.
   */
  static void indexKeys(ObjectNode o, List<String> into) {
    if (o == null) return;
    String ns = o.path("metadata").path("namespace").asString("");
    if (!ns.isEmpty()) addKey(into, namespaceKey(ns));
    String node = o.path("spec").path("nodeName").asString("");
    if (!node.isEmpty()) addKey(into, nodeKey(node));
  }

  private static void addKey(List<String> into, String k) {
    if (!into.contains(k)) into.add(k);
  }

  /** The index key of watchers limited to one namespace. */
  public static String namespaceKey(String namespace) {
    return "ns/" + namespace;
  }

  /** The index key of watchers limited to the pods bound to one node ({@code spec.nodeName}). */
  public static String nodeKey(String node) {
    return "node/" + node;
  }

  /** Called under the lock. */
  private void deliver(WatchEvent ev) {
    for (Watcher w : unindexed) w.offer(ev);
    if (indexed.isEmpty()) return;
    List<String> keys = new ArrayList<>(4);
    indexKeys(ev.object(), keys);
    indexKeys(ev.prev(), keys);
    if (keys.size() == 1) {
      List<Watcher> l = indexed.get(keys.get(0));
      if (l != null) for (Watcher w : l) w.offer(ev);
      return;
    }
    // A watcher may be registered under several of these keys (several nodes): offer it once.
    Set<Watcher> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (String k : keys) {
      List<Watcher> l = indexed.get(k);
      if (l != null) for (Watcher w : l) if (seen.add(w)) w.offer(ev);
    }
  }

  /** Wait until the cache reflects at least {@code rev} (written through another api-server, maybe). */
  public boolean waitFor(long rev, long timeoutMillis) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    lock.lock();
    try {
      while (!ready || revision < rev) {
        long left = deadline - System.nanoTime();
        if (left <= 0) return false;
        // A quiet resource only learns the store's revision from progress notifications: ask for one.
        if (ready) store.requestProgress();
        advanced.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      lock.unlock();
    }
  }

  /**
   * False for a value that cannot be read (sealed with a key no longer configured): the object is
   * left out of the cache, and lists of its prefix answer the reason ({@link #checkReadable}), as
   * kube-apiserver fails them, while every other object of the resource is served.
   */
  private boolean readable(EtcdStore.Entry e) {
    if (e.unreadable() == null) {
      if (!unreadable.isEmpty()) unreadable.remove(e.key()); // rewritten with a key this server has
      return true;
    }
    if (unreadable.put(e.key(), e.unreadable()) == null) log.error("watch cache {}: {}", type.qualifiedResource(), e.unreadable());
    return false;
  }

  /** Throws kube's 500 when an object under {@code keyPrefix} (null: all) could not be read from etcd. */
  public void checkReadable(String keyPrefix) {
    if (unreadable.isEmpty()) return;
    for (Map.Entry<String, String> u : unreadable.entrySet()) {
      if (keyPrefix == null || u.getKey().startsWith(keyPrefix)) throw StatusException.internal(u.getValue());
    }
  }

  /** The cached object stored under {@code key}, or null; lock-free (does not wait for a fan-out in progress). */
  public ObjectNode get(String key) {
    return objects.get(key);
  }

  /** A consistent snapshot of the objects matching {@code filter}, in key order, and its revision. */
  public Snapshot snapshot(String keyPrefix, Predicate<ObjectNode> filter) {
    lock.lock();
    try {
      Collection<ObjectNode> values = keyPrefix == null ? objects.values()
          : objects.subMap(keyPrefix, EtcdStore.prefixEnd(keyPrefix)).values();
      List<ObjectNode> out = new ArrayList<>();
      for (ObjectNode o : values) if (filter.test(o)) out.add(o);
      return new Snapshot(out, revision);
    } finally {
      lock.unlock();
    }
  }

  public record Snapshot(List<ObjectNode> objects, long revision) {}

  /** Every object under {@code keyPrefix} with its key, in key order, and the revision they are consistent with. */
  public KeyedSnapshot keyedSnapshot(String keyPrefix) {
    lock.lock();
    try {
      Map<String, ObjectNode> sub = objects.subMap(keyPrefix, EtcdStore.prefixEnd(keyPrefix));
      return new KeyedSnapshot(List.copyOf(sub.keySet()), List.copyOf(sub.values()), revision);
    } finally {
      lock.unlock();
    }
  }

  public record KeyedSnapshot(List<String> keys, List<ObjectNode> objects, long revision) {}

  /**
   * Start a watch. {@code fromRevision} 0 means "current state as ADDED events, then changes";
   * otherwise changes after that revision (410 Expired when it is older than the window).
   */
  public Watcher watch(long fromRevision, Predicate<ObjectNode> filter, int queueCapacity) {
    return watch(fromRevision, filter, queueCapacity, null);
  }

  /**
   * A watch that can only match objects having one of {@code indexKeys} ({@link #namespaceKey},
   * {@link #nodeKey}); null: any object. {@code filter} still decides; the keys only skip watchers
   * that cannot match.
   */
  public Watcher watch(long fromRevision, Predicate<ObjectNode> filter, int queueCapacity, Set<String> indexKeys) {
    if (fromRevision > 0 && fromRevision > revision) waitFor(fromRevision, 5000);
    lock.lock();
    try {
      Watcher w = new Watcher(filter, queueCapacity, this, indexKeys == null ? null : Set.copyOf(indexKeys));
      if (fromRevision <= 0) {
        for (ObjectNode o : objects.values()) {
          w.offer(new WatchEvent(WatchEvent.Type.ADDED, o, null, ObjectCodec.resourceVersion(o)));
        }
      } else {
        if (fromRevision < oldestResumable) {
          throw StatusException.gone("too old resource version: " + fromRevision + " (" + oldestResumable + ")");
        }
        Map<byte[], ObjectNode> decoded = new java.util.IdentityHashMap<>();
        for (Past p : window) if (p.revision > fromRevision) w.offer(p.event(decoded));
      }
      watchers.add(w);
      if (w.indexKeys() == null) unindexed.add(w);
      else for (String k : w.indexKeys()) indexed.computeIfAbsent(k, x -> new CopyOnWriteArrayList<>()).add(w);
      return w;
    } finally {
      lock.unlock();
    }
  }

  void remove(Watcher w) {
    lock.lock();
    try {
      if (!watchers.remove(w)) return;
      if (w.indexKeys() == null) {
        unindexed.remove(w);
      } else {
        for (String k : w.indexKeys()) {
          indexed.computeIfPresent(k, (x, l) -> {
            l.remove(w);
            return l.isEmpty() ? null : l;
          });
        }
      }
    } finally {
      lock.unlock();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    if (etcdWatch != null) etcdWatch.close();
    for (Watcher w : watchers) w.terminate(null);
  }
}
