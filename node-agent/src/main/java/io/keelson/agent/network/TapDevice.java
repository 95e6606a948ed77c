package io.keelson.agent.network;

/**
 * A tap device on the node's pod bridge, for a VM whose guest NIC should sit on the pod network
 * like a container's veth does. The guest configures {@link #ip()}/{@link #prefixLength()} with
 * {@link #gateway()} as default route and uses {@link #mac()} for its NIC, e.g. qemu
 * {@code -netdev tap,id=n0,ifname=NAME,script=no,downscript=no -device virtio-net-device,netdev=n0,mac=MAC}.
 *
 * @param name host interface name (at most 15 characters)
 * @param bridge the bridge it is enslaved to
 */
public record TapDevice(String name, String bridge, String ip, int prefixLength, String gateway, String mac) {}
