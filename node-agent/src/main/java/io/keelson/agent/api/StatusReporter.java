package io.keelson.agent.api;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.keelson.proto.node.v1.PodStatusUpdate;
import io.keelson.proto.node.v1.ReportPodStatusRequest;
import io.keelson.proto.node.v1.ReportPodStatusResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends pod statuses to the api-server in batches over one ReportPodStatus client stream.
 * Level-triggered: only the newest status of a pod matters, so reports of the same pod coalesce
 * while waiting (up to 20 ms after the previous batch; a status after a quiet spell is sent at
 * once), identical statuses are not sent again, and after the stream breaks every pod's latest
 * status is sent again on the new stream.
 */
public final class StatusReporter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StatusReporter.class);
  private static final int MAX_BATCH = 500;
  private static final long COALESCE_MILLIS = 20;

  private record Update(String namespace, String name, String uid, String statusJson) {}

  private final NodeServiceConnection connection;
  private final Map<String, Update> pending = new LinkedHashMap<>();
  private final Map<String, Update> sent = new HashMap<>();
  private final Thread thread;
  private StreamObserver<ReportPodStatusRequest> stream;
  private volatile boolean broken;
  private volatile boolean closed;

  public StatusReporter(NodeServiceConnection connection) {
    this.connection = connection;
    this.thread = Thread.ofPlatform().name("status-reporter").daemon().unstarted(this::loop);
  }

  public void start() {
    thread.start();
  }

  /** Queues the pod's full status; a later report of the same pod replaces it. */
  public void report(String namespace, String name, String uid, String statusJson) {
    synchronized (this) {
      Update last = sent.get(uid);
      if (last != null && last.statusJson.equals(statusJson) && !pending.containsKey(uid)) {
        return;
      }
      pending.put(uid, new Update(namespace, name, uid, statusJson));
      notifyAll();
    }
  }

  /** The pod is gone: stop resending its status. */
  public synchronized void forget(String uid) {
    pending.remove(uid);
    sent.remove(uid);
  }

  /** Number of statuses waiting to be sent (tests, metrics). */
  public synchronized int pendingCount() {
    return pending.size();
  }

  private long lastOpen = System.nanoTime() - java.util.concurrent.TimeUnit.MINUTES.toNanos(1);
  private long lastSend = System.nanoTime() - java.util.concurrent.TimeUnit.MINUTES.toNanos(1);

  private void loop() {
    Backoff backoff = Backoff.reconnect();
    while (!closed) {
      List<Update> batch = new ArrayList<>();
      try {
        synchronized (this) {
          while (pending.isEmpty() && !broken && !closed) {
            wait();
          }
        }
        // coalesce only what comes in a burst: a status after a quiet spell (a pod just Running) goes at once
        long quietMillis = (System.nanoTime() - lastSend) / 1_000_000;
        if (quietMillis < COALESCE_MILLIS) {
          Thread.sleep(COALESCE_MILLIS - quietMillis);
        }
        boolean reopen;
        synchronized (this) {
          reopen = broken;
        }
        if (reopen) {
          // A stream that broke again soon after it was opened means the api-server is still away:
          // back off instead of reopening (and logging) in a tight loop.
          if (System.nanoTime() - lastOpen < java.util.concurrent.TimeUnit.SECONDS.toNanos(30)) backoff.sleep();
          else backoff.reset();
          lastOpen = System.nanoTime();
        }
        synchronized (this) {
          if (broken) {
            // resend everything we think the server has: the old stream may have lost it
            for (Update u : sent.values()) {
              pending.putIfAbsent(u.uid, u);
            }
            sent.clear();
            stream = null;
            broken = false;
          }
          var it = pending.values().iterator();
          while (it.hasNext() && batch.size() < MAX_BATCH) {
            batch.add(it.next());
            it.remove();
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
        synchronized (this) {
          for (Update u : batch) {
            pending.putIfAbsent(u.uid, u);
          }
          broken = true;
        }
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
    synchronized (this) {
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
    synchronized (this) {
      for (Update u : batch) {
        sent.put(u.uid, u);
      }
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
    synchronized (this) {
      broken = true;
      notifyAll();
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    synchronized (this) {
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
