package io.keelson.scheduler.framework;

/** Reserve claims resources for the chosen node; Unreserve must be idempotent. */
public interface ReservePlugin extends Plugin {
  Status reserve(CycleState state, PodInfo pod, String nodeName);

  void unreserve(CycleState state, PodInfo pod, String nodeName);
}
