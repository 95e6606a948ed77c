package io.keelson.agent;

import io.fabric8.kubernetes.api.model.Quantity;
import io.keelson.agent.api.ClusterCredentials;
import io.keelson.agent.api.NodeServiceConnection;
import io.keelson.agent.api.RestClusterObjects;
import io.keelson.agent.driver.WorkloadDriver;
import io.keelson.agent.driver.fake.FakeDriver;
import io.keelson.agent.pod.FakeImages;
import io.keelson.agent.pod.FakeNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The node agent's command line: `keelson-node-agent --kubeconfig ... --node-name ...`. */
@Command(
    name = "keelson-node-agent",
    mixinStandardHelpOptions = true,
    version = "keelson-node-agent 0.1.0",
    description = "Runs the pods bound to this node (containers via runc, VMs via qemu) and reports them to the api-server.")
public final class AgentMain implements Callable<Integer> {

  @Option(names = "--kubeconfig", description = "kubeconfig with the api-server URL, CA and bearer token")
  Path kubeconfig;

  @Option(names = "--node-name", description = "name of the Node (default: the host name); with --hollow-nodes the prefix", defaultValue = "")
  String nodeName;

  @Option(names = "--state-dir", description = "where the agent keeps pod state, volumes and logs", defaultValue = "/var/lib/keelson/agent")
  Path stateDir;

  @Option(names = "--port", description = "AgentService port (logs, exec, port-forward, stats)", defaultValue = "10250")
  int port;

  @Option(names = "--address", description = "address to serve on and to report as the node's InternalIP", defaultValue = "127.0.0.1")
  String address;

  @Option(names = "--images-dir", description = "the node's image store (preloaded archives, layers)", defaultValue = "/var/lib/keelson/images")
  Path imagesDir;

  @Option(names = "--hollow-nodes", description = "serve M hollow nodes <node-name>-1..M on the fake driver (scale tests)", defaultValue = "0")
  int hollowNodes;

  @Option(names = "--system-reserved-cpu", description = "cpu kept for the system, e.g. 500m", defaultValue = "0")
  String reservedCpu;

  @Option(names = "--system-reserved-memory", description = "memory kept for the system, e.g. 512Mi", defaultValue = "0")
  String reservedMemory;

  @Option(names = "--fake-runtime", description = "run this node's pods on the fake driver (tests and demos without runc)")
  boolean fakeRuntime;

  @Option(names = "--metrics-port", description = "serve Prometheus metrics (pod start latency, memory) on --address:PORT/metrics; -1 disables (default: ${DEFAULT-VALUE})", defaultValue = "-1")
  int metricsPort;

  @Option(names = "--vm-warm-pool", description = "VM pods: keep N idle pre-booted VMs (1 vCPU, 256 MiB guest) that pods with a pod network and no larger limits take instead of booting (~0.2 s instead of seconds under TCG); each idle VM is a running qemu costing ~2.5%% of a core under TCG; env KEELSON_VM_WARM_POOL sets the default (default: ${DEFAULT-VALUE})", defaultValue = "${env:KEELSON_VM_WARM_POOL:-0}")
  int vmWarmPool;

  @Option(names = "--network-pool", description = "pod networks to keep set up ahead of pods (namespace, veth and IP through CNI ADD), handed to starting pods so they need not wait ~40 ms for the CNI plugins; refilled in the background while no pod is starting; 0 turns it off; env KEELSON_NETWORK_POOL sets the default (default: ${DEFAULT-VALUE})", defaultValue = "${env:KEELSON_NETWORK_POOL:-2}")
  int networkPool;

  @Option(names = "--cleanup", description = "remove every workload recorded in --state-dir (containers, VMs, pod networks) and exit")
  boolean cleanup;

  @Option(names = "--aot-training", description = "Run the AOT training workload (100 hollow nodes against an in-process fake"
      + " api-server and NodeService: a burst of pods started, some deleted), then exit; the launcher records a JDK 25 AOT cache from it")
  boolean aotTraining;

  @Override
  public Integer call() throws Exception {
    if (aotTraining) return io.keelson.agent.aot.TrainingRun.run(100, 1000, 60);
    if (cleanup) {
      int n = RealRuntimes.cleanup(stateDir);
      System.out.println("removed " + n + " pod(s) recorded in " + stateDir);
      return 0;
    }
    if (kubeconfig == null) {
      System.err.println("keelson-node-agent: --kubeconfig is required");
      return 2;
    }
    if (nodeName.isEmpty()) {
      nodeName = hollowNodes > 0 ? "hollow" : java.net.InetAddress.getLocalHost().getHostName().toLowerCase();
    }
    if (!Files.isReadable(kubeconfig)) {
      System.err.println("keelson-node-agent: cannot read kubeconfig " + kubeconfig);
      return 1;
    }
    Files.createDirectories(stateDir);
    AgentOptions options =
        new AgentOptions(
            kubeconfig, nodeName, stateDir, port, address, imagesDir, hollowNodes,
            io.keelson.agent.pod.TaskConfigFactory.cpuMillis(new Quantity(reservedCpu)),
            io.keelson.agent.pod.TaskConfigFactory.bytes(new Quantity(reservedMemory)),
            fakeRuntime);
    ClusterCredentials creds = ClusterCredentials.fromKubeconfig(kubeconfig);
    NodeServiceConnection connection = NodeServiceConnection.open(creds);
    RestClusterObjects objects = new RestClusterObjects(RestClusterObjects.client(kubeconfig), nodeName);
    Agent.Runtime runtime = RuntimeWiring.create(options, objects, vmWarmPool, networkPool);
    Agent agent = new Agent(options, runtime, connection);
    if (metricsPort >= 0) {
      try {
        int bound = agent.metrics().serve(address, metricsPort);
        org.slf4j.LoggerFactory.getLogger(AgentMain.class).info("metrics on http://{}:{}/metrics", address, bound);
      } catch (java.io.IOException e) {
        System.err.println("keelson-node-agent: cannot serve metrics on port " + metricsPort + ": " + e.getMessage());
        return 1;
      }
    }
    agent.start();
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // workloads keep running: only the agent stops
      agent.close();
      connection.close();
      stop.countDown();
    }));
    stop.await();
    return 0;
  }

  public static void main(String[] args) {
    int code;
    try {
      code = new CommandLine(new AgentMain()).setExecutionExceptionHandler((e, cmd, parsed) -> {
        System.err.println("keelson-node-agent: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        return 1;
      }).execute(args);
    } catch (RuntimeException e) {
      System.err.println("keelson-node-agent: " + e);
      code = 1;
    }
    System.exit(code);
  }

  /** Chooses drivers, image store and network for the process (hollow, fake, or real runtimes). */
  static final class RuntimeWiring {
    private RuntimeWiring() {}

    static Agent.Runtime create(AgentOptions options, RestClusterObjects objects, int vmWarmPool, int networkPool) throws java.io.IOException {
      if (options.hollow() || options.fakeRuntime()) {
        FakeDriver fake = new FakeDriver(!options.hollow());
        Map<String, WorkloadDriver> handlers = new LinkedHashMap<>();
        handlers.put("runc", fake);
        handlers.put("vm", fake);
        handlers.put("qemu", fake);
        return new Agent.Runtime(handlers, "runc", new FakeImages(), FakeNetwork::new, objects);
      }
      return RealRuntimes.create(options, objects.watchServices().watchNetworkPolicies(), vmWarmPool, networkPool);
    }
  }
}
