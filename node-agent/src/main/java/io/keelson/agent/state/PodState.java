package io.keelson.agent.state;

import io.keelson.agent.driver.ExitResult;
import io.keelson.agent.driver.SandboxHandle;
import io.keelson.agent.driver.TaskHandle;
import java.time.Instant;
import java.util.List;

/**
 * What the agent persists per pod so that a restarted agent re-attaches to running workloads
 * instead of starting them again, keeps restart counts and last states, and can clean up pods that
 * were deleted while it was down.
 *
 * @param nodeName which of the agent's nodes runs it
 * @param driver the driver name the pod runs on
 * @param sandbox null until the sandbox exists
 * @param terminal the pod reached Succeeded/Failed and its sandbox was released
 */
public record PodState(
    String uid,
    String namespace,
    String name,
    String nodeName,
    String driver,
    SandboxHandle sandbox,
    String podIp,
    Instant startTime,
    boolean terminal,
    List<ContainerState> containers) {

  public PodState {
    containers = containers == null ? List.of() : List.copyOf(containers);
  }

  /**
   * One container's attempts.
   *
   * @param task the current attempt (running or exited), null before the first start
   * @param exit how the current attempt ended, null while it runs
   * @param lastTermination how the previous attempt ended (containerStatuses[].lastState)
   * @param lastTaskId id of the previous attempt
   * @param logPath the current attempt's log file
   * @param previousLogPath the previous attempt's log file (kubectl logs --previous)
   */
  public record ContainerState(
      String name,
      boolean init,
      int restartCount,
      TaskHandle task,
      ExitResult exit,
      ExitResult lastTermination,
      String lastTaskId,
      Instant lastStartedAt,
      String logPath,
      String previousLogPath,
      String imageId) {}
}
