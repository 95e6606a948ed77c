package io.keelson.agent.api;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.keelson.proto.node.v1.PodStatusUpdate;
import io.keelson.proto.node.v1.ReportPodStatusRequest;
import io.keelson.proto.node.v1.ReportPodStatusResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends pod statuses to the api-server in batches over one ReportPodStatus client stream.
 * Level-triggered: only the newest status of a pod matters, so reports of the same pod coalesce
 * while waiting (up to 20 ms after the previous batch; a status after a quiet spell is sent at
 * once), identical statuses are not sent again, and after the stream breaks every pod's latest
 * status is sent again on the new stream.
 *
 * <p>{@link #report} takes no lock: it is called by every pod worker (thousands of virtual threads
 * on a hollow agent), and with one monitor shared with the sender they spun on it — ~20% of a
 * hollow agent's CPU in the scheduler benchmark on a loaded machine.
 */
public final class StatusReporter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StatusReporter.class);
  private static final int MAX_BATCH = 500;
  private static final long COALESCE_MILLIS = 20;

  private record Update(String namespace, String name, String uid, String statusJson) {}

  private final NodeServiceConnection connection;
  /** Waiting to be sent, by uid; a newer report replaces an older one. */
  private final Map<String, Update> pending = new ConcurrentHashMap<>();
  /** Last sent, by uid (written by the sender thread only). */
  private final Map<String, Update> sent = new ConcurrentHashMap<>();
  private final Thread thread;
  private final Object streamLock = new Object();
  private StreamObserver<ReportPodStatusRequest> stream;
  private volatile boolean broken;
  private volatile boolean closed;
  private volatile boolean sleeping;

  public StatusReporter(NodeServiceConnection connection) {
    this.connection = connection;
    this.thread = Thread.ofPlatform().name("status-reporter").daemon().unstarted(this::loop);
  }

  public void start() {
    thread.start();
  }

  /** Queues the pod's full status; a later report of the same pod replaces it. */
  public void report(String namespace, String name, String uid, String statusJson) {
    Update last = sent.get(uid);
    if (last != null && last.statusJson.equals(statusJson) && !pending.containsKey(uid)) {
      return;
    }
    pending.put(uid, new Update(namespace, name, uid, statusJson));
    if (sleeping) {
      LockSupport.unpark(thread);
    }
  }

  /** The pod is gone: stop resending its status. */
  public void forget(String uid) {
    pending.remove(uid);
    sent.remove(uid);
  }

  /** Number of statuses waiting to be sent (tests, metrics). */
  public int pendingCount() {
    return pending.size();
  }

  private long lastOpen = System.nanoTime() - java.util.concurrent.TimeUnit.MINUTES.toNanos(1);
  private long lastSend = System.nanoTime() - java.util.concurrent.TimeUnit.MINUTES.toNanos(1);

  /** Parks until there is something to send (or the stream broke, or we are closing). */
  private void awaitWork() throws InterruptedException {
    while (pending.isEmpty() && !broken && !closed) {
      sleeping = true;
      // re-checked after announcing the sleep: a report that missed the flag is seen here
      if (pending.isEmpty() && !broken && !closed) {
        LockSupport.parkNanos(this, java.util.concurrent.TimeUnit.SECONDS.toNanos(1));
      }
      sleeping = false;
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }

  private void loop() {
    Backoff backoff = Backoff.reconnect();
    while (!closed) {
      List<Update> batch = new ArrayList<>();
      try {
        awaitWork();
        // coalesce only what comes in a burst: a status after a quiet spell (a pod just Running) goes at once
        long quietMillis = (System.nanoTime() - lastSend) / 1_000_000;
        if (quietMillis < COALESCE_MILLIS) {
          Thread.sleep(COALESCE_MILLIS - quietMillis);
        }
        if (broken) {
          // A stream that broke again soon after it was opened means the api-server is still away:
          // back off instead of reopening (and logging) in a tight loop.
          if (System.nanoTime() - lastOpen < java.util.concurrent.TimeUnit.SECONDS.toNanos(30)) backoff.sleep();
          else backoff.reset();
          lastOpen = System.nanoTime();
          // resend everything we think the server has: the old stream may have lost it
          for (Update u : sent.values()) {
            pending.putIfAbsent(u.uid, u);
          }
          sent.clear();
          synchronized (streamLock) {
            stream = null;
          }
          broken = false;
        }
        for (var it = pending.entrySet().iterator(); it.hasNext() && batch.size() < MAX_BATCH; ) {
          var e = it.next();
          // only if not replaced meanwhile: a newer report stays pending for the next batch
          if (pending.remove(e.getKey(), e.getValue())) {
            batch.add(e.getValue());
          }
        }
        if (batch.isEmpty()) {
          continue;
        }
        lastSend = System.nanoTime();
        send(batch);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.warn("sending pod status failed: {}", e.toString());
        for (Update u : batch) {
          pending.putIfAbsent(u.uid, u);
        }
        broken = true;
        try {
          backoff.sleep();
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  private void send(List<Update> batch) {
    StreamObserver<ReportPodStatusRequest> s;
    synchronized (streamLock) {
      if (stream == null) {
        stream = connection.async().reportPodStatus(new ResponseObserver());
      }
      s = stream;
    }
    ReportPodStatusRequest.Builder req = ReportPodStatusRequest.newBuilder();
    for (Update u : batch) {
      req.addUpdates(
          PodStatusUpdate.newBuilder()
              .setNamespace(u.namespace)
              .setName(u.name)
              .setUid(u.uid)
              .setStatusJson(ByteString.copyFrom(u.statusJson, StandardCharsets.UTF_8)));
    }
    synchronized (s) {
      s.onNext(req.build());
    }
    for (Update u : batch) {
      sent.put(u.uid, u);
    }
  }

  private final class ResponseObserver implements StreamObserver<ReportPodStatusResponse> {
    @Override
    public void onNext(ReportPodStatusResponse value) {}

    @Override
    public void onError(Throwable t) {
      if (!closed) {
        log.warn("pod status stream broke: {}", t.toString());
      }
      markBroken();
    }

    @Override
    public void onCompleted() {
      markBroken();
    }
  }

  private void markBroken() {
    broken = true;
    LockSupport.unpark(thread);
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    synchronized (streamLock) {
      if (stream != null) {
        try {
          stream.onCompleted();
        } catch (RuntimeException e) {
          // already broken
        }
      }
    }
  }
}
