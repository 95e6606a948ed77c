package io.keelson.controller.runtime;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a controller is waiting to see in its cache before it acts again on a key (client-go's
 * UIDTrackingControllerExpectations). After creating N pods the controller expects N adds; until
 * the informer has shown them, another pass would count too few pods and over-create. Deletions
 * are tracked by pod key so that a deletion seen twice (update with deletionTimestamp, then the
 * delete) counts once. Expectations expire after a timeout so a lost event cannot wedge a key.
 */
public final class Expectations {
  private static final Duration TTL = Duration.ofMinutes(5);

  private static final class Pending {
    int adds;
    final Set<String> deletes = new HashSet<>();
    long setAtNanos = System.nanoTime();
  }

  private final Map<String, Pending> pending = new ConcurrentHashMap<>();

  /** True when nothing is outstanding for {@code key} (or what was outstanding expired). */
  public boolean satisfied(String key) {
    Pending p = pending.get(key);
    if (p == null) return true;
    synchronized (p) {
      if (p.adds <= 0 && p.deletes.isEmpty()) return true;
      return System.nanoTime() - p.setAtNanos > TTL.toNanos();
    }
  }

  public void expectCreations(String key, int n) {
    Pending p = new Pending();
    p.adds = n;
    pending.put(key, p);
  }

  public void expectDeletions(String key, Set<String> podKeys) {
    Pending p = new Pending();
    p.deletes.addAll(podKeys);
    pending.put(key, p);
  }

  public void creationObserved(String key) {
    Pending p = pending.get(key);
    if (p != null) synchronized (p) {
      p.adds--;
    }
  }

  /** Also used when a create call failed: the add will never be observed. */
  public void lowerCreations(String key, int n) {
    Pending p = pending.get(key);
    if (p != null) synchronized (p) {
      p.adds -= n;
    }
  }

  public void deletionObserved(String key, String podKey) {
    Pending p = pending.get(key);
    if (p != null) synchronized (p) {
      p.deletes.remove(podKey);
    }
  }

  public void forget(String key) {
    pending.remove(key);
  }
}
