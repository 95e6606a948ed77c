package io.keelson.agent.pod;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PodStartTraceTest {
  static final long MS = 1_000_000L;

  @Test
  void phasesAreTheTimeBetweenFirstMarksInOrderAndAddUpToTheTotal() {
    PodStartTrace t = new PodStartTrace(1000 * MS);
    t.mark(PodStartTrace.QUEUED, 1002 * MS);
    t.mark(PodStartTrace.NETWORK, 1042 * MS);
    t.mark(PodStartTrace.QUEUED, 1050 * MS); // a later sync: the first mark counts
    t.mark(PodStartTrace.SANDBOX, 1050 * MS);
    t.mark(PodStartTrace.IMAGE, 1051 * MS);
    t.mark(PodStartTrace.CONTAINER, 1131 * MS);
    Duration total = t.finish(1133 * MS);

    assertThat(total).isEqualTo(Duration.ofMillis(133));
    assertThat(t.phases()).containsExactly(
        java.util.Map.entry("queued", Duration.ofMillis(2)),
        java.util.Map.entry("network", Duration.ofMillis(40)),
        java.util.Map.entry("sandbox", Duration.ofMillis(8)),
        java.util.Map.entry("image", Duration.ofMillis(1)),
        java.util.Map.entry("container", Duration.ofMillis(80)),
        java.util.Map.entry("status", Duration.ofMillis(2)));
    assertThat(t.phases().values().stream().mapToLong(Duration::toNanos).sum()).isEqualTo(total.toNanos());
  }

  @Test
  void finishesOnlyOnce() {
    PodStartTrace t = new PodStartTrace(0);
    assertThat(t.finish(5 * MS)).isEqualTo(Duration.ofMillis(5));
    assertThat(t.done()).isTrue();
    assertThat(t.finish(9 * MS)).isNull();
    t.mark(PodStartTrace.NETWORK, 10 * MS);
    assertThat(t.phases()).containsOnlyKeys("status");
  }
}
