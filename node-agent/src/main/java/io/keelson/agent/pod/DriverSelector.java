package io.keelson.agent.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.WorkloadDriver;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Picks the driver for a pod from its RuntimeClass: no class → the default handler (runc); a class
 * → its handler ("runc", "vm"/"qemu"), resolved through the RuntimeClass object. This is the only
 * place that maps a runtime to a driver; everything after it talks to the WorkloadDriver SPI.
 */
public final class DriverSelector {
  private final Map<String, WorkloadDriver> byHandler;
  private final Map<String, WorkloadDriver> byName = new LinkedHashMap<>();
  private final ClusterObjects objects;
  private final String defaultHandler;

  /**
   * @param byHandler RuntimeClass handler name → driver; a hollow agent maps every handler to the
   *     fake driver
   */
  public DriverSelector(Map<String, WorkloadDriver> byHandler, String defaultHandler, ClusterObjects objects) {
    this.byHandler = Map.copyOf(byHandler);
    this.defaultHandler = defaultHandler;
    this.objects = objects;
    byHandler.values().forEach(d -> byName.putIfAbsent(d.name(), d));
  }

  public WorkloadDriver select(Pod pod) throws DriverException {
    String className = pod.getSpec().getRuntimeClassName();
    String handler = defaultHandler;
    if (className != null && !className.isEmpty()) {
      handler = objects == null ? null : objects.runtimeClassHandler(className);
      if (handler == null && byHandler.containsKey(className)) {
        // the built-in classes (runc, vm) work even before their RuntimeClass objects exist
        handler = className;
      }
      if (handler == null) {
        throw new DriverException(
            "RuntimeClassNotFound", "RuntimeClass \"" + className + "\" not found", null);
      }
    }
    WorkloadDriver driver = byHandler.get(handler);
    if (driver == null) {
      throw new DriverException(
          "RuntimeHandlerNotFound", "no runtime for handler \"" + handler + "\" on this node", null);
    }
    var fp = driver.fingerprint();
    if (!fp.healthy()) {
      throw new DriverException(
          "RuntimeUnavailable", "runtime " + driver.name() + " is unavailable: " + fp.healthDescription(), null);
    }
    return driver;
  }

  /** A driver by its name (to recover persisted pods). */
  public WorkloadDriver byName(String name) {
    return byName.get(name);
  }

  public Collection<WorkloadDriver> drivers() {
    return byName.values();
  }
}
