package io.keelson.agent.harness;

import io.keelson.agent.Agent;
import io.keelson.agent.AgentOptions;
import io.keelson.agent.api.NodeServiceConnection;
import io.keelson.agent.driver.WorkloadDriver;
import io.keelson.agent.driver.fake.FakeDriver;
import io.keelson.agent.pod.FakeImages;
import io.keelson.agent.pod.FakeNetwork;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Starts a real {@link Agent} against a {@link FakeControlPlane} over in-process gRPC, with the fake
 * driver. Several harnesses may share one driver and state dir to play "agent killed and started
 * again" while the workloads keep running.
 */
public final class AgentHarness implements AutoCloseable {
  public final FakeControlPlane controlPlane;
  public final FakeDriver driver;
  public final MemoryClusterObjects objects;
  public final Agent agent;
  private final NodeServiceConnection connection;

  public AgentHarness(FakeControlPlane controlPlane, FakeDriver driver, MemoryClusterObjects objects, Path stateDir,
      String nodeName, int hollowNodes) throws Exception {
    this.controlPlane = controlPlane;
    this.driver = driver;
    this.objects = objects;
    this.connection = new NodeServiceConnection(controlPlane.channel(), "test-token");
    AgentOptions options = new AgentOptions(null, nodeName, stateDir, 0, "127.0.0.1", stateDir.resolve("images"),
        hollowNodes, 0, 0, true);
    Map<String, WorkloadDriver> handlers = Map.of("runc", driver, "qemu", driver, "vm", driver);
    Agent.Runtime runtime = new Agent.Runtime(handlers, "runc", new FakeImages(), FakeNetwork::new, objects);
    this.agent = new Agent(options, runtime, connection).backoffBase(Duration.ofMillis(200)).start();
  }

  public static AgentHarness start(Path stateDir) throws Exception {
    return new AgentHarness(new FakeControlPlane(), new FakeDriver(true), new MemoryClusterObjects(), stateDir, "node-1", 0);
  }

  /** Stops the agent only (workloads stay, like kill -9). */
  public void stopAgent() {
    agent.close();
    connection.close();
  }

  @Override
  public void close() {
    stopAgent();
  }
}
