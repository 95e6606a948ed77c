package io.keelson.agent.metrics;

import com.sun.net.httpserver.HttpServer;
import io.keelson.agent.pod.PodStartRecorder;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's Micrometer meters and a small HTTP endpoint serving them in Prometheus text format
 * ({@code --metrics-port}): how long pods take to start on this node ({@code
 * keelson_agent_pod_start_seconds}, assignment received → first Running status, and {@code
 * keelson_agent_pod_start_phase_seconds{phase}} for where that time went), how many pods the
 * agent runs, the process's resident memory and the JVM's memory pools.
 */
public final class AgentMetrics implements PodStartRecorder, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentMetrics.class);
  private static final Path PROC_STATUS = Path.of("/proc/self/status");

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Timer podStart;
  private final Map<String, Timer> phases = new ConcurrentHashMap<>();
  private final boolean logEachPod;
  private HttpServer server;

  /**
   * @param pods how many pods the agent's workers currently hold (all nodes of the process)
   * @param logEachPod log one line per started pod (real nodes; hollow agents start thousands)
   */
  public AgentMetrics(Supplier<Number> pods, boolean logEachPod) {
    this.logEachPod = logEachPod;
    podStart =
        Timer.builder("keelson.agent.pod.start")
            .description("Time from a pod's assignment arriving at the agent to its first Running status")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(5))
            .maximumExpectedValue(Duration.ofMinutes(5))
            .register(registry);
    Gauge.builder("keelson.agent.pods", pods, s -> s.get().doubleValue())
        .description("Pods held by the agent's pod workers")
        .strongReference(true) // the supplier is a lambda nobody else holds
        .register(registry);
    Gauge.builder("process.resident.memory", PROC_STATUS, AgentMetrics::residentBytes)
        .description("Resident set size of the agent process (VmRSS)")
        .baseUnit(BaseUnits.BYTES)
        .register(registry);
    new JvmMemoryMetrics().bindTo(registry);
  }

  /** A further gauge, e.g. the pod networks set up ahead of pods ({@code keelson.agent.network.pool.ready}). */
  public void gauge(String name, String description, Supplier<Number> value) {
    Gauge.builder(name, value, s -> s.get().doubleValue()).description(description).strongReference(true).register(registry);
  }

  @Override
  public void podStarted(String namespace, String name, Duration total, Map<String, Duration> phaseTimes) {
    podStart.record(total);
    phaseTimes.forEach((phase, d) -> phases.computeIfAbsent(phase, this::phaseTimer).record(d));
    if (logEachPod) {
      StringBuilder sb = new StringBuilder();
      phaseTimes.forEach((phase, d) -> sb.append(sb.isEmpty() ? "" : ", ").append(phase).append(' ').append(d.toMillis()));
      log.info("pod {}/{} Running {} ms after its assignment arrived ({} ms)", namespace, name, total.toMillis(), sb);
    }
  }

  private Timer phaseTimer(String phase) {
    return Timer.builder("keelson.agent.pod.start.phase")
        .description("Where a pod's start time went, per phase (queued, network, sandbox, image, container, status)")
        .tag("phase", phase)
        .register(registry);
  }

  /** VmRSS of this process in bytes; NaN where /proc is not available. */
  static double residentBytes(Path procStatus) {
    try {
      for (String line : Files.readAllLines(procStatus)) {
        if (line.startsWith("VmRSS:")) {
          String[] f = line.substring(6).trim().split("\\s+");
          return Long.parseLong(f[0]) * 1024.0; // always kB
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or /proc not mounted
    }
    return Double.NaN;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public String scrape() {
    return registry.scrape();
  }

  /** Serves GET /metrics on address:port (0 picks a free port); returns the bound port. */
  public int serve(String address, int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress(address, port), 16);
    server.createContext("/metrics", ex -> {
      byte[] body = scrape().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
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
