package io.keelson.agent.api;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential back-off with jitter for reconnecting to the api-server (0.5 s doubling to 30 s). */
public final class Backoff {
  private final long initialMillis;
  private final long maxMillis;
  private long next;

  public Backoff(Duration initial, Duration max) {
    this.initialMillis = initial.toMillis();
    this.maxMillis = max.toMillis();
    this.next = initialMillis;
  }

  public static Backoff reconnect() {
    return new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30));
  }

  /** The delay to wait now; doubles the next one. */
  public Duration nextDelay() {
    long base = next;
    next = Math.min(maxMillis, next * 2);
    long jitter = ThreadLocalRandom.current().nextLong(base / 4 + 1);
    return Duration.ofMillis(base + jitter);
  }

  public void sleep() throws InterruptedException {
    Thread.sleep(nextDelay());
  }

  public void reset() {
    next = initialMillis;
  }
}
