package io.keelson.apiserver.storage;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The only code that talks to etcd: a small kine-style backend (get, create, update and delete
 * guarded by the expected mod revision, list at a revision, watch from a revision). Every write is
 * a transaction that compares the key's revision, so no read-modify-write can lose an update.
 *
 * <p>Reads and writes use etcd's KV gRPC service directly, on a channel whose responses complete
 * on its event loop: jetcd's KV client wraps every call in a retry policy run on a thread pool and
 * answers on another, three thread switches per call (a fifth of a create's api-server CPU went to
 * that client). Calls wait for a ready connection (up to the timeout) instead of failing while etcd
 * restarts. Watches stay with jetcd, which resumes them.
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
  private final ManagedChannel kvChannel;
  private final KVGrpc.KVFutureStub kv;
  private final MeterRegistry meters;
  // One timer per operation. (A shared Timer.Builder is not safe here: tag() mutates it, so
  // concurrent calls could record a txn under "get".)
  private final java.util.concurrent.ConcurrentMap<String, Timer> latency = new java.util.concurrent.ConcurrentHashMap<>();

  public EtcdStore(List<String> endpoints, MeterRegistry meters) {
    ClientBuilder b = Client.builder().endpoints(endpoints.toArray(String[]::new));
    this.client = b.build();
    // jetcd's target ("ip:///host:port,...") and its name resolver spread calls over the endpoints.
    NettyChannelBuilder cb = NettyChannelBuilder.forTarget(b.target()).directExecutor().defaultLoadBalancingPolicy("pick_first")
        .maxInboundMessageSize(Integer.MAX_VALUE); // a list page of big objects
    boolean tls = endpoints.stream().anyMatch(e -> "https".equals(URI.create(e.trim()).getScheme()));
    this.kvChannel = (tls ? cb.useTransportSecurity() : cb.usePlaintext()).build();
    this.kv = KVGrpc.newFutureStub(kvChannel).withWaitForReady();
    this.meters = meters;
  }

  private static ByteSequence bs(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static ByteString key(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static Entry entry(KeyValue kv) {
    return new Entry(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().getBytes(), kv.getModRevision());
  }

  private static Entry entry(io.etcd.jetcd.api.KeyValue kv) {
    return new Entry(kv.getKey().toStringUtf8(), kv.getValue().toByteArray(), kv.getModRevision());
  }

  /** The KV stub for one call: a deadline, and no wait for a reconnect back-off once etcd is back. */
  private KVGrpc.KVFutureStub kv() {
    if (kvChannel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) kvChannel.resetConnectBackoff();
    return kv.withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private <T> T await(String op, Future<T> f) throws StoreUnavailableException {
    long start = System.nanoTime();
    try {
      return f.get(TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.cancel(true);
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
    RangeResponse r = await("get", kv().range(RangeRequest.newBuilder().setKey(key(key)).build()));
    return r.getKvsCount() == 0 ? null : entry(r.getKvs(0));
  }

  /** Put only if the key does not exist; returns the new mod revision. */
  public long create(String key, byte[] value) throws StoreUnavailableException, RevisionMismatchException {
    return guardedPut(key, value, 0);
  }

  /** Compare the key's mod revision with {@code expected} (0 = the key must not exist). */
  private static Compare revisionIs(ByteString k, long expected) {
    Compare.Builder c = Compare.newBuilder().setKey(k).setResult(Compare.CompareResult.EQUAL);
    return (expected == 0 ? c.setTarget(Compare.CompareTarget.VERSION).setVersion(0)
        : c.setTarget(Compare.CompareTarget.MOD).setModRevision(expected)).build();
  }

  /**
   * One transaction: {@code then} if the key's mod revision is {@code expected}, else read the key
   * (for the mismatch). Returns the store revision after it.
   */
  private long guarded(ByteString k, long expected, RequestOp then) throws StoreUnavailableException, RevisionMismatchException {
    TxnRequest req = TxnRequest.newBuilder().addCompare(revisionIs(k, expected)).addSuccess(then)
        .addFailure(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(k))).build();
    TxnResponse r = await("txn", kv().txn(req));
    if (!r.getSucceeded()) {
      RangeResponse cur = r.getResponsesCount() == 0 ? null : r.getResponses(0).getResponseRange();
      throw new RevisionMismatchException(cur == null || cur.getKvsCount() == 0 ? null : entry(cur.getKvs(0)));
    }
    return r.getHeader().getRevision(); // the transaction's single write made this revision
  }

  /**
   * Put only if the key's mod revision equals {@code expected} (0 = must not exist). Returns the new
   * mod revision; on mismatch the exception carries the current value.
   */
  public long guardedPut(String key, byte[] value, long expected) throws StoreUnavailableException, RevisionMismatchException {
    ByteString k = key(key);
    return guarded(k, expected, RequestOp.newBuilder()
        .setRequestPut(PutRequest.newBuilder().setKey(k).setValue(ByteString.copyFrom(value))).build());
  }

  /** Delete only if the key's mod revision equals {@code expected}. Returns the deletion revision. */
  public long guardedDelete(String key, long expected) throws StoreUnavailableException, RevisionMismatchException {
    ByteString k = key(key);
    return guarded(k, expected, RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(k)).build());
  }

  /**
   * Keys under prefix starting at {@code startKey} (inclusive; null = from the prefix), read at
   * {@code revision} (0 = now), at most {@code limit} (0 = all).
   */
  public Page list(String prefix, String startKey, long revision, long limit) throws StoreUnavailableException, CompactedException {
    RangeRequest.Builder req = RangeRequest.newBuilder().setKey(key(startKey == null ? prefix : startKey))
        .setRangeEnd(key(prefixEnd(prefix))).setSortTarget(RangeRequest.SortTarget.KEY)
        .setSortOrder(RangeRequest.SortOrder.ASCEND);
    if (revision > 0) req.setRevision(revision);
    if (limit > 0) req.setLimit(limit);
    RangeResponse r;
    try {
      r = await("list", kv().range(req.build()));
    } catch (StoreUnavailableException e) {
      if (String.valueOf(e.getMessage()).contains("compacted")) throw new CompactedException(e.getMessage());
      throw e;
    }
    List<Entry> out = new ArrayList<>(r.getKvsCount());
    for (io.etcd.jetcd.api.KeyValue k : r.getKvsList()) out.add(entry(k));
    long rev = revision > 0 ? revision : r.getHeader().getRevision();
    return new Page(out, rev, r.getMore(), r.getCount());
  }

  /** The current revision of the whole store. */
  public long currentRevision() throws StoreUnavailableException {
    RangeResponse r = await("get", kv().range(RangeRequest.newBuilder().setKey(key("/registry/.revision")).setCountOnly(true).build()));
    return r.getHeader().getRevision();
  }

  /** Compact history up to {@code revision} (old revisions then answer 410 Expired). */
  public void compact(long revision) throws StoreUnavailableException {
    await("compact", kv().compact(CompactionRequest.newBuilder().setRevision(revision).build()));
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
    kvChannel.shutdownNow();
    client.close();
  }
}
