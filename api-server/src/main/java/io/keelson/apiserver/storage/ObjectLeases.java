package io.keelson.apiserver.storage;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * etcd leases for objects that expire on their own (events, after {@code --event-ttl}), shared
 * between writes as kube-apiserver's lease manager shares them: a lease granted for {@code ttl}
 * plus a reuse window (5 % of the TTL, at most 60 s) serves every write of that window, up to
 * 1,000 objects, so an object lives between {@code ttl} and {@code ttl} + the window after its last
 * write, and a busy cluster grants a lease per thousand events instead of one per event.
 */
public final class ObjectLeases {

  /** Grants an etcd lease of the given TTL in seconds and returns its id. */
  @FunctionalInterface
  public interface Grant {
    long grant(long ttlSeconds) throws StoreUnavailableException;
  }

  static final long MAX_REUSE_SECONDS = 60;
  static final double REUSE_FRACTION = 0.05;
  static final int MAX_OBJECTS = 1000;

  private final Grant grant;
  private final LongSupplier nanoClock;
  private long leaseId; // 0: none yet, or forgotten
  private long expiresAt; // nanoClock time
  private int attached;

  public ObjectLeases(Grant grant, LongSupplier nanoClock) {
    this.grant = grant;
    this.nanoClock = nanoClock;
  }

  public ObjectLeases(EtcdStore store) {
    this(store::grantLease, System::nanoTime);
  }

  /**
   * The lease for one write of an object that must live at least {@code ttlSeconds}: the current
   * one while it outlives that TTL by no more than the reuse window, else a new one. (Held under
   * the lock while granting: concurrent writes wait for the one grant instead of each making one.)
   */
  public synchronized long leaseFor(long ttlSeconds) throws StoreUnavailableException {
    long now = nanoClock.getAsLong();
    long reuse = Math.min(MAX_REUSE_SECONDS, (long) (REUSE_FRACTION * ttlSeconds));
    boolean outlivesTtl = expiresAt - (now + seconds(ttlSeconds)) > 0;
    boolean notTooLong = (now + seconds(ttlSeconds + reuse)) - expiresAt >= 0;
    attached++;
    if (leaseId != 0 && outlivesTtl && notTooLong && attached <= MAX_OBJECTS) return leaseId;
    long ttl = ttlSeconds + reuse;
    leaseId = grant.grant(ttl);
    expiresAt = now + seconds(ttl);
    attached = 1;
    return leaseId;
  }

  /** Stop handing out {@code id} (etcd no longer has it: revoked, or expired early); the next write gets a new lease. */
  public synchronized void forget(long id) {
    if (leaseId == id) leaseId = 0;
  }

  private static long seconds(long s) {
    return TimeUnit.SECONDS.toNanos(s);
  }
}
