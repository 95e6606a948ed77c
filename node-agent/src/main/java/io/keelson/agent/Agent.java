package io.keelson.agent;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.keelson.agent.api.AssignmentWatcher;
import io.keelson.agent.api.LeaseRenewer;
import io.keelson.agent.api.NodeServiceConnection;
import io.keelson.agent.api.StatusReporter;
import io.keelson.agent.dns.NodeDns;
import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.Fingerprint;
import io.keelson.agent.driver.WorkloadDriver;
import io.keelson.agent.metrics.AgentMetrics;
import io.keelson.agent.metrics.HostUsage;
import io.keelson.agent.network.CniNetwork;
import io.keelson.agent.node.NodeFactory;
import io.keelson.agent.volume.LocalPathVolumes;
import io.keelson.agent.node.NodeResources;
import io.keelson.agent.pod.ClusterObjects;
import io.keelson.agent.pod.ControlPlane;
import io.keelson.agent.pod.DriverSelector;
import io.keelson.agent.pod.ImageProvider;
import io.keelson.agent.pod.NetworkProvider;
import io.keelson.agent.pod.NodeContext;
import io.keelson.agent.pod.PodManager;
import io.keelson.agent.proxy.Nft;
import io.keelson.agent.netpol.PolicyEnforcer;
import io.keelson.agent.proxy.ServiceProxy;
import io.keelson.agent.server.AgentServer;
import io.keelson.agent.server.AgentServiceImpl;
import io.keelson.agent.service.ServiceCatalog;
import io.keelson.agent.state.PodState;
import io.keelson.agent.state.StateStore;
import io.keelson.proto.node.v1.ConfirmPodTerminationRequest;
import io.keelson.proto.node.v1.PodAssignment;
import io.keelson.proto.node.v1.RegisterNodeRequest;
import io.keelson.proto.node.v1.RegisterNodeResponse;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent process: registers its node (or M hollow nodes), renews their Leases, runs a pod
 * worker per assigned pod, reports statuses and serves AgentService. All nodes of the process share
 * one gRPC channel to the api-server, one status stream and one assignment stream.
 */
