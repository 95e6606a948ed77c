package io.keelson.scheduler.plugins.interpodaffinity;

import static io.keelson.scheduler.testing.Fixtures.info;
import static io.keelson.scheduler.testing.Fixtures.labelled;
import static io.keelson.scheduler.testing.Fixtures.node;
import static io.keelson.scheduler.testing.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.PodAffinityTermBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.Status;
import io.keelson.scheduler.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class InterPodAffinityTest {
  static PodAffinityTerm term(String app, String topologyKey) {
    return new PodAffinityTermBuilder()
        .withLabelSelector(new LabelSelectorBuilder().withMatchLabels(Map.of("app", app)).build())
        .withTopologyKey(topologyKey)
        .build();
  }

  static Affinity anti(String app, String key) {
    return new AffinityBuilder()
        .withNewPodAntiAffinity()
        .withRequiredDuringSchedulingIgnoredDuringExecution(term(app, key))
        .endPodAntiAffinity()
        .build();
  }

  static Affinity affinity(String app, String key) {
    return new AffinityBuilder()
        .withNewPodAffinity()
        .withRequiredDuringSchedulingIgnoredDuringExecution(term(app, key))
        .endPodAffinity()
        .build();
  }

  static Pod p(String name, String app, Affinity a) {
    Pod pod = labelled(pod(name, "100m", null), "app", app);
    return new PodBuilder(pod).editSpec().withAffinity(a).endSpec().build();
  }

  static final String HOST = "kubernetes.io/hostname";
  static final String ZONE = "topology.kubernetes.io/zone";

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("no affinity anywhere", p("new", "x", null), List.of(), "n1 n2 n3"),
        Arguments.of(
            "anti-affinity avoids the web node", p("new", "web", anti("web", HOST)), List.of(), "n2 n3 | n1=node(s) didn't match pod anti-affinity rules"),
        Arguments.of(
            "anti-affinity per zone", p("new", "web", anti("web", ZONE)), List.of(), "n3 | n1=node(s) didn't match pod anti-affinity rules n2=node(s) didn't match pod anti-affinity rules"),
        Arguments.of("affinity follows web", p("new", "x", affinity("web", HOST)), List.of(), "n1 | n2=node(s) didn't match pod affinity rules n3=node(s) didn't match pod affinity rules"),
        Arguments.of("affinity per zone", p("new", "x", affinity("web", ZONE)), List.of(), "n1 n2 | n3=node(s) didn't match pod affinity rules"),
        Arguments.of(
            "affinity to nobody fails", p("new", "x", affinity("db", HOST)), List.of(),
            "| n1=node(s) didn't match pod affinity rules n2=node(s) didn't match pod affinity rules n3=node(s) didn't match pod affinity rules"),
        Arguments.of("first pod of a self-affine group may go anywhere", p("new", "db", affinity("db", HOST)), List.of(), "n1 n2 n3"),
        Arguments.of(
            "existing pod's anti-affinity keeps the newcomer away",
            p("new", "batch", null),
            List.of(p("guard", "g", anti("batch", HOST))),
            "n2 n3 | n1=node(s) didn't satisfy existing pods anti-affinity rules"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void filter(String name, Pod incoming, List<Pod> extraOnN1, String want) {
    NodeInfo n1 = NodeInfo.of(node("n1", "4", "8Gi", "110", Map.of(ZONE, "a")), info(p("web-1", "web", null)));
    for (Pod e : extraOnN1) {
      n1.addPod(info(e));
    }
    NodeInfo n2 = NodeInfo.of(node("n2", "4", "8Gi", "110", Map.of(ZONE, "a")));
    NodeInfo n3 = NodeInfo.of(node("n3", "4", "8Gi", "110", Map.of(ZONE, "b")));
    var h = Fixtures.handle(List.of(n1, n2, n3));
    var plugin = new InterPodAffinity(h);
    PodInfo pod = info(incoming);
    CycleState st = new CycleState();
    Status pre = plugin.preFilter(st, pod);
    List<String> fit = new ArrayList<>();
    TreeMap<String, String> rejected = new TreeMap<>();
    for (NodeInfo n : List.of(n1, n2, n3)) {
      Status s = pre.isSkip() ? Status.SUCCESS : plugin.filter(st, pod, n);
      if (s.isSuccess()) {
        fit.add(n.name());
      } else {
        rejected.put(n.name(), s.message());
      }
    }
    StringBuilder got = new StringBuilder(String.join(" ", fit));
    if (!rejected.isEmpty()) {
      got.append(fit.isEmpty() ? "|" : " |");
      rejected.forEach((k, v) -> got.append(' ').append(k).append('=').append(v));
    }
    assertThat(got.toString()).isEqualTo(want);
  }

  @Test
  void preferredAntiAffinityScoresAwayFromMatchingPods() {
    Affinity a =
        new AffinityBuilder()
            .withNewPodAntiAffinity()
            .addNewPreferredDuringSchedulingIgnoredDuringExecution()
            .withWeight(100)
            .withPodAffinityTerm(term("web", HOST))
            .endPreferredDuringSchedulingIgnoredDuringExecution()
            .endPodAntiAffinity()
            .build();
    NodeInfo n1 = NodeInfo.of(node("n1", "4", "8Gi"), info(p("web-1", "web", null)));
    NodeInfo n2 = NodeInfo.of(node("n2", "4", "8Gi"));
    var h = Fixtures.handle(List.of(n1, n2));
    var plugin = new InterPodAffinity(h);
    PodInfo pod = info(p("new", "web", a));
    CycleState st = new CycleState();
    assertThat(plugin.preScore(st, pod, List.of(n1, n2)).isSuccess()).isTrue();
    long[] s = {plugin.score(st, pod, n1), plugin.score(st, pod, n2)};
    plugin.normalizeScore(st, pod, s, 2);
    assertThat(s).containsExactly(0, 100);
  }
}
