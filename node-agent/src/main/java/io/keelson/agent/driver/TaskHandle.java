package io.keelson.agent.driver;

import java.time.Instant;

/**
 * A started task. The agent persists the whole record and hands it back to {@link
 * WorkloadDriver#recoverTask} after a restart.
 *
 * @param id the task id from {@link TaskConfig#taskId()}
 * @param sandboxId the sandbox the task runs in
 * @param driver the driver's {@link WorkloadDriver#name()}
 * @param startedAt when the process started (containerStatuses[].state.running.startedAt)
 * @param driverState opaque JSON owned by the driver (pid, cgroup path, ...)
 */
public record TaskHandle(
    String id, String sandboxId, String driver, Instant startedAt, String driverState) {}
