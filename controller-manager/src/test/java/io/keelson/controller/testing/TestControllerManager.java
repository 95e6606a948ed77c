package io.keelson.controller.testing;

import io.keelson.client.fake.InMemoryApiServer;
import io.keelson.controller.ControllerManager;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

/** ControllerManagers for controller tests: only the named controllers, against an in-memory api-server, kube's defaults otherwise. */
public final class TestControllerManager {

  private TestControllerManager() {}

  /** The default options, but only {@code controllers}, each with {@code workers} workers. */
  public static ControllerManager.Options only(int workers, String... controllers) {
    var d = ControllerManager.Options.defaults();
    return new ControllerManager.Options(ControllerManager.Names.select(List.of(controllers)), workers, d.nodeMonitorGracePeriod(),
        d.defaultNotReadyToleration(), d.defaultUnreachableToleration(), d.terminatedPodGcThreshold());
  }

  /** A manager of {@code controllers} for {@code api} (through a kubeconfig in a new temporary directory), not yet started. */
  public static ControllerManager against(InMemoryApiServer api, int workers, String... controllers) throws IOException {
    return ControllerManager.fromKubeconfig(api.writeKubeconfig(Files.createTempDirectory("controller-test").resolve("kubeconfig")),
        only(workers, controllers));
  }
}
