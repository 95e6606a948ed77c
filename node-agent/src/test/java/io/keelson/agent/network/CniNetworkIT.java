package io.keelson.agent.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keelson.agent.driver.PodNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real network namespaces, veths and a bridge through Debian's CNI plugins (needs root). */
class CniNetworkIT {

  // a test-only range inside namespaces this test creates; the bridge is removed afterwards
  static final String CIDR = "10.251." + (ProcessHandle.current().pid() % 200 + 20) + ".0/24";
  @TempDir Path state;
  CniNetwork net;

  @BeforeEach
  void setUp() throws IOException {
    String why = CniNetwork.missing(CniNetwork.DEFAULT_CNI_BIN);
    if (why != null) {
      System.out.println("SKIP CniNetworkIT: " + why);
    }
    assumeTrue(why == null, why);
    net = new CniNetwork("it-node-" + ProcessHandle.current().pid(), state);
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (net != null) {
      for (String s : net.sandboxes()) {
        net.tearDown(s);
      }
      sh("ip", "link", "delete", net.bridgeName());
    }
  }

  @Test
  void podsReachEachOtherAndTheNode() throws Exception {
    PodNetwork a = net.setUp("keelson-it-a", CIDR);
    PodNetwork b = net.setUp("it-b", CIDR);
    assertThat(a.ip()).isNotEqualTo(b.ip()).startsWith(CIDR.substring(0, CIDR.lastIndexOf('.')));
    assertThat(a.gateway()).isEqualTo(CniNetwork.gatewayOf(CIDR));
    assertThat(a.prefixLength()).isEqualTo(24);
    assertThat(a.netnsPath()).exists().startsWith(state);
    assertThat(new String(new ProcessBuilder("ip", "netns", "list").start().getInputStream().readAllBytes())).doesNotContain("it-a");
    assertThat(a.mac()).matches("([0-9a-f]{2}:){5}[0-9a-f]{2}");

    assertThat(sh("nsenter", "--net=" + a.netnsPath(), "busybox", "ping", "-c", "1", "-W", "3", b.ip())).isZero();
    assertThat(sh("nsenter", "--net=" + b.netnsPath(), "busybox", "ping", "-c", "1", "-W", "3", a.ip())).isZero();
    assertThat(sh("busybox", "ping", "-c", "1", "-W", "3", a.ip())).as("node -> pod").isZero();
    assertThat(sh("nsenter", "--net=" + a.netnsPath(), "busybox", "ping", "-c", "1", "-W", "3", "127.0.0.1")).as("loopback up").isZero();

    // idempotent: same answer again, also from a fresh instance (agent restart)
    assertThat(net.setUp("keelson-it-a", CIDR)).isEqualTo(a);
    assertThat(new CniNetwork(net.nodeName(), state).get("keelson-it-a")).contains(a);

    net.tearDown("keelson-it-a");
    net.tearDown("keelson-it-a");
    assertThat(a.netnsPath()).doesNotExist();
    assertThat(net.get("keelson-it-a")).isEmpty();
    // the address is free again and is handed out again
    PodNetwork c = net.setUp("it-c", CIDR);
    assertThat(List.of(a.ip(), CniNetwork.gatewayOf(CIDR))).doesNotContain(b.ip());
    assertThat(c.ip()).isNotEqualTo(b.ip());
  }

