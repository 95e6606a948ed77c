package io.keelson.scheduler.core;

import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.keelson.scheduler.cache.SchedulerCache;
import io.keelson.scheduler.cache.Snapshot;
import io.keelson.scheduler.client.ClusterApi;
import io.keelson.scheduler.config.SchedulerConfig;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.Diagnosis;
import io.keelson.scheduler.framework.Framework;
import io.keelson.scheduler.framework.Handle;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.NodeInfoLister;
import io.keelson.scheduler.framework.Plugin;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.PostFilterPlugin;
import io.keelson.scheduler.framework.Status;
import io.keelson.scheduler.metrics.SchedulerMetrics;
import io.keelson.scheduler.queue.ClusterEvent;
import io.keelson.scheduler.queue.QueuedPodInfo;
import io.keelson.scheduler.queue.SchedulingQueue;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduling loop. One thread runs scheduling cycles (pop a pod, filter and score nodes on the
 * snapshot, assume the pod on the chosen node, reserve) back to back; a bounded pool of binder
 * threads runs the binding cycles (PreBind, Bind = the api-server round trip) so the loop never
 * waits for the network. Failures write FailedScheduling + PodScheduled=False and requeue.
 */
public final class Scheduler implements Handle {
  private static final Logger log = LoggerFactory.getLogger(Scheduler.class);
  static final int MIN_FEASIBLE_NODES_TO_FIND = 100;
  static final int MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

  private final SchedulerConfig config;
  private final SchedulerCache cache;
  private final SchedulingQueue queue;
  private final ClusterApi api;
  private final SchedulerMetrics metrics;
  private final Function<String, RuntimeClass> runtimeClasses;
  private volatile io.keelson.scheduler.framework.StorageLister storage = io.keelson.scheduler.framework.StorageLister.NONE;
  private final Snapshot snapshot = new Snapshot();
  private final Framework framework;
  private final ExecutorService binders;
  private volatile boolean running;
  private Thread loop;

  // Reused across cycles (scheduling thread only) so a cycle allocates no big collections.
  private final ArrayList<NodeInfo> feasible = new ArrayList<>();
  private long[] totals = new long[0];
  private long[] scratch = new long[0];
  private int nextStartNodeIndex;

  public Scheduler(
      SchedulerConfig config,
      Map<String, Plugin.Factory> registry,
      SchedulerCache cache,
      SchedulingQueue queue,
      ClusterApi api,
      SchedulerMetrics metrics,
      Function<String, RuntimeClass> runtimeClasses) {
    this.config = config;
    this.cache = cache;
    this.queue = queue;
    this.api = api;
    this.metrics = metrics;
    this.runtimeClasses = runtimeClasses;
    this.framework = new Framework(registry, config.plugins(), this);
    int n = Math.max(1, config.bindParallelism());
    this.binders =
        new ThreadPoolExecutor(
            n,
            n,
            0,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(4 * n),
            Thread.ofPlatform().name("binder-", 0).daemon().factory(),
            new ThreadPoolExecutor.CallerRunsPolicy()); // a full pool slows the loop: back-pressure
    metrics.bindQueue(queue);
    metrics.cacheGauge("nodes", cache::nodeCount);
    metrics.cacheGauge("pods", cache::podCount);
    metrics.cacheGauge("assumed_pods", cache::assumedCount);
  }

  @Override
  public NodeInfoLister snapshot() {
    return snapshot;
  }

  @Override
  public RuntimeClass runtimeClass(String name) {
    return runtimeClasses.apply(name);
  }

  /** Where VolumeBinding reads claims, volumes and classes (the cluster watch's informers). */
  public void useStorage(io.keelson.scheduler.framework.StorageLister storage) {
    this.storage = storage;
  }

  @Override
  public io.keelson.scheduler.framework.StorageLister storage() {
    return storage;
  }

  @Override
  public ClusterApi api() {
    return api;
  }

  @Override
  public Framework framework() {
    return framework;
  }

  public SchedulingQueue queue() {
    return queue;
  }

  public SchedulerCache cache() {
    return cache;
  }

