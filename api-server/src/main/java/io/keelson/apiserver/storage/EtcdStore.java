package io.keelson.apiserver.storage;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchProgressRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ConnectivityState;
import io.keelson.apiserver.storage.encryption.EncryptionAtRest;
import io.keelson.apiserver.storage.encryption.UnreadableValueException;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
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
 * restarts. Watches are gRPC streams on the same channel (see {@link #watch}); the watch cache
 * resumes a broken one from its last revision.
 */
public class EtcdStore implements AutoCloseable {

  /**
   * One stored value with its etcd mod revision (which Keelson exposes as resourceVersion).
   * {@code unreadable}, when not null, says why the value could not be read (a key of
   * --encryption-provider-config it was sealed with is gone); {@link ObjectCodec#decode} answers it
   * as kube's 500, and the watch cache leaves the object out instead of failing the whole resource.
   * {@code stale}: the value is stored otherwise than a write would store it now (sealed with a key
   * that is not the first, or plain where the first provider encrypts); an update then writes it
   * even when the object is unchanged, as kube's does, which is how keys are rotated.
   */
  public record Entry(String key, byte[] value, long modRevision, String unreadable, boolean stale) {
    public Entry(String key, byte[] value, long modRevision) {
      this(key, value, modRevision, null, false);
    }
  }

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

  private final ManagedChannel kvChannel;
  private final WatchGrpc.WatchStub watchStub;
  private final java.util.Set<StreamWatch> watches = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final KVGrpc.KVFutureStub kv;
  private final LeaseGrpc.LeaseFutureStub lease;
  private final MeterRegistry meters;
  private final EncryptionAtRest encryption; // null: every value stored as it is
  // One timer per operation. (A shared Timer.Builder is not safe here: tag() mutates it, so
  // concurrent calls could record a txn under "get".)
  private final java.util.concurrent.ConcurrentMap<String, Timer> latency = new java.util.concurrent.ConcurrentHashMap<>();

  public EtcdStore(List<String> endpoints, MeterRegistry meters) {
    this(endpoints, meters, null);
  }

  /** As {@link #EtcdStore(List, MeterRegistry)}, values of the resources {@code encryption} names sealed at rest (null: none). */
  public EtcdStore(List<String> endpoints, MeterRegistry meters, EncryptionAtRest encryption) {
    this.encryption = encryption;
    ClientBuilder b = Client.builder().endpoints(endpoints.toArray(String[]::new)); // for its target only
    // jetcd's target ("ip:///host:port,...") and its name resolver spread calls over the endpoints.
    NettyChannelBuilder cb = NettyChannelBuilder.forTarget(b.target()).directExecutor().defaultLoadBalancingPolicy("pick_first")
        .maxInboundMessageSize(Integer.MAX_VALUE) // a list page of big objects
        // A fixed window: gRPC's automatic window sizing pings etcd after response data to measure
        // the connection (a PING frame and its ack on most writes, for both processes); 16 MiB is
        // more than loopback or a LAN needs for the largest list page.
        .flowControlWindow(16 << 20)
        // No RetriableStream layer (it buffers every message for replays): calls already wait for
        // a ready connection, and a write that failed in flight is not repeated (the caller sees
        // etcd unavailable, as before).
        .disableRetry();
    boolean tls = endpoints.stream().anyMatch(e -> "https".equals(URI.create(e.trim()).getScheme()));
    this.kvChannel = (tls ? cb.useTransportSecurity() : cb.usePlaintext()).build();
    this.kv = KVGrpc.newFutureStub(kvChannel).withWaitForReady();
    this.lease = LeaseGrpc.newFutureStub(kvChannel).withWaitForReady();
    // Watch responses are handled off the event loop: the watch cache applies them under its lock,
    // which a request may hold for a while (a window replay, a list snapshot), and a blocked event
    // loop would stall every etcd call's response on this channel. gRPC still runs one call's
    // callbacks one at a time, in order.
    this.watchStub = WatchGrpc.newStub(kvChannel).withWaitForReady()
        .withExecutor(java.util.concurrent.Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("etcd-watch-", 0).factory()));
    this.meters = meters;
  }

  private static ByteString key(String s) {
    return ByteString.copyFromUtf8(s);
  }

  /**
   * Every value read from etcd (get, list, a guarded write's current value, watch events) comes
   * through here: the one place where values of encrypted resources are opened.
   */
  private Entry entry(io.etcd.jetcd.api.KeyValue kv) {
    String key = kv.getKey().toStringUtf8();
    byte[] value = kv.getValue().toByteArray();
    EncryptionAtRest.Transformer t = encryption == null ? null : encryption.forKey(key);
    if (t != null) {
      try {
        return new Entry(key, t.fromStorage(value), kv.getModRevision(), null, t.isStale(value));
      } catch (UnreadableValueException e) {
        // kube-apiserver's words for it ("unable to transform key"), then which key or provider is missing
        return new Entry(key, new byte[0], kv.getModRevision(),
            "Internal error occurred: unable to transform key \"" + key + "\": " + e.getMessage(), true);
      }
    }
    return new Entry(key, value, kv.getModRevision());
  }

  /** The KV stub for one call: a deadline, and no wait for a reconnect back-off once etcd is back. */
  private KVGrpc.KVFutureStub kv() {
    if (kvChannel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) kvChannel.resetConnectBackoff();
    return kv.withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private <T> T await(String op, Future<T> f) throws StoreUnavailableException {
    long start = System.nanoTime();
    try {
      // Untimed: the call's own deadline (kv()) completes the future; a timed wait would also
      // schedule and cancel a wake-up per call (a virtual thread's timed park).
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.cancel(true);
      throw new StoreUnavailableException("interrupted", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
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
    return guardedPut(key, value, 0, 0);
  }

  /** As {@link #create}, the key attached to an etcd lease (0: none), which deletes it when it expires. */
  public long create(String key, byte[] value, long leaseId) throws StoreUnavailableException, RevisionMismatchException {
    return guardedPut(key, value, 0, leaseId);
  }

  /**
   * A new etcd lease of {@code ttlSeconds} (etcd raises a TTL under its minimum, a few seconds);
   * when it expires etcd deletes every key attached to it, in one revision.
   */
  public long grantLease(long ttlSeconds) throws StoreUnavailableException {
    return await("lease_grant", lease.withDeadlineAfter(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .leaseGrant(LeaseGrantRequest.newBuilder().setTTL(ttlSeconds).build())).getID();
  }

  /** Whether a write failed because its lease no longer exists (expired or revoked since it was granted). */
  public static boolean leaseNotFound(StoreUnavailableException e) {
    return String.valueOf(e.getMessage()).contains("requested lease not found");
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
    return guardedPut(key, value, expected, 0);
  }

  /** As {@link #guardedPut(String, byte[], long)}, the new value attached to an etcd lease (0: none). */
  public long guardedPut(String key, byte[] value, long expected, long leaseId) throws StoreUnavailableException, RevisionMismatchException {
    ByteString k = key(key);
    // the one place values are written: sealed here when their resource is encrypted at rest
    EncryptionAtRest.Transformer t = encryption == null ? null : encryption.forKey(key);
    PutRequest.Builder put = PutRequest.newBuilder().setKey(k).setValue(ByteString.copyFrom(t == null ? value : t.toStorage(value)));
    if (leaseId != 0) put.setLease(leaseId);
    return guarded(k, expected, RequestOp.newBuilder().setRequestPut(put).build());
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

  /** Whether etcd answers a read within {@code timeout} (the api-server's etcd health check); throws why not. */
  public void ping(Duration timeout) throws StoreUnavailableException {
    // kv(): after an outage the check must not wait out gRPC's reconnect back-off
    await("get", kv().withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .range(RangeRequest.newBuilder().setKey(key("/registry/.health")).setCountOnly(true).build()));
  }

  /** Compact history up to {@code revision} (old revisions then answer 410 Expired). */
  public void compact(long revision) throws StoreUnavailableException {
    await("compact", kv().compact(CompactionRequest.newBuilder().setRevision(revision).build()));
  }

  /** An open watch of {@link #watch}; closing it cancels the stream (no more callbacks). */
  public interface Watching extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Watch every key under prefix from {@code fromRevision} (inclusive). {@code onError} receives
   * failures (compaction, connection loss); the caller re-establishes the watch.
   *
   * <p>One gRPC stream per watch on the KV channel, its responses handled on virtual threads (in
   * order), not on the channel's event loop. (jetcd's watch client ran a second HTTP/2 connection with its own event loop and handed
   * every response to a thread pool, through its own copies of each key and value: ~9% of the
   * api-server's samples during creates.) What reaches {@code onBatch} is what jetcd delivered:
   * events, and progress notifications (no events, the store revision); not the created response.
   * A cancel by etcd is an error: compaction ("...compacted at revision N"), a future revision, or
   * etcd's reason.
   */
  public Watching watch(String prefix, long fromRevision, Consumer<Batch> onBatch, Consumer<Throwable> onError) {
    // No prevKV: the watch cache holds every object, so a change's previous value is already there,
    // and etcd would otherwise read it back for every update event.
    WatchRequest create = WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder().setKey(key(prefix))
        .setRangeEnd(key(prefixEnd(prefix))).setStartRevision(fromRevision).setProgressNotify(true)).build();
    StreamWatch w = new StreamWatch(onBatch, onError);
    watches.add(w);
    synchronized (w) {
      w.requests = (ClientCallStreamObserver<WatchRequest>) watchStub.watch(w);
    }
    w.send(create);
    return w;
  }

  /** One watch stream: etcd's responses in, create and progress requests out. */
  private final class StreamWatch implements StreamObserver<WatchResponse>, Watching {
    private final Consumer<Batch> onBatch;
    private final Consumer<Throwable> onError;
    private final java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();
    volatile ClientCallStreamObserver<WatchRequest> requests;

    StreamWatch(Consumer<Batch> onBatch, Consumer<Throwable> onError) {
      this.onBatch = onBatch;
      this.onError = onError;
    }

    /** Request observers are not thread-safe: progress requests come from any thread. */
    synchronized void send(WatchRequest r) {
      if (!ended.get() && requests != null) requests.onNext(r);
    }

    /** Cancel the call (a no-op once it has failed). */
    private synchronized void cancel(String why) {
      if (requests != null) requests.cancel(why, null);
    }

    @Override
    public void onNext(WatchResponse r) {
      if (ended.get()) return;
      if (r.getCanceled()) {
        String why = r.getCompactRevision() != 0
            ? "etcd watch cancelled: required revision has been compacted at revision " + r.getCompactRevision()
            : r.getCancelReason().isEmpty() ? "etcdserver: mvcc: required revision is a future revision" : r.getCancelReason();
        fail(new StoreUnavailableException(why, null));
        return;
      }
      if (r.getCreated()) return; // the watch is set up; its events follow
      List<Change> changes = new ArrayList<>(r.getEventsCount());
      for (Event ev : r.getEventsList()) {
        io.etcd.jetcd.api.KeyValue kv = ev.getKv();
        if (ev.getType() == Event.EventType.DELETE) {
          changes.add(new Change(true, new Entry(kv.getKey().toStringUtf8(), new byte[0], kv.getModRevision()), null));
        } else {
          changes.add(new Change(false, entry(kv), null));
        }
      }
      onBatch.accept(new Batch(changes, r.getHeader().getRevision()));
    }

    @Override
    public void onError(Throwable t) {
      fail(t);
    }

    @Override
    public void onCompleted() {
      fail(new StoreUnavailableException("etcd ended the watch stream", null));
    }

    private void fail(Throwable t) {
      if (!ended.compareAndSet(false, true)) return;
      watches.remove(this);
      cancel("watch ended");
      onError.accept(t);
    }

    @Override
    public void close() {
      if (!ended.compareAndSet(false, true)) return;
      watches.remove(this);
      cancel("watch closed");
    }
  }

  /**
   * Ask etcd to tell every watch the current revision now (a progress notification), so that a
   * cache of a quiet resource learns it is up to date without waiting for a change.
   */
  public void requestProgress() {
    WatchRequest r = WatchRequest.newBuilder().setProgressRequest(WatchProgressRequest.getDefaultInstance()).build();
    for (StreamWatch w : watches) w.send(r);
  }

  public static String prefixEnd(String prefix) {
    byte[] b = prefix.getBytes(StandardCharsets.UTF_8);
    b[b.length - 1]++;
    return new String(b, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    for (StreamWatch w : List.copyOf(watches)) w.close();
    kvChannel.shutdownNow();
  }
}
