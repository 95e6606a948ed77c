package io.keelson.scheduler.queue;

import io.keelson.scheduler.framework.PodInfo;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * kube-scheduler's three-part queue. <b>activeQ</b>: pods to try now, highest priority first then
 * FIFO. <b>backoffQ</b>: pods that failed recently, waiting 1 s doubling up to 10 s per attempt.
 * <b>unschedulable</b>: pods no node fits; they stay until a cluster event that may help (node
 * added/changed, a bound pod deleted) moves them back, or 5 minutes pass. A pod that fails while
 * such an event happened during its cycle goes to backoffQ instead, so the event is not lost.
 */
public final class SchedulingQueue {
  public static final long INITIAL_BACKOFF_MS = 1000;
  public static final long MAX_BACKOFF_MS = 10_000;
  public static final long MAX_UNSCHEDULABLE_MS = 5 * 60_000;

  private final Clock clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final PriorityQueue<QueuedPodInfo> activeQ =
      new PriorityQueue<>(
          Comparator.<QueuedPodInfo>comparingInt(q -> -q.podInfo.priority())
              .thenComparingLong(q -> q.timestamp)
              .thenComparingLong(q -> q.seq));
  private final PriorityQueue<QueuedPodInfo> backoffQ =
      new PriorityQueue<>(Comparator.comparingLong(q -> q.backoffExpiry));
  /** key -> pod, for every pod in any of the three parts. */
  private final HashMap<String, QueuedPodInfo> where = new HashMap<>();
  private final HashMap<String, Part> part = new HashMap<>();
  private final HashMap<String, QueuedPodInfo> unschedulable = new HashMap<>();
  /** Pods popped and not yet done with (key -> pod), so updates during a cycle are not lost. */
  private final HashMap<String, QueuedPodInfo> inFlight = new HashMap<>();
  private long schedulingCycle;
  private long pushes;
  private long moveRequestCycle = -1;
  private boolean closed;

  private enum Part {
    ACTIVE,
    BACKOFF,
    UNSCHEDULABLE
  }

  public SchedulingQueue(Clock clock) {
    this.clock = clock;
  }

  public SchedulingQueue() {
    this(Clock.systemUTC());
  }

  private long now() {
    return clock.millis();
  }

  /** A new unscheduled pod. */
  public void add(PodInfo pod) {
    lock.lock();
    try {
      if (where.containsKey(pod.key())) {
        where.get(pod.key()).podInfo = pod;
        return;
      }
      QueuedPodInfo q = new QueuedPodInfo(pod, now());
      pushActive(q);
    } finally {
      lock.unlock();
    }
  }

  private void pushActive(QueuedPodInfo q) {
    String key = q.podInfo.key();
    q.seq = ++pushes; // FIFO among pods queued within the same millisecond
    where.put(key, q);
    part.put(key, Part.ACTIVE);
    activeQ.add(q);
    notEmpty.signal();
  }

  /**
   * The pod object changed. An unschedulable pod whose spec or labels changed is retried at once;
   * status-only updates (e.g. our own PodScheduled condition) just refresh the stored object.
   */
  public void update(PodInfo pod, boolean specChanged) {
    lock.lock();
    try {
      QueuedPodInfo q = where.get(pod.key());
      if (q == null) {
        QueuedPodInfo f = inFlight.get(pod.key());
        if (f != null) {
          f.podInfo = pod;
          return;
        }
        add(pod);
        return;
      }
      q.podInfo = pod;
      Part p = part.get(pod.key());
      if (p == Part.ACTIVE) {
        activeQ.remove(q); // re-insert: priority may have changed
        activeQ.add(q);
      } else if (specChanged && p == Part.UNSCHEDULABLE) {
        unschedulable.remove(pod.key());
        q.timestamp = now();
        pushActive(q);
      }
    } finally {
      lock.unlock();
    }
  }

