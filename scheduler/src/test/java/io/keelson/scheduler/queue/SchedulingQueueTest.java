package io.keelson.scheduler.queue;

import static io.keelson.scheduler.testing.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.scheduler.framework.PodInfo;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SchedulingQueueTest {
  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    final AtomicLong millis = new AtomicLong(1_000_000);

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }
  }

  static PodInfo p(String name, int priority) {
    return PodInfo.of(pod(name, "1", null).editSpec().withPriority(priority).endSpec().build());
  }

  @Test
  void popsHighestPriorityFirstThenFifo() throws Exception {
    SchedulingQueue q = new SchedulingQueue();
    q.add(p("a", 0));
    q.add(p("b", 10));
    q.add(p("c", 0));
    assertThat(q.pop(10).podInfo().name()).isEqualTo("b");
    assertThat(q.pop(10).podInfo().name()).isEqualTo("a");
    assertThat(q.pop(10).podInfo().name()).isEqualTo("c");
    assertThat(q.pop(10)).isNull();
  }

  @Test
  void unschedulablePodsWaitForAClusterEventThenBackOff() throws Exception {
    ManualClock clock = new ManualClock();
    SchedulingQueue q = new SchedulingQueue(clock);
    q.add(p("a", 0));
    QueuedPodInfo a = q.pop(10);
    q.requeueFailed(a, true);
    assertThat(q.depths()).isEqualTo(new SchedulingQueue.Depths(0, 0, 1));
    clock.millis.addAndGet(60_000);
    assertThat(q.pop(10)).as("no event, no retry").isNull();

    q.moveAllToActiveOrBackoff(ClusterEvent.NODE_ADD);
    assertThat(q.pop(10)).as("failed a minute ago: back-off (1 s) already over").isNotNull();
  }

  @Test
  void eventDuringTheCycleSendsTheFailedPodToBackoffNotToTheUnschedulablePool() throws Exception {
    ManualClock clock = new ManualClock();
    SchedulingQueue q = new SchedulingQueue(clock);
    q.add(p("a", 0));
    QueuedPodInfo a = q.pop(10);
    q.moveAllToActiveOrBackoff(ClusterEvent.NODE_ADD); // a node joined while we were filtering
    q.requeueFailed(a, true);
    assertThat(q.depths()).isEqualTo(new SchedulingQueue.Depths(0, 1, 0));
    assertThat(q.pop(10)).as("still backing off").isNull();
    clock.millis.addAndGet(SchedulingQueue.INITIAL_BACKOFF_MS);
    assertThat(q.pop(100).podInfo().name()).isEqualTo("a");
  }

  @Test
  void backoffDoublesUpToTheMaximum() throws Exception {
    ManualClock clock = new ManualClock();
    SchedulingQueue q = new SchedulingQueue(clock);
    q.add(p("a", 0));
    QueuedPodInfo a = q.pop(10);
    long[] waits = new long[6];
    for (int i = 0; i < waits.length; i++) {
      q.requeueFailed(a, false);
      long waited = 0;
      while ((a = q.pop(1)) == null) {
        clock.millis.addAndGet(500);
        waited += 500;
      }
      waits[i] = waited;
    }
    assertThat(waits).containsExactly(1000, 2000, 4000, 8000, 10000, 10000);
  }

  @Test
  void deletedPodsLeaveTheQueue() throws Exception {
    SchedulingQueue q = new SchedulingQueue();
    q.add(p("a", 0));
    q.delete("default/a");
    assertThat(q.pop(10)).isNull();
    assertThat(q.contains("default/a")).isFalse();
  }

  @Test
  void specChangeRetriesAnUnschedulablePodAtOnce() throws Exception {
    SchedulingQueue q = new SchedulingQueue();
    q.add(p("a", 0));
    q.requeueFailed(q.pop(10), true);
    q.update(p("a", 0), false);
    assertThat(q.pop(10)).as("status-only update: stays put").isNull();
    q.update(p("a", 5), true);
    assertThat(q.pop(10).podInfo().priority()).isEqualTo(5);
  }
}
