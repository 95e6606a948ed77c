package io.keelson.apiserver.storage;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The only code that talks to etcd: a small kine-style backend (get, create, update and delete
 * guarded by the expected mod revision, list at a revision, watch from a revision). Every write is
 * a transaction that compares the key's revision, so no read-modify-write can lose an update.
 */
public class EtcdStore implements AutoCloseable {

  /** One stored value with its etcd mod revision (which Keelson exposes as resourceVersion). */
  public record Entry(String key, byte[] value, long modRevision) {}

  /**
   * A page of a list: entries, the revision the list was read at, whether more keys follow, and how
   * many keys the range held from the start key on (etcd's count, not limited by the page size).
   */
  public record Page(List<Entry> entries, long revision, boolean more, long count) {}

  /** A change seen by a watch. {@code prev} is the value before the change when etcd sent it (the cache's watch does not ask). */
  public record Change(boolean deleted, Entry entry, Entry prev) {}

  /** What one watch response carried: changes (maybe none, for progress notifications) and the store revision. */
  public record Batch(List<Change> changes, long revision) {}

  /** Thrown by guarded writes when the key's revision is not the expected one. */
  public static final class RevisionMismatchException extends Exception {
    public final Entry current; // null when the key does not exist

    RevisionMismatchException(Entry current) {
      super("revision mismatch");
      this.current = current;
    }
  }

  /** The requested revision has been compacted away. */
  public static final class CompactedException extends Exception {
    public CompactedException(String m) {
      super(m);
    }
  }

  private static final Duration TIMEOUT = Duration.ofSeconds(15);

  private final Client client;
  private final KV kv;
  private final MeterRegistry meters;
  // One timer per operation. (A shared Timer.Builder is not safe here: tag() mutates it, so
  // concurrent calls could record a txn under "get".)
  private final java.util.concurrent.ConcurrentMap<String, Timer> latency = new java.util.concurrent.ConcurrentHashMap<>();

  public EtcdStore(List<String> endpoints, MeterRegistry meters) {
    // Requests are issued from the calling thread: jetcd's default hands each one to a thread pool
    // first (its retry wrapper), one more thread switch per etcd call (~5% of a create's CPU).
    this.client = Client.builder().endpoints(endpoints.toArray(String[]::new))
        .executorService(com.google.common.util.concurrent.MoreExecutors.newDirectExecutorService()).build();
    this.kv = client.getKVClient();
    this.meters = meters;
  }

