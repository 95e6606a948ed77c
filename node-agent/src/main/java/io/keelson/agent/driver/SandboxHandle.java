package io.keelson.agent.driver;

/**
 * A started sandbox. The agent persists the whole record in its state directory and hands it back
 * to {@link WorkloadDriver#recoverSandbox} after a restart.
 *
 * @param id the sandbox id from {@link SandboxConfig#sandboxId()}
 * @param driver the driver's {@link WorkloadDriver#name()}
 * @param driverState opaque JSON owned by the driver (pids, socket paths, ...); the agent never
 *     interprets it
 */
public record SandboxHandle(String id, String driver, String driverState) {}
