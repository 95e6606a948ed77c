package io.keelson.agent.node;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.keelson.agent.driver.Fingerprint;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the Node object an agent registers: capacity and allocatable (capacity minus the system
 * reservation), addresses, nodeInfo, the kubelet endpoint port, the Ready condition and the labels
 * (hostname/os/arch plus every driver fingerprint attribute).
 */
public final class NodeFactory {
  public static final String VERSION = "v1.32.4-keelson";
  public static final int MAX_PODS = 110;

  private final NodeResources resources;
  private final long reservedCpuMillis;
  private final long reservedMemoryBytes;

  public NodeFactory(NodeResources resources, long reservedCpuMillis, long reservedMemoryBytes) {
    this.resources = resources;
    this.reservedCpuMillis = reservedCpuMillis;
    this.reservedMemoryBytes = reservedMemoryBytes;
  }

  /**
   * @param runtimes driver name to its fingerprint (e.g. runc, qemu); unhealthy drivers still
   *     contribute their attributes (e.g. keelson.io/runtime.vm=false)
   * @param extraLabels e.g. keelson.io/hollow=true
   */
  public Node build(
      String nodeName,
      String address,
      int agentPort,
      Map<String, Fingerprint> runtimes,
      Map<String, String> extraLabels) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("kubernetes.io/hostname", nodeName);
    labels.put("kubernetes.io/os", "linux");
    labels.put("kubernetes.io/arch", resources.architecture());
    labels.put("beta.kubernetes.io/os", "linux");
    labels.put("beta.kubernetes.io/arch", resources.architecture());
    runtimes.values().forEach(f -> labels.putAll(f.attributes()));
    labels.putAll(extraLabels);

    long cpuMillis = resources.cpus() * 1000L;
    Map<String, Quantity> capacity = new LinkedHashMap<>();
    capacity.put("cpu", new Quantity(String.valueOf(resources.cpus())));
    capacity.put("memory", new Quantity(resources.memoryBytes() / 1024 + "Ki"));
    capacity.put("pods", new Quantity(String.valueOf(MAX_PODS)));
    capacity.put("ephemeral-storage", new Quantity(resources.ephemeralStorageBytes() / 1024 + "Ki"));
    Map<String, Quantity> allocatable = new LinkedHashMap<>();
    allocatable.put("cpu", new Quantity(Math.max(0, cpuMillis - reservedCpuMillis) + "m"));
    allocatable.put(
        "memory", new Quantity(Math.max(0, resources.memoryBytes() - reservedMemoryBytes) / 1024 + "Ki"));
    allocatable.put("pods", new Quantity(String.valueOf(MAX_PODS)));
    allocatable.put("ephemeral-storage", new Quantity(resources.ephemeralStorageBytes() / 1024 + "Ki"));

    List<String> runtimeVersions = new ArrayList<>();
    runtimes.forEach((name, f) -> runtimeVersions.add(name));
    return new NodeBuilder()
        .withNewMetadata()
        .withName(nodeName)
        .withLabels(labels)
        .endMetadata()
        .withNewStatus()
        .withCapacity(capacity)
        .withAllocatable(allocatable)
        .addNewAddress()
        .withType("InternalIP")
        .withAddress(address)
        .endAddress()
        .addNewAddress()
        .withType("Hostname")
        .withAddress(nodeName)
        .endAddress()
        .withNewDaemonEndpoints()
        .withNewKubeletEndpoint()
        .withPort(agentPort)
        .endKubeletEndpoint()
        .endDaemonEndpoints()
        .withNewNodeInfo()
        .withArchitecture(resources.architecture())
        .withOperatingSystem("linux")
        .withOsImage(resources.osImage())
        .withKernelVersion(resources.kernelVersion())
        .withContainerRuntimeVersion("keelson://" + String.join(",", runtimeVersions))
        .withKubeletVersion(VERSION)
        .withKubeProxyVersion("")
        .withMachineID(resources.machineId())
        .withBootID(resources.bootId())
        .withSystemUUID(resources.machineId())
        .endNodeInfo()
        .withConditions(conditions(runtimes))
        .endStatus()
        .build();
  }

  /** Ready (with which runtimes are healthy) and the pressure conditions kubectl describe shows. */
  public static List<NodeCondition> conditions(Map<String, Fingerprint> runtimes) {
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    boolean anyHealthy = runtimes.values().stream().anyMatch(Fingerprint::healthy);
    StringBuilder msg = new StringBuilder("keelson agent is posting ready status");
    runtimes.forEach(
        (name, f) -> {
          if (!f.healthy()) {
            msg.append("; runtime ").append(name).append(" unavailable: ").append(f.healthDescription());
          }
        });
    List<NodeCondition> conditions = new ArrayList<>();
    for (String[] c :
        new String[][] {
          {"MemoryPressure", "KubeletHasSufficientMemory", "agent has sufficient memory available"},
          {"DiskPressure", "KubeletHasNoDiskPressure", "agent has no disk pressure"},
          {"PIDPressure", "KubeletHasSufficientPID", "agent has sufficient PID available"}
        }) {
      conditions.add(condition(c[0], "False", c[1], c[2], now));
    }
    conditions.add(
        condition(
            "Ready",
            anyHealthy ? "True" : "False",
            anyHealthy ? "KubeletReady" : "KubeletNotReady",
            anyHealthy ? msg.toString() : "no healthy runtime: " + msg,
            now));
    return conditions;
  }

  private static NodeCondition condition(String type, String status, String reason, String message, String now) {
    return new NodeConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(message)
        .withLastHeartbeatTime(now)
        .withLastTransitionTime(now)
        .build();
  }
}
