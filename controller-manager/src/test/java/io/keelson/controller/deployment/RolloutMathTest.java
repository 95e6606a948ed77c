package io.keelson.controller.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RolloutMathTest {

  static IntOrString v(String s) {
    return s == null ? null : s.endsWith("%") ? new IntOrString(s) : new IntOrString(Integer.parseInt(s));
  }

  static Stream<Arguments> fenceposts() {
    return Stream.of(
        // maxSurge, maxUnavailable, desired -> surge, unavailable
        Arguments.of("25%", "25%", 3, 1, 0), // surge rounds up, unavailable down
        Arguments.of("25%", "25%", 4, 1, 1),
        Arguments.of("25%", "25%", 10, 3, 2),
        Arguments.of(null, null, 10, 3, 2), // defaults are 25%/25%
        Arguments.of("1", "0", 3, 1, 0),
        Arguments.of("0", "0", 3, 0, 1), // never both zero
        Arguments.of("0%", "0%", 5, 0, 1),
        Arguments.of("50%", "50%", 5, 3, 2),
        Arguments.of("100%", "0", 7, 7, 0),
        Arguments.of("10%", "10%", 1, 1, 0),
        Arguments.of("2", "3", 0, 2, 3));
  }

  @ParameterizedTest(name = "surge={0} unavailable={1} of {2} -> {3}/{4}")
  @MethodSource("fenceposts")
  void resolveFenceposts(String surge, String unavailable, int desired, int wantSurge, int wantUnavailable) {
    assertThat(RolloutMath.resolveFenceposts(v(surge), v(unavailable), desired)).containsExactly(wantSurge, wantUnavailable);
  }

  static Deployment rolling(int replicas, String surge, String unavailable) {
    return new DeploymentBuilder()
        .withNewMetadata().withName("web").withNamespace("default").endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withNewStrategy().withType("RollingUpdate")
        .withNewRollingUpdate().withMaxSurge(v(surge)).withMaxUnavailable(v(unavailable)).endRollingUpdate()
        .endStrategy()
        .endSpec()
        .build();
  }

  static ReplicaSet rs(String name, int replicas, Integer maxReplicasAnnotation) {
    var b = new ReplicaSetBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
        .withNewSpec().withReplicas(replicas).endSpec();
    ReplicaSet r = b.build();
    if (maxReplicasAnnotation != null) {
      r.getMetadata().setAnnotations(new java.util.HashMap<>(java.util.Map.of(Revisions.MAX_REPLICAS, maxReplicasAnnotation.toString())));
    }
    return r;
  }

  static Stream<Arguments> newReplicas() {
    return Stream.of(
        // replicas, surge, unavailable, new RS size, old RS sizes -> new size
        Arguments.of(3, "1", "0", 0, List.of(3), 1), // maxUnavailable 0: grow by the surge only
        Arguments.of(3, "1", "0", 1, List.of(3), 1), // at 4 = max total: wait
        Arguments.of(3, "1", "0", 1, List.of(2), 2),
        Arguments.of(10, "25%", "25%", 0, List.of(10), 3),
        Arguments.of(10, "25%", "25%", 3, List.of(8), 5),
        Arguments.of(3, "100%", "0", 0, List.of(3), 3),
        Arguments.of(3, "5", "0", 0, List.of(3), 3)); // never above desired
  }

  @ParameterizedTest(name = "{0} replicas surge {1}: new {3} old {4} -> {5}")
  @MethodSource("newReplicas")
  void newReplicaSetGrowsWithinMaxSurge(int replicas, String surge, String unavailable, int newSize, List<Integer> olds, int want) {
    Deployment d = rolling(replicas, surge, unavailable);
    ReplicaSet newRS = rs("new", newSize, null);
    List<ReplicaSet> all = new ArrayList<>();
    for (int i = 0; i < olds.size(); i++) all.add(rs("old" + i, olds.get(i), null));
    all.add(newRS);
    assertThat(RolloutMath.newRSNewReplicas(d, all, newRS)).isEqualTo(want);
  }

  static Stream<Arguments> proportions() {
    return Stream.of(
        // new deployment replicas (surge 1), rs size, its max-replicas annotation, toAdd, added -> share
        Arguments.of(20, 5, 13, 10, 0, 3), // 5 * (20+1) / 13 = 8.08 -> 8: +3
        Arguments.of(20, 5, 13, 2, 0, 2), // capped by what is left to add
        Arguments.of(5, 6, 13, -6, 0, -3), // 6 * (5+1) / 13 = 2.77 -> 3: -3
        Arguments.of(5, 6, 13, -2, 0, -2), // capped by what is left to remove
        Arguments.of(0, 4, 10, -4, 0, -4), // scaling to zero removes everything
        Arguments.of(20, 0, 13, 10, 0, 0), // an empty ReplicaSet gets nothing
        Arguments.of(20, 5, 13, 10, 10, 0)); // nothing left to add
  }

  @ParameterizedTest(name = "to {0}: rs {1} of {2}, toAdd {3} added {4} -> {5}")
  @MethodSource("proportions")
  void proportionalScaling(int replicas, int rsSize, int annotated, int toAdd, int added, int want) {
    Deployment d = rolling(replicas, "1", "0");
    assertThat(RolloutMath.proportion(rs("a", rsSize, annotated), d, toAdd, added)).isEqualTo(want);
  }
}
