package io.keelson.controller.endpoints;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Remembers this controller's own writes per Service until the informer cache has seen them, so
 * that a pass running on a stale cache waits instead of acting on it (creating a second slice, or
 * an update bound to conflict) — kube's endpointSliceTracker and staleEndpointsTracker. A write
 * not seen within {@link #PATIENCE} is forgotten (someone else may have changed the object since).
 */
public final class WriteTracker {
  static final Duration PATIENCE = Duration.ofSeconds(30);

  /** What the cache should show for one object: the version replaced (null: created) or its deletion. */
  private record Expect(String replacedVersion, boolean deleted, long atNanos) {}

  private final Map<String, Map<String, Expect>> byService = new ConcurrentHashMap<>();

  public void created(String service, String name) {
    put(service, name, new Expect(null, false, System.nanoTime()));
  }

  /** An update that replaced {@code replacedVersion} with {@code newVersion} (a no-op update is not tracked). */
  public void updated(String service, String name, String replacedVersion, String newVersion) {
    if (replacedVersion == null || replacedVersion.equals(newVersion)) return;
    put(service, name, new Expect(replacedVersion, false, System.nanoTime()));
  }

  public void deleted(String service, String name) {
    put(service, name, new Expect(null, true, System.nanoTime()));
  }

  private void put(String service, String name, Expect e) {
    byService.computeIfAbsent(service, k -> new ConcurrentHashMap<>()).put(name, e);
  }

  public void forget(String service) {
    byService.remove(service);
  }

  /**
   * Whether the cache (looked up by object name) has not yet caught up with this Service's writes.
   * Writes it has seen are dropped.
   */
  public boolean stale(String service, Function<String, ? extends HasMetadata> cached) {
    Map<String, Expect> m = byService.get(service);
    if (m == null) return false;
    boolean stale = false;
    long now = System.nanoTime();
    for (Iterator<Map.Entry<String, Expect>> it = m.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      Expect x = e.getValue();
      HasMetadata obj = cached.apply(e.getKey());
      boolean seen;
      if (x.deleted()) seen = obj == null;
      else if (x.replacedVersion() == null) seen = obj != null;
      else seen = obj == null || !x.replacedVersion().equals(obj.getMetadata().getResourceVersion());
      if (seen || now - x.atNanos() > PATIENCE.toNanos()) it.remove();
      else stale = true;
    }
    if (m.isEmpty()) byService.remove(service, m);
    return stale;
  }
}
