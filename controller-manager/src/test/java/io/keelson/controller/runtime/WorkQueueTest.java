package io.keelson.controller.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class WorkQueueTest {

  @Test
  void aKeyAddedManyTimesIsQueuedOnce() throws Exception {
    WorkQueue q = new WorkQueue("t");
    q.add("default/a");
    q.add("default/a");
    q.add("default/b");
    q.add("default/a");
    assertThat(q.depth()).isEqualTo(2);
    assertThat(q.take()).isEqualTo("default/a");
    assertThat(q.take()).isEqualTo("default/b");
    assertThat(q.depth()).isZero();
    q.shutdown();
  }

  @Test
  void aKeyBeingProcessedIsNotHandedOutAgainUntilDone() throws Exception {
    WorkQueue q = new WorkQueue("t");
    q.add("k");
    String k = q.take();
    q.add("k"); // changed while a worker holds it
    assertThat(q.depth()).as("held back while processing").isZero();
    q.done(k);
    assertThat(q.depth()).as("re-queued once done").isEqualTo(1);
    assertThat(q.take()).isEqualTo("k");
    q.done("k");
    assertThat(q.depth()).isZero();
    q.shutdown();
  }

  @Test
  void backoffDoublesPerItemUpToTheMaximumAndForgetResetsIt() {
    WorkQueue q = new WorkQueue("t", Duration.ofMillis(5), Duration.ofMillis(100));
    record Row(int failure, long expectedMillis) {}
    List<Row> table = List.of(new Row(1, 5), new Row(2, 10), new Row(3, 20), new Row(4, 40), new Row(5, 80), new Row(6, 100), new Row(7, 100));
    for (Row r : table) assertThat(q.nextBackoff("x").toMillis()).as("failure %d", r.failure()).isEqualTo(r.expectedMillis());
    assertThat(q.nextBackoff("other").toMillis()).as("per item").isEqualTo(5);
    q.forget("x");
    assertThat(q.nextBackoff("x").toMillis()).isEqualTo(5);
    q.shutdown();
  }

  @Test
  void addAfterDeliversLater() throws Exception {
    WorkQueue q = new WorkQueue("t");
    long start = System.nanoTime();
    q.addAfter("late", Duration.ofMillis(150));
    assertThat(q.depth()).isZero();
    assertThat(q.take()).isEqualTo("late");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(140));
    q.shutdown();
  }

  @Test
  void repeatedDelayedAddsOfOneKeyCollapseIntoTheEarliest() throws Exception {
    WorkQueue q = new WorkQueue("t");
    q.addAfter("n", Duration.ofMillis(300));
    q.addAfter("n", Duration.ofMillis(100)); // earlier wins
    q.addAfter("n", Duration.ofMillis(200)); // covered by the 100 ms one
    assertThat(q.take()).isEqualTo("n");
    q.done("n");
    Thread.sleep(400);
    assertThat(q.depth()).as("no stale duplicates arrive later").isZero();
    q.shutdown();
  }

  @Test
  void controllerRetriesAFailingKeyWithBackoffAndCountsResults() {
    var metrics = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    List<String> calls = new CopyOnWriteArrayList<>();
    Controller c =
        new Controller(
            "flaky",
            key -> {
              calls.add(key);
              if (calls.size() < 3) throw new IllegalStateException("not yet");
              return Result.noUpdate();
            },
            2,
            metrics);
    c.start();
    c.enqueue("ns/x");
    await().atMost(Duration.ofSeconds(5)).until(() -> calls.size() == 3);
    assertThat(new ArrayList<>(calls)).containsOnly("ns/x");
    assertThat(metrics.counter("keelson_controller_reconciles", "controller", "flaky", "result", "error").count()).isEqualTo(2);
    assertThat(metrics.counter("keelson_controller_reconciles", "controller", "flaky", "result", "success").count()).isEqualTo(1);
    c.stop();
  }
}
