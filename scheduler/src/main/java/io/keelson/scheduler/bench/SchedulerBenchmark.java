package io.keelson.scheduler.bench;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.keelson.scheduler.cache.SchedulerCache;
import io.keelson.scheduler.client.ClusterApi;
import io.keelson.scheduler.config.SchedulerConfig;
import io.keelson.scheduler.core.Scheduler;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.metrics.SchedulerMetrics;
import io.keelson.scheduler.plugins.DefaultPlugins;
import io.keelson.scheduler.queue.SchedulingQueue;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * scheduler_perf-style benchmark. {@code create} fills a namespace with pending pods through the
 * real api-server; {@code measure} watches them until all are bound and reports pods/s, the
 * scheduler's attempt/binding latency percentiles (scraped from its /metrics) and how the CPU of
 * the machine was split between processes (from /proc); {@code measure-server} runs one
 * {@code measure} after another in one JVM; {@code in-memory} runs the scheduling loop
 * without an api-server to show the algorithm's own ceiling. deploy/bench/scheduler.sh drives it.
 */
@Command(
    name = "scheduler-benchmark",
    mixinStandardHelpOptions = true,
    subcommands = {SchedulerBenchmark.Create.class, SchedulerBenchmark.FakeNodes.class, SchedulerBenchmark.Measure.class, SchedulerBenchmark.MeasureServer.class,
      SchedulerBenchmark.InMemory.class},
    description = "Scheduler throughput benchmark (see deploy/bench/scheduler.sh).")
