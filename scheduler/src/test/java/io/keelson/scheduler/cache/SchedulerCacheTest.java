package io.keelson.scheduler.cache;

import static io.keelson.scheduler.testing.Fixtures.node;
import static io.keelson.scheduler.testing.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.scheduler.framework.PodInfo;
import org.junit.jupiter.api.Test;

class SchedulerCacheTest {
  @Test
  void assumedPodCountsUntilForgotten() {
    SchedulerCache c = new SchedulerCache();
    c.addOrUpdateNode(node("n1", "4", "8Gi"));
    Snapshot s = new Snapshot();
    c.updateSnapshot(s);
    assertThat(s.get("n1").requested().milliCpu).isZero();

    PodInfo p = PodInfo.of(pod("p", "1", null).build());
    c.assumePod(p, "n1");
    c.updateSnapshot(s);
    assertThat(s.get("n1").requested().milliCpu).isEqualTo(1000);
    assertThat(c.isAssumed(p.uid())).isTrue();

    c.forgetPod(p);
    c.updateSnapshot(s);
    assertThat(s.get("n1").requested().milliCpu).isZero();
  }

  @Test
  void informerConfirmsAnAssumedPodWithoutDoubleCounting() {
    SchedulerCache c = new SchedulerCache();
    c.addOrUpdateNode(node("n1", "4", "8Gi"));
    PodInfo p = PodInfo.of(pod("p", "1", null).build());
    c.assumePod(p, "n1");
    c.addOrUpdatePod(p, "n1");
    Snapshot s = new Snapshot();
    c.updateSnapshot(s);
    assertThat(s.get("n1").pods()).hasSize(1);
    assertThat(s.get("n1").requested().milliCpu).isEqualTo(1000);
    assertThat(c.isAssumed(p.uid())).isFalse();
    c.forgetPod(p); // a late forget must not drop a confirmed pod
    c.updateSnapshot(s);
    assertThat(s.get("n1").pods()).hasSize(1);
  }

  @Test
  void snapshotCopiesAreIndependentOfLaterChanges() {
    SchedulerCache c = new SchedulerCache();
    c.addOrUpdateNode(node("n1", "4", "8Gi"));
    Snapshot s = new Snapshot();
    c.updateSnapshot(s);
    var before = s.get("n1");
    c.addOrUpdatePod(PodInfo.of(pod("p", "1", null).build()), "n1");
    assertThat(before.pods()).isEmpty();
    c.updateSnapshot(s);
    assertThat(s.get("n1").pods()).hasSize(1);
  }

  @Test
  void podsSeenBeforeTheirNodeAndNodeRemoval() {
    SchedulerCache c = new SchedulerCache();
    c.addOrUpdatePod(PodInfo.of(pod("p", "1", null).build()), "n1");
    Snapshot s = new Snapshot();
    c.updateSnapshot(s);
    assertThat(s.size()).as("no Node object yet").isZero();
    c.addOrUpdateNode(node("n1", "4", "8Gi"));
    c.updateSnapshot(s);
    assertThat(s.get("n1").requested().milliCpu).isEqualTo(1000);
    c.removeNode("n1");
    c.updateSnapshot(s);
    assertThat(s.size()).isZero();
    assertThat(s.list()).isEmpty();
  }
}
