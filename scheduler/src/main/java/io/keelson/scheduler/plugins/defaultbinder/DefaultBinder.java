package io.keelson.scheduler.plugins.defaultbinder;

import io.keelson.scheduler.client.ClusterApi;
import io.keelson.scheduler.framework.BindPlugin;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.Handle;
import io.keelson.scheduler.framework.Plugin;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.Status;

/** Binds through POST pods/{name}/binding. */
public final class DefaultBinder implements BindPlugin {
  public static final String NAME = "DefaultBinder";
  public static final Plugin.Factory FACTORY = DefaultBinder::new;

  private final Handle handle;

  public DefaultBinder(Handle handle) {
    this.handle = handle;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Status bind(CycleState state, PodInfo pod, String nodeName) {
    try {
      handle.api().bind(pod.pod(), nodeName);
      return Status.SUCCESS;
    } catch (ClusterApi.ApiException e) {
      return Status.error(e.getMessage());
    }
  }
}
