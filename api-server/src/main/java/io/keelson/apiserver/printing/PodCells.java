package io.keelson.apiserver.printing;

import java.time.Instant;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * The READY, STATUS and RESTARTS of a pod the way kubectl shows them: STATUS is the most telling
 * reason among phase, init containers ("Init:0/1", "Init:CrashLoopBackOff"), containers
 * ("ContainerCreating", "CrashLoopBackOff", "OOMKilled", "Completed", "ExitCode:1") and deletion
 * ("Terminating"); RESTARTS adds how long ago the last restart was ("2 (5s ago)").
 */
record PodCells(String ready, String status, String restarts) {

  static PodCells of(JsonNode pod, Instant now) {
    List<JsonNode> specInit = Fields.list(pod, "spec.initContainers");
    int total = Fields.list(pod, "spec.containers").size();
    int ready = 0;
    long restarts = 0;
    Instant lastRestart = null;

    String reason = Fields.str(pod, "status.phase");
    if (!Fields.str(pod, "status.reason").isEmpty()) reason = Fields.str(pod, "status.reason");
    for (JsonNode c : Fields.list(pod, "status.conditions")) {
      if (Fields.str(c, "type").equals("PodScheduled") && Fields.str(c, "reason").equals("SchedulingGated")) {
        reason = "SchedulingGated";
      }
    }

    // Init containers run in order; the first one that is not done decides the status.
    boolean initializing = false;
    List<JsonNode> initStatuses = Fields.list(pod, "status.initContainerStatuses");
    for (int i = 0; i < initStatuses.size(); i++) {
      JsonNode cs = initStatuses.get(i);
      restarts += Fields.num(cs, "restartCount");
      lastRestart = later(lastRestart, Ages.parse(Fields.str(cs, "lastState.terminated.finishedAt")));
      boolean sidecar = i < specInit.size() && Fields.str(specInit.get(i), "restartPolicy").equals("Always");
      if (sidecar) {
        total++;
        if (Fields.bool(cs, "ready")) ready++;
      }
      JsonNode terminated = Fields.at(cs, "state.terminated");
      String waitingReason = Fields.str(cs, "state.waiting.reason");
      if (terminated.isObject() && Fields.num(terminated, "exitCode") == 0) continue;
      if (sidecar && Fields.bool(cs, "started")) continue;
      initializing = true;
      if (terminated.isObject()) {
        String r = Fields.str(terminated, "reason");
        if (r.isEmpty()) {
          long signal = Fields.num(terminated, "signal");
          r = signal != 0 ? "Signal:" + signal : "ExitCode:" + Fields.num(terminated, "exitCode");
        }
        reason = "Init:" + r;
      } else if (!waitingReason.isEmpty() && !waitingReason.equals("PodInitializing")) {
        reason = "Init:" + waitingReason;
      } else {
        reason = "Init:" + i + "/" + specInit.size();
      }
      break;
    }

    if (!initializing || podCondition(pod, "Initialized")) {
      boolean hasRunning = false;
      List<JsonNode> statuses = Fields.list(pod, "status.containerStatuses");
      // Later containers win, like kubectl: iterate from the last one.
      for (int i = statuses.size() - 1; i >= 0; i--) {
        JsonNode cs = statuses.get(i);
        restarts += Fields.num(cs, "restartCount");
        lastRestart = later(lastRestart, Ages.parse(Fields.str(cs, "lastState.terminated.finishedAt")));
        String waitingReason = Fields.str(cs, "state.waiting.reason");
        JsonNode terminated = Fields.at(cs, "state.terminated");
        if (!waitingReason.isEmpty()) {
          reason = waitingReason;
        } else if (terminated.isObject() && !Fields.str(terminated, "reason").isEmpty()) {
          reason = Fields.str(terminated, "reason");
        } else if (terminated.isObject()) {
          long signal = Fields.num(terminated, "signal");
          reason = signal != 0 ? "Signal:" + signal : "ExitCode:" + Fields.num(terminated, "exitCode");
        } else if (Fields.bool(cs, "ready") && Fields.at(cs, "state.running").isObject()) {
          hasRunning = true;
          ready++;
        }
      }
      // A pod whose last container completed while another still runs is Running (or NotReady).
      if (reason.equals("Completed") && hasRunning) {
        reason = podCondition(pod, "Ready") ? "Running" : "NotReady";
      }
    }

    if (!Fields.str(pod, "metadata.deletionTimestamp").isEmpty()) {
      reason = Fields.str(pod, "status.reason").equals("NodeLost") ? "Unknown" : "Terminating";
    }
    if (reason.isEmpty()) reason = "Pending";

    String restartCell = String.valueOf(restarts);
    if (lastRestart != null && restarts > 0) {
      restartCell = restarts + " (" + Ages.human(java.time.Duration.between(lastRestart, now)) + " ago)";
    }
    return new PodCells(ready + "/" + total, reason, restartCell);
  }

  /** "&lt;none&gt;" or "passed/total" for spec.readinessGates. */
  static String readinessGates(JsonNode pod) {
    List<JsonNode> gates = Fields.list(pod, "spec.readinessGates");
    if (gates.isEmpty()) return "<none>";
    int passed = 0;
    for (JsonNode g : gates) {
      if (podCondition(pod, Fields.str(g, "conditionType"))) passed++;
    }
    return passed + "/" + gates.size();
  }

  private static boolean podCondition(JsonNode pod, String type) {
    for (JsonNode c : Fields.list(pod, "status.conditions")) {
      if (Fields.str(c, "type").equals(type)) return Fields.str(c, "status").equals("True");
    }
    return false;
  }

  private static Instant later(Instant a, Instant b) {
    if (a == null) return b;
    if (b == null) return a;
    return b.isAfter(a) ? b : a;
  }
}
