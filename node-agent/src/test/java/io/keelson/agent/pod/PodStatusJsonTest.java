package io.keelson.agent.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.HostIP;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.keelson.agent.driver.ExitResult;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The agent's status JSON is byte for byte what fabric8 writes for the same status. */
class PodStatusJsonTest {
  private static final Instant T0 = Instant.parse("2026-11-27T04:32:12.345Z");

  private static ContainerStatus container(String name, ContainerState state, ContainerState last, boolean ready) {
    return new ContainerStatusBuilder()
        .withName(name)
        .withImage("keelson.local/busybox:latest")
        .withImageID("")
        .withContainerID(ready ? "fake://" + name : null)
        .withReady(ready)
        .withStarted(ready)
        .withRestartCount(ready ? 0 : 3)
        .withState(state)
        .withLastState(last == null ? new ContainerState() : last)
        .build();
  }

  private static PodStatusBuilder base(String phase) {
    return new PodStatusBuilder()
        .withPhase(phase)
        .withConditions(
            PodStatusFactory.condition("PodReadyToStartContainers", true, T0, null),
            PodStatusFactory.condition("Initialized", true, T0, "ContainersNotInitialized"),
            PodStatusFactory.condition("Ready", false, T0, "ContainersNotReady"),
            new PodConditionBuilder().withType("X").withStatus("True").withMessage("m").withLastProbeTime("p")
                .withObservedGeneration(4L).build())
        .withHostIP("10.0.0.17")
        .withHostIPs(new HostIP("10.0.0.17"))
        .withStartTime(PodStatusFactory.time(T0))
        .withQosClass("Burstable");
  }

  @Test
  void runningHollowPodIsWrittenAsFabric8WritesIt() {
    PodStatus s = base("Running")
        .withContainerStatuses(container("c", PodStatusFactory.running(T0), null, true))
        .withPodIP("10.1.2.3")
        .withPodIPs(new PodIP("10.1.2.3"))
        .build();
    assertThat(PodStatusJson.covered(s)).isTrue();
    assertThat(PodStatusJson.write(s)).isEqualTo(Serialization.asJson(s));
  }

  @Test
  void waitingTerminatedInitAndOddStringsAreWrittenAsFabric8WritesThem() {
    ExitResult exit = new ExitResult(137, "Error", T0.plusSeconds(9), "killed \"hard\"\n\tby \\ signal ü \u0001 ☃");
    PodStatus s = base("Pending")
        .withInitContainerStatuses(
            container("init", PodStatusFactory.terminated(exit, T0, "fake://init"), null, false))
        .withContainerStatuses(
            container("a", PodStatusFactory.waiting("CrashLoopBackOff", "back-off 10s"),
                PodStatusFactory.terminated(exit, T0, "fake://a"), false),
            container("b", PodStatusFactory.waiting("ContainerCreating", null), null, false))
        .withMessage("sandbox failed: <&> 'quoted'")
        .withReason("SandboxFailed")
        .build();
    s.getContainerStatuses().get(0).getState().getWaiting();
    s.getInitContainerStatuses().get(0).getState().getTerminated().setSignal(9);
    assertThat(PodStatusJson.covered(s)).isTrue();
    assertThat(PodStatusJson.write(s)).isEqualTo(Serialization.asJson(s));
  }

  @Test
  void emptyStatusAndEmptyListsAreLeftOutAsFabric8LeavesThemOut() {
    PodStatus s = new PodStatusBuilder().withPhase("Pending").withContainerStatuses(List.of()).build();
    assertThat(PodStatusJson.write(s)).isEqualTo(Serialization.asJson(s)).isEqualTo("{\"phase\":\"Pending\"}");
    assertThat(PodStatusJson.write(new PodStatus())).isEqualTo(Serialization.asJson(new PodStatus()));
  }

  @Test
  void fieldsTheAgentNeverSetsGoThroughFabric8() {
    PodStatus s = base("Running").withNominatedNodeName("n1").build();
    assertThat(PodStatusJson.covered(s)).isFalse();
    assertThat(PodStatusJson.write(s)).isEqualTo(Serialization.asJson(s)).contains("\"nominatedNodeName\":\"n1\"");

    PodStatus extra = base("Running").withContainerStatuses(container("c", PodStatusFactory.running(T0), null, true)).build();
    extra.getContainerStatuses().get(0).setAllocatedResources(Map.of("cpu", new Quantity("10m")));
    assertThat(PodStatusJson.covered(extra)).isFalse();
    assertThat(PodStatusJson.write(extra)).isEqualTo(Serialization.asJson(extra)).contains("allocatedResources");

    PodStatus unknown = base("Running").build();
    unknown.setAdditionalProperty("future", "x");
    assertThat(PodStatusJson.covered(unknown)).isFalse();
    assertThat(PodStatusJson.write(unknown)).isEqualTo(Serialization.asJson(unknown));
  }
}