  /** Starts the scheduling loop thread. */
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    loop = Thread.ofPlatform().name("scheduling-loop").start(this::runLoop);
    log.info("scheduler {} started with plugins {}", config.schedulerName(), framework.pluginNames());
  }

  public void stop() {
    running = false;
    queue.close();
    if (loop != null) {
      loop.interrupt();
    }
    binders.shutdown();
  }

  private void runLoop() {
    while (running) {
      try {
        QueuedPodInfo q = queue.pop(1000);
        if (q != null) {
          scheduleOne(q);
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.error("scheduling cycle failed", e);
      }
    }
  }

  /** Number of feasible nodes after which filtering stops (kube's adaptive percentageOfNodesToScore). */
  public static int numFeasibleNodesToFind(int percentageOfNodesToScore, int numAllNodes) {
    if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) {
      return numAllNodes;
    }
    int pct = percentageOfNodesToScore;
    if (pct <= 0) {
      pct = 50 - numAllNodes / 125;
      if (pct < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) {
        pct = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
      }
    }
    if (pct >= 100) {
      return numAllNodes;
    }
    int n = (int) ((long) numAllNodes * pct / 100);
    return Math.max(n, MIN_FEASIBLE_NODES_TO_FIND);
  }

  /** What a scheduling attempt decided. */
  public record ScheduleResult(String node, Diagnosis diagnosis, Status error, int evaluatedNodes, int feasibleNodes) {}

  /** One scheduling cycle for one pod. Public for the in-process benchmark and tests. */
  public void scheduleOne(QueuedPodInfo q) {
    PodInfo pod = q.podInfo();
    long start = System.nanoTime();
    if (pod.pod().getMetadata().getDeletionTimestamp() != null || cache.nodeOf(pod.uid()) != null) {
      queue.done(pod.key());
      return;
    }
    cache.updateSnapshot(snapshot);
    CycleState state = new CycleState();
    ScheduleResult r;
    try {
      r = schedulePod(state, pod);
    } catch (RuntimeException e) {
      log.error("scheduling {} failed", pod.key(), e);
      r = new ScheduleResult(null, null, Status.error(e.toString()), 0, 0);
    }
    if (r.node() == null) {
      handleFailure(q, state, r, start);
      return;
    }
    String node = r.node();
    cache.assumePod(pod, node);
    Status reserve = framework.runReserve(state, pod, node);
    if (!reserve.isSuccess()) {
      framework.runUnreserve(state, pod, node);
      cache.forgetPod(pod);
      handleFailure(q, state, new ScheduleResult(null, null, reserve, 0, 0), start);
      return;
    }
    metrics.attempt(SchedulerMetrics.SCHEDULED, System.nanoTime() - start);
    binders.execute(() -> bindingCycle(q, state, pod, node));
  }

  /** Filter, score and pick a node; or the diagnosis of why none fits. */
  ScheduleResult schedulePod(CycleState state, PodInfo pod) {
    var nodes = snapshot.list();
    int all = nodes.size();
    if (all == 0) {
      Diagnosis d = new Diagnosis();
      d.setTotalNodes(0);
      return new ScheduleResult(null, d, null, 0, 0);
    }
    Status pre = framework.runPreFilter(state, pod);
    if (!pre.isSuccess()) {
      if (pre.isRejected()) {
        Diagnosis d = new Diagnosis();
        d.setTotalNodes(all);
        d.setPreFilterMessage(pre.message());
        for (NodeInfo n : nodes) {
          d.record(n.name(), pre);
        }
        return new ScheduleResult(null, d, null, 0, 0);
      }
      return new ScheduleResult(null, null, pre, 0, 0);
    }
    // A pod that preempted before goes back to its nominated node if it fits there now.
    String nominated = pod.pod().getStatus() == null ? null : pod.pod().getStatus().getNominatedNodeName();
    if (nominated != null && !nominated.isEmpty()) {
      NodeInfo n = snapshot.get(nominated);
      if (n != null && framework.runFilter(state, pod, n).isSuccess()) {
        return new ScheduleResult(nominated, null, null, 1, 1);
      }
    }
    int toFind = numFeasibleNodesToFind(config.percentageOfNodesToScore(), all);
    feasible.clear();
    Diagnosis diagnosis = null;
    int processed = 0;
    int startIdx = nextStartNodeIndex % all;
    for (int i = 0; i < all && feasible.size() < toFind; i++) {
      NodeInfo n = nodes.get((startIdx + i) % all);
      processed++;
      Status s = framework.runFilter(state, pod, n);
      if (s.isSuccess()) {
        feasible.add(n);
      } else if (s.isRejected()) {
        if (diagnosis == null) {
          diagnosis = new Diagnosis();
        }
        diagnosis.record(n.name(), s);
      } else {
        return new ScheduleResult(null, null, s, processed, 0);
      }
    }
    nextStartNodeIndex = (startIdx + processed) % all;
    if (feasible.isEmpty()) {
      diagnosis.setTotalNodes(all);
      return new ScheduleResult(null, diagnosis, null, processed, 0);
    }
    if (feasible.size() == 1 || !framework.hasScore()) {
      return new ScheduleResult(feasible.get(0).name(), null, null, processed, feasible.size());
    }
    Status ps = framework.runPreScore(state, pod, feasible);
    if (!ps.isSuccess()) {
      return new ScheduleResult(null, null, ps, processed, feasible.size());
    }
    int n = feasible.size();
    if (totals.length < n) {
      totals = new long[Math.max(n, 2 * totals.length)];
      scratch = new long[totals.length];
    }
    framework.runScore(state, pod, feasible, totals, scratch);
    // Highest total wins; ties broken uniformly at random (reservoir sampling).
    int best = 0;
    int ties = 1;
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    for (int i = 1; i < n; i++) {
      if (totals[i] > totals[best]) {
        best = i;
        ties = 1;
      } else if (totals[i] == totals[best]) {
        ties++;
        if (rnd.nextInt(ties) == 0) {
          best = i;
        }
      }
    }
    return new ScheduleResult(feasible.get(best).name(), null, null, processed, n);
  }

  private void handleFailure(QueuedPodInfo q, CycleState state, ScheduleResult r, long start) {
    PodInfo pod = q.podInfo();
    if (r.error() != null) {
      metrics.attempt(SchedulerMetrics.ERROR, System.nanoTime() - start);
      String msg = r.error().message();
      log.warn("error scheduling {}: {}", pod.key(), msg);
      api.event(pod.pod(), "Warning", "FailedScheduling", "Scheduling", msg);
      queue.requeueFailed(q, false);
      return;
    }
    Diagnosis d = r.diagnosis();
    String nominated = null;
    if (framework.hasPostFilter() && d.totalNodes() > 0) {
      PostFilterPlugin.Result pf = framework.runPostFilter(state, pod, d);
      if (pf != null) {
        nominated = pf.nominatedNode();
        d.setPostFilterMessage(pf.status().isSuccess() ? null : pf.status().message());
      }
    }
    metrics.attempt(SchedulerMetrics.UNSCHEDULABLE, System.nanoTime() - start);
    String msg = d.message();
    if (log.isDebugEnabled()) {
      log.debug("{} unschedulable: {}", pod.key(), msg);
    }
    api.event(pod.pod(), "Warning", "FailedScheduling", "Scheduling", msg);
    if (nominated != null || !alreadyMarked(pod, msg)) {
      api.markUnschedulable(pod.pod(), msg, nominated);
    }
    queue.requeueFailed(q, true);
  }

  private static boolean alreadyMarked(PodInfo pod, String msg) {
    var st = pod.pod().getStatus();
    if (st == null || st.getConditions() == null) {
      return false;
    }
    for (PodCondition c : st.getConditions()) {
      if ("PodScheduled".equals(c.getType())) {
        return "False".equals(c.getStatus()) && msg.equals(c.getMessage());
      }
    }
    return false;
  }

  private void bindingCycle(QueuedPodInfo q, CycleState state, PodInfo pod, String node) {
    long t0 = System.nanoTime();
    Status s = framework.runPreBind(state, pod, node);
    if (s.isSuccess()) {
      s = framework.runBind(state, pod, node);
    }
    metrics.binding(System.nanoTime() - t0);
    if (s.isSuccess()) {
      queue.done(pod.key());
      metrics.e2e(System.nanoTime() - q.initialAttemptNanos());
      api.event(
          pod.pod(), "Normal", "Scheduled", "Binding", "Successfully assigned " + pod.key() + " to " + node);
      return;
    }
    framework.runUnreserve(state, pod, node);
    cache.forgetPod(pod);
    // The assumed pod no longer holds its node's resources: others waiting for them may fit now.
    queue.moveAllToActiveOrBackoff(ClusterEvent.ASSIGNED_POD_DELETE);
    String msg = s.message();
    if (msg.startsWith("404") || msg.contains("already assigned") || msg.startsWith("409")) {
      // The pod is gone or someone else bound it; the informer will tell us which.
      log.info("binding {} to {} rejected: {}", pod.key(), node, msg);
      queue.done(pod.key());
      return;
    }
    log.warn("binding {} to {} failed: {}", pod.key(), node, msg);
    api.event(pod.pod(), "Warning", "FailedScheduling", "Scheduling", "Binding rejected: " + msg);
    queue.requeueFailed(q, false);
  }

  /** Waits (for benchmarks/tests) until binder threads are idle. */
  public boolean awaitBindersIdle(long timeoutMs) throws InterruptedException {
    long end = System.currentTimeMillis() + timeoutMs;
    ThreadPoolExecutor ex = (ThreadPoolExecutor) binders;
    while (System.currentTimeMillis() < end) {
      if (ex.getActiveCount() == 0 && ex.getQueue().isEmpty()) {
        return true;
      }
      Thread.sleep(5);
    }
    return false;
  }
}
