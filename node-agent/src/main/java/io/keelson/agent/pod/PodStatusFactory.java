package io.keelson.agent.pod;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateRunning;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.keelson.agent.driver.ExitResult;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/**
 * Small helpers to build the parts of a v1 PodStatus the way the kubelet fills them. With setters,
 * not fabric8's builders: a builder copies every nested object it is given and again when built,
 * and a hollow agent builds these for thousands of pods.
 */
final class PodStatusFactory {
  private PodStatusFactory() {}

  static String time(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  static PodCondition condition(String type, boolean status, Instant since, String reason) {
    PodCondition c = new PodCondition();
    c.setType(type);
    c.setStatus(status ? "True" : "False");
    c.setLastTransitionTime(time(since));
    c.setReason(status ? null : reason);
    return c;
  }

  static ContainerState terminated(ExitResult exit, Instant startedAt, String containerId) {
    ContainerStateTerminated t = new ContainerStateTerminated();
    t.setExitCode(exit.exitCode());
    t.setReason(exit.reason());
    t.setMessage(exit.message());
    t.setStartedAt(time(startedAt));
    t.setFinishedAt(time(exit.finishedAt()));
    t.setContainerID(containerId);
    ContainerState s = new ContainerState();
    s.setTerminated(t);
    return s;
  }

  static ContainerState waiting(String reason, String message) {
    ContainerStateWaiting w = new ContainerStateWaiting();
    w.setReason(reason);
    w.setMessage(message);
    ContainerState s = new ContainerState();
    s.setWaiting(w);
    return s;
  }

  static ContainerState running(Instant startedAt) {
    ContainerStateRunning r = new ContainerStateRunning();
    r.setStartedAt(time(startedAt));
    ContainerState s = new ContainerState();
    s.setRunning(r);
    return s;
  }

  static ContainerStatus status(
      Container spec, ContainerRun run, String scheme, ContainerState state, ContainerState last, boolean ready) {
    String id = run.task == null ? null : scheme + "://" + run.task.id();
    ContainerStatus s = new ContainerStatus();
    s.setName(spec.getName());
    s.setImage(spec.getImage());
    s.setImageID(run.imageId == null ? "" : run.imageId);
    s.setContainerID(id);
    s.setReady(ready);
    s.setStarted(run.running() ? run.started : Boolean.FALSE);
    s.setRestartCount(run.restartCount);
    s.setState(state);
    s.setLastState(last == null ? new ContainerState() : last);
    return s;
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
