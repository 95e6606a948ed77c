package io.keelson.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentMetricsTest {
  @TempDir Path dir;

  @Test
  void servesPodStartLatencyPhasesPodCountAndMemoryInPrometheusFormat() throws Exception {
    try (AgentMetrics m = new AgentMetrics(() -> 3, false)) {
      Map<String, Duration> phases = new LinkedHashMap<>();
      phases.put("network", Duration.ofMillis(40));
      phases.put("container", Duration.ofMillis(80));
      m.podStarted("default", "a", Duration.ofMillis(120), phases);
      m.podStarted("default", "b", Duration.ofMillis(200), Map.of("network", Duration.ofMillis(10)));
      int port = m.serve("127.0.0.1", 0);

      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body())
          .contains("keelson_agent_pod_start_seconds_count 2")
          .contains("keelson_agent_pod_start_seconds_sum 0.32")
          .contains("keelson_agent_pod_start_seconds_bucket{le=")
          .contains("keelson_agent_pod_start_phase_seconds_sum{phase=\"network\"} 0.05")
          .contains("keelson_agent_pod_start_phase_seconds_count{phase=\"container\"} 1")
          .contains("keelson_agent_pods 3")
          .contains("process_resident_memory_bytes")
          .contains("jvm_memory_used_bytes{area=\"heap\"");
    }
  }

  @Test
  void residentMemoryIsVmRssInBytes() throws Exception {
    Path status = dir.resolve("status");
    Files.writeString(status, "Name:\tjava\nVmPeak:\t 9999 kB\nVmRSS:\t  204800 kB\nThreads:\t40\n");
    assertThat(AgentMetrics.residentBytes(status)).isEqualTo(200.0 * 1024 * 1024);
    assertThat(AgentMetrics.residentBytes(dir.resolve("missing"))).isNaN();
  }
}
