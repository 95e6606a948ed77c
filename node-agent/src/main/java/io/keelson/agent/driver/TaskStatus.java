package io.keelson.agent.driver;

import java.time.Instant;

/**
 * What {@link WorkloadDriver#inspectTask} sees now.
 *
 * @param state lifecycle state
 * @param pid host pid of the task's main process (for a VM task, the qemu pid), 0 if unknown
 * @param startedAt when it started, null if it never did
 * @param exit set when {@code state == EXITED}, else null
 */
public record TaskStatus(State state, long pid, Instant startedAt, ExitResult exit) {

  public enum State {
    /** Created but the process has not started yet. */
    CREATED,
    RUNNING,
    EXITED,
    /** The driver lost track of it (e.g. its state files are gone). */
    UNKNOWN
  }
}
