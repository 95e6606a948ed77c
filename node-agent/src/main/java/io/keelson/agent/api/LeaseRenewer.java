package io.keelson.agent.api;

import io.grpc.StatusRuntimeException;
import io.keelson.proto.node.v1.RenewLeaseRequest;
import io.keelson.proto.node.v1.RenewLeaseResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews every registered node's Lease in kube-node-lease every 10 s. Nodes are spread over ten
 * one-second slots by name hash, so 5,000 hollow nodes cost ~500 renewals per second in a few
 * batched calls, not a burst of 5,000 every 10 s. A node is renewed from its registration on,
 * not from the end of its batch: registering 5,000 hollow nodes takes minutes under load, longer
 * than the node lifecycle controller's 40 s grace.
 */
public final class LeaseRenewer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaseRenewer.class);
  public static final int INTERVAL_SECONDS = 10;
  public static final int LEASE_DURATION_SECONDS = 40;
  private static final int MAX_BATCH = 1000;

  private final NodeServiceConnection connection;
  private final Set<String> registered = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean started = new AtomicBoolean();
  private final Consumer<List<String>> unknownNodes;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("lease-renewer").daemon().factory());
  private final AtomicLong tick = new AtomicLong();
  /** Nodes whose last renewal failed: the node lifecycle controller may mark them NotReady. */
  private final Set<String> lapsed = ConcurrentHashMap.newKeySet();
  private volatile Consumer<List<String>> resumed = names -> {};

  /**
   * @param unknownNodes called with nodes whose Node object has disappeared (they must register
   *     again)
   */
  public LeaseRenewer(NodeServiceConnection connection, Consumer<List<String>> unknownNodes) {
    this.connection = connection;
    this.unknownNodes = unknownNodes;
  }

  /**
   * Called (on the renewal thread) with nodes whose lease was renewed again after a failed
   * renewal, so that their Ready condition can be posted again: the node lifecycle controller
   * sets Ready=Unknown on a silent node and never sets it back.
   */
  public void onResumed(Consumer<List<String>> resumed) {
    this.resumed = resumed;
  }

  /** Starts the periodic renewals (once; the first registration starts them too). */
  public void start() {
    if (started.compareAndSet(false, true)) {
      timer.scheduleAtFixedRate(this::renewSlot, 1, 1, TimeUnit.SECONDS);
    }
  }

  static int slot(String nodeName) {
    return Math.floorMod(nodeName.hashCode(), INTERVAL_SECONDS);
  }

  private void renewSlot() {
    int current = (int) (tick.getAndIncrement() % INTERVAL_SECONDS);
    List<String> due = new ArrayList<>();
    for (String n : registered) {
      if (slot(n) == current) {
        due.add(n);
      }
    }
    renew(due);
  }

  /** Renews the given nodes' leases now; nodes the api-server does not know register again. */
  public void renew(List<String> names) {
    renew(names, true);
  }

  /**
   * Renews the leases of nodes that were just registered. A node the api-server's cache does not
   * show yet is left to the next periodic renewal rather than registered again at once.
   */
  public void renewRegistered(List<String> names) {
    registered.addAll(names);
    start();
    renew(names, false);
  }

  private void renew(List<String> names, boolean registerUnknown) {
    for (int i = 0; i < names.size(); i += MAX_BATCH) {
      List<String> batch = names.subList(i, Math.min(names.size(), i + MAX_BATCH));
      try {
        RenewLeaseResponse resp =
            connection
                .blocking()
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .renewLease(
                    RenewLeaseRequest.newBuilder()
                        .addAllNodeNames(batch)
                        .setLeaseDurationSeconds(LEASE_DURATION_SECONDS)
                        .build());
        if (registerUnknown && resp.getUnknownNodesCount() > 0) {
          unknownNodes.accept(resp.getUnknownNodesList());
        }
        if (!lapsed.isEmpty()) {
          List<String> back = batch.stream().filter(lapsed::remove).toList();
          if (!back.isEmpty()) {
            resumed.accept(back);
          }
        }
      } catch (StatusRuntimeException e) {
        lapsed.addAll(batch);
        log.warn("renewing {} lease(s) failed: {}", batch.size(), e.getStatus());
      } catch (RuntimeException e) {
        lapsed.addAll(batch);
        log.warn("renewing leases failed", e);
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
