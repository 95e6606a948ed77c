package io.keelson.scheduler.aot;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The objects of the scheduler's AOT training, in the JSON shapes the real api-server sends
 * (managedFields, defaulted specs, the agent's Running status): hollow-like nodes (every tenth
 * tainted) and pending pods (some with topology spread or node affinity, some that no node fits).
 */
final class TrainingObjects {
  private TrainingObjects() {}

  /** A hollow node as the agent registers it. */
  static String node(int i) {
    String name = "training-" + i;
    String ts = "2026-01-01T00:00:00Z";
    String cond = "{\"lastHeartbeatTime\":\"" + ts + "\",\"lastTransitionTime\":\"" + ts + "\",";
    return "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"labels\":{\"kubernetes.io/hostname\":\"" + name
        + "\",\"kubernetes.io/os\":\"linux\",\"kubernetes.io/arch\":\"amd64\",\"keelson.io/hollow\":\"true\"},\"name\":\"" + name
        + "\",\"uid\":\"" + UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)) + "\",\"creationTimestamp\":\"" + ts
        + "\",\"managedFields\":[{\"manager\":\"keelson-agent\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"time\":\"" + ts
        + "\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:keelson.io/hollow\":{},\"f:kubernetes.io/hostname\":{}}},\"f:spec\":{}}}]},"
        + "\"spec\":" + (i % 10 == 0 ? "{\"taints\":[{\"key\":\"training/dedicated\",\"value\":\"x\",\"effect\":\"NoSchedule\"}]}" : "{}") + ","
        + "\"status\":{\"addresses\":[{\"address\":\"127.0.0.1\",\"type\":\"InternalIP\"},{\"address\":\"" + name + "\",\"type\":\"Hostname\"}],"
        + "\"allocatable\":{\"cpu\":\"2000m\",\"memory\":\"24731708Ki\",\"pods\":\"110\",\"ephemeral-storage\":\"264212084Ki\"},"
        + "\"capacity\":{\"cpu\":\"2\",\"memory\":\"24731708Ki\",\"pods\":\"110\",\"ephemeral-storage\":\"264212084Ki\"},"
        + "\"conditions\":[" + cond + "\"message\":\"ok\",\"reason\":\"KubeletHasSufficientMemory\",\"status\":\"False\",\"type\":\"MemoryPressure\"},"
        + cond + "\"message\":\"ok\",\"reason\":\"KubeletReady\",\"status\":\"True\",\"type\":\"Ready\"}],"
        + "\"nodeInfo\":{\"architecture\":\"amd64\",\"containerRuntimeVersion\":\"keelson://fake\",\"kubeletVersion\":\"v1.32.4-keelson\",\"operatingSystem\":\"linux\"}}}";
  }

  private static final String MANAGED_FIELDS =
      "\"managedFields\":[{\"manager\":\"kubectl-create\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"time\":\"2026-01-01T00:00:00Z\","
          + "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}},\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":"
          + "{\".\":{},\"f:image\":{},\"f:name\":{},\"f:resources\":{\"f:requests\":{\".\":{},\"f:cpu\":{},\"f:memory\":{}}}}},\"f:dnsPolicy\":{},\"f:restartPolicy\":{}}}}]";

  /** A pending pod as the api-server returns it after defaulting and admission. */
  private static String pod(int n, String cpu) {
    String name = "train-" + n;
    String spread = n % 7 == 0
        ? ",\"topologySpreadConstraints\":[{\"maxSkew\":5,\"topologyKey\":\"kubernetes.io/hostname\",\"whenUnsatisfiable\":\"ScheduleAnyway\",\"labelSelector\":{\"matchLabels\":{\"app\":\"spread\"}}}]"
        : "";
    String affinity = n % 11 == 0
        ? ",\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"kubernetes.io/os\",\"operator\":\"In\",\"values\":[\"linux\"]}]}]}}}"
        : "";
    return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\",\"labels\":{\"app\":\"" + (n % 7 == 0 ? "spread" : "train")
        + "\"},\"namespace\":\"training\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\",\"generation\":1,"
        + MANAGED_FIELDS + "},"
        + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"keelson.local/busybox:latest\",\"resources\":{\"requests\":{\"cpu\":\"" + cpu
        + "\",\"memory\":\"16Mi\"}},\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":\"IfNotPresent\"}],"
        + "\"restartPolicy\":\"Always\",\"dnsPolicy\":\"ClusterFirst\",\"schedulerName\":\"default-scheduler\",\"terminationGracePeriodSeconds\":30,"
        + "\"securityContext\":{},\"enableServiceLinks\":true,\"serviceAccountName\":\"default\",\"serviceAccount\":\"default\","
        + "\"preemptionPolicy\":\"PreemptLowerPriority\",\"priority\":0,"
        + "\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300},"
        + "{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}]"
        + spread + affinity + "},\"status\":{\"phase\":\"Pending\",\"qosClass\":\"Burstable\"}}";
  }

  /** A pending pod; an unschedulable one requests more CPU than any node has. */
  static String pendingPod(int n, boolean unschedulable) {
    return pod(n, unschedulable ? "5000" : "10m");
  }

  /** The status the agent reports for a started pod. */
  static String runningStatus(int n, String uid) {
    String ts = "2026-01-01T00:00:01Z";
    return "{\"phase\":\"Running\",\"conditions\":[{\"type\":\"PodReadyToStartContainers\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"},"
        + "{\"type\":\"Initialized\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"},{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"},"
        + "{\"type\":\"ContainersReady\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"},{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastTransitionTime\":\"" + ts + "\"}],"
        + "\"hostIP\":\"127.0.0.1\",\"hostIPs\":[{\"ip\":\"127.0.0.1\"}],\"podIP\":\"10.88.0." + (n % 250 + 2) + "\",\"startTime\":\"" + ts + "\","
        + "\"containerStatuses\":[{\"name\":\"c\",\"state\":{\"running\":{\"startedAt\":\"" + ts + "\"}},\"ready\":true,\"restartCount\":0,"
        + "\"image\":\"keelson.local/busybox:latest\",\"imageID\":\"sha256:0000\",\"containerID\":\"fake://" + uid + "\",\"started\":true}],\"qosClass\":\"Burstable\"}";
  }
}
