package io.keelson.agent;

import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.WorkloadDriver;
import io.keelson.agent.driver.qemu.QemuDriver;
import io.keelson.agent.driver.runc.RuncDriver;
import io.keelson.agent.image.ImageStore;
import io.keelson.agent.image.StoreImageProvider;
import io.keelson.agent.network.CniNetwork;
import io.keelson.agent.network.CniNetworkProvider;
import io.keelson.agent.pod.ClusterObjects;
import io.keelson.agent.pod.NetworkProvider;
import io.keelson.agent.state.PodState;
import io.keelson.agent.state.StateStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the real runtimes of a node: the runc driver (RuntimeClass handler "runc", the default),
 * the qemu driver (handlers "qemu" and "vm"), the OCI image store under --images-dir and CNI pod
 * networking. A runtime that cannot work here (no qemu, no kernel) reports itself unhealthy through
 * its fingerprint; the node still registers.
 */
final class RealRuntimes {
  private static final Logger log = LoggerFactory.getLogger(RealRuntimes.class);

  private RealRuntimes() {}

  /** The drivers; the qemu driver keeps {@code vmWarmPool} warm VMs with their disks under stateDir/vm-pool. */
  static Map<String, WorkloadDriver> drivers(Path stateDir, int vmWarmPool) throws IOException {
    Map<String, WorkloadDriver> handlers = new LinkedHashMap<>();
    RuncDriver runc = new RuncDriver(stateDir.resolve("runc"));
    handlers.put("runc", runc);
    QemuDriver qemu = new QemuDriver(QemuDriver.Options.defaults(null).withWarmPool(stateDir.resolve("vm-pool"), vmWarmPool)
        .withTemplates("0".equals(System.getenv("KEELSON_VM_TEMPLATE")) ? null : stateDir.resolve("vm-template")));
    handlers.put("qemu", qemu);
    handlers.put("vm", qemu);
    return handlers;
  }

  /** CNI pod networks, {@code pool} of them set up ahead of pods. */
  static Supplier<NetworkProvider> network(String nodeName, Path stateDir, int pool) {
    return () -> {
      try {
        return new CniNetworkProvider(new CniNetwork(nodeName, stateDir.resolve("network")), pool);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
  }

  static Agent.Runtime create(AgentOptions options, ClusterObjects objects, int vmWarmPool, int networkPool) throws IOException {
    ImageStore store = ImageStore.open(options.imagesDir());
    return new Agent.Runtime(
        drivers(options.stateDir(), vmWarmPool), "runc", new StoreImageProvider(store),
        network(options.nodeName(), options.stateDir(), networkPool), objects);
  }

  /**
   * Removes every workload recorded in a state dir (for {@code keelson down}): stops and destroys
   * tasks and sandboxes, releases pod networks, deletes the pod state. Returns how many pods.
   */
  static int cleanup(Path stateDir) throws IOException {
    // No warm pool here: `keelson down` kills the idle warm VMs with every qemu under the state dir.
    Map<String, WorkloadDriver> drivers = drivers(stateDir, 0);
    StateStore state = new StateStore(stateDir);
    List<PodState> pods = state.loadAll();
    // `keelson up` names state dirs after their node
    String nodeName = pods.stream().map(PodState::nodeName).filter(java.util.Objects::nonNull).findFirst()
        .orElse(stateDir.getFileName().toString());
    NetworkProvider network = network(nodeName, stateDir, 0).get();
    // pods in parallel: each container gets up to 2 s to stop, and `keelson down` gives this 120 s
    // (200 busybox pods one after another took ~400 s: sleep as pid 1 ignores SIGTERM)
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(32);
    try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      for (PodState pod : pods) {
        pool.submit(() -> {
          slots.acquireUninterruptibly();
          try {
            cleanup(pod, drivers, network, state);
            n.incrementAndGet();
          } finally {
            slots.release();
          }
        });
      }
    }
    // the networks set up ahead of pods
    try {
      new CniNetwork(nodeName, stateDir.resolve("network")).trimPool(null, 0);
    } catch (IOException | RuntimeException e) {
      log.warn("removing the pod network pool: {}", e.getMessage());
    }
    try {
      io.keelson.agent.proxy.ServiceProxy.cleanup(stateDir, io.keelson.agent.proxy.Nft.fromPath());
    } catch (IOException | RuntimeException e) {
      log.warn("removing the node's Service rules: {}", e.getMessage());
    }
    try {
      io.keelson.agent.netpol.PolicyEnforcer.cleanup(stateDir, io.keelson.agent.proxy.Nft.fromPath());
    } catch (IOException | RuntimeException e) {
      log.warn("removing the node's NetworkPolicy rules: {}", e.getMessage());
    }
    drivers.values().forEach(WorkloadDriver::close);
    return n.get();
  }

  private static void cleanup(PodState pod, Map<String, WorkloadDriver> drivers, NetworkProvider network, StateStore state) {
    WorkloadDriver d = drivers.values().stream().filter(x -> x.name().equals(pod.driver())).findFirst().orElse(null);
    if (d != null) {
      for (PodState.ContainerState c : pod.containers()) {
        if (c.task() == null) {
          continue;
        }
        try {
          d.recoverTask(c.task());
          d.stopTask(c.task().id(), Duration.ofSeconds(2));
        } catch (DriverException | RuntimeException e) {
          // already gone
        }
        try {
          d.destroyTask(c.task().id(), true);
        } catch (DriverException | RuntimeException e) {
          log.warn("destroying {}: {}", c.task().id(), e.getMessage());
        }
      }
      if (pod.sandbox() != null) {
        try {
          d.recoverSandbox(pod.sandbox());
        } catch (DriverException | RuntimeException e) {
          // destroy anyway
        }
        try {
          d.destroySandbox(pod.sandbox().id(), Duration.ZERO);
        } catch (DriverException | RuntimeException e) {
          log.warn("destroying sandbox {}: {}", pod.sandbox().id(), e.getMessage());
        }
      }
    }
    try {
      network.tearDown(pod.uid(), pod.uid());
    } catch (DriverException | RuntimeException e) {
      log.warn("network teardown of {}: {}", pod.uid(), e.getMessage());
    }
    state.delete(pod.uid());
  }
}