  public void delete(String key) {
    lock.lock();
    try {
      inFlight.remove(key);
      QueuedPodInfo q = where.remove(key);
      Part p = part.remove(key);
      if (q == null) {
        return;
      }
      switch (p) {
        case ACTIVE -> activeQ.remove(q);
        case BACKOFF -> backoffQ.remove(q);
        case UNSCHEDULABLE -> unschedulable.remove(key);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Blocks until a pod is ready to try; null once closed or on timeout. */
  public QueuedPodInfo pop(long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    lock.lock();
    try {
      while (true) {
        if (closed) {
          return null;
        }
        flushLocked();
        QueuedPodInfo q = activeQ.poll();
        if (q != null) {
          String key = q.podInfo.key();
          where.remove(key);
          part.remove(key);
          q.attempts++;
          q.schedulingCycle = ++schedulingCycle;
          inFlight.put(key, q);
          return q;
        }
        long waitNs = deadline - System.nanoTime();
        if (waitNs <= 0) {
          return null;
        }
        QueuedPodInfo next = backoffQ.peek();
        if (next != null) {
          waitNs = Math.min(waitNs, TimeUnit.MILLISECONDS.toNanos(Math.max(1, next.backoffExpiry - now())));
        }
        notEmpty.awaitNanos(Math.min(waitNs, TimeUnit.SECONDS.toNanos(1)));
      }
    } finally {
      lock.unlock();
    }
  }

  /** Moves expired back-offs to activeQ and long-waiting unschedulable pods to active/backoff. */
  private void flushLocked() {
    long now = now();
    QueuedPodInfo q;
    while ((q = backoffQ.peek()) != null && q.backoffExpiry <= now) {
      backoffQ.poll();
      q.timestamp = now;
      pushActive(q);
    }
    if (!unschedulable.isEmpty()) {
      List<QueuedPodInfo> stale = null;
      for (QueuedPodInfo u : unschedulable.values()) {
        if (now - u.timestamp > MAX_UNSCHEDULABLE_MS) {
          if (stale == null) {
            stale = new ArrayList<>();
          }
          stale.add(u);
        }
      }
      if (stale != null) {
        for (QueuedPodInfo u : stale) {
          unschedulable.remove(u.podInfo.key());
          requeueLocked(u, now);
        }
      }
    }
  }

  private long backoffMs(QueuedPodInfo q) {
    long d = INITIAL_BACKOFF_MS;
    for (int i = 1; i < q.attempts && d < MAX_BACKOFF_MS; i++) {
      d *= 2;
    }
    return Math.min(d, MAX_BACKOFF_MS);
  }

  private void requeueLocked(QueuedPodInfo q, long now) {
    String key = q.podInfo.key();
    q.backoffExpiry = q.timestamp + backoffMs(q);
    if (q.backoffExpiry > now) {
      where.put(key, q);
      part.put(key, Part.BACKOFF);
      backoffQ.add(q);
      notEmpty.signal();
    } else {
      q.timestamp = now;
      pushActive(q);
    }
  }

  /** The pod was bound (or abandoned): forget it. */
  public void done(String key) {
    lock.lock();
    try {
      inFlight.remove(key);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The attempt failed. Unschedulable pods wait for a cluster event unless one already happened
   * during their cycle; errors always back off.
   */
  public void requeueFailed(QueuedPodInfo q, boolean unschedulableVerdict) {
    lock.lock();
    try {
      String key = q.podInfo.key();
      if (inFlight.remove(key) == null || where.containsKey(key)) {
        return; // deleted meanwhile, or re-added by an update
      }
      long now = now();
      q.timestamp = now;
      if (unschedulableVerdict && moveRequestCycle < q.schedulingCycle) {
        where.put(key, q);
        part.put(key, Part.UNSCHEDULABLE);
        unschedulable.put(key, q);
      } else {
        requeueLocked(q, now);
      }
    } finally {
      lock.unlock();
    }
  }

  /** A cluster event that may make unschedulable pods fit: retry them all (after their back-off). */
  public void moveAllToActiveOrBackoff(ClusterEvent event) {
    lock.lock();
    try {
      moveRequestCycle = schedulingCycle;
      if (unschedulable.isEmpty()) {
        return;
      }
      long now = now();
      Iterator<QueuedPodInfo> it = unschedulable.values().iterator();
      List<QueuedPodInfo> moved = new ArrayList<>(unschedulable.size());
      while (it.hasNext()) {
        moved.add(it.next());
        it.remove();
      }
      for (QueuedPodInfo q : moved) {
        q.timestamp = q.timestamp; // keep the failure time as back-off base
        requeueLocked(q, now);
      }
    } finally {
      lock.unlock();
    }
  }

  public void close() {
    lock.lock();
    try {
      closed = true;
      notEmpty.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Sizes for the pending-pods metric. */
  public record Depths(int active, int backoff, int unschedulable) {}

  public Depths depths() {
    lock.lock();
    try {
      return new Depths(activeQ.size(), backoffQ.size(), unschedulable.size());
    } finally {
      lock.unlock();
    }
  }

  /** Whether the pod is queued in any part (not counting in-flight). */
  public boolean contains(String key) {
    lock.lock();
    try {
      return where.containsKey(key);
    } finally {
      lock.unlock();
    }
  }
}
