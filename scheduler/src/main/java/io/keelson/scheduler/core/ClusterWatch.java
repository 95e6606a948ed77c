package io.keelson.scheduler.core;

import io.keelson.client.watch.InformerRetries;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.keelson.client.watch.LeanInformer;
import io.keelson.scheduler.cache.SchedulerCache;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.queue.ClusterEvent;
import io.keelson.scheduler.queue.SchedulingQueue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shared informers for pods, nodes, PriorityClasses, RuntimeClasses and storage (claims, volumes,
 * classes), feeding the cache (bound pods, nodes) and the queue (this scheduler's unbound pods), and requeueing unschedulable pods on
 * the events that can help them. Also resolves what admission would have filled in on a pod
 * (priority from its PriorityClass, RuntimeClass overhead).
 */
public final class ClusterWatch implements PodInfo.Resolver, io.keelson.scheduler.framework.StorageLister, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClusterWatch.class);
  static final int SYSTEM_CLUSTER_CRITICAL = 2_000_000_000;
  static final int SYSTEM_NODE_CRITICAL = 2_000_001_000;

  private final KubernetesClient client;
  private final SchedulerCache cache;
  private final SchedulingQueue queue;
  private final String schedulerName;
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private SharedIndexInformer<PriorityClass> priorityClasses;
  private SharedIndexInformer<RuntimeClass> runtimeClasses;
  private SharedIndexInformer<PersistentVolumeClaim> claims;
  private SharedIndexInformer<PersistentVolume> volumes;
  private SharedIndexInformer<StorageClass> storageClasses;

  public ClusterWatch(KubernetesClient client, SchedulerCache cache, SchedulingQueue queue, String schedulerName) {
    this.client = client;
    this.cache = cache;
    this.queue = queue;
    this.schedulerName = schedulerName;
  }

  /** Starts all informers; waits for nodes and pods to be listed (PriorityClass/RuntimeClass best effort). */
  public void start(long syncTimeoutMs) throws Exception {
    // Class informers first so pods get the right priority/overhead from the start.
    priorityClasses = InformerRetries.forever(client.scheduling().v1().priorityClasses().runnableInformer(0));
    priorityClasses.addEventHandler(classEvents(ClusterEvent.PRIORITY_CLASS_CHANGE));
    runtimeClasses = InformerRetries.forever(client.runtimeClasses().runnableInformer(0));
    runtimeClasses.addEventHandler(classEvents(ClusterEvent.RUNTIME_CLASS_CHANGE));
    informers.add(priorityClasses);
    informers.add(runtimeClasses);
    priorityClasses.start();
    runtimeClasses.start();
    if (!awaitSynced(List.of(priorityClasses, runtimeClasses), Math.min(syncTimeoutMs, 10_000))) {
      log.warn("PriorityClass/RuntimeClass informers not synced yet; continuing without them for now");
    }
    // claims, volumes and classes for VolumeBinding; a binder's change may make a waiting pod schedulable
    claims = InformerRetries.forever(client.persistentVolumeClaims().inAnyNamespace().runnableInformer(0));
    volumes = InformerRetries.forever(client.persistentVolumes().runnableInformer(0));
    storageClasses = InformerRetries.forever(client.storage().v1().storageClasses().runnableInformer(0));
    for (SharedIndexInformer<?> i : List.of(claims, volumes, storageClasses)) {
      addStorageHandler(i);
      informers.add(i);
      i.start();
    }
    if (!awaitSynced(List.of(claims, volumes, storageClasses), Math.min(syncTimeoutMs, 10_000))) {
      log.warn("PersistentVolumeClaim/PersistentVolume/StorageClass informers not synced yet; continuing without them for now");
    }
    SharedIndexInformer<Node> nodes = InformerRetries.forever(client.nodes().runnableInformer(0));
    nodes.addEventHandler(new NodeEvents());
    informers.add(nodes);
    nodes.start();
    SharedIndexInformer<Pod> pods =
        client.getConfiguration().isOnlyHttpWatches()
            // pods, the bulk of the events, through a leaner list and watch than fabric8's (see LeanInformer)
            ? new LeanInformer<>(client, Pod.class)
            // a client that watches over WebSockets (tests' mock server): fabric8's informer
            : InformerRetries.forever(client.pods().inAnyNamespace().runnableInformer(0));
    pods.addEventHandler(new PodEvents());
    informers.add(pods);
    pods.start();
    if (!awaitSynced(List.of(nodes, pods), syncTimeoutMs)) {
      throw new java.util.concurrent.TimeoutException("nodes/pods not listed within " + syncTimeoutMs + " ms");
    }
    log.info("informers synced: {} nodes, {} pods known", cache.nodeCount(), cache.podCount());
  }

  /**
   * Waits for the initial lists. Deliberately not on start()'s future: that also waits for the
   * watch response headers, which a server may only send with the first event.
   */
  private static boolean awaitSynced(List<SharedIndexInformer<?>> list, long timeoutMs) throws InterruptedException {
    long end = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < end) {
      if (list.stream().allMatch(SharedIndexInformer::hasSynced)) {
        return true;
      }
      Thread.sleep(20);
    }
    return false;
  }

  private <T> ResourceEventHandler<T> classEvents(ClusterEvent event) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        queue.moveAllToActiveOrBackoff(event);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        queue.moveAllToActiveOrBackoff(event);
      }

      @Override
      public void onDelete(T obj, boolean unknown) {}
    };
  }

  @Override
  public int priority(Pod pod) {
    var spec = pod.getSpec();
    if (spec == null) {
      return 0;
    }
    if (spec.getPriority() != null) {
      return spec.getPriority();
    }
    String pc = spec.getPriorityClassName();
    if (pc != null && !pc.isEmpty()) {
      if (pc.equals("system-cluster-critical")) {
        return SYSTEM_CLUSTER_CRITICAL;
      }
      if (pc.equals("system-node-critical")) {
        return SYSTEM_NODE_CRITICAL;
      }
      PriorityClass c = priorityClasses == null ? null : priorityClasses.getStore().getByKey(pc);
      return c == null || c.getValue() == null ? 0 : c.getValue();
    }
    if (priorityClasses != null) {
      for (PriorityClass c : priorityClasses.getStore().list()) {
        if (Boolean.TRUE.equals(c.getGlobalDefault()) && c.getValue() != null) {
          return c.getValue();
        }
      }
    }
    return 0;
  }

  @Override
  public Map<String, Quantity> runtimeClassOverhead(String name) {
    RuntimeClass rc = runtimeClass(name);
    return rc == null || rc.getOverhead() == null ? null : rc.getOverhead().getPodFixed();
  }

  private <T> void addStorageHandler(SharedIndexInformer<T> informer) {
    informer.addEventHandler(classEvents(ClusterEvent.STORAGE_CHANGE));
  }

  @Override
  public PersistentVolumeClaim claim(String namespace, String name) {
    return claims == null ? null : claims.getStore().getByKey(namespace + "/" + name);
  }

  @Override
  public PersistentVolume volume(String name) {
    return volumes == null ? null : volumes.getStore().getByKey(name);
  }

  @Override
  public StorageClass storageClass(String name) {
    return storageClasses == null ? null : storageClasses.getStore().getByKey(name);
  }

  public RuntimeClass runtimeClass(String name) {
    return runtimeClasses == null ? null : runtimeClasses.getStore().getByKey(name);
  }

  static boolean assigned(Pod p) {
    return p.getSpec() != null && p.getSpec().getNodeName() != null && !p.getSpec().getNodeName().isEmpty();
  }

  static boolean terminal(Pod p) {
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  private boolean responsible(Pod p) {
    String s = p.getSpec() == null ? null : p.getSpec().getSchedulerName();
    return schedulerName.equals(s == null || s.isEmpty() ? "default-scheduler" : s);
  }

  private final class PodEvents implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod pod) {
      try {
        if (assigned(pod)) {
          if (!terminal(pod)) {
            cache.addOrUpdatePod(PodInfo.of(pod, ClusterWatch.this), pod.getSpec().getNodeName());
          }
        } else if (responsible(pod) && !terminal(pod) && pod.getMetadata().getDeletionTimestamp() == null) {
          queue.add(PodInfo.of(pod, ClusterWatch.this));
        }
      } catch (RuntimeException e) {
        log.warn("ignoring pod {}/{}: {}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(), e.toString());
      }
    }

    @Override
    public void onUpdate(Pod old, Pod pod) {
      try {
        if (assigned(pod)) {
          String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
          if (!assigned(old)) {
            queue.delete(key);
          }
          if (terminal(pod)) {
            if (!terminal(old) || !assigned(old)) {
              cache.removePod(uidOf(pod));
              queue.moveAllToActiveOrBackoff(ClusterEvent.ASSIGNED_POD_DELETE);
            }
            return;
          }
          boolean relevant =
              !assigned(old)
                  || !Objects.equals(old.getSpec(), pod.getSpec())
                  || !Objects.equals(old.getMetadata().getLabels(), pod.getMetadata().getLabels())
                  || !Objects.equals(old.getMetadata().getDeletionTimestamp(), pod.getMetadata().getDeletionTimestamp());
          if (relevant) {
            cache.addOrUpdatePod(PodInfo.of(pod, ClusterWatch.this), pod.getSpec().getNodeName());
            if (assigned(old) && !Objects.equals(old.getMetadata().getLabels(), pod.getMetadata().getLabels())) {
              queue.moveAllToActiveOrBackoff(ClusterEvent.ASSIGNED_POD_UPDATE);
            }
          }
        } else if (responsible(pod)) {
          String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
          if (terminal(pod) || pod.getMetadata().getDeletionTimestamp() != null) {
            queue.delete(key);
            return;
          }
          boolean specChanged =
              !Objects.equals(old.getSpec(), pod.getSpec())
                  || !Objects.equals(old.getMetadata().getLabels(), pod.getMetadata().getLabels());
          queue.update(PodInfo.of(pod, ClusterWatch.this), specChanged);
        }
      } catch (RuntimeException e) {
        log.warn("ignoring update of pod {}/{}: {}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(), e.toString());
      }
    }

    @Override
    public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
      if (assigned(pod) || cache.nodeOf(uidOf(pod)) != null) {
        cache.removePod(uidOf(pod));
        queue.moveAllToActiveOrBackoff(ClusterEvent.ASSIGNED_POD_DELETE);
      }
      queue.delete(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName());
    }
  }

  private static String uidOf(Pod p) {
    String uid = p.getMetadata().getUid();
    return uid != null ? uid : p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
  }

  private final class NodeEvents implements ResourceEventHandler<Node> {
    @Override
    public void onAdd(Node node) {
      cache.addOrUpdateNode(node);
      queue.moveAllToActiveOrBackoff(ClusterEvent.NODE_ADD);
    }

    @Override
    public void onUpdate(Node old, Node node) {
      // Heartbeats change only status conditions; they must not churn the cache or the queue.
      boolean relevant =
          !Objects.equals(old.getMetadata().getLabels(), node.getMetadata().getLabels())
              || !Objects.equals(old.getSpec(), node.getSpec())
              || !Objects.equals(allocatable(old), allocatable(node));
      if (relevant) {
        cache.addOrUpdateNode(node);
        queue.moveAllToActiveOrBackoff(ClusterEvent.NODE_UPDATE);
      }
    }

    @Override
    public void onDelete(Node node, boolean deletedFinalStateUnknown) {
      cache.removeNode(node.getMetadata().getName());
    }
  }

  private static Object allocatable(Node n) {
    return n.getStatus() == null ? null : n.getStatus().getAllocatable();
  }

  @Override
  public void close() {
    for (SharedIndexInformer<?> i : informers) {
      try {
        i.close();
      } catch (RuntimeException ignored) {
        // closing anyway
      }
    }
  }
}
