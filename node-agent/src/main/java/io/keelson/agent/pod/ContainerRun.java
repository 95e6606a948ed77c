package io.keelson.agent.pod;

import io.keelson.agent.driver.ExitResult;
import io.keelson.agent.driver.TaskHandle;
import io.keelson.agent.state.PodState;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * One container of a pod as the worker tracks it: the current attempt (task), how the previous one
 * ended, restart back-off and probe results. Only the pod's worker thread mutates it, except
 * {@link #ready}/{@link #started}/{@link #exitSeen} which probes and exit callbacks set.
 */
final class ContainerRun {
  final String name;
  final boolean init;
  int restartCount;
  TaskHandle task;
  ExitResult exit;
  ExitResult lastTermination;
  String lastTaskId;
  Instant lastStartedAt;
  Path logPath;
  Path previousLogPath;
  String imageId;

  // not persisted
  volatile ExitResult exitSeen;
  volatile boolean ready;
  volatile boolean started;
  String waitingReason;
  String waitingMessage;
  Instant restartNotBefore;
  Duration restartDelay;
  Instant pullNotBefore;
  Duration pullDelay;
  boolean everRan;

  ContainerRun(String name, boolean init) {
    this.name = name;
    this.init = init;
  }

  static ContainerRun from(PodState.ContainerState s) {
    ContainerRun r = new ContainerRun(s.name(), s.init());
    r.restartCount = s.restartCount();
    r.task = s.task();
    r.exit = s.exit();
    r.lastTermination = s.lastTermination();
    r.lastTaskId = s.lastTaskId();
    r.lastStartedAt = s.lastStartedAt();
    r.logPath = s.logPath() == null ? null : Path.of(s.logPath());
    r.previousLogPath = s.previousLogPath() == null ? null : Path.of(s.previousLogPath());
    r.imageId = s.imageId();
    r.everRan = r.task != null;
    return r;
  }

  PodState.ContainerState toState() {
    return new PodState.ContainerState(
        name,
        init,
        restartCount,
        task,
        exit,
        lastTermination,
        lastTaskId,
        lastStartedAt,
        logPath == null ? null : logPath.toString(),
        previousLogPath == null ? null : previousLogPath.toString(),
        imageId);
  }

  boolean running() {
    return task != null && exit == null;
  }

  boolean exited() {
    return task != null && exit != null;
  }

  boolean succeeded() {
    return exited() && exit.exitCode() == 0;
  }
}
