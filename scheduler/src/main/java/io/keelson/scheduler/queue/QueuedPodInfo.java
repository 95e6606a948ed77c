package io.keelson.scheduler.queue;

import io.keelson.scheduler.framework.PodInfo;

/** A pod waiting in the scheduling queue, with its attempt history. */
public final class QueuedPodInfo {
  volatile PodInfo podInfo;
  /** When the pod (re-)entered activeQ; FIFO order among equal priorities. */
  long timestamp;
  /** Tie-breaker for equal timestamps. */
  long seq;
  /** When the pod was first seen, for the end-to-end latency metric. */
  final long initialAttemptNanos;
  int attempts;
  long backoffExpiry;
  /** Which cycle popped it; compared with the last move request to not miss events. */
  long schedulingCycle;

  QueuedPodInfo(PodInfo podInfo, long now) {
    this.podInfo = podInfo;
    this.timestamp = now;
    this.initialAttemptNanos = System.nanoTime();
  }

  public PodInfo podInfo() {
    return podInfo;
  }

  public int attempts() {
    return attempts;
  }

  public long initialAttemptNanos() {
    return initialAttemptNanos;
  }

  public long schedulingCycle() {
    return schedulingCycle;
  }
}
