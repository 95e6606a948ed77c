package io.keelson.controller.podgc;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.keelson.controller.pod.PodConditions;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic pod cleanup, as Kubernetes' podgc: keeps at most --terminated-pod-gc-threshold
 * terminated pods (oldest deleted first), force-deletes pods bound to nodes that no longer exist,
 * and force-deletes terminating pods that were never scheduled (no kubelet will finish them).
 */
public final class PodGarbageCollector implements Reconciler, ManagedController {
  private static final Logger log = LoggerFactory.getLogger(PodGarbageCollector.class);
  public static final String NAME = "podgc";
  static final Duration PERIOD = Duration.ofSeconds(20);
  private static final String KEY = "all";

  private final KubernetesClient client;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<Node> nodes;
  private final int threshold;
  private final Controller controller;

  public PodGarbageCollector(Informers informers, MeterRegistry metrics, int threshold) {
    this.client = informers.client();
    this.pods = informers.of(Pod.class);
    this.nodes = informers.of(Node.class);
    this.threshold = threshold;
    this.controller = new Controller(NAME, this, 1, metrics);
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public void start() {
    controller.enqueue(KEY);
  }

  @Override
  public Result reconcile(String key) {
    List<Pod> all = pods.getIndexer().list();
    gcTerminated(all);
    gcOrphaned(all);
    gcUnscheduledTerminating(all);
    return Result.requeueAfter(PERIOD);
  }

  private void gcTerminated(List<Pod> all) {
    if (threshold <= 0) return;
    List<Pod> terminated = new ArrayList<>(all.stream().filter(PodConditions::isTerminated).toList());
    int excess = terminated.size() - threshold;
    if (excess <= 0) return;
    terminated.sort(Comparator.comparing(p -> {
      Instant t = PodConditions.parseTime(p.getMetadata().getCreationTimestamp());
      return t == null ? Instant.EPOCH : t;
    }));
    log.info("deleting {} terminated pods over the threshold of {}", excess, threshold);
    for (Pod p : terminated.subList(0, excess)) forceDelete(p, false);
  }

  private void gcOrphaned(List<Pod> all) {
    for (Pod p : all) {
      String node = p.getSpec().getNodeName();
      if (node == null || node.isEmpty() || nodes.getIndexer().getByKey(node) != null) continue;
      // The cache may lag a just-registered node: confirm with the api-server.
      if (client.nodes().withName(node).get() != null) continue;
      log.info("pod {}/{} is bound to node {} that no longer exists", p.getMetadata().getNamespace(), p.getMetadata().getName(), node);
      forceDelete(p, true);
    }
  }

  private void gcUnscheduledTerminating(List<Pod> all) {
    for (Pod p : all) {
      if (p.getMetadata().getDeletionTimestamp() == null) continue;
      String node = p.getSpec().getNodeName();
      if (node != null && !node.isEmpty()) continue;
      forceDelete(p, true);
    }
  }

  private void forceDelete(Pod p, boolean force) {
    try {
      var r = client.pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName());
      if (force) r.withGracePeriod(0).delete();
      else r.delete();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) throw e;
    }
  }
}
