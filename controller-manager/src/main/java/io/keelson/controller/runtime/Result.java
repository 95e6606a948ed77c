package io.keelson.controller.runtime;

import java.time.Duration;
import java.util.Optional;

/**
 * What a {@link Reconciler} wants done with its key after a successful pass. Errors are not a
 * result: a reconciler throws and the key is retried with per-item exponential backoff.
 */
public final class Result {
  private static final Result NO_UPDATE = new Result(null);

  private final Duration requeueAfter;

  private Result(Duration requeueAfter) {
    this.requeueAfter = requeueAfter;
  }

  /** Done; nothing to do until the next informer event. */
  public static Result noUpdate() {
    return NO_UPDATE;
  }

  /** Done for now, but look again after {@code delay} (e.g. minReadySeconds, a deadline). */
  public static Result requeueAfter(Duration delay) {
    return new Result(delay);
  }

  /** The earlier of two requeue requests (a reconciler often combines several waits). */
  public Result or(Result other) {
    if (other.requeueAfter == null) return this;
    if (requeueAfter == null || other.requeueAfter.compareTo(requeueAfter) < 0) return other;
    return this;
  }

  public Optional<Duration> requeueAfter() {
    return Optional.ofNullable(requeueAfter);
  }

  @Override
  public String toString() {
    return requeueAfter == null ? "noUpdate" : "requeueAfter(" + requeueAfter + ")";
  }
}
