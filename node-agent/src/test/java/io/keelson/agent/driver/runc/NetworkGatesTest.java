package io.keelson.agent.driver.runc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gate's hook ({@code grep -q ready FIFO}, run for real) against every order of network outcome and hook start. */
class NetworkGatesTest {

  private static final Path GREP = Path.of("/usr/bin/grep");
  private static final Path MKFIFO = Path.of("/usr/bin/mkfifo");

  @TempDir Path dir;

  private static Process hook(NetworkGates.Gate gate) throws Exception {
    return new ProcessBuilder(gate.hook()).redirectErrorStream(true).start();
  }

  /** The hook's exit code, or -1 if it was still waiting after 10 s (runc would wait its 300 s timeout). */
  private static int exitOf(Process p) throws Exception {
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }

  @Test
  void aNetworkThatFailedBeforeTheHookRanFailsItAtOnce() throws Exception {
    NetworkGates gates = NetworkGates.create(dir, GREP, MKFIFO);
    CompletableFuture<Void> network = new CompletableFuture<>();
    NetworkGates.Gate gate = gates.open(network);
    network.completeExceptionally(new IllegalStateException("bridge ADD failed"));
    assertThat(exitOf(hook(gate))).as("the hook exits with failure instead of waiting for a writer").isPositive();
    gate.close(false);
  }

  @Test
  void aNetworkThatFailsWhileTheHookWaitsFailsIt() throws Exception {
    NetworkGates gates = NetworkGates.create(dir, GREP, MKFIFO);
    CompletableFuture<Void> network = new CompletableFuture<>();
    NetworkGates.Gate gate = gates.open(network);
    Process p = hook(gate);
    Thread.sleep(300);
    assertThat(p.isAlive()).as("the hook waits while the network is being set up").isTrue();
    network.completeExceptionally(new IllegalStateException("bridge ADD failed"));
    assertThat(exitOf(p)).isEqualTo(1);
    gate.close(false);
  }

  @Test
  void aReadyNetworkLetsTheHookPassBeforeOrAfterItStarts() throws Exception {
    NetworkGates gates = NetworkGates.create(dir, GREP, MKFIFO);
    CompletableFuture<Void> early = new CompletableFuture<>();
    NetworkGates.Gate before = gates.open(early);
    early.complete(null);
    assertThat(exitOf(hook(before))).isZero();
    before.close(true);

    CompletableFuture<Void> late = new CompletableFuture<>();
    NetworkGates.Gate after = gates.open(late);
    Process p = hook(after);
    Thread.sleep(300);
    late.complete(null);
    assertThat(exitOf(p)).isZero();
    after.close(true);
    try (var left = Files.list(dir)) {
      assertThat(left.count()).as("FIFOs of successful starts stay for reuse").isPositive();
    }
  }
}
