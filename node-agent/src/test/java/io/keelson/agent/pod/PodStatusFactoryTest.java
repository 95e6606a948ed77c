package io.keelson.agent.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.keelson.agent.driver.ExitResult;
import io.keelson.agent.driver.TaskHandle;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The status parts come out as fabric8's builders made them (the same objects, so the same JSON). */
class PodStatusFactoryTest {
  private static final Instant T0 = Instant.parse("2026-11-27T04:32:12.345Z");

  @Test
  void conditionsAreWhatTheBuilderMade() {
    assertThat(PodStatusFactory.condition("Ready", false, T0, "ContainersNotReady"))
        .isEqualTo(new PodConditionBuilder().withType("Ready").withStatus("False")
            .withLastTransitionTime("2026-11-27T04:32:12Z").withReason("ContainersNotReady").build());
    assertThat(PodStatusFactory.condition("Ready", true, T0, "ContainersNotReady"))
        .isEqualTo(new PodConditionBuilder().withType("Ready").withStatus("True")
            .withLastTransitionTime("2026-11-27T04:32:12Z").build());
  }

  @Test
  void statesAreWhatTheBuilderMade() {
    ExitResult exit = new ExitResult(1, "Error", T0.plusSeconds(5), "boom");
    assertThat(PodStatusFactory.terminated(exit, T0, "fake://x"))
        .isEqualTo(new ContainerStateBuilder().withNewTerminated().withExitCode(1).withReason("Error").withMessage("boom")
            .withStartedAt("2026-11-27T04:32:12Z").withFinishedAt("2026-11-27T04:32:17Z").withContainerID("fake://x")
            .endTerminated().build());
    assertThat(PodStatusFactory.waiting("CrashLoopBackOff", "back-off"))
        .isEqualTo(new ContainerStateBuilder().withNewWaiting().withReason("CrashLoopBackOff").withMessage("back-off")
            .endWaiting().build());
    assertThat(PodStatusFactory.running(T0))
        .isEqualTo(new ContainerStateBuilder().withNewRunning().withStartedAt("2026-11-27T04:32:12Z").endRunning().build());
  }

  @Test
  void containerStatusIsWhatTheBuilderMade() {
    ContainerRun run = new ContainerRun("c", false);
    run.task = new TaskHandle("t1", "s1", "fake", T0, "{}");
    run.started = true;
    run.restartCount = 2;
    run.imageId = "sha256:1";
    ContainerState state = PodStatusFactory.running(T0);
    assertThat(PodStatusFactory.status(new ContainerBuilder().withName("c").withImage("busybox").build(), run, "fake",
            state, null, true))
        .isEqualTo(new ContainerStatusBuilder().withName("c").withImage("busybox").withImageID("sha256:1")
            .withContainerID("fake://t1").withReady(true).withStarted(true).withRestartCount(2).withState(state)
            .withLastState(new ContainerState()).build());
  }
}
