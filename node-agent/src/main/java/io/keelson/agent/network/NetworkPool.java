package io.keelson.agent.network;

import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.PodNetwork;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a few pod networks ready on which CNI ADD has already run ({@link CniNetwork#addPooled}), so
 * that a starting pod gets its network, address included, in one rename ({@link #take}) instead of
 * running the bridge and host-local plugins: ~35-40 ms of two Go binaries, longer than runc's own
 * container start, which the container's process would otherwise wait for.
 *
 * <p>The pool is refilled on a background thread, one network at a time and only while no pod of
 * the node is starting (between the first network call of a pod and its {@link #settled} call, at
 * most {@link #FORGET_START_AFTER_NANOS}), none began to within {@link #QUIET_NANOS} and no pod
 * network is being set up the ordinary way: the plugins must not take CPU from a pod start. During a burst of pods the pool runs dry and pods
 * take the ordinary way; it is refilled once the burst has started. Size 0 turns it off (and
 * removes networks pooled by an earlier run).
 */
public final class NetworkPool implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NetworkPool.class);
  /** A pod that never reports back (deleted while starting, image pull) holds the refill this long at most. */
  static final long FORGET_START_AFTER_NANOS = TimeUnit.SECONDS.toNanos(10);
  /**
   * No refill until this long after the last pod began to start: pods arriving in a burst (~10/s
   * from one kubectl create) would otherwise each find a refill running, holding the node's CNI
   * lock and the CPU (99 pods: p50 0.7 s after assignment with refills between them, 0.14 s without).
   */
  static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(300);

  private final CniNetwork network;
  private final int size;
  /** Sandboxes starting now -> when they asked for their network (System.nanoTime). */
  private final Map<String, Long> starting = new ConcurrentHashMap<>();
  private volatile long lastStart = System.nanoTime() - QUIET_NANOS;
  private final Object signal = new Object();
  private volatile String podCidr;
  private volatile boolean closed;
  private Thread refiller;

  /** @param size networks to keep ready (0: none) */
  public NetworkPool(CniNetwork network, int size) {
    if (size < 0) {
      throw new IllegalArgumentException("network pool size must be >= 0: " + size);
    }
    this.network = network;
    this.size = size;
  }

  public int size() {
    return size;
  }

  /** The node's pod CIDR (known once it registered): the pool is filled for it from now on. */
  public synchronized void podCidr(String cidr) {
    this.podCidr = cidr;
    if (refiller == null && cidr != null && !cidr.isEmpty()) {
      refiller = Thread.ofVirtual().name("network-pool-" + network.nodeName()).start(this::refill);
    }
    wake();
  }

  /** A pod of {@code sandboxId} is starting: no refill until it {@linkplain #settled settles}. */
  public void starting(String sandboxId) {
    long now = System.nanoTime();
    lastStart = now;
    starting.put(sandboxId, now);
  }

  /** A ready network for {@code sandboxId} (see {@link CniNetwork#claim}), or null. */
  public PodNetwork take(String sandboxId, String cidr) {
    if (size == 0) {
      return null;
    }
    PodNetwork net = network.claim(sandboxId, cidr);
    if (net != null) {
      wake();
    }
    return net;
  }

  /** The pod of {@code sandboxId} has started (or failed, or is gone): refilling may go on. */
  public void settled(String sandboxId) {
    if (starting.remove(sandboxId) != null) {
      wake();
    }
  }

  /** Networks ready now. */
  public int ready() {
    return network.pooledCount();
  }

  private void wake() {
    synchronized (signal) {
      signal.notifyAll();
    }
  }

  private boolean idle() {
    long now = System.nanoTime();
    starting.values().removeIf(t -> now - t > FORGET_START_AFTER_NANOS);
    return starting.isEmpty() && network.setUpsInProgress() == 0 && now - lastStart >= QUIET_NANOS;
  }

  private void refill() {
    long backoffMs = 0;
    while (!closed) {
      String cidr = podCidr;
      try {
        network.trimPool(cidr, size);
        if (cidr != null && !cidr.isEmpty() && network.pooledCount() < size && backoffMs == 0 && idle()) {
          network.addPooled(cidr);
          continue;
        }
        synchronized (signal) {
          // not idle: look again now and then (quiet spells end, starts are forgotten after a while)
          signal.wait(backoffMs > 0 ? backoffMs : network.pooledCount() < size ? 100 : 0);
        }
        backoffMs = 0;
      } catch (DriverException | RuntimeException e) {
        log.warn("refilling the pod network pool: {}", e.getMessage());
        backoffMs = 5_000;
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    wake();
  }
}
