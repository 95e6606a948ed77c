package io.keelson.apiserver.metrics;

import io.keelson.apiserver.registry.ListOptions;
import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.rest.ApiPath;
import io.keelson.apiserver.rest.Responses;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import io.keelson.apiserver.streaming.PodAgents;
import io.keelson.proto.node.v1.ContainerStats;
import io.keelson.proto.node.v1.ListPodStatsRequest;
import io.keelson.proto.node.v1.ListPodStatsResponse;
import io.keelson.proto.node.v1.NodeStats;
import io.keelson.proto.node.v1.PodStats;
import io.grpc.stub.StreamObserver;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code metrics.k8s.io/v1beta1} — NodeMetrics and PodMetrics, so that {@code kubectl top} works
 * (ROADMAP: autoscaling builds on it). Where Kubernetes runs metrics-server scraping the kubelets,
 * the api-server asks the agents' {@code AgentService.ListPodStats} when a request comes, one call
 * per agent, and turns their cumulative CPU counters into rates against the previous sample
 * ({@link UsageRates}); the very first request samples twice, a second apart. Read-only: get and
 * list. A node's usage is what its agent reports: the whole host's, as a kubelet reports its root
 * cgroup (a hollow node: the sum of its pods' containers).
 */
@Component
public class MetricsApi {

  private static final Logger log = LoggerFactory.getLogger(MetricsApi.class);
  private static final String API_VERSION = "metrics.k8s.io/v1beta1";

  private final ResourceService resources;
  private final PodAgents agents;
  private final UsageRates rates = new UsageRates();
  private final ResourceType nodes = ResourceRegistry.find("", "v1", "nodes").orElseThrow();
  private final ResourceType pods = ResourceRegistry.find("", "v1", "pods").orElseThrow();

  public MetricsApi(ResourceService resources, PodAgents agents) {
    this.resources = resources;
    this.agents = agents;
  }

  /** Whether {@code t} is one of the metrics kinds this class computes (not stored in etcd). */
  public static boolean serves(ResourceType t) {
    return t.group().equals("metrics.k8s.io");
  }

  /** Serve a request on a metrics resource; returns the HTTP code written. */
  public int handle(ApiPath p, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    Responses.requireRead(p, req, "the metrics API");
    ListOptions opts = io.keelson.apiserver.rest.ApiController.listOptions(req, p.type());
    List<ObjectNode> items = p.type().resource().equals("nodes") ? nodeMetrics(p.name(), opts) : podMetrics(p.namespace(), p.name(), opts);
    if (p.name() != null) {
      if (items.isEmpty()) throw StatusException.notFound(p.type(), p.namespace() == null ? p.name() : p.namespace() + "/" + p.name());
      return Responses.computed(req, resp, p.type(), items, false);
    }
    return Responses.computed(req, resp, p.type(), items, true);
  }

  // ---------------------------------------------------------------- nodes

  private List<ObjectNode> nodeMetrics(String name, ListOptions opts) {
    List<ObjectNode> wanted = new ArrayList<>();
    for (ObjectNode n : resources.list(nodes, null, ListOptions.ALL).items()) {
      if ((name == null || name.equals(nameOf(n))) && opts.matches(n)) wanted.add(n);
    }
    Map<String, NodeStats> stats = sample(wanted, true);
    List<ObjectNode> out = new ArrayList<>();
    for (ObjectNode n : wanted) {
      NodeStats s = stats.get(nameOf(n));
      if (s == null) continue;
      UsageRates.Rate r = rates.observe("node/" + nameOf(n), s.getTimestampMillis(), s.getCpuUsageNanos());
      if (r == null) continue;
      ObjectNode m = object("NodeMetrics", n, s.getTimestampMillis(), r.windowMillis());
      usage(m.putObject("usage"), r.nanocores(), s.getMemoryWorkingSetBytes());
      out.add(m);
    }
    return out;
  }

  // ---------------------------------------------------------------- pods

  private List<ObjectNode> podMetrics(String namespace, String name, ListOptions opts) {
    List<ObjectNode> wanted = new ArrayList<>();
    for (ObjectNode pod : resources.list(pods, namespace, ListOptions.ALL).items()) {
      if (name != null && !name.equals(nameOf(pod))) continue;
      if (!"Running".equals(pod.path("status").path("phase").asString("")) || !opts.matches(pod)) continue;
      if (pod.path("spec").path("nodeName").asString("").isEmpty()) continue;
      wanted.add(pod);
    }
    Map<String, ObjectNode> nodesOfPods = new LinkedHashMap<>();
    for (ObjectNode pod : wanted) {
      String node = pod.path("spec").path("nodeName").asString();
      ObjectNode n = resources.cached(nodes, null, node);
      if (n != null) nodesOfPods.putIfAbsent(node, n);
    }
    Map<String, NodeStats> stats = sample(new ArrayList<>(nodesOfPods.values()), false);
    Map<String, PodStats> byUid = new HashMap<>();
    for (NodeStats ns : stats.values()) for (PodStats ps : ns.getPodsList()) byUid.put(ps.getUid(), ps);
    List<ObjectNode> out = new ArrayList<>();
    for (ObjectNode pod : wanted) {
      PodStats ps = byUid.get(pod.path("metadata").path("uid").asString(""));
      if (ps == null || ps.getContainersCount() == 0) continue;
      long window = 0;
      long ts = 0;
      ArrayNode containers = ObjectCodec.JSON.createArrayNode();
      boolean complete = true;
      for (ContainerStats cs : ps.getContainersList()) {
        UsageRates.Rate r = rates.observe("pod/" + ps.getUid() + "/" + cs.getName(), cs.getTimestampMillis(), cs.getCpuUsageNanos());
        if (r == null) {
          complete = false;
          continue;
        }
        window = Math.max(window, r.windowMillis());
        ts = Math.max(ts, cs.getTimestampMillis());
        ObjectNode c = containers.addObject();
        c.put("name", cs.getName());
        usage(c.putObject("usage"), r.nanocores(), cs.getMemoryWorkingSetBytes());
      }
      if (!complete) continue;
      ObjectNode m = object("PodMetrics", pod, ts, window);
      m.set("containers", containers);
      out.add(m);
    }
    return out;
  }

  // ---------------------------------------------------------------- sampling

  /**
   * The agents' stats of these nodes by node name, one call per agent endpoint, in parallel. When a
   * node or container has no previous sample yet (the first request), samples again a second later
   * so that rates can be given at once.
   */
  private Map<String, NodeStats> sample(List<ObjectNode> ofNodes, boolean forNodes) {
    Map<String, NodeStats> first = fetch(ofNodes);
    boolean unseen = false;
    for (NodeStats s : first.values()) {
      if (forNodes) {
        unseen |= base("node/" + s.getNodeName(), s.getTimestampMillis(), s.getCpuUsageNanos());
      } else {
        for (PodStats ps : s.getPodsList()) {
          for (ContainerStats cs : ps.getContainersList()) {
            unseen |= base("pod/" + ps.getUid() + "/" + cs.getName(), cs.getTimestampMillis(), cs.getCpuUsageNanos());
          }
        }
      }
    }
    rates.expire(System.currentTimeMillis());
    if (!unseen) return first;
    try {
      Thread.sleep(UsageRates.MIN_WINDOW_MILLIS * 2);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return first;
    }
    return fetch(ofNodes);
  }

  /** True when {@code key} has no usable previous sample: this one becomes its base. */
  private boolean base(String key, long timestampMillis, long cpuNanos) {
    if (rates.canRate(key, timestampMillis)) return false;
    rates.seed(key, timestampMillis, cpuNanos);
    return true;
  }

  private Map<String, NodeStats> fetch(List<ObjectNode> ofNodes) {
    // One call per agent: a hollow agent serves many nodes behind one endpoint.
    Map<String, String> nodeByEndpoint = new LinkedHashMap<>();
    for (ObjectNode n : ofNodes) nodeByEndpoint.putIfAbsent(endpoint(n), nameOf(n));
    List<CompletableFuture<ListPodStatsResponse>> calls = new ArrayList<>();
    for (String node : nodeByEndpoint.values()) {
      CompletableFuture<ListPodStatsResponse> f = new CompletableFuture<>();
      calls.add(f);
      Thread.ofVirtual().start(() -> {
        try {
          agents.agentOf(node).withDeadlineAfter(5, TimeUnit.SECONDS)
              .listPodStats(ListPodStatsRequest.getDefaultInstance(), new StreamObserver<>() {
                @Override
                public void onNext(ListPodStatsResponse r) {
                  f.complete(r);
                }

                @Override
                public void onError(Throwable t) {
                  f.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {
                  f.complete(ListPodStatsResponse.getDefaultInstance());
                }
              });
        } catch (RuntimeException e) {
          f.completeExceptionally(e);
        }
      });
    }
    Map<String, NodeStats> out = new HashMap<>();
    for (CompletableFuture<ListPodStatsResponse> f : calls) {
      try {
        for (NodeStats s : f.get(10, TimeUnit.SECONDS).getNodesList()) out.put(s.getNodeName(), s);
      } catch (Exception e) {
        log.debug("stats from an agent failed: {}", e.toString()); // its nodes get no metrics, as with metrics-server
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- objects

  private static String nameOf(ObjectNode o) {
    return o.path("metadata").path("name").asString("");
  }

  private static String endpoint(ObjectNode node) {
    return PodAgents.internalIp(node) + ":" + PodAgents.agentPort(node);
  }

  private static ObjectNode object(String kind, ObjectNode of, long timestampMillis, long windowMillis) {
    ObjectNode m = ObjectCodec.JSON.createObjectNode();
    m.put("kind", kind);
    m.put("apiVersion", API_VERSION);
    ObjectNode md = m.putObject("metadata");
    md.put("name", nameOf(of));
    String ns = of.path("metadata").path("namespace").asString("");
    if (!ns.isEmpty()) md.put("namespace", ns);
    md.put("creationTimestamp", Instant.ofEpochMilli(timestampMillis).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
    if (of.path("metadata").has("labels")) md.set("labels", of.path("metadata").get("labels").deepCopy());
    m.put("timestamp", Instant.ofEpochMilli(timestampMillis).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
    m.put("window", String.format(Locale.ROOT, "%.3fs", windowMillis / 1000.0));
    return m;
  }

  /** Quantities as metrics-server writes them: nanocores and kibibytes. */
  static void usage(ObjectNode u, long nanocores, long memoryBytes) {
    u.put("cpu", nanocores + "n");
    u.put("memory", (memoryBytes / 1024) + "Ki");
  }
}