  private static ByteSequence bs(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static Entry entry(KeyValue kv) {
    return new Entry(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().getBytes(), kv.getModRevision());
  }

  private <T> T await(String op, CompletableFuture<T> f) throws StoreUnavailableException {
    long start = System.nanoTime();
    try {
      return f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException("interrupted", e);
    } catch (ExecutionException | TimeoutException e) {
      Throwable c = e instanceof ExecutionException ? e.getCause() : e;
      throw new StoreUnavailableException("etcd " + op + " failed: " + c.getMessage(), c);
    } finally {
      if (meters != null) {
        latency.computeIfAbsent(op, o -> Timer.builder("keelson_etcd_request_duration").description("etcd request latency")
            .publishPercentileHistogram().tag("operation", o).register(meters)).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      }
    }
  }

  /** The value at key, or null. */
  public Entry get(String key) throws StoreUnavailableException {
    GetResponse r = await("get", kv.get(bs(key)));
    return r.getKvs().isEmpty() ? null : entry(r.getKvs().get(0));
  }

  /** Put only if the key does not exist; returns the new mod revision. */
  public long create(String key, byte[] value) throws StoreUnavailableException, RevisionMismatchException {
    return guardedPut(key, value, 0);
  }

  /**
   * Put only if the key's mod revision equals {@code expected} (0 = must not exist). Returns the new
   * mod revision; on mismatch the exception carries the current value.
   */
  public long guardedPut(String key, byte[] value, long expected) throws StoreUnavailableException, RevisionMismatchException {
    ByteSequence k = bs(key);
    Cmp cmp = expected == 0 ? new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(0)) : new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(expected));
    TxnResponse r = await("txn", kv.txn().If(cmp)
        .Then(Op.put(k, ByteSequence.from(value), PutOption.DEFAULT))
        .Else(Op.get(k, GetOption.DEFAULT)).commit());
    if (!r.isSucceeded()) {
      List<KeyValue> cur = r.getGetResponses().isEmpty() ? List.of() : r.getGetResponses().get(0).getKvs();
      throw new RevisionMismatchException(cur.isEmpty() ? null : entry(cur.get(0)));
    }
    return r.getPutResponses().get(0).getHeader().getRevision();
  }

  /** Delete only if the key's mod revision equals {@code expected}. Returns the deletion revision. */
  public long guardedDelete(String key, long expected) throws StoreUnavailableException, RevisionMismatchException {
    ByteSequence k = bs(key);
    TxnResponse r = await("txn", kv.txn().If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(expected)))
        .Then(Op.delete(k, DeleteOption.DEFAULT))
        .Else(Op.get(k, GetOption.DEFAULT)).commit());
    if (!r.isSucceeded()) {
      List<KeyValue> cur = r.getGetResponses().isEmpty() ? List.of() : r.getGetResponses().get(0).getKvs();
      throw new RevisionMismatchException(cur.isEmpty() ? null : entry(cur.get(0)));
    }
    return r.getDeleteResponses().get(0).getHeader().getRevision();
  }

  /**
   * Keys under prefix starting at {@code startKey} (inclusive; null = from the prefix), read at
   * {@code revision} (0 = now), at most {@code limit} (0 = all).
   */
  public Page list(String prefix, String startKey, long revision, long limit) throws StoreUnavailableException, CompactedException {
    String end = prefixEnd(prefix);
    GetOption.Builder o = GetOption.builder().withRange(bs(end)).withSortField(GetOption.SortTarget.KEY)
        .withSortOrder(GetOption.SortOrder.ASCEND);
    if (revision > 0) o.withRevision(revision);
    if (limit > 0) o.withLimit(limit);
    GetResponse r;
    try {
      r = await("list", kv.get(bs(startKey == null ? prefix : startKey), o.build()));
    } catch (StoreUnavailableException e) {
      if (String.valueOf(e.getMessage()).contains("compacted")) throw new CompactedException(e.getMessage());
      throw e;
    }
    List<Entry> out = new ArrayList<>(r.getKvs().size());
    for (KeyValue k : r.getKvs()) out.add(entry(k));
    long rev = revision > 0 ? revision : r.getHeader().getRevision();
    return new Page(out, rev, r.isMore(), r.getCount());
  }

  /** The current revision of the whole store. */
  public long currentRevision() throws StoreUnavailableException {
    GetResponse r = await("get", kv.get(bs("/registry/.revision"), GetOption.builder().withCountOnly(true).build()));
    return r.getHeader().getRevision();
  }

  /** Compact history up to {@code revision} (old revisions then answer 410 Expired). */
  public void compact(long revision) throws StoreUnavailableException {
    await("compact", kv.compact(revision));
  }

  /**
   * Watch every key under prefix from {@code fromRevision} (inclusive). {@code onError} receives
   * failures (compaction, connection loss); the caller re-establishes the watch.
   */
  public Watch.Watcher watch(String prefix, long fromRevision, Consumer<Batch> onBatch, Consumer<Throwable> onError) {
    // No prevKV: the watch cache holds every object, so a change's previous value is already there,
    // and etcd would otherwise read it back for every update event.
    WatchOption opt = WatchOption.builder().withRange(bs(prefixEnd(prefix))).withRevision(fromRevision)
        .withProgressNotify(true).build();
    return client.getWatchClient().watch(bs(prefix), opt, Watch.listener((WatchResponse resp) -> {
      List<Change> changes = new ArrayList<>(resp.getEvents().size());
      for (WatchEvent ev : resp.getEvents()) {
        KeyValue prev = ev.getPrevKV();
        Entry prevEntry = prev == null || prev.getKey().isEmpty() ? null : entry(prev);
        if (ev.getEventType() == WatchEvent.EventType.DELETE) {
          Entry del = new Entry(ev.getKeyValue().getKey().toString(StandardCharsets.UTF_8), new byte[0], ev.getKeyValue().getModRevision());
          changes.add(new Change(true, del, prevEntry));
        } else if (ev.getEventType() == WatchEvent.EventType.PUT) {
          changes.add(new Change(false, entry(ev.getKeyValue()), prevEntry));
        }
      }
      onBatch.accept(new Batch(changes, resp.getHeader().getRevision()));
    }, onError::accept));
  }

  /**
   * Ask etcd to tell every watch the current revision now (a progress notification), so that a
   * cache of a quiet resource learns it is up to date without waiting for a change.
   */
  public void requestProgress() {
    client.getWatchClient().requestProgress();
  }

  public static String prefixEnd(String prefix) {
    byte[] b = prefix.getBytes(StandardCharsets.UTF_8);
    b[b.length - 1]++;
    return new String(b, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    client.close();
  }
}