public final class SchedulerBenchmark implements Callable<Integer> {
  public static void main(String[] args) {
    System.exit(new CommandLine(new SchedulerBenchmark()).execute(args));
  }

  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return 0;
  }

  static KubernetesClient client(Path kubeconfig) throws Exception {
    Config c = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
    c.setMaxConcurrentRequests(512);
    c.setMaxConcurrentRequestsPerHost(512);
    c.setOnlyHttpWatches(true); // as SchedulerMain: no WebSocket watch attempt
    // lean reads: the measuring informer shares the two cores with the cluster it measures
    return new KubernetesClientBuilder()
        .withConfig(c)
        .withKubernetesSerialization(io.keelson.scheduler.client.LeanSerialization.create())
        .build();
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create N pending pods (no scheduler should run).")
  static final class Create implements Callable<Integer> {
    @Option(names = "--kubeconfig", required = true)
    Path kubeconfig;

    @Option(names = "--namespace", defaultValue = "bench")
    String namespace;

    @Option(names = "--pods", defaultValue = "10000")
    int pods;

    @Option(names = "--concurrency", defaultValue = "64")
    int concurrency;

    @Option(names = "--cpu", defaultValue = "10m")
    String cpu;

    @Option(names = "--memory", defaultValue = "16Mi")
    String memory;

    @Override
    public Integer call() throws Exception {
      try (KubernetesClient client = client(kubeconfig)) {
        try {
          client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
        } catch (KubernetesClientException e) {
          if (e.getCode() != 409) {
            throw e;
          }
        }
        long t0 = System.nanoTime();
        int failed = postAll(client, "/api/v1/namespaces/" + namespace + "/pods", pods, concurrency, "pods", i ->
            "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p" + i + "\",\"labels\":{\"bench\":\"sched\"}},"
                + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"keelson.local/busybox:latest\","
                + "\"resources\":{\"requests\":{\"cpu\":\"" + cpu + "\",\"memory\":\"" + memory + "\"}}}]}}");
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("created %d pods in %.1f s (%.0f pods/s), %d failed%n", pods - failed, s, pods / s, failed);
        return failed == 0 ? 0 : 1;
      }
    }
  }

  /**
   * POSTs the bodies {@code body.apply(0..count-1)} to {@code path}, {@code concurrency} at a time
   * (an existing object, 409, counts as created), printing progress every 1,000 and a failure at
   * most every 2 s; returns how many failed.
   */
  static int postAll(KubernetesClient client, String path, int count, int concurrency, String what,
      java.util.function.IntFunction<String> body) throws InterruptedException {
    HttpClient http = client.getHttpClient();
    String url = client.getMasterUrl().toString().replaceAll("/$", "") + path;
    Semaphore permits = new Semaphore(concurrency);
    AtomicInteger failed = new AtomicInteger();
    AtomicLong lastError = new AtomicLong();
    for (int i = 0; i < count; i++) {
      permits.acquire();
      HttpRequest req = http.newHttpRequestBuilder().uri(url).post("application/json", body.apply(i).getBytes(StandardCharsets.UTF_8)).build();
      http.sendAsync(req, String.class).whenComplete((r, err) -> {
        permits.release();
        if (err != null || (!r.isSuccessful() && r.code() != 409)) {
          failed.incrementAndGet();
          if (System.currentTimeMillis() - lastError.get() > 2000) {
            lastError.set(System.currentTimeMillis());
            System.err.println("create failed: " + (err != null ? err : r.code() + " " + r.body()));
          }
        }
      });
      if ((i + 1) % 1000 == 0) System.err.printf("  %d/%d %s%n", i + 1, count, what);
    }
    permits.acquire(concurrency);
    return failed.get();
  }

  /**
   * scheduler_perf's own setting: nodes that are only API objects (Ready, with capacity), no agent
   * behind them, so that a run measures what scheduling costs (the scheduler, its bindings and
   * events through the api-server and etcd) without the agents starting the pods and reporting
   * their status. Nothing renews their leases: run it without a controller-manager.
   */
  @Command(name = "fake-nodes", mixinStandardHelpOptions = true,
      description = "Create N Ready nodes with no agent behind them (scheduler_perf's fake nodes).")
  static final class FakeNodes implements Callable<Integer> {
    @Option(names = "--kubeconfig", required = true)
    Path kubeconfig;

    @Option(names = "--nodes", defaultValue = "5000")
    int nodes;

    @Option(names = "--prefix", defaultValue = "fake-")
    String prefix;

    @Option(names = "--concurrency", defaultValue = "64")
    int concurrency;

    @Option(names = "--cpu", defaultValue = "2", description = "capacity and allocatable (a hollow node's in-memory benchmark shape)")
    String cpu;

    @Option(names = "--memory", defaultValue = "24Gi")
    String memory;

    @Override
    public Integer call() throws Exception {
      try (KubernetesClient client = client(kubeconfig)) {
        String now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        String resources = "{\"cpu\":\"" + cpu + "\",\"memory\":\"" + memory + "\",\"pods\":\"110\"}";
        long t0 = System.nanoTime();
        int failed = postAll(client, "/api/v1/nodes", nodes, concurrency, "nodes", i -> {
          String name = prefix + (i + 1);
          return "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"" + name + "\",\"labels\":{"
              + "\"kubernetes.io/hostname\":\"" + name + "\",\"kubernetes.io/os\":\"linux\",\"kubernetes.io/arch\":\"amd64\","
              + "\"keelson.io/fake-node\":\"true\"}},\"spec\":{},\"status\":{\"capacity\":" + resources
              + ",\"allocatable\":" + resources + ",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
              + "\"reason\":\"FakeNode\",\"message\":\"scheduler benchmark node: no agent runs its pods\","
              + "\"lastHeartbeatTime\":\"" + now + "\",\"lastTransitionTime\":\"" + now + "\"}]}}";
        });
        System.out.printf("created %d fake nodes in %.1f s, %d failed%n", nodes - failed, (System.nanoTime() - t0) / 1e9, failed);
        return failed == 0 ? 0 : 1;
      }
    }
  }

  /** CPU seconds (user+system) a process has used so far, from /proc/PID/stat; -1 if gone. */
  static double cpuSeconds(long pid) {
    try {
      return statCpuSeconds(Files.readString(Path.of("/proc/" + pid + "/stat")));
    } catch (Exception e) {
      return -1;
    }
  }

  /** User + system CPU seconds of a {@code /proc/.../stat} line (a process's or a thread's). */
  private static double statCpuSeconds(String stat) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // after "pid (comm) ": state=0 ... utime=11 stime=12 (fields 14/15 of the full line)
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
  }

  /** This JVM's threads by name (digits dropped) and their CPU seconds, the largest first. */
  static String threadsCpu() {
    Map<String, Double> byName = new java.util.HashMap<>();
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(t.resolve("stat"));
          String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "#");
          byName.merge(comm, statCpuSeconds(stat), Double::sum);
        } catch (Exception ignored) {
          // the thread ended meanwhile
        }
      }
    } catch (Exception e) {
      return "? (" + e + ")";
    }
    return byName.entrySet().stream()
        .filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .limit(8)
        .map(e -> String.format("%s %.2f", e.getKey(), e.getValue()))
        .collect(java.util.stream.Collectors.joining(", "));
  }

  @Command(name = "measure", mixinStandardHelpOptions = true, description = "Watch pods until bound; report throughput and latency.")
  static final class Measure implements Callable<Integer> {
    @Option(names = "--kubeconfig", required = true)
    Path kubeconfig;

    @Option(names = "--namespace", defaultValue = "bench")
    String namespace;

    @Option(names = "--pods", defaultValue = "10000")
    int pods;

    @Option(names = "--timeout", defaultValue = "900", description = "seconds")
    int timeout;

    @Option(names = "--metrics-url", description = "scheduler /metrics URL to read latency percentiles from")
    String metricsUrl;

    @Option(names = "--pid", description = "name=pid of a process whose CPU use to report (repeatable)")
    List<String> pids = new ArrayList<>();

    @Option(names = "--out", description = "append the Markdown result table rows here")
    Path out;

    @Option(names = "--label", defaultValue = "run")
    String label;

    @Option(names = "--idle-seconds", defaultValue = "0", description = "first measure the CPU the processes use idle for this long")
    int idleSeconds;

    @Option(names = "--metrics-baseline", description = "the scheduler's /metrics before this run: report only what came after")
    Path metricsBaseline;

    @Option(names = "--ready-file", description = "created once the pods are listed (start the scheduler after it)")
    Path readyFile;

    /** Where the result row goes (measure-server: a file per run). */
    java.io.PrintStream stdout = System.out;

    @Override
    public Integer call() throws Exception {
      Map<String, Long> procs = new LinkedHashMap<>();
      for (String p : pids) {
        String[] kv = p.split("=", 2);
        procs.put(kv[0], kv[1].startsWith("@") ? 0L : Long.parseLong(kv[1].trim()));
      }
      Map<String, Double> cpu0 = new LinkedHashMap<>();
      AtomicInteger newlyBound = new AtomicInteger();
      AtomicLong first = new AtomicLong();
      AtomicLong last = new AtomicLong();
      try (KubernetesClient client = client(kubeconfig);
          BindingWatch watch =
              new BindingWatch(
                  io.keelson.client.http.DirectHttp.of(client.getConfiguration()),
                  namespace,
                  name -> {
                    long now = System.nanoTime();
                    first.compareAndSet(0, now);
                    last.set(now);
                    newlyBound.incrementAndGet();
                  })) {
        int alreadyBound = watch.start();
        if (alreadyBound > 0) {
          System.err.println("warning: " + alreadyBound + " pods were already bound when measuring started");
        }
        java.util.function.IntSupplier boundCount = () -> alreadyBound + newlyBound.get();
        // what the cluster burns with nothing to schedule (leases, heartbeats, stragglers): measured
        // before the run when every process is known (the warm run, scheduler paused)
        double idleCores = -1;
        if (idleSeconds > 0 && procs.values().stream().noneMatch(v -> v == 0)) {
          double before = procs.values().stream().mapToDouble(SchedulerBenchmark::cpuSeconds).sum();
          long t = System.nanoTime();
          Thread.sleep(idleSeconds * 1000L);
          idleCores = (procs.values().stream().mapToDouble(SchedulerBenchmark::cpuSeconds).sum() - before) / ((System.nanoTime() - t) / 1e9);
        }
        if (readyFile != null) {
          Files.writeString(readyFile, "listed\n");
          // CPU accounting starts when the scheduler (started by the caller) is known.
          for (int i = 0; i < 600 && procs.values().stream().anyMatch(v -> v == 0); i++) {
            Thread.sleep(100);
            reloadPids(procs);
          }
        }
        procs.forEach((k, v) -> cpu0.put(k, cpuSeconds(v)));
        // a scheduler that already ran (warm run): only the histogram counts added from here on count
        // (the caller scrapes it before pausing the scheduler: a stopped process would not answer)
        Map<String, java.util.TreeMap<Double, Double>> buckets0 =
            metricsBaseline != null ? parseBuckets(Files.readString(metricsBaseline)) : Map.of();
        long wall0 = System.nanoTime();
        double self0 = cpuSeconds(ProcessHandle.current().pid());
        long deadline = System.currentTimeMillis() + timeout * 1000L;
        int lastPrinted = 0;
        while (boundCount.getAsInt() < pods && System.currentTimeMillis() < deadline) {
          Thread.sleep(100);
          if (boundCount.getAsInt() - lastPrinted >= Math.max(1000, pods / 10)) {
            lastPrinted = boundCount.getAsInt();
            System.err.printf("  %d/%d bound%n", lastPrinted, pods);
          }
        }
        double wall = (System.nanoTime() - wall0) / 1e9;
        double self = cpuSeconds(ProcessHandle.current().pid()) - self0;
        System.err.println("this measuring client's threads (CPU-s since it started): " + threadsCpu());
        int n = boundCount.getAsInt();
        double span = (last.get() - first.get()) / 1e9;
        double rate = span > 0 ? (n - 1 - alreadyBound) / span : 0;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("| %s | %d/%d | %.2f s | **%.0f pods/s** |", label, n, pods, span, rate));
        Map<String, String> q = metricsUrl == null ? Map.of() : quantiles(scrapeBuckets(metricsUrl, false), buckets0);
        sb.append(String.format(" %s / %s | %s / %s | %s / %s |",
            q.getOrDefault("attempt_0.5", "?"), q.getOrDefault("attempt_0.99", "?"),
            q.getOrDefault("binding_0.5", "?"), q.getOrDefault("binding_0.99", "?"),
            q.getOrDefault("e2e_0.5", "?"), q.getOrDefault("e2e_0.99", "?")));
        double total = 0;
        Map<String, Double> used = new LinkedHashMap<>();
        for (var e : procs.entrySet()) {
          double c1 = cpuSeconds(e.getValue());
          double d = c1 < 0 || cpu0.get(e.getKey()) < 0 ? 0 : c1 - cpu0.get(e.getKey());
          used.put(e.getKey(), d);
          total += d;
        }
        StringBuilder cpuCol = new StringBuilder();
        for (var e : used.entrySet()) {
          if (cpuCol.length() > 0) {
            cpuCol.append(", ");
          }
          cpuCol.append(
              String.format(
                  "%s %.1f s (%.0f%%, %.1f ms/pod)",
                  e.getKey(), e.getValue(), total > 0 ? 100 * e.getValue() / total : 0, 1000 * e.getValue() / Math.max(1, n - alreadyBound)));
        }
        // what the two cores could bind if they were ours alone, at this much CPU per pod
        int cores = Runtime.getRuntime().availableProcessors();
        double perPod = total / Math.max(1, n - alreadyBound);
        String ceiling =
            String.format("; %.1f ms of CPU per bound pod: at most %.0f pods/s on %d cores", 1000 * perPod, perPod > 0 ? cores / perPod : 0, cores);
        if (idleCores >= 0) {
          double net = Math.max(0, total - idleCores * wall) / Math.max(1, n - alreadyBound);
          ceiling +=
              String.format(
                  " (idle cluster before the run: %.2f cores; without that, %.1f ms per pod, at most %.0f pods/s)",
                  idleCores, 1000 * net, net > 0 ? cores / net : 0);
        }
        String load = "?";
        try {
          load = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (Exception ignored) {
          // not Linux
        }
        sb.append(' ').append(cpuCol).append(String.format(" of %.1f CPU-s in %.1f s wall, load average %s%s", total, wall, load, ceiling));
        // not part of the cluster, but it shares the cores: say what it took
        sb.append(String.format("; this measuring client %.1f s (%.2f ms/pod) |", self, 1000 * self / Math.max(1, n - alreadyBound)));
        stdout.println(sb);
        stdout.flush();
        if (out != null) {
          Files.writeString(out, sb + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        }
        return n >= pods ? 0 : 1;
      }
    }

    private static final java.util.regex.Pattern LE = java.util.regex.Pattern.compile("[{,]le=\"([^\"]+)\"");

    /** A "name=@file" pid is read from the file (e.g. a pid file written after we started). */
    private void reloadPids(Map<String, Long> procs) {
      for (String p : pids) {
        String[] kv = p.split("=", 2);
        if (kv[1].startsWith("@")) {
          try {
            procs.put(kv[0], Long.parseLong(Files.readString(Path.of(kv[1].substring(1))).trim()));
          } catch (Exception ignored) {
            // not yet written
          }
        }
      }
    }

    /** p50/p99 (ms) of the scheduler's timers over the buckets counted since {@code before}. */
    static Map<String, String> quantiles(
        Map<String, java.util.TreeMap<Double, Double>> after, Map<String, java.util.TreeMap<Double, Double>> before) {
      Map<String, String> out = new LinkedHashMap<>();
      after.forEach(
          (k, b) -> {
            var prev = before.getOrDefault(k, new java.util.TreeMap<>());
            var d = new java.util.TreeMap<Double, Double>();
            b.forEach((le, n) -> d.put(le, n - prev.getOrDefault(le, 0.0)));
            out.put(k + "_0.5", quantile(d, 0.5));
            out.put(k + "_0.99", quantile(d, 0.99));
          });
      return out;
    }

    /**
     * Cumulative histogram buckets of the scheduler's attempt / binding / e2e timers from its
     * /metrics; empty when it does not answer.
     */
    static Map<String, java.util.TreeMap<Double, Double>> scrapeBuckets(String url, boolean quiet) {
      try {
        var c = java.net.http.HttpClient.newHttpClient();
        var req = java.net.http.HttpRequest.newBuilder(URI.create(url)).timeout(java.time.Duration.ofSeconds(10)).build();
        return parseBuckets(c.send(req, java.net.http.HttpResponse.BodyHandlers.ofString()).body());
      } catch (Exception e) {
        if (!quiet) {
          System.err.println("cannot scrape " + url + ": " + e);
        }
        return new LinkedHashMap<>();
      }
    }

    static Map<String, java.util.TreeMap<Double, Double>> parseBuckets(String body) {
      Map<String, java.util.TreeMap<Double, Double>> buckets = new LinkedHashMap<>();
      for (String line : body.split("\n")) {
        String key = null;
        if (line.startsWith("scheduler_scheduling_attempt_duration_seconds_bucket{") && line.contains("result=\"scheduled\"")) {
          key = "attempt";
        } else if (line.startsWith("scheduler_binding_duration_seconds_bucket{")) {
          key = "binding";
        } else if (line.startsWith("scheduler_e2e_scheduling_duration_seconds_bucket{")) {
          key = "e2e";
        }
        if (key == null) {
          continue;
        }
        var m = LE.matcher(line);
        if (!m.find()) {
          continue;
        }
        String le = m.group(1);
        double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
        double count = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        buckets.computeIfAbsent(key, k -> new java.util.TreeMap<>()).put(bound, count);
      }
      return buckets;
    }

    static String quantile(java.util.TreeMap<Double, Double> cumulative, double q) {
      double total = cumulative.lastEntry().getValue();
      if (total == 0) {
        return "-";
      }
      double rank = q * total;
      double prevBound = 0;
      double prevCount = 0;
      for (var e : cumulative.entrySet()) {
        if (e.getValue() >= rank) {
          double upper = e.getKey().isInfinite() ? prevBound : e.getKey();
          double inBucket = e.getValue() - prevCount;
          double v = inBucket <= 0 ? upper : prevBound + (upper - prevBound) * (rank - prevCount) / inBucket;
          return v < 0.01 ? String.format("%.2f ms", v * 1000) : String.format("%.0f ms", v * 1000);
        }
        prevBound = e.getKey();
        prevCount = e.getValue();
      }
      return "-";
    }
  }

  /**
   * One measuring JVM for a series of runs. Each run's {@code measure} in a fresh JVM paid that
   * JVM's JIT on the shared cores (0.1-0.2 ms of CPU per pod, about what the controller-manager takes);
   * here only the first run does, as a real cluster's long-lived clients would. Runs are requests
   * in a directory: {@code N.args} (the measure options, one per line, N = 1, 2, ... in order;
   * write it elsewhere and rename it in), answered by {@code N.out} (the result row) and then
   * {@code N.done} (the exit code). A file {@code stop} ends the server.
   */
  @Command(name = "measure-server", mixinStandardHelpOptions = true,
      description = "Run measure requests from DIR/N.args one after another in this JVM (see deploy/bench/scheduler.sh).")
  static final class MeasureServer implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "where requests (N.args) arrive and answers (N.out, N.done) go")
    Path dir;

    @Option(names = "--timeout", defaultValue = "7200", description = "seconds to serve at most")
    int timeout;

    @Override
    public Integer call() throws Exception {
      long deadline = System.currentTimeMillis() + timeout * 1000L;
      for (int n = 1; System.currentTimeMillis() < deadline && !Files.exists(dir.resolve("stop")); ) {
        Path request = dir.resolve(n + ".args");
        if (!Files.exists(request)) {
          Thread.sleep(50);
          continue;
        }
        String[] args = Files.readAllLines(request).stream().filter(l -> !l.isEmpty()).toArray(String[]::new);
        int rc;
        try (java.io.PrintStream row = new java.io.PrintStream(Files.newOutputStream(dir.resolve(n + ".out")), true)) {
          Measure m = new Measure();
          m.stdout = row;
          rc = new CommandLine(m).execute(args);
        }
        Files.writeString(dir.resolve(n + ".done"), rc + "\n");
        n++;
      }
      return 0;
    }
  }

  @Command(name = "in-memory", mixinStandardHelpOptions = true, description = "Scheduling loop only: no api-server, bindings are no-ops.")
  static final class InMemory implements Callable<Integer> {
    @Option(names = "--nodes", defaultValue = "5000")
    int nodes;

    @Option(names = "--pods", defaultValue = "10000")
    int pods;

    @Option(names = "--bind-latency-ms", defaultValue = "0", description = "simulated api-server round trip per binding")
    int bindLatencyMs;

    @Override
    public Integer call() throws Exception {
      SchedulerCache cache = new SchedulerCache();
      SchedulingQueue queue = new SchedulingQueue();
      AtomicInteger boundCount = new AtomicInteger();
      ClusterApi api =
          new ClusterApi() {
            @Override
            public void bind(Pod pod, String nodeName) {
              if (bindLatencyMs > 0) {
                try {
                  Thread.sleep(bindLatencyMs);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
              boundCount.incrementAndGet();
            }

            @Override
            public void markUnschedulable(Pod pod, String message, String nominatedNodeName) {}

            @Override
            public void evict(Pod victim, String preemptorKey, String nodeName) {}

            @Override
            public void event(Pod pod, String type, String reason, String action, String message) {}
          };
      SchedulerMetrics metrics = new SchedulerMetrics("default-scheduler");
      Scheduler s = new Scheduler(SchedulerConfig.defaults(), DefaultPlugins.registry(), cache, queue, api, metrics, n -> null);
      for (int i = 1; i <= nodes; i++) {
        cache.addOrUpdateNode(hollowNode("hollow-" + i));
      }
      List<PodInfo> infos = new ArrayList<>(pods);
      for (int i = 0; i < pods; i++) {
        infos.add(PodInfo.of(pod("p" + i)));
      }
      long t0 = System.nanoTime();
      for (PodInfo p : infos) {
        queue.add(p);
      }
      s.start();
      while (boundCount.get() < pods) {
        Thread.sleep(5);
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      s.stop();
      Timer t = metrics.attemptTimer(SchedulerMetrics.SCHEDULED);
      double p50 = 0;
      double p99 = 0;
      for (ValueAtPercentile v : t.takeSnapshot().percentileValues()) {
        if (v.percentile() == 0.5) {
          p50 = v.value(TimeUnit.MICROSECONDS);
        } else if (v.percentile() == 0.99) {
          p99 = v.value(TimeUnit.MICROSECONDS);
        }
      }
      System.out.printf(
          "| in-memory, %d nodes, %d pods, bind RTT %d ms | %.2f s | **%.0f pods/s** | attempt p50 %.0f µs / p99 %.0f µs |%n",
          nodes, pods, bindLatencyMs, secs, pods / secs, p50, p99);
      return 0;
    }

    static Node hollowNode(String name) {
      Map<String, Quantity> alloc = Map.of("cpu", new Quantity("2"), "memory", new Quantity("24Gi"), "pods", new Quantity("110"));
      return new NodeBuilder()
          .withNewMetadata()
          .withName(name)
          .withLabels(Map.of("keelson.io/hollow", "true", "kubernetes.io/hostname", name))
          .endMetadata()
          .withNewSpec()
          .endSpec()
          .withNewStatus()
          .withAllocatable(alloc)
          .withCapacity(alloc)
          .endStatus()
          .build();
    }

    static Pod pod(String name) {
      return new PodBuilder()
          .withNewMetadata()
          .withName(name)
          .withNamespace("bench")
          .withUid(java.util.UUID.randomUUID().toString())
          .endMetadata()
          .withNewSpec()
          .addNewContainer()
          .withName("c")
          .withImage("keelson.local/busybox:latest")
          .withNewResources()
          .withRequests(Map.of("cpu", new Quantity("10m"), "memory", new Quantity("16Mi")))
          .endResources()
          .endContainer()
          .endSpec()
          .build();
    }
  }
}
