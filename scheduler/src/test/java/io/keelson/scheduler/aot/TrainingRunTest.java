package io.keelson.scheduler.aot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The AOT training workload must keep working: if it broke, ./keelson would quietly start the
 * scheduler without its AOT cache (cold again). Runs it small, in this JVM (TLS key from keytool,
 * in-process api-server, the real scheduler) and checks every pod that fits was bound.
 */
class TrainingRunTest {
  @Test
  void trainingBindsEveryPodThatFits() throws Exception {
    PrintStream out = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      code = TrainingRun.run(20, 200, 60);
    } finally {
      System.setOut(out);
    }
    String report = captured.toString(StandardCharsets.UTF_8);
    out.print(report);
    assertThat(code).isZero();
    // 200 pods, one of which no node fits (it is reported unschedulable instead)
    assertThat(report).contains("aot training done: 199/199 pods bound on 20 nodes").doesNotContain("0 unschedulable reported");
  }
}
