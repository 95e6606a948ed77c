package io.keelson.scheduler.framework;

/** Writes the placement to the API; SKIP lets the next Bind plugin handle the pod. */
public interface BindPlugin extends Plugin {
  Status bind(CycleState state, PodInfo pod, String nodeName);
}
