package io.keelson.agent.pod;

import io.keelson.agent.dns.NodeDns;
import io.keelson.agent.dns.PodDns;
import io.keelson.agent.state.StateStore;
import io.keelson.agent.volume.VolumeManager;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the pod workers of one node share: the node's identity, its drivers, image store, network,
 * the control plane and the state directory. A hollow node skips probes, events, volumes and image
 * pulls so that thousands of them fit in one process.
 */
public final class NodeContext {
  final String nodeName;
  final String hostIp;
  /** The hostname of the agent's UTS namespace: what a hostNetwork pod's containers see. */
  final String hostname;
  volatile String podCidr;
  /** The node-local cluster DNS address pods are pointed at, null while (or when) the node serves none. */
  volatile String clusterDns;
  final PodDns dns = new PodDns(NodeDns.CLUSTER_DOMAIN);
  final DriverSelector drivers;
  final ImageProvider images;
  final NetworkProvider network;
  final ClusterObjects objects;
  final ControlPlane controlPlane;
  final StateStore state;
  final VolumeManager volumes;
  final TaskConfigFactory tasks;
  final ScheduledExecutorService timers;
  final boolean hollow;
  final Duration backoffBase;
  final Duration backoffMax;
  final PodStartRecorder starts;

  public NodeContext(
      String nodeName,
      String hostIp,
      DriverSelector drivers,
      ImageProvider images,
      NetworkProvider network,
      ClusterObjects objects,
      ControlPlane controlPlane,
      StateStore state,
      ScheduledExecutorService timers,
      boolean hollow,
      Duration backoffBase,
      Duration backoffMax,
      PodStartRecorder starts) {
    this.nodeName = nodeName;
    this.hostIp = hostIp;
    this.hostname = hostHostname(nodeName);
    this.drivers = drivers;
    this.images = images;
    this.network = network;
    this.objects = objects;
    this.controlPlane = controlPlane;
    this.state = state;
    this.volumes = new VolumeManager(objects);
    this.tasks = new TaskConfigFactory(objects);
    this.timers = timers;
    this.hollow = hollow;
    this.backoffBase = backoffBase;
    this.backoffMax = backoffMax;
    this.starts = starts;
  }

  private static String hostHostname(String fallback) {
    try {
      String h = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).trim();
      return h.isEmpty() ? fallback : h;
    } catch (java.io.IOException e) {
      return fallback;
    }
  }

  public String nodeName() {
    return nodeName;
  }

  public void podCidr(String cidr) {
    this.podCidr = cidr;
    if (!hollow) {
      network.podCidr(cidr);
    }
  }

  /** The node serves cluster DNS at {@code address} from now on. */
  public void clusterDns(String address) {
    this.clusterDns = address;
  }

  public NetworkProvider network() {
    return network;
  }

  public DriverSelector drivers() {
    return drivers;
  }
}
