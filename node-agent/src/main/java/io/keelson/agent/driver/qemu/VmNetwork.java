package io.keelson.agent.driver.qemu;

import io.keelson.agent.driver.PodNetwork;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Puts a VM on the pod network the CNI component made for its pod: inside the pod's network
 * namespace a tap device is created and tc mirred redirects every frame between the pod's
 * interface (the veth on the node bridge) and the tap, both ways (as Kata Containers does). The
 * guest NIC takes the interface's MAC and the pod IP, so to the bridge and to other pods the VM
 * looks exactly like a container with that IP. qemu itself runs in the namespace to open the tap.
 * The redirect stays inside the pod's namespace: on the node the VM's frames cross the veth and the
 * bridge as a container's do, so the Service proxy and NetworkPolicy ({@code netpol}) need nothing
 * VM-specific.
 */
final class VmNetwork {
  private VmNetwork() {}

  static final String TAP = "ktap0";
  private static final Pattern MAC = Pattern.compile("link/ether ([0-9a-f:]{17})");

  /** Creates the tap and the redirects; idempotent. Returns the MAC the guest NIC must use. */
  static String attach(PodNetwork net) throws IOException {
    String ns = "--net=" + net.netnsPath();
    String ifc = net.interfaceName();
    String mac = net.mac();
    if (mac == null || mac.isBlank()) {
      Matcher m = MAC.matcher(run(List.of("nsenter", ns, "ip", "-o", "link", "show", "dev", ifc), false));
      if (!m.find()) {
        throw new IOException("no MAC address on " + ifc + " in " + net.netnsPath());
      }
      mac = m.group(1);
    }
    String linkInfo = run(List.of("nsenter", ns, "ip", "-o", "link", "show", "dev", ifc), false);
    Matcher mtu = Pattern.compile(" mtu (\\d+)").matcher(linkInfo);
    run(List.of("nsenter", ns, "ip", "tuntap", "add", "dev", TAP, "mode", "tap"), true);
    if (mtu.find()) {
      run(List.of("nsenter", ns, "ip", "link", "set", "dev", TAP, "mtu", mtu.group(1)), false);
    }
    run(List.of("nsenter", ns, "ip", "link", "set", "dev", TAP, "up"), false);
    for (String[] pair : new String[][] {{ifc, TAP}, {TAP, ifc}}) {
      run(List.of("nsenter", ns, "tc", "qdisc", "replace", "dev", pair[0], "ingress"), false);
      run(List.of("nsenter", ns, "tc", "filter", "del", "dev", pair[0], "ingress"), true);
      run(List.of("nsenter", ns, "tc", "filter", "add", "dev", pair[0], "parent", "ffff:", "protocol", "all",
          "u32", "match", "u8", "0", "0", "action", "mirred", "egress", "redirect", "dev", pair[1]), false);
    }
    return mac;
  }

  /**
   * A warm VM booted with its NIC on {@code hostTap} (created by qemu in the host namespace, down):
   * moves that tap into the pod's namespace as {@link #TAP} and redirects as {@link #attach} does,
   * in one shell inside the namespace (a pod start is waiting: every exec counts on a busy node).
   * The tap stays qemu's (the fd is unaffected by the move) and vanishes with qemu or the namespace.
   */
  static String adopt(PodNetwork net, String hostTap) throws IOException {
    run(List.of("ip", "link", "set", "dev", hostTap, "netns", net.netnsPath().toString()), false);
    String script = """
        set -e
        host="$1" ifc="$2" tap="$3"
        ip link set dev "$host" name "$tap"
        mtu=$(ip -o link show dev "$ifc" | sed -n 's/.* mtu \\([0-9]*\\).*/\\1/p')
        [ -z "$mtu" ] || ip link set dev "$tap" mtu "$mtu"
        ip link set dev "$tap" up
        for pair in "$ifc $tap" "$tap $ifc"; do
          set -- $pair
          tc qdisc replace dev "$1" ingress
          tc filter del dev "$1" ingress 2>/dev/null || true
          tc filter add dev "$1" parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev "$2"
        done
        ip -o link show dev "$ifc"
        """;
    String out = run(List.of("nsenter", "--net=" + net.netnsPath(), "sh", "-c", script, "sh", hostTap, net.interfaceName(), TAP),
        false);
    String mac = net.mac();
    if (mac == null || mac.isBlank()) {
      Matcher m = MAC.matcher(out);
      if (!m.find()) {
        throw new IOException("no MAC address on " + net.interfaceName() + " in " + net.netnsPath());
      }
      mac = m.group(1);
    }
    return mac;
  }

  private static String run(List<String> argv, boolean tolerateFailure) throws IOException {
    Process p = new ProcessBuilder(new ArrayList<>(argv)).redirectErrorStream(true).start();
    String out;
    try {
      out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", argv) + ": timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
    if (p.exitValue() != 0 && !tolerateFailure) {
      throw new IOException(String.join(" ", argv) + ": " + out.strip());
    }
    return out;
  }
}
