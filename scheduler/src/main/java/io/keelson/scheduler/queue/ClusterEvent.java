package io.keelson.scheduler.queue;

/** Cluster changes that can make an unschedulable pod schedulable; they requeue the pool. */
public enum ClusterEvent {
  NODE_ADD,
  NODE_UPDATE,
  ASSIGNED_POD_DELETE,
  ASSIGNED_POD_UPDATE,
  PRIORITY_CLASS_CHANGE,
  RUNTIME_CLASS_CHANGE,
  STORAGE_CHANGE,
  UNSCHEDULABLE_TIMEOUT
}
