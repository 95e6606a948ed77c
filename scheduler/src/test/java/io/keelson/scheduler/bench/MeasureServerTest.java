package io.keelson.scheduler.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The measuring JVM that serves several runs answers each request in turn and stops when told. */
class MeasureServerTest {
  @TempDir Path dir;

  static void request(Path dir, int n, String... args) throws Exception {
    Path tmp = dir.resolve(n + ".tmp");
    Files.writeString(tmp, String.join("\n", args) + "\n");
    Files.move(tmp, dir.resolve(n + ".args"));
  }

  static String awaitDone(Path dir, int n) throws Exception {
    Path done = dir.resolve(n + ".done");
    for (int i = 0; i < 200 && !Files.exists(done); i++) Thread.sleep(50);
    return Files.readString(done).trim();
  }

  @Test
  void answersRequestsInOrderWithTheirExitCodesThenStops() throws Exception {
    CompletableFuture<Integer> server = CompletableFuture.supplyAsync(() ->
        new CommandLine(new SchedulerBenchmark.MeasureServer()).execute("--dir", dir.toString(), "--timeout", "60"));
    // the second request arrives first: the server still answers 1 before 2
    request(dir, 2, "--kubeconfig", dir.resolve("missing-kubeconfig").toString(), "--pods", "1", "--timeout", "1");
    Thread.sleep(200);
    assertThat(dir.resolve("2.done")).doesNotExist();
    request(dir, 1, "--pods", "1"); // no --kubeconfig: a usage error
    assertThat(awaitDone(dir, 1)).isEqualTo("2");
    assertThat(dir.resolve("1.out")).exists();
    // an unreadable kubeconfig: that run fails, the server goes on
    assertThat(awaitDone(dir, 2)).isNotEqualTo("0");
    Files.writeString(dir.resolve("stop"), "");
    assertThat(server.get(10, TimeUnit.SECONDS)).isZero();
  }
}
