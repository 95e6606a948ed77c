package io.keelson.apiserver.registry;

import io.keelson.apiserver.storage.InMemoryEtcdStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Tests of the write path on an in-memory etcd holding the "default" namespace: a fresh store and service per test. */
abstract class InMemoryRegistryTest {

  protected InMemoryEtcdStore store;
  protected ResourceService svc;

  @BeforeEach
  void startStore() {
    store = InMemoryEtcdStore.withNamespace("default");
    svc = new ResourceService(store, 100);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }
}
