package io.keelson.agent.driver;

import java.nio.file.Path;

/**
 * The pod's network as set up by the network component (io.keelson.agent.network, CNI bridge +
 * host-local) before the sandbox starts. A runc sandbox joins {@link #netnsPath()}; a VM sandbox runs
 * qemu inside that namespace and bridges a tap device to {@link #interfaceName()} so the guest gets
 * the same IP.
 *
 * @param netnsPath bind-mounted network namespace, e.g. /run/netns/keelson-&lt;podUid&gt;
 * @param interfaceName the pod's interface inside the namespace (eth0)
 * @param ip the pod IP (IPv4 dotted quad)
 * @param prefixLength of the pod subnet (24 for a node's /24)
 * @param gateway default route inside the pod
 * @param mac the interface's MAC address (a VM guest NIC reuses it), may be null
 */
public record PodNetwork(
    Path netnsPath,
    String interfaceName,
    String ip,
    int prefixLength,
    String gateway,
    String mac) {}
