package io.keelson.scheduler.framework;

import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.keelson.scheduler.client.ClusterApi;

/** What plugins may use beyond their arguments: the cycle's snapshot, listers, the API. */
public interface Handle {
  NodeInfoLister snapshot();

  /** RuntimeClass by name, null if unknown. */
  RuntimeClass runtimeClass(String name);

  ClusterApi api();

  /** PersistentVolumeClaims, PersistentVolumes and StorageClasses as the scheduler's informers see them. */
  default StorageLister storage() {
    return StorageLister.NONE;
  }

  /** The running framework, for plugins (preemption) that re-run the filters. */
  Framework framework();
}
