package io.keelson.agent.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.keelson.agent.state.PodState;
import io.keelson.proto.node.v1.PodAssignment;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pods of one node: a {@link PodWorker} per pod uid, fed by the assignment stream. After each
 * (re)connect's snapshot it removes the workers of pods the api-server no longer binds to the node
 * (deleted while the agent was away), and at start-up it revives workers from the state directory
 * so running workloads are re-attached rather than started again.
 */
public final class PodManager {
  private static final Logger log = LoggerFactory.getLogger(PodManager.class);

  private final NodeContext ctx;
  private final Map<String, PodWorker> workers = new ConcurrentHashMap<>();
  private final Set<String> seenInSnapshot = new HashSet<>();

  public PodManager(NodeContext ctx) {
    this.ctx = ctx;
  }

  public NodeContext context() {
    return ctx;
  }

  /** Revives workers of pods persisted in the state dir for this node. */
  public void recover(List<PodState> states) {
    for (PodState s : states) {
      if (!ctx.nodeName.equals(s.nodeName())) {
        continue;
      }
      PodWorker w = new PodWorker(ctx, s.uid(), s, () -> workers.remove(s.uid()));
      workers.put(s.uid(), w);
      w.start();
      log.info("recovering pod {}/{} ({})", s.namespace(), s.name(), s.uid());
    }
  }

  public synchronized void snapshotStarted() {
    seenInSnapshot.clear();
  }

  public synchronized void pod(PodAssignment.Type type, Pod pod) {
    String uid = pod.getMetadata().getUid();
    if (type == PodAssignment.Type.DELETED) {
      PodWorker w = workers.get(uid);
      if (w != null) {
        w.update(pod);
        w.remove(true);
      }
      return;
    }
    seenInSnapshot.add(uid);
    PodWorker w = workers.get(uid);
    if (w == null || w.finished()) {
      // a pod that arrives already deleting is terminated at once (nothing runs) and confirmed
      w = new PodWorker(ctx, uid, null, () -> workers.remove(uid));
      workers.put(uid, w);
      w.update(pod);
      w.start();
      return;
    }
    w.update(pod);
  }

  /** End of snapshot: anything not in it was deleted while we were away. */
  public synchronized void synced() {
    for (PodWorker w : workers.values()) {
      if (!seenInSnapshot.contains(w.uid())) {
        log.info("pod {}/{} ({}) is no longer bound to {}: removing", w.namespace(), w.name(), w.uid(), ctx.nodeName);
        w.remove(true);
      }
    }
  }

  public PodWorker find(String namespace, String name, String uid) {
    for (PodWorker w : workers.values()) {
      if (uid != null && !uid.isEmpty()) {
        if (w.uid().equals(uid)) {
          return w;
        }
      } else if (namespace.equals(w.namespace()) && name.equals(w.name()) && !w.finished()) {
        return w;
      }
    }
    return null;
  }

  /** Agent shutdown: stop every worker, leave every workload running. */
  public void shutdown() {
    workers.values().forEach(PodWorker::shutdown);
  }

  public Collection<PodWorker> workers() {
    return workers.values();
  }
}
