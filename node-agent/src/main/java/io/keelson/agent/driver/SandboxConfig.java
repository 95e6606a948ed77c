package io.keelson.agent.driver;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Everything a driver needs to create a pod's sandbox (CRI's {@code PodSandboxConfig}).
 *
 * @param sandboxId stable id chosen by the agent (unique per pod incarnation), used in paths and as
 *     cgroup name; safe as a file name
 * @param podUid metadata.uid
 * @param namespace metadata.namespace
 * @param name metadata.name
 * @param hostname the pod's hostname (spec.hostname or the pod name); null with a null network for
 *     {@code hostNetwork: true} pods, which share the host's hostname (UTS namespace) as well
 * @param network the pod network, or null for {@code hostNetwork: true} pods (share the host's); for a
 *     driver that {@linkplain WorkloadDriver#startsBeforeNetworkReady() starts before the network is
 *     ready}, possibly one with only its namespace path set (ip null) until {@code networkReady}
 * @param cpuMillis cpu limit for the whole pod (sum of container limits + RuntimeClass overhead); 0 =
 *     unlimited. A VM sizes its vCPUs from it (at least one).
 * @param memoryBytes memory limit for the whole pod; 0 = unlimited. A VM sizes its RAM from it (with a
 *     driver default when 0).
 * @param labels pod labels
 * @param annotations pod annotations (drivers may honour keelson.io/* tuning annotations)
 * @param volumes the pod's volumes by name, already materialised as host directories (emptyDir,
 *     hostPath, configMap, secret); tasks refer to them through {@link TaskConfig#mounts()}
 * @param logDir the pod's log directory (driver-side logs such as a VM console go here)
 * @param stateDir a private directory of the agent's state dir for this sandbox; the driver may keep
 *     files there (sockets, overlay upper dirs); the agent deletes it after destroySandbox
 * @param networkReady completes with the finished pod network (null for hostNetwork) once it is set
 *     up, or exceptionally with why it could not be; already complete unless the driver {@linkplain
 *     WorkloadDriver#startsBeforeNetworkReady() starts before the network is ready}
 */
public record SandboxConfig(
    String sandboxId,
    String podUid,
    String namespace,
    String name,
    String hostname,
    PodNetwork network,
    long cpuMillis,
    long memoryBytes,
    Map<String, String> labels,
    Map<String, String> annotations,
    Map<String, Path> volumes,
    Path logDir,
    Path stateDir,
    CompletableFuture<PodNetwork> networkReady) {

  /** A sandbox whose network (if any) is set up already. */
  public SandboxConfig(
      String sandboxId, String podUid, String namespace, String name, String hostname, PodNetwork network,
      long cpuMillis, long memoryBytes, Map<String, String> labels, Map<String, String> annotations,
      Map<String, Path> volumes, Path logDir, Path stateDir) {
    this(sandboxId, podUid, namespace, name, hostname, network, cpuMillis, memoryBytes, labels, annotations, volumes,
        logDir, stateDir, CompletableFuture.completedFuture(network));
  }

  public SandboxConfig {
    networkReady = networkReady == null ? CompletableFuture.completedFuture(network) : networkReady;
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
    volumes = Map.copyOf(volumes);
  }
}
