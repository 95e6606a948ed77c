package io.keelson.agent.api;

import io.fabric8.kubernetes.api.model.Pod;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.keelson.proto.node.v1.PodAssignment;
import io.keelson.client.json.LeanSerialization;
import io.keelson.client.json.ManagedFieldsCutter;
import io.keelson.proto.node.v1.WatchPodAssignmentsRequest;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.ObjectReader;

/**
 * Keeps a WatchPodAssignments stream open for the agent's nodes, reconnecting with back-off. Before
 * every (re)connect it runs {@code beforeConnect} (registering the nodes again, since the api-server
 * may have restarted). Each new stream starts with a snapshot, so listeners see {@link
 * Listener#snapshotStarted()}, the current pods, then {@link Listener#synced()}.
 *
 * <p>Pods are read without {@code status} and {@code metadata.managedFields}: the agent writes the
 * status and never reads it back, and both are the bulk of a running pod's JSON. So the echo of
 * the agent's own status write (a MODIFIED that changes only those) decodes to the pod already
 * delivered and is not passed on: it would only make the pod worker rebuild an unchanged status.
 * Each pod is read from the message's bytes with one kept reader (fabric8's {@code unmarshal} would
 * wrap every one in a new buffered stream and sniff it for YAML), its managedFields cut out first.
 */
public final class AssignmentWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AssignmentWatcher.class);

  private static final ObjectReader PODS = LeanSerialization.builder().withoutPodStatus().readable().reader(Pod.class);

  /** Receives the pods bound to the agent's nodes. Called from the watcher thread only. */
  public interface Listener {
    void snapshotStarted();

    void pod(PodAssignment.Type type, String nodeName, Pod pod);

    void synced();
  }

  /** Runs before every connect; throwing delays the connect by the back-off. */
  public interface BeforeConnect {
    void run() throws Exception;
  }

  private final NodeServiceConnection connection;
  private final Collection<String> nodeNames;
  private final BeforeConnect beforeConnect;
  private final Listener listener;
  private final Thread thread;
  private volatile Context.CancellableContext current;
  private volatile boolean closed;

  public AssignmentWatcher(
      NodeServiceConnection connection,
      Collection<String> nodeNames,
      BeforeConnect beforeConnect,
      Listener listener) {
    this.connection = connection;
    this.nodeNames = nodeNames;
    this.beforeConnect = beforeConnect;
    this.listener = listener;
    this.thread = Thread.ofPlatform().name("assignment-watcher").daemon().unstarted(this::loop);
  }

  public void start() {
    thread.start();
  }

  private void loop() {
    Backoff backoff = Backoff.reconnect();
    while (!closed) {
      try {
        beforeConnect.run();
        watchOnce(backoff);
        log.info("pod assignment stream ended; reconnecting");
      } catch (StatusRuntimeException e) {
        if (closed) {
          return;
        }
        log.warn("pod assignment stream failed: {}", e.getStatus());
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        if (closed) {
          return;
        }
        log.warn("connecting to the api-server failed: {}", e.toString());
      }
      try {
        backoff.sleep();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void watchOnce(Backoff backoff) throws Exception {
    Context.CancellableContext context = Context.current().withCancellation();
    current = context;
    try {
      context.call(
          () -> {
            Iterator<PodAssignment> it =
                connection
                    .blocking()
                    .watchPodAssignments(
                        WatchPodAssignmentsRequest.newBuilder().addAllNodeNames(nodeNames).build());
            boolean first = true;
            Map<String, Pod> delivered = new HashMap<>(); // by uid, this stream only
            while (it.hasNext()) {
              PodAssignment a = it.next();
              if (first) {
                listener.snapshotStarted();
                first = false;
              }
              if (a.getType() == PodAssignment.Type.SYNCED) {
                backoff.reset();
                listener.synced();
                continue;
              }
              Pod pod = decode(a);
              String uid = pod.getMetadata().getUid();
              if (a.getType() == PodAssignment.Type.DELETED) {
                delivered.remove(uid);
              } else if (unchanged(delivered.put(uid, pod), pod)) {
                continue;
              }
              try {
                listener.pod(a.getType(), a.getNodeName(), pod);
              } catch (RuntimeException e) {
                log.error("handling pod {} failed", pod.getMetadata().getName(), e);
              }
            }
            return null;
          });
    } finally {
      context.cancel(null);
    }
  }

  /** The assignment's pod, without status and managedFields (cut out before parsing). */
  static Pod decode(PodAssignment a) {
    byte[] json = a.getPodJson().toByteArray();
    return PODS.readValue(json, 0, ManagedFieldsCutter.cut(json, json.length));
  }

  /** Whether {@code pod} differs from {@code previous} only in its resourceVersion. */
  static boolean unchanged(Pod previous, Pod pod) {
    if (previous == null) {
      return false;
    }
    String version = pod.getMetadata().getResourceVersion();
    pod.getMetadata().setResourceVersion(previous.getMetadata().getResourceVersion());
    try {
      return Objects.equals(previous, pod);
    } finally {
      pod.getMetadata().setResourceVersion(version);
    }
  }

  @Override
  public void close() {
    closed = true;
    Context.CancellableContext c = current;
    if (c != null) {
      c.cancel(null);
    }
    thread.interrupt();
  }
}
