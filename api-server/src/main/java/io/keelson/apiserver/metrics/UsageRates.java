package io.keelson.apiserver.metrics;

import java.util.concurrent.ConcurrentHashMap;

/**
 * CPU usage rates from the agents' cumulative CPU counters: the previous sample of every node and
 * container is kept, and a rate is the counter's growth over the time between two samples — the
 * way metrics-server turns the kubelet's counters into {@code usage.cpu}.
 */
final class UsageRates {

  /** Samples closer together than this give too noisy a rate; older ones too stale a rate. */
  static final long MIN_WINDOW_MILLIS = 500;
  static final long MAX_WINDOW_MILLIS = 10 * 60_000;

  record Sample(long timestampMillis, long cpuNanos) {}

  /** A rate and the window it was measured over. */
  record Rate(long nanocores, long windowMillis) {}

  private final ConcurrentHashMap<String, Sample> last = new ConcurrentHashMap<>();

  /**
   * The rate since the previous sample of {@code key}, or null when there is no usable previous one
   * (first sample, too close, too old, or the counter went back: a restarted container). The new
   * sample replaces the previous one only when a rate was computed or the previous was unusable, so
   * that quick repeated requests keep measuring over a sensible window.
   */
  Rate observe(String key, long timestampMillis, long cpuNanos) {
    Sample now = new Sample(timestampMillis, cpuNanos);
    Sample prev = last.get(key);
    if (prev == null) {
      last.put(key, now);
      return null;
    }
    long window = timestampMillis - prev.timestampMillis();
    if (window < MIN_WINDOW_MILLIS && window >= 0) return null;
    last.put(key, now);
    if (window > MAX_WINDOW_MILLIS || window < 0 || cpuNanos < prev.cpuNanos()) return null;
    return new Rate((cpuNanos - prev.cpuNanos()) * 1000 / window, window);
  }

  /** Whether a sample taken at {@code timestampMillis} would get a rate from the kept previous one. */
  boolean canRate(String key, long timestampMillis) {
    Sample prev = last.get(key);
    if (prev == null) return false;
    long window = timestampMillis - prev.timestampMillis();
    return window >= MIN_WINDOW_MILLIS && window <= MAX_WINDOW_MILLIS;
  }

  /** Keep this sample as the base of the next rate, unless a recent enough one is kept already. */
  void seed(String key, long timestampMillis, long cpuNanos) {
    Sample prev = last.get(key);
    if (prev != null && timestampMillis - prev.timestampMillis() >= 0
        && timestampMillis - prev.timestampMillis() <= MAX_WINDOW_MILLIS && cpuNanos >= prev.cpuNanos()) {
      return;
    }
    last.put(key, new Sample(timestampMillis, cpuNanos));
  }

  /** Forget containers not seen for a long time (deleted pods). */
  void expire(long nowMillis) {
    last.values().removeIf(s -> nowMillis - s.timestampMillis() > MAX_WINDOW_MILLIS);
  }
}
