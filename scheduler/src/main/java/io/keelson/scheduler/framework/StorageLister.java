package io.keelson.scheduler.framework;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.storage.StorageClass;

/** The storage objects the VolumeBinding plugin reads (informer caches); null when unknown. */
public interface StorageLister {
  /** A cluster with no storage objects (tests, benchmarks): every claim is missing. */
  StorageLister NONE = new StorageLister() {
    @Override
    public PersistentVolumeClaim claim(String namespace, String name) {
      return null;
    }

    @Override
    public PersistentVolume volume(String name) {
      return null;
    }

    @Override
    public StorageClass storageClass(String name) {
      return null;
    }
  };

  PersistentVolumeClaim claim(String namespace, String name);

  PersistentVolume volume(String name);

  StorageClass storageClass(String name);
}
