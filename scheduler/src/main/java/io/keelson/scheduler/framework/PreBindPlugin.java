package io.keelson.scheduler.framework;

/** Runs in the binding cycle (a binder thread) before Bind, e.g. to provision volumes. */
public interface PreBindPlugin extends Plugin {
  Status preBind(CycleState state, PodInfo pod, String nodeName);
}
