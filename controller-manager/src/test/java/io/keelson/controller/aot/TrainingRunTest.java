package io.keelson.controller.aot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The AOT training workload must keep working: if it broke, ./keelson would quietly start the
 * controller-manager without its AOT cache (cold again). Runs it small, in this JVM (TLS key from
 * keytool, the in-memory api-server, the real controllers) and checks that it went through every
 * phase: bare pods started, the Deployment's pods created and rolled out, the DaemonSet's pods,
 * and the garbage collector's deletes.
 */
class TrainingRunTest {
  @Test
  void trainingGoesThroughEveryPhase() throws Exception {
    PrintStream out = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      code = TrainingRun.run(10, 80, 90);
    } finally {
      System.setOut(out);
    }
    String report = captured.toString(StandardCharsets.UTF_8);
    out.print(report);
    assertThat(code).isZero();
    assertThat(report).contains("aot training done: 10 nodes").doesNotContain(" 0 deleted");
    // 40 bare pods; the Deployment's 20 replicas, twice (the rollout), and 10 DaemonSet pods are the controllers'
    Matcher m = Pattern.compile("pods created \\((\\d+) by the controllers\\)").matcher(report);
    assertThat(m.find()).as(report).isTrue();
    assertThat(Integer.parseInt(m.group(1))).isGreaterThanOrEqualTo(50);
  }
}
