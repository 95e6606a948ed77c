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
      net.trimPool(null, 0);
      for (String s : net.sandboxes()) {
        net.tearDown(s);
      }
      sh("ip", "link", "delete", net.bridgeName());
    }
  }

  @Test
  void sameNamedNodesOfTwoClustersHaveTheirOwnBridgesAndPurgeRemovesOnlyItsOwn(@TempDir Path otherAgent) throws Exception {
    // two `keelson up --dir` clusters on one host, each with a node of this name and its own pod CIDR
    String otherCidr = "10.252." + (ProcessHandle.current().pid() % 200 + 20) + ".0/24";
    PodNetwork mine = net.setUp("it-mine", CIDR);
    CniNetwork twin = new CniNetwork(net.nodeName(), otherAgent.resolve("network"));
    assertThat(twin.bridgeName()).isNotEqualTo(net.bridgeName());
    try {
      PodNetwork theirs = twin.setUp("it-theirs", otherCidr);
      assertThat(theirs.gateway()).isEqualTo(CniNetwork.gatewayOf(otherCidr));
      // the other cluster goes down: its node's bridge goes, this one's stays and still serves its pod
      String out = io.keelson.agent.image.TestImages.run(io.keelson.agent.image.TestImages.repoRoot()
          .resolve("deploy/runc/purge-node.sh").toString(), "--state-dir", otherAgent.toString(), "--node", net.nodeName());
      assertThat(out).contains("purge-node: removed");
      assertThat(Path.of("/sys/class/net", twin.bridgeName())).doesNotExist();
      assertThat(Path.of("/sys/class/net", net.bridgeName())).exists();
      assertThat(sh("nsenter", "--net=" + mine.netnsPath(), "busybox", "ping", "-c", "1", "-W", "3", mine.gateway())).isZero();
    } finally {
      sh("ip", "link", "delete", twin.bridgeName());
    }
  }

  /** The node-local DNS binds the gateway address before any pod exists; pods set up later still get theirs. */
  @Test
  void theNodeAddressExistsBeforeTheFirstPod() throws Exception {
    String gw = CniNetwork.gatewayOf(CIDR);
    assertThat(net.nodeAddress(CIDR)).isEqualTo(gw);
    assertThat(net.nodeAddress(CIDR)).as("idempotent").isEqualTo(gw);
    try (java.net.DatagramSocket bound = new java.net.DatagramSocket(new java.net.InetSocketAddress(gw, 0))) {
      assertThat(bound.getLocalAddress().getHostAddress()).isEqualTo(gw);
    }
    PodNetwork a = net.setUp("it-after-dns", CIDR);
    assertThat(a.gateway()).isEqualTo(gw);
    assertThat(sh("nsenter", "--net=" + a.netnsPath(), "busybox", "ping", "-c", "1", "-W", "3", gw)).isZero();
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
  void aPooledNetworkIsHandedToASandboxAndDeletedWithItsPoolId() throws Exception {
    String poolId = net.addPooled(CIDR);
    assertThat(net.pooledCount()).isEqualTo(1);
    assertThat(net.claim("it-pooled", "10.9.9.0/24")).as("another CIDR").isNull();
    PodNetwork a = net.claim("it-pooled", CIDR);
    assertThat(a.ip()).startsWith(CIDR.substring(0, CIDR.lastIndexOf('.')));
    assertThat(a.gateway()).isEqualTo(CniNetwork.gatewayOf(CIDR));
    assertThat(net.pooledCount()).isZero();
    assertThat(net.claim("it-none", CIDR)).as("pool empty").isNull();
    assertThat(sh("busybox", "ping", "-c", "1", "-W", "3", a.ip())).as("node -> pod").isZero();
    assertThat(sh("nsenter", "--net=" + a.netnsPath(), "busybox", "ping", "-c", "1", "-W", "3", "127.0.0.1")).as("loopback up").isZero();

    // the sandbox's network from now on, also for a restarted agent; asking again gives the same
    assertThat(net.sandboxes()).containsExactly("it-pooled");
    assertThat(new CniNetwork(net.nodeName(), state).get("it-pooled")).contains(a);
    assertThat(net.createNamespace("it-pooled")).isEqualTo(a);
    assertThat(net.setUp("it-pooled", CIDR)).isEqualTo(a);
    assertThat(net.claim("it-pooled", CIDR)).isNull();

    // a sandbox that made a namespace of its own (its containers may have joined it) keeps it
    net.addPooled(CIDR);
    PodNetwork own = net.createNamespace("it-own");
    assertThat(net.claim("it-own", CIDR)).isNull();
    assertThat(net.setUp("it-own", CIDR).netnsPath()).isEqualTo(own.netnsPath());
    assertThat(net.pooledCount()).isEqualTo(1);

    // CNI DEL with the id it was added with: the address is free again, nothing is left
    assertThat(ipamHolders()).contains(poolId);
    net.tearDown("it-pooled");
    assertThat(a.netnsPath()).doesNotExist();
    assertThat(net.get("it-pooled")).isEmpty();
    assertThat(ipamHolders()).doesNotContain(poolId).doesNotContain("it-pooled");
  }

  @Test
  void theNextAgentKeepsFinishedPoolNetworksAndRemovesUnfinishedAndLostOnes() throws Exception {
    String kept = net.addPooled(CIDR);
    String lost = net.addPooled(CIDR);
    // its namespace went away with the agent's mount namespace (lab mode) or a reboot
    assertThat(sh("umount", net.netnsPath(lost).toString())).isZero();
    // an agent killed during CNI ADD: the record is written first, then the namespace and the IP
    String unfinished = "pool-0123456789ab";
    Files.writeString(state.resolve("pool").resolve(unfinished + ".json"),
        "{\"podCidr\":\"" + CIDR + "\",\"cniContainerId\":\"" + unfinished + "\",\"netns\":\"" + net.netnsPath(unfinished) + "\"}");
    PersistentNamespace.createNetwork(net.netnsPath(unfinished));

    CniNetwork restarted = new CniNetwork(net.nodeName(), state);
    assertThat(restarted.pooledCount()).isEqualTo(1);
    assertThat(ipamHolders()).contains(kept).doesNotContain(lost);
    assertThat(net.netnsPath(lost)).doesNotExist();
    assertThat(net.netnsPath(unfinished)).doesNotExist();
    assertThat(restarted.claim("it-after", CIDR).netnsPath()).isEqualTo(net.netnsPath(kept));

    // keelson down: every pool network goes
    restarted.addPooled(CIDR);
    assertThat(restarted.trimPool(null, 0)).isEqualTo(1);
    assertThat(restarted.pooledCount()).isZero();
    assertThat(Files.list(state.resolve("pool")).toList()).isEmpty();
  }

  @Test
  void thePoolIsRefilledOnlyWhileNoPodIsStarting() throws Exception {
    try (NetworkPool pool = new NetworkPool(net, 2)) {
      pool.podCidr(CIDR);
      await().atMost(Duration.ofSeconds(30)).until(() -> pool.ready() == 2);
      pool.starting("it-a");
      PodNetwork a = pool.take("it-a", CIDR);
      assertThat(a.ip()).isNotNull();
      pool.starting("it-b");
      // not while it-a and it-b start
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> pool.ready() == 1);
      pool.settled("it-a");
      await("it-b is still starting").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(1)).until(() -> pool.ready() == 1);
      pool.settled("it-b");
      await().atMost(Duration.ofSeconds(30)).until(() -> pool.ready() == 2);
    }
    // a smaller pool removes what is over
    try (NetworkPool pool = new NetworkPool(net, 0)) {
      pool.podCidr(CIDR);
      await().atMost(Duration.ofSeconds(30)).until(() -> pool.ready() == 0);
      assertThat(pool.take("it-c", CIDR)).isNull();
    }
  }

  /** Who holds an address in host-local's store (its files hold the CNI container id). */
  private List<String> ipamHolders() throws IOException {
    try (var files = Files.walk(state.resolve("ipam"))) {
      return files.filter(f -> Files.isRegularFile(f) && f.getFileName().toString().matches("[0-9.]+"))
          .map(f -> {
            try {
              return Files.readString(f).lines().findFirst().orElse("");
            } catch (IOException e) {
              return "";
            }
          }).toList();
    }
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
