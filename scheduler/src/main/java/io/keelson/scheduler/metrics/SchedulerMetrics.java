package io.keelson.scheduler.metrics;

import com.sun.net.httpserver.HttpServer;
import io.keelson.scheduler.queue.SchedulingQueue;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The scheduler's Micrometer meters, named like kube-scheduler's (scheduler_schedule_attempts_total,
 * scheduler_scheduling_attempt_duration_seconds, scheduler_e2e_scheduling_duration_seconds,
 * scheduler_pending_pods), and a tiny HTTP endpoint serving them in Prometheus text format.
 */
public final class SchedulerMetrics implements AutoCloseable {
  public static final String SCHEDULED = "scheduled";
  public static final String UNSCHEDULABLE = "unschedulable";
  public static final String ERROR = "error";

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter scheduled;
  private final Counter unschedulable;
  private final Counter error;
  private final Timer attemptScheduled;
  private final Timer attemptUnschedulable;
  private final Timer attemptError;
  private final Timer e2e;
  private final Timer binding;
  private final Counter preemptionAttempts;
  private final DistributionSummary preemptionVictims;
  private HttpServer server;

  public SchedulerMetrics(String profile) {
    scheduled = attempts(profile, SCHEDULED);
    unschedulable = attempts(profile, UNSCHEDULABLE);
    error = attempts(profile, ERROR);
    attemptScheduled = attemptTimer(profile, SCHEDULED);
    attemptUnschedulable = attemptTimer(profile, UNSCHEDULABLE);
    attemptError = attemptTimer(profile, ERROR);
    e2e =
        Timer.builder("scheduler.e2e.scheduling.duration")
            .description("Time from a pod entering the queue to its binding succeeding")
            .tag("profile", profile)
            .publishPercentileHistogram()
            .publishPercentiles(0.5, 0.99)
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofMinutes(10))
            .register(registry);
    binding =
        Timer.builder("scheduler.binding.duration")
            .description("Round trip of the pods/binding call to the api-server")
            .publishPercentileHistogram()
            .publishPercentiles(0.5, 0.99)
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(30))
            .register(registry);
    preemptionAttempts =
        Counter.builder("scheduler.preemption.attempts").description("Preemption attempts").register(registry);
    preemptionVictims =
        DistributionSummary.builder("scheduler.preemption.victims").description("Pods evicted per preemption").register(registry);
  }

  private Counter attempts(String profile, String result) {
    return Counter.builder("scheduler.schedule.attempts")
        .description("Scheduling attempts by result")
        .tag("result", result)
        .tag("profile", profile)
        .register(registry);
  }

  private Timer attemptTimer(String profile, String result) {
    return Timer.builder("scheduler.scheduling.attempt.duration")
        .description("Scheduling cycle latency (algorithm + assume), by result")
        .tag("result", result)
        .tag("profile", profile)
        .publishPercentileHistogram()
        .publishPercentiles(0.5, 0.99)
        .minimumExpectedValue(Duration.ofNanos(10_000))
        .maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry);
  }

  public void bindQueue(SchedulingQueue queue) {
    gauge("active", () -> queue.depths().active());
    gauge("backoff", () -> queue.depths().backoff());
    gauge("unschedulable", () -> queue.depths().unschedulable());
  }

  private void gauge(String q, Supplier<Number> s) {
    Gauge.builder("scheduler.pending.pods", s).description("Pending pods by queue").tag("queue", q).register(registry);
  }

  public void cacheGauge(String type, Supplier<Number> s) {
    Gauge.builder("scheduler.cache.size", s).description("Scheduler cache contents").tag("type", type).register(registry);
  }

  public void attempt(String result, long nanos) {
    switch (result) {
      case SCHEDULED -> {
        scheduled.increment();
        attemptScheduled.record(nanos, TimeUnit.NANOSECONDS);
      }
      case UNSCHEDULABLE -> {
        unschedulable.increment();
        attemptUnschedulable.record(nanos, TimeUnit.NANOSECONDS);
      }
      default -> {
        error.increment();
        attemptError.record(nanos, TimeUnit.NANOSECONDS);
      }
    }
  }

  public void e2e(long nanos) {
    e2e.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void binding(long nanos) {
    binding.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void preemption(int victims) {
    preemptionAttempts.increment();
    preemptionVictims.record(victims);
  }

  public Timer attemptTimer(String result) {
    return switch (result) {
      case SCHEDULED -> attemptScheduled;
      case UNSCHEDULABLE -> attemptUnschedulable;
      default -> attemptError;
    };
  }

  public Timer bindingTimer() {
    return binding;
  }

  public Timer e2eTimer() {
    return e2e;
  }

  public double attempts(String result) {
    return switch (result) {
      case SCHEDULED -> scheduled.count();
      case UNSCHEDULABLE -> unschedulable.count();
      default -> error.count();
    };
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public String scrape() {
    return registry.scrape();
  }

  /** Serves GET /metrics (and /healthz) on the port; 0 picks a free one. Returns the bound port. */
  public int serve(int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 16);
    server.createContext(
        "/metrics",
        ex -> {
          byte[] body = scrape().getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
          }
        });
    server.createContext(
        "/healthz",
        ex -> {
          byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
          }
        });
    server.start();
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop(0);
    }
  }
}