  @Test
  void aNamespaceMadeFirstIsAddressedLaterAndAFailedAddLeavesNothing() throws Exception {
    PodNetwork pending = net.createNamespace("it-early");
    assertThat(pending.ip()).isNull();
    assertThat(CniNetwork.isNamespace(pending.netnsPath())).isTrue();
    PodNetwork a = net.setUp("it-early", CIDR);
    assertThat(a.netnsPath()).isEqualTo(pending.netnsPath());
    assertThat(sh("nsenter", "--net=" + a.netnsPath(), "busybox", "ping", "-c", "1", "-W", "3", "127.0.0.1")).as("loopback up").isZero();
    assertThat(sh("busybox", "ping", "-c", "1", "-W", "3", a.ip())).as("node -> pod").isZero();

    // the bridge plugin refuses a second range on the node's bridge: its message, and no namespace,
    // veth, IP or result stays behind
    String other = "10.252." + (ProcessHandle.current().pid() % 200 + 20) + ".0/24";
    PodNetwork doomed = net.createNamespace("it-doomed");
    assertThatThrownBy(() -> net.setUp("it-doomed", other))
        .isInstanceOf(io.keelson.agent.driver.DriverException.class)
        .hasMessageContaining("it-doomed").hasMessageContaining("bridge ADD");
    assertThat(doomed.netnsPath()).doesNotExist();
    assertThat(net.get("it-doomed")).isEmpty();
    assertThat(net.sandboxes()).containsExactly("it-early");
    // the kernel deletes the veth with its namespace, asynchronously
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(new String(new ProcessBuilder(
        "ip", "-o", "link", "show", "master", net.bridgeName()).start().getInputStream().readAllBytes()).lines().count())
        .as("veths on the bridge").isEqualTo(1));
  }

  @Test
  void theNamespaceMakerMakesNamespacesWithoutAProcessEach() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/gcc")), "no gcc to build the namespace maker");
    PersistentNamespace.useMaker(state); // a no-op when an earlier test of this JVM started it
    await().atMost(Duration.ofSeconds(120)).until(() -> NamespaceMaker.get() != null);
    Path n = state.resolve("made/net");
    Path i = state.resolve("made/ipc");
    PersistentNamespace.createNetwork(n);
    PersistentNamespace.create(i, "ipc");
    assertThat(PersistentNamespace.isMounted(n)).isTrue();
    assertThat(PersistentNamespace.inode(i)).isPresent();
    assertThat(sh("nsenter", "--net=" + n, "busybox", "ping", "-c", "1", "-W", "3", "127.0.0.1")).as("loopback up").isZero();
    assertThat(Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString())
        .isNotEqualTo("net:[" + PersistentNamespace.inode(n).orElseThrow() + "]");
    PersistentNamespace.remove(n);
    PersistentNamespace.remove(i);
    assertThat(n).doesNotExist();
    assertThat(i).doesNotExist();
  }

  @Test
  void tapDevicesJoinTheBridge() throws Exception {
    net.setUp("it-pod", CIDR);
    TapDevice tap = net.addTap("it-vm", CIDR);
    assertThat(tap.name()).hasSizeLessThanOrEqualTo(15);
    assertThat(Path.of("/sys/class/net", tap.name(), "master").toRealPath().getFileName().toString()).isEqualTo(net.bridgeName());
    assertThat(tap.gateway()).isEqualTo(CniNetwork.gatewayOf(CIDR));
    assertThat(net.addTap("it-vm", CIDR)).isEqualTo(tap);
    net.removeTap("it-vm", CIDR);
    net.removeTap("it-vm", CIDR);
    assertThat(Files.exists(Path.of("/sys/class/net", tap.name()))).isFalse();
  }

  private static int sh(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor(30, TimeUnit.SECONDS);
    if (p.exitValue() != 0) {
      System.out.println(String.join(" ", cmd) + ": " + out);
    }
    return p.exitValue();
  }

  @Test
  void aNamespaceLostWithTheMountNamespaceIsReattachedFromAPodProcess() throws Exception {
    PodNetwork a = net.setUp("keelson-it-re", CIDR);
    Process member = new ProcessBuilder("nsenter", "--net=" + a.netnsPath(), "sleep", "60").start();
    try {
      sh("umount", a.netnsPath().toString());
      assertThat(CniNetwork.isNamespace(a.netnsPath())).isFalse();
      CniNetwork restarted = new CniNetwork(net.nodeName(), state);
      assertThat(restarted.get("keelson-it-re")).contains(a);
      assertThat(CniNetwork.isNamespace(a.netnsPath())).isTrue();
      assertThat(sh("nsenter", "--net=" + a.netnsPath(), "busybox", "ping", "-c", "1", "-W", "3", a.gateway())).isZero();
    } finally {
      member.destroyForcibly();
    }
  }
}
