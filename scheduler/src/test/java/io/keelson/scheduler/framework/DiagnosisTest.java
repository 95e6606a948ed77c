package io.keelson.scheduler.framework;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DiagnosisTest {
  @Test
  void kubernetesStyleMessage() {
    Diagnosis d = new Diagnosis();
    d.setTotalNodes(5);
    for (int i = 0; i < 3; i++) {
      d.record("cpu-" + i, Status.unschedulable("Insufficient cpu"));
    }
    for (int i = 0; i < 2; i++) {
      d.record("aff-" + i, Status.unresolvable("node(s) didn't match Pod's node affinity/selector"));
    }
    d.setPostFilterMessage("0/5 nodes are available: 5 No preemption victims found for incoming pod.");
    assertThat(d.message())
        .isEqualTo(
            "0/5 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, 3 Insufficient cpu."
                + " preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.");
  }

  @Test
  void noNodes() {
    Diagnosis d = new Diagnosis();
    assertThat(d.message()).isEqualTo("no nodes available to schedule pods");
  }
}
