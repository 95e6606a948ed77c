package io.keelson.cli.output;

import tools.jackson.databind.JsonNode;

/** The one-word pod status kubectl shows (Running, ContainerCreating, CrashLoopBackOff, ...). */
public final class PodStatus {
  private PodStatus() {}

  public static String of(JsonNode pod) {
    JsonNode status = pod.path("status");
    String reason = status.path("phase").asString("Pending");
    if (status.hasNonNull("reason")) {
      reason = status.get("reason").asString();
    }
    boolean running = false;
    for (JsonNode cs : status.path("containerStatuses")) {
      JsonNode state = cs.path("state");
      if (state.path("waiting").hasNonNull("reason")) {
        reason = state.path("waiting").path("reason").asString();
      } else if (state.has("terminated")) {
        JsonNode t = state.get("terminated");
        reason = t.hasNonNull("reason") ? t.get("reason").asString() : "ExitCode:" + t.path("exitCode").asInt();
      } else if (state.has("running") && cs.path("ready").asBoolean(false)) {
        running = true;
      }
    }
    if (running && reason.equals("Completed")) {
      reason = "Running";
    }
    if (pod.path("metadata").hasNonNull("deletionTimestamp")) {
      reason = status.path("reason").asString("").equals("NodeLost") ? "Unknown" : "Terminating";
    }
    return reason;
  }

  public static String ready(JsonNode pod) {
    int total = pod.path("spec").path("containers").size();
    int ready = 0;
    for (JsonNode cs : pod.path("status").path("containerStatuses")) {
      if (cs.path("ready").asBoolean(false)) {
        ready++;
      }
    }
    return ready + "/" + total;
  }

  public static int restarts(JsonNode pod) {
    int n = 0;
    for (JsonNode cs : pod.path("status").path("containerStatuses")) {
      n += cs.path("restartCount").asInt(0);
    }
    return n;
  }

  public static boolean isReady(JsonNode pod) {
    for (JsonNode c : pod.path("status").path("conditions")) {
      if ("Ready".equals(c.path("type").asString("")) && "True".equals(c.path("status").asString(""))) {
        return true;
      }
    }
    return false;
  }
}
