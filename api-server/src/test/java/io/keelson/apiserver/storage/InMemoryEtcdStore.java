package io.keelson.apiserver.storage;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * An EtcdStore for hermetic tests of the write path: keys in memory, one revision counter, guarded
 * puts and deletes with etcd's compare semantics. No watch: ResourceService then reads every
 * current object from here (its watch caches stay empty). The jetcd client of the real store is
 * created but never connects.
 */
public final class InMemoryEtcdStore extends EtcdStore {

  private final Map<String, Entry> data = new ConcurrentSkipListMap<>();
  private final Map<String, Long> leaseOf = new ConcurrentSkipListMap<>();
  private final Map<Long, Long> leaseTtl = new ConcurrentSkipListMap<>();
  private long revision = 1;
  private int writes;

  public InMemoryEtcdStore() {
    super(List.of("http://127.0.0.1:1"), null);
  }

  /** A store holding one namespace, so that objects can be created in it. */
  public static InMemoryEtcdStore withNamespace(String namespace) {
    InMemoryEtcdStore store = new InMemoryEtcdStore();
    store.seed(io.keelson.apiserver.resource.ResourceRegistry.find("", "v1", "namespaces").orElseThrow().key(null, namespace),
        "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + namespace + "\",\"uid\":\"ns-" + namespace + "\"}}");
    return store;
  }

  /** Writes a value as it is (no checks), e.g. to seed a namespace. */
  public synchronized long seed(String key, String json) {
    long rev = ++revision;
    data.put(key, new Entry(key, json.getBytes(StandardCharsets.UTF_8), rev));
    return rev;
  }

  /** The stored JSON under key, or null. */
  public String json(String key) {
    Entry e = data.get(key);
    return e == null ? null : new String(e.value(), StandardCharsets.UTF_8);
  }

  /** How many guarded writes succeeded. */
  public synchronized int writes() {
    return writes;
  }

  @Override
  public Entry get(String key) {
    return data.get(key);
  }

  /** The lease the key was last written with (0: none), as etcd keeps it per key. */
  public long leaseOf(String key) {
    return leaseOf.getOrDefault(key, 0L);
  }

  /** The TTL a lease was granted with. */
  public long ttlOf(long lease) {
    return leaseTtl.get(lease);
  }

  @Override
  public synchronized long grantLease(long ttlSeconds) {
    long id = 1000 + leaseTtl.size();
    leaseTtl.put(id, ttlSeconds);
    return id;
  }

  @Override
  public synchronized long guardedPut(String key, byte[] value, long expected, long lease) throws RevisionMismatchException {
    Entry cur = data.get(key);
    long have = cur == null ? 0 : cur.modRevision();
    if (have != expected) throw new RevisionMismatchException(cur);
    long rev = ++revision;
    data.put(key, new Entry(key, value.clone(), rev));
    leaseOf.put(key, lease);
    writes++;
    return rev;
  }

  @Override
  public synchronized long guardedDelete(String key, long expected) throws RevisionMismatchException {
    Entry cur = data.get(key);
    if (cur == null || cur.modRevision() != expected) throw new RevisionMismatchException(cur);
    data.remove(key);
    writes++;
    return ++revision;
  }

  @Override
  public synchronized long currentRevision() {
    return revision;
  }
}
