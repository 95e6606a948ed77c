package io.keelson.agent.aot;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The AOT training workload must keep working: if it broke, ./keelson would quietly start the
 * hollow agent without its AOT cache (cold again). Runs it small, in this JVM (keytool key, the
 * in-memory api-server and NodeService, the real agent on the fake driver): every node registers,
 * every pod is reported Running, every deleted pod's termination is confirmed.
 */
class TrainingRunTest {
  @Test
  void trainingStartsAndDeletesEveryPod() throws Exception {
    TrainingRun.Outcome o = TrainingRun.train(5, 50, 60);
    assertThat(o.complete()).as(o.toString()).isTrue();
    assertThat(o.registered()).isEqualTo(5);
    assertThat(o.running()).isEqualTo(50);
    assertThat(o.deleted()).isEqualTo(10);
    assertThat(o.leaseRenewals()).isPositive();
  }
}
