package io.keelson.apiserver.inflight;

import io.keelson.apiserver.auth.Authorizer;
import io.keelson.apiserver.auth.UserInfo;
import io.keelson.apiserver.status.StatusException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Set;
import java.util.concurrent.Semaphore;

/**
 * Kube-apiserver's legacy in-flight limit ({@code --max-requests-inflight},
 * {@code --max-mutating-requests-inflight}): at most so many read-only (get, list) and so many
 * mutating requests are served at once; one more gets 429 "Too many requests, please try again
 * later." with Retry-After 1. Long-running requests (watches, exec, attach, logs, port-forward,
 * proxy) are not counted. Members of {@code system:masters} are answered anyway when the limit is
 * reached, as kube does: an administrator must be able to act on an overloaded cluster. A limit of 0
 * turns it off.
 */
public final class MaxInFlight {

  public static final String MESSAGE = "Too many requests, please try again later.";
  private static final Set<String> READ_ONLY = Set.of("get", "list", "watch");
  private static final Set<String> LONG_RUNNING_VERBS = Set.of("watch", "proxy");
  private static final Set<String> LONG_RUNNING_SUBRESOURCES = Set.of("attach", "exec", "proxy", "log", "portforward");
  private static final String MASTERS = "system:masters";

  /** A counted request's place, given back when it is answered; closing twice is harmless. */
  public interface Slot extends AutoCloseable {
    @Override
    void close();
  }

  private static final Slot UNCOUNTED = () -> {};

  private final Kind readOnly;
  private final Kind mutating;

  private static final class Kind {
    final int limit;
    final Semaphore permits;
    final Counter rejected;

    Kind(String name, int limit, MeterRegistry meters) {
      this.limit = limit;
      this.permits = new Semaphore(Math.max(limit, 0));
      this.rejected = Counter.builder("apiserver_dropped_requests").tag("request_kind", name)
          .description("requests refused with 429 by the in-flight limit").register(meters);
      Gauge.builder("apiserver_current_inflight_requests", this, k -> k.limit <= 0 ? 0 : k.limit - k.permits.availablePermits())
          .tag("request_kind", name).description("requests being served, by kind, counted against the in-flight limits")
          .register(meters);
    }
  }

  public MaxInFlight(int maxReadOnly, int maxMutating, MeterRegistry meters) {
    this.readOnly = new Kind("readOnly", maxReadOnly, meters);
    this.mutating = new Kind("mutating", maxMutating, meters);
  }

  /** Whether a request runs for as long as the client wants (kube's BasicLongRunningRequestCheck). */
  public static boolean longRunning(Authorizer.Attributes a) {
    if (LONG_RUNNING_VERBS.contains(a.verb())) return true;
    return a.resourceRequest() && LONG_RUNNING_SUBRESOURCES.contains(a.subresource());
  }

  /**
   * Takes a place for the request, or none for a long-running one.
   *
   * @throws StatusException 429 when its kind's limit is reached and the user is not in system:masters
   */
  public Slot admit(UserInfo user, Authorizer.Attributes a) {
    if (longRunning(a)) return UNCOUNTED;
    Kind k = READ_ONLY.contains(a.verb()) ? readOnly : mutating;
    if (k.limit <= 0) return UNCOUNTED;
    if (k.permits.tryAcquire()) {
      return new Slot() {
        private boolean released;

        @Override
        public void close() {
          if (released) return;
          released = true;
          k.permits.release();
        }
      };
    }
    if (user.groups().contains(MASTERS)) return UNCOUNTED;
    k.rejected.increment();
    throw StatusException.tooManyRequests(MESSAGE, 1);
  }
}
