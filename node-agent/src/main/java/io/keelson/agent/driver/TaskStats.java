package io.keelson.agent.driver;

import java.time.Instant;

/**
 * Resource usage of a task (kubectl top, metrics.k8s.io).
 *
 * @param timestamp when it was sampled
 * @param cpuUsageNanos cumulative cpu time (cgroup cpu.stat usage_usec × 1000)
 * @param memoryWorkingSetBytes memory in use minus inactive file cache (what Kubernetes reports)
 */
public record TaskStats(Instant timestamp, long cpuUsageNanos, long memoryWorkingSetBytes) {}
