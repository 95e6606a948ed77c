package io.keelson.agent.pod;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.keelson.agent.driver.ExitResult;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/** Small helpers to build the parts of a v1 PodStatus the way the kubelet fills them. */
final class PodStatusFactory {
  private PodStatusFactory() {}

  static String time(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  static PodCondition condition(String type, boolean status, Instant since, String reason) {
    return new PodConditionBuilder()
        .withType(type)
        .withStatus(status ? "True" : "False")
        .withLastTransitionTime(time(since))
        .withReason(status ? null : reason)
        .build();
  }

  static ContainerState terminated(ExitResult exit, Instant startedAt, String containerId) {
    return new ContainerStateBuilder()
        .withNewTerminated()
        .withExitCode(exit.exitCode())
        .withReason(exit.reason())
        .withMessage(exit.message())
        .withStartedAt(time(startedAt))
        .withFinishedAt(time(exit.finishedAt()))
        .withContainerID(containerId)
        .endTerminated()
        .build();
  }

  static ContainerState waiting(String reason, String message) {
    return new ContainerStateBuilder().withNewWaiting().withReason(reason).withMessage(message).endWaiting().build();
  }

  static ContainerState running(Instant startedAt) {
    return new ContainerStateBuilder().withNewRunning().withStartedAt(time(startedAt)).endRunning().build();
  }

  static ContainerStatus status(
      Container spec, ContainerRun run, String scheme, ContainerState state, ContainerState last, boolean ready) {
    String id = run.task == null ? null : scheme + "://" + run.task.id();
    return new ContainerStatusBuilder()
        .withName(spec.getName())
        .withImage(spec.getImage())
        .withImageID(run.imageId == null ? "" : run.imageId)
        .withContainerID(id)
        .withReady(ready)
        .withStarted(run.running() ? run.started : Boolean.FALSE)
        .withRestartCount(run.restartCount)
        .withState(state)
        .withLastState(last == null ? new ContainerState() : last)
        .build();
  }

  /** Guaranteed / Burstable / BestEffort from the containers' requests and limits. */
  static String qosClass(Pod pod) {
    boolean any = false;
    boolean guaranteed = true;
    List<Container> all = new java.util.ArrayList<>(pod.getSpec().getContainers());
    if (pod.getSpec().getInitContainers() != null) {
      all.addAll(pod.getSpec().getInitContainers());
    }
    for (Container c : all) {
      var r = c.getResources();
      Map<String, Quantity> req = r == null || r.getRequests() == null ? Map.of() : r.getRequests();
      Map<String, Quantity> lim = r == null || r.getLimits() == null ? Map.of() : r.getLimits();
      if (!req.isEmpty() || !lim.isEmpty()) {
        any = true;
      }
      for (String res : List.of("cpu", "memory")) {
        Quantity l = lim.get(res);
        Quantity q = req.containsKey(res) ? req.get(res) : l;
        if (l == null || q == null || Quantity.getAmountInBytes(l).compareTo(Quantity.getAmountInBytes(q)) != 0) {
          guaranteed = false;
        }
      }
    }
    if (!any) {
      return "BestEffort";
    }
    return guaranteed ? "Guaranteed" : "Burstable";
  }
}
