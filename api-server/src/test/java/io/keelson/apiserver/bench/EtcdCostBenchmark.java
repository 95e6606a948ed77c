package io.keelson.apiserver.bench;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.options.WatchOption;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a write costs etcd itself, by kind of write: a blind put, the api-server's guarded create
 * (compare version = 0, put, else read), and guarded creates grouped K to a transaction, each with
 * and without a watch on the written prefix (the watch cache's). Prints etcd's CPU per written key
 * (from /proc) for each, so that the api-server benchmark's "etcd per create" can be taken apart.
 *
 * <pre>EtcdCostBenchmark --etcd http://127.0.0.1:E --etcd-pid PID [--ops 20000] [--inflight 16] [--batches 1,8,32]</pre>
 */
public final class EtcdCostBenchmark {

  private final KVGrpc.KVFutureStub kv;
  private final long pid;
  private final Client client;
  private final String run = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
  private final ByteString payload = ByteString.copyFromUtf8(ApiServerBenchmark.configMap("raw-0000000"));

  private EtcdCostBenchmark(String etcd, long pid) {
    this.client = Client.builder().endpoints(etcd).build();
    ManagedChannel ch = NettyChannelBuilder.forTarget(etcd.replaceFirst("^https?://", "")).usePlaintext().directExecutor().build();
    this.kv = KVGrpc.newFutureStub(ch);
    this.pid = pid;
  }

  public static void main(String[] args) throws Exception {
    String etcd = null;
    long pid = 0;
    int ops = 20_000;
    int inflight = 16;
    String batches = "1,8,32";
    boolean watchedToo = true;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--etcd" -> etcd = args[++i];
        case "--etcd-pid" -> pid = Long.parseLong(args[++i]);
        case "--ops" -> ops = Integer.parseInt(args[++i]);
        case "--inflight" -> inflight = Integer.parseInt(args[++i]);
        case "--batches" -> batches = args[++i];
        case "--no-watch" -> watchedToo = false;
        default -> throw new IllegalArgumentException("unknown flag " + args[i]);
      }
    }
    EtcdCostBenchmark b = new EtcdCostBenchmark(etcd, pid);
    b.warm(ops, inflight);
    for (boolean watched : watchedToo ? new boolean[] {false, true} : new boolean[] {false}) {
      b.measure("put", watched, ops, inflight, 0, true);
      b.measure("txn", watched, ops, inflight, 1, false);
      for (String k : batches.split(",")) b.measure("txn", watched, ops, inflight, Integer.parseInt(k.trim()), true);
    }
    System.exit(0);
  }

  private double etcdCpu() throws Exception {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
  }

  private void warm(int ops, int inflight) throws Exception {
    for (int r = 0; r < 2; r++) {
      drive("warm", ops, inflight, 0);
      drive("warm", ops, inflight, 1);
      drive("warm", ops, inflight, 8);
    }
  }

  /** {@code ops} keys written under a fresh prefix; batch 0 = blind puts, else guarded creates, batch keys per txn. */
  private long drive(String tag, int ops, int inflight, int batch) throws Exception {
    return drive(tag, ops, inflight, batch, true);
  }

  private long drive(String tag, int ops, int inflight, int batch, boolean compare) throws Exception {
    String prefix = "/cost/" + run + "/" + tag + "-" + batch + "-" + System.nanoTime() + "/";
    Semaphore slots = new Semaphore(inflight);
    AtomicLong failed = new AtomicLong();
    int per = Math.max(batch, 1);
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (int i = 0; i < ops; i += per) {
      slots.acquire();
      CompletableFuture<Object> done = new CompletableFuture<>();
      com.google.common.util.concurrent.ListenableFuture<?> f;
      if (batch == 0) {
        f = kv.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(prefix + i)).setValue(payload).build());
      } else {
        TxnRequest.Builder t = TxnRequest.newBuilder();
        for (int j = i; j < i + per && j < ops; j++) {
          ByteString k = ByteString.copyFromUtf8(prefix + j);
          if (compare) t.addCompare(Compare.newBuilder().setKey(k).setResult(Compare.CompareResult.EQUAL)
              .setTarget(Compare.CompareTarget.VERSION).setVersion(0));
          t.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(k).setValue(payload)));
          t.addFailure(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(k)));
        }
        f = kv.txn(t.build());
      }
      f.addListener(() -> {
        try {
          Object r = f.get();
          if (r instanceof io.etcd.jetcd.api.TxnResponse tr && !tr.getSucceeded()) failed.incrementAndGet();
        } catch (Exception e) {
          failed.incrementAndGet();
        }
        slots.release();
        done.complete(null);
      }, Runnable::run);
      all.add(done);
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
    if (failed.get() > 0) throw new IllegalStateException(failed.get() + " failed");
    return ops;
  }

  private void measure(String what, boolean watched, int ops, int inflight, int batch, boolean compare) throws Exception {
    AtomicLong events = new AtomicLong();
    Watch.Watcher w = null;
    String tag = (watched ? "w" : "n") + what;
    if (watched) {
      String p = "/cost/" + run + "/";
      w = client.getWatchClient().watch(ByteSequence.from(p, StandardCharsets.UTF_8),
          WatchOption.builder().isPrefix(true).build(), Watch.listener(r -> events.addAndGet(r.getEvents().size())));
      Thread.sleep(300);
    }
    double c0 = etcdCpu();
    long t0 = System.nanoTime();
    drive(tag, ops, inflight, batch, compare);
    double secs = (System.nanoTime() - t0) / 1e9;
    if (watched) {
      long until = System.currentTimeMillis() + 10_000;
      while (events.get() < ops && System.currentTimeMillis() < until) Thread.sleep(10);
    }
    double c1 = etcdCpu();
    if (w != null) w.close();
    System.out.printf(Locale.ROOT, "%-22s watch=%-5s keys/txn=%-3s %7.0f keys/s  etcd %.3f ms CPU per key%s%n",
        batch == 0 ? "blind put" : compare ? "guarded create" : "txn put, no compare", watched, batch == 0 ? "-" : batch, ops / secs, (c1 - c0) * 1000 / ops,
        watched ? " (events " + events.get() + ")" : "");
  }
}
