package io.keelson.apiserver.bench;

import io.keelson.apiserver.storage.EtcdStore;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the api-server's own etcd client costs per write, without HTTP, JSON or the rest of a
 * request: {@link EtcdStore#create} (the guarded create every API create makes) from 16 virtual
 * threads, as Tomcat's request threads call it, with the store's watch on the written prefix (the
 * watch cache's). Prints this JVM's CPU per create over rounds, so that two builds of
 * {@code EtcdStore} can be compared on the same etcd (run each with its own classes on the path).
 *
 * <pre>EtcdStoreBenchmark --etcd http://127.0.0.1:E [--etcd-pid PID] [--ops 20000] [--rounds 8] [--clients 16]</pre>
 */
public final class EtcdStoreBenchmark {

  private EtcdStoreBenchmark() {}

  public static void main(String[] args) throws Exception {
    String etcd = "http://127.0.0.1:2379";
    int ops = 20_000;
    int rounds = 8;
    int clients = 16;
    long etcdPid = 0;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--etcd" -> etcd = args[++i];
        case "--ops" -> ops = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--clients" -> clients = Integer.parseInt(args[++i]);
        case "--etcd-pid" -> etcdPid = Long.parseLong(args[++i]);
        default -> throw new IllegalArgumentException("unknown flag " + args[i]);
      }
    }
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    String prefix = "/registry/bench-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36) + "/";
    byte[] value = ApiServerBenchmark.configMap("store-0000000").getBytes(StandardCharsets.UTF_8);
    AtomicLong seen = new AtomicLong();
    try (EtcdStore store = new EtcdStore(List.of(etcd), null);
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      var watch = store.watch(prefix, store.currentRevision() + 1, b -> seen.addAndGet(b.changes().size()), e -> { });
      AtomicLong next = new AtomicLong();
      for (int r = 0; r < rounds; r++) {
        long cpu0 = os.getProcessCpuTime();
        long etcd0 = Files.cpuNanos(etcdPid);
        long t0 = System.nanoTime();
        AtomicLong left = new AtomicLong(ops);
        Future<?>[] fs = new Future<?>[clients];
        for (int c = 0; c < clients; c++) {
          fs[c] = threads.submit(() -> {
            while (left.decrementAndGet() >= 0) store.create(prefix + next.incrementAndGet(), value);
            return null;
          });
        }
        for (Future<?> f : fs) f.get();
        long cpu = os.getProcessCpuTime() - cpu0;
        long etcdCpu = Files.cpuNanos(etcdPid) - etcd0;
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "round %d: %d creates, %.0f/s, CPU per create: this JVM %.1f us, etcd %.1f us; load %s, watched %d%n",
            r, ops, ops / secs, cpu / 1e3 / ops, etcdCpu / 1e3 / ops, Files.loadAverage(), seen.get());
      }
      watch.close();
    }
  }

  private static final class Files {
    /** utime + stime of a process (100 Hz ticks) in ns; 0 without a pid. */
    static long cpuNanos(long pid) {
      if (pid == 0) return 0;
      try {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
      } catch (java.io.IOException e) {
        return 0;
      }
    }

    static String loadAverage() {
      try {
        return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
      } catch (java.io.IOException e) {
        return "?";
      }
    }
  }
}
