package io.keelson.scheduler.framework;

/** Outcome class of a plugin call, mirroring kube-scheduler's status codes. */
public enum Code {
  SUCCESS,
  /** Unexpected failure: the pod goes to back-off, not to the unschedulable pool. */
  ERROR,
  /** The pod does not fit now; preemption may help. */
  UNSCHEDULABLE,
  /** The pod does not fit and preempting pods on this node cannot change that. */
  UNSCHEDULABLE_AND_UNRESOLVABLE,
  /** The plugin has nothing to do for this pod (PreFilter/PreScore); its Filter/Score are skipped. */
  SKIP
}
