package io.keelson.scheduler.plugins.runtimeclass;

import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.FilterPlugin;
import io.keelson.scheduler.framework.Handle;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.Plugin;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.PreFilterPlugin;
import io.keelson.scheduler.framework.Status;
import java.util.HashMap;
import java.util.Map;

/**
 * A pod's spec.runtimeClassName restricts it to nodes that can run that runtime: the RuntimeClass's
 * scheduling.nodeSelector must match, and the {@code vm} handler always needs a node labelled
 * {@code keelson.io/runtime.vm=true} (set by agents whose qemu driver is fingerprinted healthy).
 * Built-in fallbacks cover {@code runc} and {@code vm} when no RuntimeClass object exists; any
 * other unknown name leaves the pod unschedulable.
 */
public final class RuntimeClassFit implements PreFilterPlugin, FilterPlugin {
  public static final String NAME = "RuntimeClass";
  public static final String VM_LABEL = "keelson.io/runtime.vm";
  public static final String REASON_NOT_FOUND_FMT = "pod's RuntimeClass \"%s\" not found";
  public static final String REASON_NODE_SELECTOR_FMT = "node(s) didn't match the node selector of RuntimeClass \"%s\"";
  public static final Plugin.Factory FACTORY = RuntimeClassFit::new;

  private static final String STATE_KEY = "PreFilter" + NAME;

  private final Handle handle;

  public RuntimeClassFit(Handle handle) {
    this.handle = handle;
  }

  private record Selector(Map<String, String> labels, Status reject) implements CycleState.Data {
    @Override
    public CycleState.Data copy() {
      return this;
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Status preFilter(CycleState state, PodInfo pod) {
    String rcName = pod.runtimeClassName();
    if (rcName == null || rcName.isEmpty()) {
      return Status.SKIP;
    }
    RuntimeClass rc = handle.runtimeClass(rcName);
    Map<String, String> selector = new HashMap<>();
    String handler;
    if (rc != null) {
      handler = rc.getHandler();
      if (rc.getScheduling() != null && rc.getScheduling().getNodeSelector() != null) {
        selector.putAll(rc.getScheduling().getNodeSelector());
      }
    } else if ("runc".equals(rcName) || "vm".equals(rcName)) {
      handler = rcName;
    } else {
      return Status.unresolvable(String.format(REASON_NOT_FOUND_FMT, rcName));
    }
    if ("vm".equals(handler)) {
      selector.put(VM_LABEL, "true");
    }
    if (selector.isEmpty()) {
      return Status.SKIP;
    }
    state.write(STATE_KEY, new Selector(selector, Status.unresolvable(String.format(REASON_NODE_SELECTOR_FMT, rcName))));
    return Status.SUCCESS;
  }

  @Override
  public Status filter(CycleState state, PodInfo pod, NodeInfo node) {
    Selector s = state.read(STATE_KEY);
    if (s == null) {
      return Status.SUCCESS;
    }
    for (Map.Entry<String, String> e : s.labels.entrySet()) {
      if (!e.getValue().equals(node.labels().get(e.getKey()))) {
        return s.reject;
      }
    }
    return Status.SUCCESS;
  }
}
