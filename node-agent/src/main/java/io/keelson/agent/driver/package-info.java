/**
 * The driver SPI: {@link io.keelson.agent.driver.WorkloadDriver} and the value types that cross it.
 *
 * <p>Everything a driver receives is already resolved by the agent: image layers are pulled and
 * unpacked by the image store, the pod network is set up by the network component (a network
 * namespace with an IP), volumes are materialised as host directories, the argv is computed from
 * the image config and the container spec, and log file paths are chosen by the agent. A driver
 * only turns that into a running sandbox (network namespace holder or VM) and tasks (container
 * processes), and reports back through handles whose {@code driverState} the agent persists in its
 * state directory so that workloads survive an agent restart.
 *
 * <p>Conventions: sizes in bytes, cpu in millicores, durations as {@link java.time.Duration},
 * instants as {@link java.time.Instant}; a 0 limit means "unlimited"; collections are never null.
 */
package io.keelson.agent.driver;
