package io.keelson.agent.driver.qemu;

import io.keelson.agent.driver.PodNetwork;
import io.keelson.agent.image.TestImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Pod networks shaped like the CNI component's, for VM tests and benchmarks: a netns whose eth0 is
 * one end of a veth, the other end on the node side with the gateway address (10.214.x.0/24). Each
 * one gets its own subnet; {@link #close} removes them all.
 */
final class TestPodNetworks implements AutoCloseable {
  private final List<String> netnses = new ArrayList<>();
  private final List<String> hostIfs = new ArrayList<>();
  private int next = 100 + (int) (Long.parseLong(UUID.randomUUID().toString().substring(0, 4), 16) % 50);

  /**
   * Why a VM on a pod network cannot run here (root, qemu, /dev/net/tun, the sample image, the guest
   * kernel and init), or null when it can.
   */
  static String missing() {
    String why = !Files.exists(Path.of("/dev/net/tun")) ? "no /dev/net/tun" : TestImages.missing();
    return why != null ? why : VmHost.missing();
  }

  /** A fresh pod network; {@code gateway()} is the node side. */
  PodNetwork create() throws IOException, InterruptedException {
    String suffix = UUID.randomUUID().toString().substring(0, 6);
    int octet = next++ % 250 + 1;
    String gw = "10.214." + octet + ".1";
    String podIp = "10.214." + octet + ".2";
    String netns = "kwp-" + suffix;
    String hostIf = "kwh" + suffix;
    netnses.add(netns);
    TestImages.run("ip", "netns", "add", netns);
    TestImages.run("ip", "link", "add", hostIf, "type", "veth", "peer", "name", "kwp" + suffix);
    hostIfs.add(hostIf);
    TestImages.run("ip", "link", "set", "kwp" + suffix, "netns", netns);
    TestImages.run("ip", "netns", "exec", netns, "ip", "link", "set", "kwp" + suffix, "name", "eth0");
    TestImages.run("ip", "netns", "exec", netns, "ip", "addr", "add", podIp + "/24", "dev", "eth0");
    TestImages.run("ip", "netns", "exec", netns, "ip", "link", "set", "eth0", "up");
    TestImages.run("ip", "addr", "add", gw + "/24", "dev", hostIf);
    TestImages.run("ip", "link", "set", hostIf, "up");
    return new PodNetwork(Path.of("/run/netns", netns), "eth0", podIp, 24, gw, null);
  }

  @Override
  public void close() throws IOException, InterruptedException {
    for (String ns : netnses) {
      new ProcessBuilder("ip", "netns", "del", ns).start().waitFor();
    }
    for (String h : hostIfs) {
      new ProcessBuilder("ip", "link", "del", h).start().waitFor();
    }
    netnses.clear();
    hostIfs.clear();
  }
}
