package io.keelson.controller.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One named controller: a {@link WorkQueue} drained by N worker threads, each calling the
 * {@link Reconciler} for one key at a time. Records per-controller metrics: reconciles by result,
 * reconcile duration and queue depth.
 */
public final class Controller {
  private static final Logger log = LoggerFactory.getLogger(Controller.class);

  private final String name;
  private final WorkQueue queue;
  private final Reconciler reconciler;
  private final int workers;
  private final Counter ok;
  private final Counter requeued;
  private final Counter failed;
  private final Timer duration;
  private final List<Thread> threads = new ArrayList<>();
  private static final Map<String, AtomicReference<WorkQueue>> QUEUES = new ConcurrentHashMap<>();

  public Controller(String name, Reconciler reconciler, int workers, MeterRegistry metrics) {
    this(name, new WorkQueue(name), reconciler, workers, metrics);
  }

  public Controller(
      String name, WorkQueue queue, Reconciler reconciler, int workers, MeterRegistry metrics) {
    this.name = name;
    this.queue = queue;
    this.reconciler = reconciler;
    this.workers = workers;
    ok = counter(metrics, "success");
    requeued = counter(metrics, "requeue");
    failed = counter(metrics, "error");
    duration =
        Timer.builder("keelson_controller_reconcile_duration")
            .tag("controller", name)
            .publishPercentileHistogram(false)
            .register(metrics);
    // A controller rebuilt after a lost Lease reuses its meters; the gauge follows the live queue.
    AtomicReference<WorkQueue> current =
        QUEUES.computeIfAbsent(System.identityHashCode(metrics) + "/" + name, k -> new AtomicReference<>());
    current.set(queue);
    Gauge.builder("keelson_controller_queue_depth", current, r -> r.get().depth())
        .tag("controller", name)
        .register(metrics);
  }

  private Counter counter(MeterRegistry metrics, String result) {
    return Counter.builder("keelson_controller_reconciles")
        .tag("controller", name)
        .tag("result", result)
        .register(metrics);
  }

  public String name() {
    return name;
  }

  public WorkQueue queue() {
    return queue;
  }

  /** Total reconciles so far (any result); the benchmark reads this. */
  public long reconciles() {
    return (long) (ok.count() + requeued.count() + failed.count());
  }

  public void enqueue(String key) {
    queue.add(key);
  }

  public synchronized void start() {
    for (int i = 0; i < workers; i++) {
      threads.add(Thread.ofPlatform().daemon().name(name + "-worker-" + i).start(this::work));
    }
  }

  public void stop() {
    queue.shutdown();
  }

  private void work() {
    while (true) {
      String key;
      try {
        key = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      if (key == null) return;
      long start = System.nanoTime();
      try {
        Result result = reconciler.reconcile(key);
        queue.forget(key);
        if (result.requeueAfter().isPresent()) {
          requeued.increment();
          queue.addAfter(key, result.requeueAfter().get());
        } else {
          ok.increment();
        }
      } catch (Exception | LinkageError e) {
        failed.increment();
        int n = queue.failures(key);
        // Conflicts and cache lag are routine; log them quietly at first.
        if (n < 3) log.debug("{}: {} failed, retrying: {}", name, key, e.toString());
        else log.warn("{}: {} failed {} times, retrying: {}", name, key, n + 1, e.toString());
        queue.addRateLimited(key);
      } finally {
        duration.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        queue.done(key);
      }
    }
  }
}
