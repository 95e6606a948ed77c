package io.keelson.apiserver.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * api-server benchmark against a running etcd + api-server (see deploy/bench/apiserver.sh):
 *
 * <ol>
 *   <li>ConfigMap creates through the API (HTTP/1.1 keep-alive, N concurrent clients) vs raw jetcd
 *       puts of the same bytes to the same etcd, in the same run: throughput, p50/p99, ratio; and,
 *       for comparison, raw guarded creates (a transaction: put if the key does not exist);
 *   <li>list of 10,000 ConfigMaps: from the watch cache (resourceVersion=0), consistent
 *       (resourceVersion=""), paged (limit=500: pages of one watch-cache snapshot) and paged at
 *       an exact resourceVersion (from etcd);
 *   <li>1,000 concurrent watchers: delivery latency from the create request to each watcher
 *       reading the event.
 * </ol>
 *
 * Prints a Markdown fragment and writes it to --out.
 */
public final class ApiServerBenchmark {

  private final String api;
  private final String token;
  private final HttpClient http;
  private final String etcdUrl;
  /** Namespaces and raw keys are per run, so runs against the same cluster do not collide. */
  private final String run = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);

  private final java.util.Map<String, Long> pids;
  private final SSLContext tls;
  /** Every lean connection opened, closed at the end. */
  private final List<Http1Connection> connections = java.util.Collections.synchronizedList(new ArrayList<>());
  /**
   * Idle keep-alive connections for creates, reused by every phase: each phase runs on fresh
   * threads, and a connection per thread made every phase pay 16 new TLS handshakes that the raw
   * side (one long-lived gRPC channel) never pays.
   */
  private final java.util.concurrent.ConcurrentLinkedQueue<Http1Connection> idle = new java.util.concurrent.ConcurrentLinkedQueue<>();
  /** api-server CPU per create in each warm-up round, ms. */
  private final List<String> warmupCurve = new ArrayList<>();

  private ApiServerBenchmark(String api, Path dir, String etcdUrl, java.util.Map<String, Long> pids) throws Exception {
    this.pids = pids;
    this.api = api;
    this.token = Files.readString(dir.resolve("tls/admin.token")).trim();
    this.tls = ssl(dir);
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(tls)
        .connectTimeout(Duration.ofSeconds(120)).build();
    this.etcdUrl = etcdUrl;
  }

  public static void main(String[] args) throws Exception {
    String api = null;
    String etcd = null;
    Path dir = null;
    Path out = null;
    int creates = 10_000;
    int clients = 16;
    int watchers = 1000;
    int events = 20;
    int watchWarmup = 20;
    int warmup = 30_000;
    java.util.Map<String, Long> pids = new java.util.LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--api" -> api = args[++i];
        case "--etcd" -> etcd = args[++i];
        case "--dir" -> dir = Path.of(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        case "--creates" -> creates = Integer.parseInt(args[++i]);
        case "--clients" -> clients = Integer.parseInt(args[++i]);
        case "--watchers" -> watchers = Integer.parseInt(args[++i]);
        case "--events" -> events = Integer.parseInt(args[++i]);
        case "--watch-warmup" -> watchWarmup = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--pid" -> {
          String[] kv = args[++i].split("=", 2);
          pids.put(kv[0], Long.parseLong(kv[1].trim()));
        }
        case "-h", "--help" -> {
          System.out.println("ApiServerBenchmark --api https://127.0.0.1:P --etcd http://127.0.0.1:E --dir CLUSTER_DIR "
              + "[--creates 10000] [--clients 16] [--watchers 1000] [--events 20] [--watch-warmup 20] [--warmup 30000] [--pid api-server=PID --pid etcd=PID] [--out result.md]");
          return;
        }
        default -> throw new IllegalArgumentException("unknown flag " + args[i]);
      }
    }
    if (api == null || etcd == null || dir == null) throw new IllegalArgumentException("--api, --etcd and --dir are required");
    new ApiServerBenchmark(api, dir, etcd, pids).run(creates, clients, watchers, events, watchWarmup, warmup, out);
  }

  // ------------------------------------------------------------------ helpers

  private static SSLContext ssl(Path dir) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(dir.resolve("tls/ca.crt"))) {
      ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  private HttpRequest.Builder req(String path) {
    return HttpRequest.newBuilder(URI.create(api + path)).timeout(Duration.ofSeconds(120))
        .header("Authorization", "Bearer " + token);
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(req(path).header("Content-Type", "application/json").POST(BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private Http1Connection open() throws java.io.IOException {
    Http1Connection c = new Http1Connection(tls, URI.create(api), token);
    connections.add(c);
    return c;
  }

  /** POST over an idle keep-alive connection (a new one only when all are busy: at most one per client). */
  private Http1Connection.Response leanPost(String path, String body) throws Exception {
    Http1Connection c = idle.poll();
    if (c == null) c = open();
    Http1Connection.Response r = c.post(path, body.getBytes(StandardCharsets.UTF_8));
    idle.add(c); // not on failure: a broken connection is left out
    return r;
  }

  private void namespace(String ns) throws Exception {
    HttpResponse<String> r = post("/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + ns + "\"}}");
    if (r.statusCode() != 201 && r.statusCode() != 409) throw new IllegalStateException("namespace " + ns + ": " + r.body());
  }

  /** A ConfigMap body of about 400 bytes, like a small real one. */
  static String configMap(String name) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name
        + "\",\"labels\":{\"app\":\"bench\",\"tier\":\"backend\"}},\"data\":{\"config.yaml\":\"" + "x".repeat(256) + "\"}}";
  }

  /** Latencies in nanoseconds. */
  record Stats(long ops, double seconds, long[] sorted) {
    double rate() {
      return ops / seconds;
    }

    double pct(double p) {
      if (sorted.length == 0) return Double.NaN;
      int i = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100.0 * sorted.length) - 1));
      return sorted[i] / 1e6;
    }
  }

  interface Op {
    void run(int i) throws Exception;
  }

  /** {@code n} operations split over {@code clients} threads, each doing its share one after another. */
  static Stats drive(int n, int clients, Op op) throws Exception {
    long[] lat = new long[n];
    AtomicInteger next = new AtomicInteger();
    AtomicLong failures = new AtomicLong();
    List<Throwable> errors = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(clients);
    long t0 = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      Thread.ofPlatform().start(() -> {
        try {
          int i;
          while ((i = next.getAndIncrement()) < n) {
            long s = System.nanoTime();
            try {
              op.run(i);
            } catch (Exception e) {
              if (failures.incrementAndGet() < 5) synchronized (errors) {
                errors.add(e);
              }
            }
            lat[i] = System.nanoTime() - s;
          }
        } finally {
          done.countDown();
        }
      });
    }
    done.await();
    double secs = (System.nanoTime() - t0) / 1e9;
    if (failures.get() > 0) throw new IllegalStateException(failures.get() + " operations failed, first: " + errors.get(0), errors.get(0));
    long[] sorted = lat.clone();
    Arrays.sort(sorted);
    return new Stats(n, secs, sorted);
  }

  /** CPU seconds used so far by each process in --pid (from /proc/PID/stat) and by this client. */
  private java.util.Map<String, Double> cpu() {
    java.util.Map<String, Double> out = new java.util.LinkedHashMap<>();
    for (var e : pids.entrySet()) {
      try {
        String stat = Files.readString(Path.of("/proc/" + e.getValue() + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        out.put(e.getKey(), (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0); // utime + stime, 100 Hz ticks
      } catch (Exception ex) {
        out.put(e.getKey(), Double.NaN);
      }
    }
    out.put("client", ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN));
    return out;
  }

  /**
   * Read and write system calls so far by each process in --pid and by this client (/proc/PID/io):
   * how many socket reads and writes an operation costs says how well its messages are batched.
   */
  private java.util.Map<String, long[]> syscalls() {
    java.util.Map<String, long[]> out = new java.util.LinkedHashMap<>();
    java.util.Map<String, String> procs = new java.util.LinkedHashMap<>();
    pids.forEach((k, v) -> procs.put(k, v.toString()));
    procs.put("client", "self");
    for (var e : procs.entrySet()) {
      long[] rw = {-1, -1};
      try {
        for (String line : Files.readAllLines(Path.of("/proc/" + e.getValue() + "/io"))) {
          if (line.startsWith("syscr:")) rw[0] = Long.parseLong(line.substring(6).trim());
          if (line.startsWith("syscw:")) rw[1] = Long.parseLong(line.substring(6).trim());
        }
      } catch (Exception ex) {
        // not readable: reported as unknown
      }
      out.put(e.getKey(), rw);
    }
    return out;
  }

  /** "etcd 1.1 / 1.0": read / write system calls per operation, summed over the given intervals ({before, after} pairs). */
  @SafeVarargs
  private static String syscallsPerOp(long ops, java.util.Map<String, long[]>... pairs) {
    List<String> parts = new ArrayList<>();
    for (String k : pairs[0].keySet()) {
      long r = 0, w = 0;
      boolean known = true;
      for (int i = 0; i < pairs.length; i += 2) {
        long[] a = pairs[i].get(k), b = pairs[i + 1].get(k);
        known &= a[0] >= 0 && b[0] >= 0;
        r += b[0] - a[0];
        w += b[1] - a[1];
      }
      parts.add(known ? String.format(Locale.ROOT, "%s %.1f / %.1f", k, (double) r / ops, (double) w / ops) : k + " unknown");
    }
    return String.join(", ", parts);
  }

  /** "api-server 0.41 ms, etcd 0.12 ms, client 0.20 ms": CPU per operation between two {@link #cpu()} readings. */
  private static String perOp(java.util.Map<String, Double> before, java.util.Map<String, Double> after, long ops) {
    List<String> parts = new ArrayList<>();
    for (String k : after.keySet()) {
      parts.add(String.format(Locale.ROOT, "%s %.2f ms", k, (after.get(k) - before.get(k)) * 1000 / ops));
    }
    return String.join(", ", parts);
  }

  /** Operations per second that the machine's cores allow at the measured CPU seconds for {@code ops} operations. */
  private static double ceiling(java.util.Map<String, Double> cpuSeconds, long ops) {
    double perOp = cpuSeconds.values().stream().mapToDouble(Double::doubleValue).sum() / ops;
    return Runtime.getRuntime().availableProcessors() / perOp;
  }

  /** The CPU seconds of every process but the api-server. */
  private static java.util.Map<String, Double> withoutApiServer(java.util.Map<String, Double> cpuSeconds) {
    var out = new java.util.LinkedHashMap<>(cpuSeconds);
    out.remove("api-server");
    return out;
  }

  private static double machineLoad() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (Exception e) {
      return Double.NaN;
    }
  }

  // ------------------------------------------------------------------ the run

  private void run(int creates, int clients, int watchers, int events, int watchWarmup, int warmup, Path out) throws Exception {
    StringBuilder md = new StringBuilder();
    namespace("bench-" + run);
    namespace("warmup-" + run);
    namespace("watch-" + run);
    byte[] payload = configMap("raw-0000000").getBytes(StandardCharsets.UTF_8);
    try (Client etcd = Client.builder().endpoints(etcdUrl).build()) {
      KV kv = etcd.getKVClient();
      Op raw = i -> kv.put(ByteSequence.from("/bench/" + run + "/raw/" + i, StandardCharsets.UTF_8), ByteSequence.from(payload))
          .get(30, TimeUnit.SECONDS);
      // What any consistent store client pays per create: a transaction that puts the key only if
      // it does not exist (the api-server's create, without the api-server). Informative: the goal
      // compares with blind puts.
      Op rawTxn = i -> {
        ByteSequence k = ByteSequence.from("/bench/" + run + "/txn/" + i, StandardCharsets.UTF_8);
        if (!kv.txn().If(new io.etcd.jetcd.op.Cmp(k, io.etcd.jetcd.op.Cmp.Op.EQUAL, io.etcd.jetcd.op.CmpTarget.version(0)))
            .Then(io.etcd.jetcd.op.Op.put(k, ByteSequence.from(payload), io.etcd.jetcd.options.PutOption.DEFAULT))
            .commit().get(30, TimeUnit.SECONDS).isSucceeded()) {
          throw new IllegalStateException("txn create of an existing key " + k);
        }
      };
      Op viaApi = i -> {
        Http1Connection.Response r = leanPost("/api/v1/namespaces/bench-" + run + "/configmaps", configMap(String.format("cm-%07d", i)));
        if (r.code() != 201) throw new IllegalStateException(r.code() + " " + r.text());
      };
      // Warm up first: the JIT needs tens of thousands of requests to compile the Tomcat, Spring,
      // Jackson and gRPC paths (a fresh api-server spends ~4× the CPU per create, much of it in the
      // compiler threads). Both sides get at least --warmup operations, and more (up to 3×) until
      // their CPU per operation has settled: on a loaded machine the compiler threads get little CPU
      // and a fixed count left the API side measured cold. The rounds are printed.
      int apiWarm = warmUntilSettled("api-server", warmup, clients, warmupCurve, base -> i -> {
        Http1Connection.Response r = leanPost("/api/v1/namespaces/warmup-" + run + "/configmaps", configMap("w-" + (base + i)));
        if (r.code() != 201) throw new IllegalStateException(r.code() + " " + r.text());
      });
      List<String> rawCurve = new ArrayList<>();
      int rawWarm = warmUntilSettled("client", warmup, clients, rawCurve, base -> i -> kv.put(
          ByteSequence.from("/bench/" + run + "/warm/" + (base + i), StandardCharsets.UTF_8), ByteSequence.from(payload)).get(30, TimeUnit.SECONDS));
      List<String> txnCurve = new ArrayList<>();
      warmUntilSettled("client", Math.min(warmup, 10_000), clients, txnCurve, base -> i -> rawTxn.run(1_000_000 + base + i));
      // Alternate halves so that neither side profits from running later (a fuller etcd, a warmer JIT).
      int half = creates / 2;
      System.out.println("raw etcd puts / raw txn creates / API creates ...");
      double load = machineLoad();
      var c0 = cpu();
      var s0 = syscalls();
      Stats raw1 = drive(half, clients, raw);
      var s1 = syscalls();
      var c1 = cpu();
      Stats txn1 = drive(half, clients, rawTxn);
      var t1 = cpu();
      var s2 = syscalls();
      Stats api1 = drive(half, clients, viaApi);
      var c2 = cpu();
      Stats api2 = drive(creates - half, clients, i -> viaApi.run(i + half));
      var s3 = syscalls();
      var c3 = cpu();
      Stats txn2 = drive(creates - half, clients, i -> rawTxn.run(i + half));
      var t2 = cpu();
      var s4 = syscalls();
      Stats raw2 = drive(creates - half, clients, i -> raw.run(i + half));
      var s5 = syscalls();
      var c4 = cpu();
      var rawCpu = new java.util.LinkedHashMap<String, Double>();
      var txnCpu = new java.util.LinkedHashMap<String, Double>();
      var apiCpu = new java.util.LinkedHashMap<String, Double>();
      var zero = new java.util.LinkedHashMap<String, Double>();
      for (String k : c0.keySet()) {
        rawCpu.put(k, (c1.get(k) - c0.get(k)) + (c4.get(k) - t2.get(k)));
        txnCpu.put(k, (t1.get(k) - c1.get(k)) + (t2.get(k) - c3.get(k)));
        apiCpu.put(k, c3.get(k) - t1.get(k));
        zero.put(k, 0.0);
      }
      Stats rawS = merge(raw1, raw2);
      Stats txnS = merge(txn1, txn2);
      Stats apiS = merge(api1, api2);
      md.append(String.format(Locale.ROOT, """
          ### Creates: API vs raw etcd

          %d ConfigMaps of %d bytes, %d concurrent clients (HTTP/1.1 keep-alive over TLS, one request at a time per client, a minimal client: `Http1Connection`;
          the connections are opened in the warm-up and reused by every phase, as the raw side reuses its one gRPC channel)
          vs %d raw jetcd puts of the same bytes to the same etcd (same %d concurrent callers), interleaved in one run
          (raw puts, raw guarded creates, API creates, API creates, raw guarded creates, raw puts: half each).

          | path | throughput | p50 | p99 |
          |---|---|---|---|
          | raw etcd put (jetcd) | %.0f/s | %.1f ms | %.1f ms |
          | API create (POST configmaps) | %.0f/s | %.1f ms | %.1f ms |
          | raw guarded create (jetcd txn: if version = 0 then put), for comparison | %.0f/s | %.1f ms | %.1f ms |

          **API / raw throughput: %.0f%%** (goal ≥ 70%%). API / raw guarded create: %.0f%%.

          CPU per operation (from /proc, whole processes): raw put: %s; API create: %s; raw guarded create: %s.
          System calls per operation (reads / writes, /proc/PID/io): raw put: %s; API create: %s.
          Load average when the phase started: %.1f on %d cores. Measured after %d warm-up creates and %d warm-up puts (at least
          --warmup each, more until the CPU per operation settled); the api-server's CPU per create over the warm-up rounds
          of 2,000 (ms): %s; the raw client's CPU per put: %s.

          CPU ceiling on this machine (all processes share the cores): %d cores ÷ the summed CPU per operation
          allow at most %.0f raw puts/s and %.0f API creates/s, i.e. %.0f%% — the ratio that full use of the cores
          would give with the CPU costs above. Without the api-server's own CPU (etcd and the client alone, as if the
          api-server cost nothing) API creates could reach at most %.0f/s, i.e. %.0f%% of raw puts.

          """, creates, payload.length, clients, creates, clients, rawS.rate(), rawS.pct(50), rawS.pct(99), apiS.rate(),
          apiS.pct(50), apiS.pct(99), txnS.rate(), txnS.pct(50), txnS.pct(99), 100 * apiS.rate() / rawS.rate(),
          100 * apiS.rate() / txnS.rate(), perOp(zero, rawCpu, rawS.ops()),
          perOp(zero, apiCpu, apiS.ops()), perOp(zero, txnCpu, txnS.ops()),
          syscallsPerOp(rawS.ops(), s0, s1, s4, s5), syscallsPerOp(apiS.ops(), s2, s3), load, Runtime.getRuntime().availableProcessors(), apiWarm, rawWarm,
          String.join(", ", warmupCurve), String.join(", ", rawCurve),
          Runtime.getRuntime().availableProcessors(), ceiling(rawCpu, rawS.ops()), ceiling(apiCpu, apiS.ops()),
          100 * ceiling(apiCpu, apiS.ops()) / ceiling(rawCpu, rawS.ops()), ceiling(withoutApiServer(apiCpu), apiS.ops()),
          100 * ceiling(withoutApiServer(apiCpu), apiS.ops()) / ceiling(rawCpu, rawS.ops())));
    }
    System.out.println("lists ...");
    md.append(lists(creates));
    System.out.println("watchers ...");
    md.append(watchers(watchers, events, watchWarmup));
    System.out.println(md);
    if (out != null) Files.writeString(out, md.toString());
    for (Http1Connection c : connections) c.close();
  }

  /**
   * Warm-up rounds of 2,000 operations ({@code round.apply(firstIndex)}): at least {@code min}
   * operations, then more (at most 3× {@code min}) until the last two rounds' CPU per operation of
   * process {@code who} are within 15% of the lowest round. Returns the operations done.
   */
  private int warmUntilSettled(String who, int min, int clients, List<String> curve,
      java.util.function.IntFunction<Op> round) throws Exception {
    List<Double> perOps = new ArrayList<>();
    int done = 0;
    while (done < 3 * min) {
      if (done >= min && perOps.size() >= 2) {
        double lowest = perOps.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        if (perOps.get(perOps.size() - 1) <= 1.15 * lowest && perOps.get(perOps.size() - 2) <= 1.15 * lowest) break;
      }
      var w0 = cpu();
      drive(2000, clients, round.apply(done));
      done += 2000;
      double perOp = (cpu().get(who) - w0.get(who)) * 1000 / 2000;
      perOps.add(perOp);
      System.out.printf(Locale.ROOT, "warm-up %d (at least %d): %s %.2f ms CPU per operation%n", done, min, who, perOp);
      curve.add(String.format(Locale.ROOT, "%.2f", perOp));
    }
    return done;
  }

  private static Stats merge(Stats a, Stats b) {
    long[] all = new long[a.sorted.length + b.sorted.length];
    System.arraycopy(a.sorted, 0, all, 0, a.sorted.length);
    System.arraycopy(b.sorted, 0, all, a.sorted.length, b.sorted.length);
    Arrays.sort(all);
    return new Stats(a.ops + b.ops, a.seconds + b.seconds, all);
  }

  private String lists(int expected) throws Exception {
    StringBuilder md = new StringBuilder(String.format(Locale.ROOT, """
        ### List of %d ConfigMaps

        One client, JSON without compression, whole list in one response (paged: limit=500 with continue, all pages). Median of 5, after one unmeasured warm-up list.

        | list | time | bytes |
        |---|---|---|
        """, expected));
    String base = "/api/v1/namespaces/bench-" + run + "/configmaps";
    for (String[] q : new String[][] {{"from the watch cache (resourceVersion=0)", "?resourceVersion=0"},
        {"consistent (resourceVersion=\"\": cache after a progress check)", "?resourceVersion="},
        {"paged (limit=500: the pages of one watch-cache snapshot)", "?limit=500"},
        {"paged at an exact resourceVersion (limit=500&resourceVersion=N: from etcd)", "?limit=500&resourceVersion=" + listRevision(base)}}) {
      long[] times = new long[5];
      long bytes = 0;
      http.send(req(base + q[1]).GET().build(), HttpResponse.BodyHandlers.ofString()); // warm-up, not measured
      for (int r = 0; r < 5; r++) {
        long s = System.nanoTime();
        String cont = null;
        int items = 0;
        bytes = 0;
        do {
          // later pages: the token carries the revision (kube answers 400 to resourceVersion with continue)
          String path = cont == null ? base + q[1] : base + "?limit=500&continue=" + cont;
          HttpResponse<String> resp = http.send(req(path).GET().build(), HttpResponse.BodyHandlers.ofString());
          if (resp.statusCode() != 200) throw new IllegalStateException(path + ": " + resp.body());
          String b = resp.body();
          bytes += b.length();
          items += count(b, "\"name\":\"cm-");
          int ci = b.indexOf("\"continue\":\"");
          cont = ci < 0 ? null : b.substring(ci + 12, b.indexOf('"', ci + 12));
        } while (cont != null);
        times[r] = System.nanoTime() - s;
        if (items != expected) throw new IllegalStateException(q[0] + ": " + items + " items, expected " + expected);
      }
      Arrays.sort(times);
      md.append(String.format(Locale.ROOT, "| %s | %.0f ms | %.1f MB |%n", q[0], times[2] / 1e6, bytes / 1e6));
    }
    return md.append('\n').toString();
  }

  /** The collection's current resourceVersion, for a list at exactly that revision. */
  private String listRevision(String base) throws Exception {
    String b = http.send(req(base + "?limit=1").GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    int ri = b.indexOf("\"resourceVersion\":\"");
    return b.substring(ri + 19, b.indexOf('"', ri + 19));
  }

  private static int count(String s, String sub) {
    int n = 0;
    for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
    return n;
  }

  private String watchers(int watchers, int events, int warm) throws Exception {
    String base = "/api/v1/namespaces/watch-" + run + "/configmaps";
    HttpResponse<String> list = http.send(req(base).GET().build(), HttpResponse.BodyHandlers.ofString());
    String b = list.body();
    int ri = b.indexOf("\"resourceVersion\":\"");
    String rv = b.substring(ri + 19, b.indexOf('"', ri + 19));
    // The first `warm` creates are not measured: like the create phase's warm-up, they let both
    // JVMs compile the delivery path (a watch path still running in the interpreter on either side
    // is a start-up cost, not the steady delivery latency this measures).
    int total = warm + events;
    long[] sent = new long[total];
    long[][] got = new long[watchers][total];
    AtomicInteger received = new AtomicInteger();
    long t0 = System.nanoTime();
    // One lean connection and one virtual thread per watcher; TLS handshakes in batches of 50
    // (1,000 at once time out on a busy 2-core machine).
    CountDownLatch streaming = new CountDownLatch(watchers);
    List<Http1Connection> watches = new ArrayList<>();
    for (int w = 0; w < watchers; w++) {
      Http1Connection c = open();
      watches.add(c);
      final int me = w;
      Thread.ofVirtual().start(() -> {
        try {
          c.stream(base + "?watch=true&resourceVersion=" + rv + "&timeoutSeconds=600", line -> {
            long now = System.nanoTime();
            int i = line.indexOf("\"name\":\"ev-");
            if (i < 0) return;
            int e = Integer.parseInt(line.substring(i + 11, line.indexOf('"', i + 11)));
            if (got[me][e] == 0) {
              got[me][e] = now;
              received.incrementAndGet();
            }
          });
        } catch (Exception ignored) {
          // closed at the end
        }
      });
      streaming.countDown();
    }
    streaming.await();
    double connectSecs = (System.nanoTime() - t0) / 1e9;
    Thread.sleep(2000);
    for (int e = 0; e < total; e++) {
      if (e == warm) System.out.println("  " + warm + " warm-up events delivered; measuring " + events);
      sent[e] = System.nanoTime();
      HttpResponse<String> r = post(base, configMap("ev-" + e));
      if (r.statusCode() != 201) throw new IllegalStateException(r.body());
      long wantBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      int want = (e + 1) * watchers;
      while (received.get() < want && System.nanoTime() < wantBy) Thread.sleep(5);
      Thread.sleep(200);
    }
    long[] lat = new long[watchers * events];
    long[] fanOut = new long[events]; // per create: until its last watcher had it
    int n = 0;
    int missing = 0;
    for (int w = 0; w < watchers; w++) {
      for (int e = warm; e < total; e++) {
        if (got[w][e] == 0) {
          missing++;
        } else {
          long took = got[w][e] - sent[e];
          lat[n++] = took;
          fanOut[e - warm] = Math.max(fanOut[e - warm], took);
        }
      }
    }
    for (Http1Connection c : watches) c.close();
    long[] sorted = Arrays.copyOf(lat, n);
    Arrays.sort(sorted);
    Arrays.sort(fanOut);
    Stats s = new Stats(n, 1, sorted);
    Stats f = new Stats(events, 1, fanOut);
    return String.format(Locale.ROOT, """
        ### %d concurrent watchers

        %d HTTP/1.1 watches on one namespace's ConfigMaps (lean client, one connection each; all open in %.1f s); %d creates, one every ~200 ms after the previous
        one reached every watcher, after %d unmeasured ones (the delivery path's warm-up, as the create phase has its own).
        Latency = from sending the create to a watcher reading the event line (includes the write). *Last watcher*: per create,
        until the slowest of the %d watchers had it (the fan-out's length; its median over the creates).

        | deliveries | missing | p50 | p99 | max | last watcher (median of creates) |
        |---|---|---|---|---|---|
        | %d | %d | %.1f ms | %.1f ms | %.1f ms | %.1f ms |

        **p99 delivery: %.1f ms** (goal < 100 ms).
        """, watchers, watchers, connectSecs, events, warm, watchers, n, missing, s.pct(50), s.pct(99), s.pct(100), f.pct(50), s.pct(99));
  }
}
