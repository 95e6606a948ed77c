package io.keelson.agent.pod;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Timestamps of one pod's first start, from its assignment arriving to its first Running status.
 * Each phase is the time since the previous mark, and only its first mark counts, so a retried
 * step (a sandbox that failed and is set up again) shows up as time in the phase it waited for.
 *
 * <p>Phases in order: {@code queued} (assignment → the pod worker's first sync), {@code network}
 * (pod network: CNI), {@code sandbox} (volumes, /etc files, the driver's sandbox), {@code image}
 * (image lookup or pull), {@code container} (task config + the driver starting the first
 * container), {@code status} (the rest until the status computed says Running).
 */
final class PodStartTrace {
  static final String QUEUED = "queued";
  static final String NETWORK = "network";
  static final String SANDBOX = "sandbox";
  static final String IMAGE = "image";
  static final String CONTAINER = "container";
  static final String STATUS = "status";

  private final long assignedNanos;
  private long lastNanos;
  private final Map<String, Duration> phases = new LinkedHashMap<>();
  private boolean done;

  PodStartTrace(long assignedNanos) {
    this.assignedNanos = assignedNanos;
    this.lastNanos = assignedNanos;
  }

  /** Ends {@code phase} now unless it was ended before. */
  void mark(String phase, long nowNanos) {
    if (done || phases.containsKey(phase)) {
      return;
    }
    phases.put(phase, Duration.ofNanos(Math.max(0, nowNanos - lastNanos)));
    lastNanos = nowNanos;
  }

  void mark(String phase) {
    mark(phase, System.nanoTime());
  }

  boolean done() {
    return done;
  }

  /** The pod is Running: closes the {@code status} phase and returns the total (once; later null). */
  Duration finish(long nowNanos) {
    if (done) {
      return null;
    }
    mark(STATUS, nowNanos);
    done = true;
    return Duration.ofNanos(nowNanos - assignedNanos);
  }

  Map<String, Duration> phases() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(phases)); // keeps the phases' order
  }
}