public final class Agent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Agent.class);

  /** How pods reach runtimes, images and the network on this host. */
  public record Runtime(
      Map<String, WorkloadDriver> driversByHandler,
      String defaultHandler,
      ImageProvider images,
      Supplier<NetworkProvider> networkPerNode,
      ClusterObjects objects) {}

  private final AgentOptions options;
  private final Runtime runtime;
  private final NodeServiceConnection connection;
  private final String agentToken;
  private final List<String> nodeNames = new ArrayList<>();
  private final Map<String, PodManager> managers = new LinkedHashMap<>();
  private final ScheduledExecutorService timers =
      Executors.newScheduledThreadPool(2, Thread.ofPlatform().name("agent-timer-", 0).daemon().factory());
  private final StatusReporter reporter;
  private final NodeFactory nodeFactory;
  /** This node's local-path volumes: their root and the removal of deleted ones (null on hollow nodes). */
  private final LocalPathVolumes localPath;
  private final DriverSelector selector;
  private AssignmentWatcher watcher;
  private LeaseRenewer leases;
  private AgentServer server;
  private Duration backoffBase = Duration.ofSeconds(10);
  private volatile Map<String, Fingerprint> lastFingerprints = Map.of();
  private final AgentMetrics metrics;
  /** The node-local cluster DNS (real nodes that watch Services), else null. */
  private final NodeDns dns;
  private ServiceProxy proxy;
  private PolicyEnforcer policies;

  public Agent(AgentOptions options, Runtime runtime, NodeServiceConnection connection) {
    this.options = options;
    this.runtime = runtime;
    this.connection = connection;
    byte[] token = new byte[24];
    new SecureRandom().nextBytes(token);
    this.agentToken = HexFormat.of().formatHex(token);
    this.reporter = new StatusReporter(connection);
    this.nodeFactory =
        new NodeFactory(
            NodeResources.detect(options.stateDir()),
            options.systemReservedCpuMillis(),
            options.systemReservedMemoryBytes());
    this.metrics = new AgentMetrics(this::podCount, !options.hollow());
    this.localPath = options.hollow() || runtime.objects() == null ? null : new LocalPathVolumes(options.stateDir(), runtime.objects());
    this.selector = new DriverSelector(runtime.driversByHandler(), runtime.defaultHandler(), runtime.objects());
    ServiceCatalog services = runtime.objects() == null ? null : runtime.objects().services();
    this.dns = options.hollow() || services == null ? null : new NodeDns(services, metrics.registry());
    if (options.hollow()) {
      for (int i = 1; i <= options.hollowNodes(); i++) {
        nodeNames.add(options.nodeName() + "-" + i);
      }
    } else {
      nodeNames.add(options.nodeName());
    }
  }

  /** Restart back-off base (10 s in production; tests make it short). */
  public Agent backoffBase(Duration base) {
    this.backoffBase = base;
    return this;
  }

  public Map<String, PodManager> managers() {
    return managers;
  }

  public List<String> nodeNames() {
    return nodeNames;
  }

  private int podCount() {
    synchronized (managers) {
      return managers.values().stream().mapToInt(m -> m.workers().size()).sum();
    }
  }

  /** Pod start latency, pod count, memory; served on --metrics-port by {@link AgentMain}. */
  public AgentMetrics metrics() {
    return metrics;
  }

  public String agentToken() {
    return agentToken;
  }

  public int port() {
    return server.port();
  }

  public Agent start() throws Exception {
    StateStore state = new StateStore(options.stateDir());
    ControlPlane controlPlane = new ControlPlane() {
      @Override
      public void reportStatus(String namespace, String name, String uid, String statusJson) {
        reporter.report(namespace, name, uid, statusJson);
      }

      @Override
      public void forget(String uid) {
        reporter.forget(uid);
      }

      @Override
      public void confirmTermination(String namespace, String name, String uid) {
        connection.blocking().withDeadlineAfter(10, TimeUnit.SECONDS).confirmPodTermination(
            ConfirmPodTerminationRequest.newBuilder().setNamespace(namespace).setName(name).setUid(uid).build());
      }
    };
    List<PodState> persisted = options.hollow() ? List.of() : state.loadAll();
    for (String n : nodeNames) {
      NodeContext ctx = new NodeContext(
          n, options.address(), selector, runtime.images(), runtime.networkPerNode().get(), runtime.objects(),
          controlPlane, options.hollow() ? new StateStore(options.stateDir().resolve("hollow").resolve(n)) : state,
          timers, options.hollow(), backoffBase, Duration.ofMinutes(5), metrics);
      PodManager m = new PodManager(ctx);
      if (!options.hollow()) {
        NetworkProvider net = ctx.network();
        metrics.gauge("keelson.agent.network.pool.ready", "Pod networks set up ahead of pods, ready to be handed out", net::ready);
      }
      m.recover(persisted);
      synchronized (managers) { // the metrics endpoint may already be counting pods
        managers.put(n, m);
      }
    }
    startServiceProxy();
    startNetworkPolicies();
    server = new AgentServer(options.address(), options.port(), agentToken, new AgentServiceImpl(managers, options.hollow() ? null : new HostUsage())).start();
    reporter.start();
    leases = new LeaseRenewer(connection, this::register);
    leases.onResumed(names -> Thread.ofVirtual().start(() -> {
      log.info("leases of {} node(s) renewed again after a failure: posting their Ready condition", names.size());
      postNodeStatus(names, lastFingerprints);
    }));
    watcher = new AssignmentWatcher(connection, nodeNames, () -> register(nodeNames), new AssignmentWatcher.Listener() {
      @Override
      public void snapshotStarted() {
        managers.values().forEach(PodManager::snapshotStarted);
      }

      @Override
      public void pod(PodAssignment.Type type, String nodeName, io.fabric8.kubernetes.api.model.Pod pod) {
        PodManager m = managers.get(nodeName);
        if (m != null) {
          m.pod(type, pod);
        }
      }

      @Override
      public void synced() {
        managers.values().forEach(PodManager::synced);
      }
    });
    watcher.start();
    if (!options.hollow()) {
      timers.scheduleWithFixedDelay(
          () -> Thread.ofVirtual().start(this::refreshNodeStatus), 60, 60, TimeUnit.SECONDS);
      if (localPath != null) {
        timers.scheduleWithFixedDelay(() -> Thread.ofVirtual().start(localPath::sweep), 10, 15, TimeUnit.SECONDS);
      }
    }
    log.info("agent serving {} node(s) ({}), AgentService on {}:{}", nodeNames.size(),
        nodeNames.size() == 1 ? nodeNames.get(0) : nodeNames.get(0) + ".." + nodeNames.get(nodeNames.size() - 1),
        options.address(), server.port());
    return this;
  }

  /** Routes Services on a real node whose objects include the Service catalog (not hollow or fake nodes). */
  private void startServiceProxy() throws java.io.IOException {
    var catalog = runtime.objects().services();
    if (options.hollow() || catalog == null) {
      return;
    }
    String table = ServiceProxy.tableName(CniNetwork.nodeHash(options.nodeName(), options.stateDir().resolve("network")));
    proxy = new ServiceProxy(catalog, options.nodeName(), table, options.stateDir(), Nft.fromPath(),
        problem -> runtime.objects().nodeEvent("Warning", "ServiceProxyUnavailable", problem))
        .metrics(metrics.registry())
        .start();
  }

  /** Enforces NetworkPolicies on a real node that watches them (never on hollow or fake nodes). */
  private void startNetworkPolicies() throws java.io.IOException {
    var catalog = runtime.objects().networkPolicies();
    if (options.hollow() || catalog == null) {
      return;
    }
    String table = PolicyEnforcer.tableName(CniNetwork.nodeHash(options.nodeName(), options.stateDir().resolve("network")));
    policies = new PolicyEnforcer(catalog, options.nodeName(), table, options.stateDir(), Nft.fromPath(),
        problem -> runtime.objects().nodeEvent("Warning", "NetworkPolicyUnavailable", problem))
        .metrics(metrics.registry())
        .start();
  }

  private Map<String, Fingerprint> fingerprints() {
    Map<String, Fingerprint> fingerprints = new LinkedHashMap<>();
    for (WorkloadDriver d : selector.drivers()) {
      try {
        fingerprints.put(d.name(), d.fingerprint());
      } catch (RuntimeException e) {
        fingerprints.put(d.name(), Fingerprint.unhealthy(e.toString(), Map.of()));
      }
    }
    return fingerprints;
  }

  /**
   * Every minute (real nodes only): a runtime whose health or attributes changed re-registers the
   * node (labels, Ready message); otherwise the conditions' heartbeat is refreshed.
   */
  private void refreshNodeStatus() {
    try {
      Map<String, Fingerprint> now = fingerprints();
      if (!now.equals(lastFingerprints)) {
        log.info("runtime fingerprints changed: registering again");
        register(nodeNames);
        return;
      }
      postNodeStatus(nodeNames, now);
    } catch (RuntimeException e) {
      log.warn("refreshing the node status failed: {}", e.toString());
    }
  }

  /** Posts the nodes' conditions (Ready with a fresh heartbeat). */
  private void postNodeStatus(List<String> names, Map<String, Fingerprint> fingerprints) {
    var status = new io.fabric8.kubernetes.api.model.NodeStatus();
    status.setConditions(NodeFactory.conditions(fingerprints));
    ByteString json = ByteString.copyFromUtf8(Serialization.asJson(status));
    try {
      for (String n : names) {
        connection.blocking().withDeadlineAfter(10, TimeUnit.SECONDS).updateNodeStatus(
            io.keelson.proto.node.v1.UpdateNodeStatusRequest.newBuilder().setNodeName(n).setStatusJson(json).build());
      }
    } catch (RuntimeException e) {
      log.warn("posting the status of {} node(s) failed: {}", names.size(), e.toString());
    }
  }

  /** Registers (or re-registers) nodes; many at once for hollow agents, 16 in flight. */
  private void register(List<String> names) {
    Map<String, Fingerprint> fingerprints = fingerprints();
    lastFingerprints = fingerprints;
    Map<String, String> extra = options.hollow() ? Map.of("keelson.io/hollow", "true") : Map.of();
    // where the local-path provisioner puts this node's volumes (hollow nodes write nothing)
    Map<String, String> annotations =
        options.hollow() || localPath == null ? Map.of() : Map.of(LocalPathVolumes.ROOT_ANNOTATION, localPath.root().toString());
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(16, names.size()), Thread.ofVirtual().factory());
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (String n : names) {
        futures.add(pool.submit(() -> {
          Node node = nodeFactory.build(n, options.address(), server.port(), fingerprints, extra);
          if (!annotations.isEmpty()) node.getMetadata().setAnnotations(annotations);
          RegisterNodeResponse resp = connection.blocking().withDeadlineAfter(30, TimeUnit.SECONDS).registerNode(
              RegisterNodeRequest.newBuilder()
                  .setNodeJson(ByteString.copyFromUtf8(Serialization.asJson(node)))
                  .setAgentToken(agentToken)
                  .build());
          Node stored = Serialization.unmarshal(resp.getNodeJson().toStringUtf8(), Node.class);
          String cidr = stored.getSpec() == null ? null : stored.getSpec().getPodCIDR();
          // DNS first: a pod may start as soon as the node has its CIDR, and needs the address then
          serveDns(managers.get(n).context(), cidr);
          managers.get(n).context().podCidr(cidr);
          // Its lease at once, and renewed from now on: in a long batch (5,000 hollow nodes) the
          // first nodes would otherwise wait for the last and look silent to the node lifecycle
          // controller meanwhile.
          leases.renewRegistered(List.of(n));
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    } finally {
      pool.shutdown();
    }
    log.info("registered {} node(s)", names.size());
  }

  /** Serves cluster DNS at the node's pod gateway; without it pods get the host's resolv.conf (kubelet's fallback). */
  private void serveDns(NodeContext ctx, String cidr) {
    if (dns == null || cidr == null || cidr.isEmpty()) {
      return;
    }
    try {
      String address = ctx.network().nodeAddress(cidr);
      if (address != null) {
        dns.serveAt(address);
        ctx.clusterDns(address);
        if (policies != null) {
          policies.nodeDns(address);
        }
      }
    } catch (DriverException | IOException e) {
      log.warn("no cluster DNS on this node, pods get the host's resolv.conf: {}", e.getMessage());
    }
  }

  @Override
  public void close() {
    if (dns != null) {
      dns.close();
    }
    if (watcher != null) {
      watcher.close();
    }
    if (leases != null) {
      leases.close();
    }
    if (proxy != null) {
      proxy.close(); // the rules stay: Services keep working while the agent restarts
    }
    if (policies != null) {
      policies.close(); // the rules stay too: policies hold while the agent restarts
    }
    managers.values().forEach(PodManager::shutdown);
    managers.values().forEach(m -> m.context().network().close());
    reporter.close();
    if (server != null) {
      server.close();
    }
    timers.shutdownNow();
    metrics.close();
  }
}
