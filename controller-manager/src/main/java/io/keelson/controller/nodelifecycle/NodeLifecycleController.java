package io.keelson.controller.nodelifecycle;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.keelson.controller.events.EventRecorder;
import io.keelson.controller.pod.PodConditions;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.keelson.controller.runtime.Tolerations;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Watches node heartbeats (Leases in kube-node-lease, and the Ready condition's heartbeat) and
 * reacts like Kubernetes' node lifecycle controller: a node silent for longer than the grace
 * period gets Ready=Unknown and the {@code node.kubernetes.io/unreachable:NoExecute} taint, a
 * node reporting Ready=False gets {@code not-ready:NoExecute}; pods on NoExecute-tainted nodes are
 * evicted once their toleration runs out (the flag defaults apply to pods without one), so their
 * owners recreate them elsewhere. When heartbeats resume the taints are removed.
 */
public final class NodeLifecycleController implements Reconciler, ManagedController {
  private static final Logger log = LoggerFactory.getLogger(NodeLifecycleController.class);
  public static final String NAME = "nodelifecycle";
  public static final String LEASE_NAMESPACE = "kube-node-lease";
  public static final String UNREACHABLE = "node.kubernetes.io/unreachable";
  public static final String NOT_READY = "node.kubernetes.io/not-ready";
  static final Duration MONITOR_PERIOD = Duration.ofSeconds(5);
  private static final String BY_NODE = "nodeName";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final KubernetesClient client;
  private final SharedIndexInformer<Node> nodes;
  private final SharedIndexInformer<Lease> leases;
  private final SharedIndexInformer<Pod> pods;
  private final EventRecorder events;
  private final Duration grace;
  private final Duration notReadyToleration;
  private final Duration unreachableToleration;
  private final Controller controller;
  /**
   * Per node, its latest heartbeat and when this controller saw it: silence is measured on this
   * controller's clock from that sighting, as kube's probeTimestamp is, so a controller (or a whole
   * cluster) that was down gives every node a full grace period before calling it unreachable, and
   * the agents' clocks do not matter.
   */
  private final Map<String, Sighting> sightings = new ConcurrentHashMap<>();

  private record Sighting(Instant heartbeat, Instant seenAt) {}

  public NodeLifecycleController(
      Informers informers,
      EventRecorder events,
      MeterRegistry metrics,
      Duration grace,
      Duration notReadyToleration,
      Duration unreachableToleration) {
    this.client = informers.client();
    this.events = events.forComponent("node-controller");
    this.grace = grace;
    this.notReadyToleration = notReadyToleration;
    this.unreachableToleration = unreachableToleration;
    this.nodes = informers.of(Node.class);
    this.leases = informers.of(Lease.class);
    this.pods = informers.of(Pod.class);
    informers.index(Pod.class, BY_NODE, p -> p.getSpec().getNodeName() == null ? List.of() : List.of(p.getSpec().getNodeName()));
    this.controller = new Controller(NAME, this, 2, metrics);
    nodes.addEventHandler(Informers.handler(n -> List.of(n.getMetadata().getName()), controller::enqueue));
    // A renewal matters only to a node marked silent (its taints and Ready=Unknown are lifted);
    // a healthy node is looked at again when its heartbeat would run out (see reconcile). At
    // 5,000 hollow nodes that is 500 renewals a second that no longer each cost a reconcile.
    leases.addEventHandler(
        Informers.handler(
            l -> {
              if (!LEASE_NAMESPACE.equals(l.getMetadata().getNamespace())) return List.of();
              if (l.getSpec() != null && l.getSpec().getRenewTime() != null) {
                sighted(l.getMetadata().getName(), l.getSpec().getRenewTime().toInstant()); // cheap: no reconcile
              }
              return markedSilent(l.getMetadata().getName()) ? List.of(l.getMetadata().getName()) : List.of();
            },
            controller::enqueue));
  }

  /** Whether the node carries what a missed heartbeat gives it (or is not Ready). */
  private boolean markedSilent(String name) {
    Node node = nodes.getIndexer().getByKey(name);
    if (node == null) return false;
    NodeCondition ready = ready(node);
    if (ready == null || !"True".equals(ready.getStatus())) return true;
    if (node.getSpec() == null || node.getSpec().getTaints() == null) return false;
    for (Taint t : node.getSpec().getTaints()) {
      if (UNREACHABLE.equals(t.getKey()) || NOT_READY.equals(t.getKey())) return true;
    }
    return false;
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  /**
   * When this controller saw the node's latest sign of life (lease renewal, Ready heartbeat, or for
   * a new node its creation): the first sighting of a node counts as now.
   */
  Instant lastHeartbeat(Node node) {
    return sighted(node.getMetadata().getName(), heartbeat(node));
  }

  private Instant sighted(String node, Instant heartbeat) {
    return sightings.compute(node, (k, s) -> s == null || heartbeat.isAfter(s.heartbeat()) ? new Sighting(heartbeat, Instant.now()) : s)
        .seenAt();
  }

  /** The latest sign of life the node itself reported. */
  private Instant heartbeat(Node node) {
    Instant last = PodConditions.parseTime(node.getMetadata().getCreationTimestamp());
    Lease lease = leases.getIndexer().getByKey(Informers.key(LEASE_NAMESPACE, node.getMetadata().getName()));
    if (lease != null && lease.getSpec() != null) {
      last = max(last, lease.getSpec().getRenewTime() == null ? null : lease.getSpec().getRenewTime().toInstant());
      last = max(last, lease.getSpec().getAcquireTime() == null ? null : lease.getSpec().getAcquireTime().toInstant());
    }
    NodeCondition ready = ready(node);
    if (ready != null) last = max(last, PodConditions.parseTime(ready.getLastHeartbeatTime()));
    return last == null ? Instant.EPOCH : last;
  }

  private static Instant max(Instant a, Instant b) {
    if (a == null) return b;
    if (b == null) return a;
    return a.isAfter(b) ? a : b;
  }

  private static NodeCondition ready(Node node) {
    if (node.getStatus() == null || node.getStatus().getConditions() == null) return null;
    for (NodeCondition c : node.getStatus().getConditions()) if ("Ready".equals(c.getType())) return c;
    return null;
  }

  @Override
  public Result reconcile(String name) throws Exception {
    Node node = nodes.getIndexer().getByKey(name);
    if (node == null) {
      sightings.remove(name);
      return Result.noUpdate();
    }
    Instant now = Instant.now();
    boolean silent = lastHeartbeat(node).plus(grace).isBefore(now);
    NodeCondition ready = ready(node);
    String readyStatus = ready == null ? "Unknown" : ready.getStatus();

    if (silent && (ready == null || !"Unknown".equals(readyStatus))) {
      markUnknown(node, now);
      readyStatus = "Unknown";
    }
    boolean wantUnreachable = silent;
    boolean wantNotReady = !silent && "False".equals(readyStatus);
    // NoExecute drives eviction; NoSchedule keeps the scheduler from placing replacements there
    // (pods tolerate the NoExecute taints for a while, so that alone would not).
    node = setTaint(node, UNREACHABLE, "NoExecute", wantUnreachable, now);
    node = setTaint(node, UNREACHABLE, "NoSchedule", wantUnreachable, now);
    node = setTaint(node, NOT_READY, "NoExecute", wantNotReady, now);
    node = setTaint(node, NOT_READY, "NoSchedule", wantNotReady, now);

    Duration next = evictPods(node, now);
    Duration check = silent ? MONITOR_PERIOD : untilSilent(node, now);
    return Result.requeueAfter(next == null || next.compareTo(check) > 0 ? check : next);
  }

  /**
   * When a healthy node should be looked at again: just after its heartbeat would run out, not
   * every {@link #MONITOR_PERIOD} (a renewal in between only moves the deadline, found then).
   */
  Duration untilSilent(Node node, Instant now) {
    Duration d = Duration.between(now, lastHeartbeat(node).plus(grace)).plusMillis(500);
    return d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d;
  }

  private void markUnknown(Node node, Instant now) {
    log.warn("node {} stopped posting status (last heartbeat {}, seen at {}); Ready=Unknown", node.getMetadata().getName(),
        heartbeat(node), lastHeartbeat(node));
    Node copy = new NodeBuilder(node).build();
    if (copy.getStatus() == null) copy.setStatus(new io.fabric8.kubernetes.api.model.NodeStatus());
    List<NodeCondition> conds = new ArrayList<>();
    NodeCondition old = ready(node);
    if (copy.getStatus().getConditions() != null) {
      for (NodeCondition c : copy.getStatus().getConditions()) if (!"Ready".equals(c.getType())) conds.add(c);
    }
    conds.add(
        new NodeConditionBuilder()
            .withType("Ready")
            .withStatus("Unknown")
            .withReason("NodeStatusUnknown")
            .withMessage(old == null ? "Kubelet never posted node status." : "Kubelet stopped posting node status.")
            .withLastHeartbeatTime(old == null ? null : old.getLastHeartbeatTime())
            .withLastTransitionTime(now.truncatedTo(ChronoUnit.SECONDS).toString())
            .build());
    copy.getStatus().setConditions(conds);
    try {
      client.nodes().resource(copy).updateStatus();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) throw e;
    }
    events.normal(node, "NodeNotReady", "Node " + node.getMetadata().getName() + " status is now: NodeNotReady");
  }

  /** Adds or removes a taint; returns the node as it now is. */
  private Node setTaint(Node node, String key, String effect, boolean want, Instant now) {
    List<Taint> taints =
        node.getSpec() == null || node.getSpec().getTaints() == null ? new ArrayList<>() : new ArrayList<>(node.getSpec().getTaints());
    boolean has = taints.stream().anyMatch(t -> key.equals(t.getKey()) && effect.equals(t.getEffect()));
    if (has == want) return node;
    if (want) {
      var taint = new TaintBuilder().withKey(key).withEffect(effect);
      if ("NoExecute".equals(effect)) taint.withTimeAdded(now.truncatedTo(ChronoUnit.SECONDS).toString());
      taints.add(taint.build());
      log.info("node {}: adding taint {}:{}", node.getMetadata().getName(), key, effect);
    } else {
      taints.removeIf(t -> key.equals(t.getKey()) && effect.equals(t.getEffect()));
      log.info("node {}: removing taint {}:{}", node.getMetadata().getName(), key, effect);
    }
    Map<String, Object> meta = new HashMap<>();
    meta.put("resourceVersion", node.getMetadata().getResourceVersion());
    Map<String, Object> spec = new HashMap<>();
    spec.put("taints", taints);
    String patch = JSON.writeValueAsString(Map.of("metadata", meta, "spec", spec));
    return client.nodes().withName(node.getMetadata().getName()).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
  }

  /**
   * Deletes pods whose tolerations of the node's NoExecute taints have run out; returns how long
   * until the next one will (null if none is pending).
   */
  private Duration evictPods(Node node, Instant now) {
    List<Taint> noExecute =
        node.getSpec() == null || node.getSpec().getTaints() == null
            ? List.of()
            : node.getSpec().getTaints().stream().filter(t -> "NoExecute".equals(t.getEffect())).toList();
    if (noExecute.isEmpty()) return null;
    Duration next = null;
    for (Pod pod : pods.getIndexer().byIndex(BY_NODE, node.getMetadata().getName())) {
      if (pod.getMetadata().getDeletionTimestamp() != null || PodConditions.isTerminated(pod)) continue;
      Instant evictAt = evictionTime(pod, noExecute);
      if (evictAt == null) continue;
      if (!evictAt.isAfter(now)) {
        evict(pod, node);
      } else {
        Duration d = Duration.between(now, evictAt);
        if (next == null || d.compareTo(next) < 0) next = d;
      }
    }
    return next;
  }

  /** When {@code pod} must leave a node with these taints (null = tolerates them forever). */
  Instant evictionTime(Pod pod, List<Taint> taints) {
    List<Toleration> tolerations = pod.getSpec().getTolerations() == null ? List.of() : pod.getSpec().getTolerations();
    Instant earliest = null;
    for (Taint taint : taints) {
      Instant added = taint.getTimeAdded() == null ? Instant.now() : PodConditions.parseTime(taint.getTimeAdded());
      if (added == null) added = Instant.now();
      Long seconds = null;
      boolean tolerated = false;
      boolean forever = false;
      for (Toleration t : tolerations) {
        if (!Tolerations.tolerates(t, taint)) continue;
        tolerated = true;
        if (t.getTolerationSeconds() == null) {
          forever = true;
        } else {
          long s = t.getTolerationSeconds();
          if (isAdmissionDefault(t, taint)) s = defaultFor(taint).toSeconds();
          seconds = seconds == null ? s : Math.min(seconds, s);
        }
      }
      Instant at;
      if (!tolerated) {
        // Kubernetes' DefaultTolerationSeconds admission gives every pod these two tolerations.
        if (UNREACHABLE.equals(taint.getKey())) at = added.plus(unreachableToleration);
        else if (NOT_READY.equals(taint.getKey())) at = added.plus(notReadyToleration);
        else at = added;
      } else if (seconds != null) {
        at = added.plusSeconds(Math.max(0, seconds));
      } else if (forever) {
        continue;
      } else {
        continue;
      }
      if (earliest == null || at.isBefore(earliest)) earliest = at;
    }
    return earliest;
  }

  /**
   * The api-server's DefaultTolerationSeconds admission gives every pod a 300 s toleration of
   * not-ready/unreachable; such an injected default yields to this controller's flags so that a
   * lab can shorten evictions without editing pods. A pod asking for its own value keeps it.
   */
  static boolean isAdmissionDefault(Toleration t, Taint taint) {
    return (UNREACHABLE.equals(taint.getKey()) || NOT_READY.equals(taint.getKey()))
        && taint.getKey().equals(t.getKey())
        && "Exists".equals(t.getOperator())
        && "NoExecute".equals(t.getEffect())
        && Long.valueOf(300).equals(t.getTolerationSeconds());
  }

  private Duration defaultFor(Taint taint) {
    return UNREACHABLE.equals(taint.getKey()) ? unreachableToleration : notReadyToleration;
  }

  private void evict(Pod pod, Node node) {
    log.info("evicting pod {}/{} from node {}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(), node.getMetadata().getName());
    events.normal(pod, "TaintManagerEviction", "Marking for deletion Pod " + pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName());
    try {
      client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).delete();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) throw e;
    }
  }

}
