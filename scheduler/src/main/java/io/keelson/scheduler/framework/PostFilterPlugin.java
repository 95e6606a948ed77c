package io.keelson.scheduler.framework;

/** Runs when no node fits (e.g. preemption); may nominate a node for the pod. */
public interface PostFilterPlugin extends Plugin {
  /** Result: the nominated node (null if none) and a message for the FailedScheduling event. */
  record Result(String nominatedNode, Status status) {}

  Result postFilter(CycleState state, PodInfo pod, Diagnosis diagnosis);
}
