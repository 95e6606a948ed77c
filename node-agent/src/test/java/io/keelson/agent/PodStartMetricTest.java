package io.keelson.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.keelson.agent.harness.AgentHarness;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pod's first start is timed once, from its assignment to Running, with every phase (fake driver). */
class PodStartMetricTest {
  @TempDir Path stateDir;

  @Test
  void runningPodIsCountedOnceWithItsPhases() throws Exception {
    AgentHarness h = AgentHarness.start(stateDir);
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> h.controlPlane.leases().containsKey("node-1"));
      Pod p = h.controlPlane.apply(AgentTest.pod("timed").build());
      await().atMost(Duration.ofSeconds(10)).until(() -> h.controlPlane.status(p) != null
          && "Running".equals(h.controlPlane.status(p).getPhase()));
      // a later update of the same pod must not count it again
      h.controlPlane.apply(AgentTest.pod("timed")
          .editMetadata().withUid(p.getMetadata().getUid()).addToLabels("x", "y").endMetadata().build());

      await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
          assertThat(h.agent.metrics().scrape())
              .contains("keelson_agent_pod_start_seconds_count 1")
              .contains("keelson_agent_pods 1"));
      String scrape = h.agent.metrics().scrape();
      for (String phase : new String[] {"queued", "network", "sandbox", "image", "container", "status"}) {
        assertThat(scrape).contains("keelson_agent_pod_start_phase_seconds_count{phase=\"" + phase + "\"} 1");
      }
    } finally {
      h.close();
      h.controlPlane.close();
    }
  }
}
