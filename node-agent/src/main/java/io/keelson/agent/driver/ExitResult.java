package io.keelson.agent.driver;

import java.time.Instant;

/**
 * How a task ended (containerStatuses[].state.terminated).
 *
 * @param exitCode the process exit code; 128+n when killed by signal n (137 for SIGKILL)
 * @param reason Kubernetes reason: {@link #COMPLETED} (exit 0), {@link #ERROR} (non-zero), {@link
 *     #OOM_KILLED} (the memory limit killed it), or a driver-specific word
 * @param finishedAt when it ended
 * @param message optional detail for users (e.g. a VM's kernel panic line), may be null
 */
public record ExitResult(int exitCode, String reason, Instant finishedAt, String message) {

  public static final String COMPLETED = "Completed";
  public static final String ERROR = "Error";
  public static final String OOM_KILLED = "OOMKilled";

  /** The usual reason for an exit code when nothing more specific is known. */
  public static ExitResult of(int exitCode, Instant finishedAt) {
    return new ExitResult(exitCode, exitCode == 0 ? COMPLETED : ERROR, finishedAt, null);
  }

  public boolean succeeded() {
    return exitCode == 0;
  }
}
