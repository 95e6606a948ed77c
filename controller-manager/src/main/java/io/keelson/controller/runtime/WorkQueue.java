package io.keelson.controller.runtime;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;

/**
 * A keyed, deduplicating work queue with per-item exponential backoff, in the shape of client-go's
 * rate-limiting queue: a key waiting in the queue is queued only once however often it is added;
 * a key being processed is never handed to a second worker at the same time, and if it is added
 * meanwhile it is queued again when the worker calls {@link #done}.
 */
public final class WorkQueue {
  private final Duration baseDelay;
  private final Duration maxDelay;

  private final ArrayDeque<String> queue = new ArrayDeque<>();
  private final Set<String> dirty = new HashSet<>();
  private final Set<String> processing = new HashSet<>();
  private final Map<String, Integer> failures = new HashMap<>();
  private final DelayQueue<DelayedKey> delayed = new DelayQueue<>();
  /** Earliest pending delayed add per key, so periodic requeues do not pile up duplicates. */
  private final Map<String, Long> waitingUntil = new HashMap<>();
  private final Thread delayPump;
  private boolean shuttingDown;

  public WorkQueue(String name) {
    this(name, Duration.ofMillis(5), Duration.ofSeconds(60));
  }

  public WorkQueue(String name, Duration baseDelay, Duration maxDelay) {
    this.baseDelay = baseDelay;
    this.maxDelay = maxDelay;
    delayPump = Thread.ofPlatform().daemon().name(name + "-delay").start(this::pumpDelayed);
  }

  /** Queues {@code key} now unless it is already waiting. */
  public synchronized void add(String key) {
    if (shuttingDown || dirty.contains(key)) return;
    dirty.add(key);
    if (processing.contains(key)) return; // re-queued by done()
    queue.addLast(key);
    notifyAll();
  }

  /** Queues {@code key} after {@code delay}. */
  public void addAfter(String key, Duration delay) {
    if (delay.isZero() || delay.isNegative()) {
      add(key);
      return;
    }
    long readyAt = System.nanoTime() + delay.toNanos();
    synchronized (this) {
      if (shuttingDown) return;
      Long pending = waitingUntil.get(key);
      if (pending != null && pending - readyAt <= 0) return; // an earlier add already covers it
      waitingUntil.put(key, readyAt);
    }
    delayed.put(new DelayedKey(key, readyAt));
  }

  /** Queues {@code key} after its next backoff step (5 ms, 10 ms, 20 ms ... up to the maximum). */
  public void addRateLimited(String key) {
    addAfter(key, nextBackoff(key));
  }

  synchronized Duration nextBackoff(String key) {
    int n = failures.merge(key, 1, Integer::sum) - 1;
    double nanos = baseDelay.toNanos() * Math.pow(2, Math.min(n, 62));
    return nanos >= maxDelay.toNanos() ? maxDelay : Duration.ofNanos((long) nanos);
  }

  /** Clears the backoff history of {@code key} (after a success). */
  public synchronized void forget(String key) {
    failures.remove(key);
  }

  public synchronized int failures(String key) {
    return failures.getOrDefault(key, 0);
  }

  /** Blocks until a key is available; returns null once the queue is shut down. */
  public synchronized String take() throws InterruptedException {
    while (queue.isEmpty() && !shuttingDown) wait();
    if (queue.isEmpty()) return null;
    String key = queue.removeFirst();
    processing.add(key);
    dirty.remove(key);
    return key;
  }

  /** Marks {@code key} processed; if it was added meanwhile it goes back in the queue. */
  public synchronized void done(String key) {
    processing.remove(key);
    if (dirty.contains(key)) {
      queue.addLast(key);
      notifyAll();
    }
  }

  /** Keys waiting (not counting delayed ones or those being processed). */
  public synchronized int depth() {
    return queue.size();
  }

  public void shutdown() {
    synchronized (this) {
      shuttingDown = true;
      notifyAll();
    }
    delayPump.interrupt();
  }

  private void pumpDelayed() {
    try {
      while (true) {
        DelayedKey d = delayed.take();
        synchronized (this) {
          Long pending = waitingUntil.get(d.key);
          if (pending == null || pending != d.readyAtNanos) continue; // superseded by an earlier one
          waitingUntil.remove(d.key);
        }
        add(d.key);
      }
    } catch (InterruptedException e) {
      // shutdown
    }
  }

  private record DelayedKey(String key, long readyAtNanos) implements Delayed {
    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(readyAtNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(readyAtNanos, ((DelayedKey) o).readyAtNanos);
    }
  }
}
