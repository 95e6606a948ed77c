package io.keelson.agent.driver.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keelson.agent.driver.ExitResult;
import io.keelson.agent.driver.PodNetwork;
import io.keelson.agent.driver.SandboxConfig;
import io.keelson.agent.driver.TaskConfig;
import io.keelson.agent.driver.TaskConfig.TaskResources;
import io.keelson.agent.driver.TaskConfig.TaskUser;
import io.keelson.agent.image.ImageStore;
import io.keelson.agent.image.PullPolicy;
import io.keelson.agent.image.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A VM on a pod network shaped like the CNI component's (a netns whose eth0 is one end of a veth,
 * the other end on the node side with the gateway address): the guest gets the pod IP, the node
 * reaches it and it reaches the node.
 */
class QemuPodNetworkIT {

  @TempDir Path dir;
  QemuDriver driver;
  String sandboxId;
  String netns;
  String hostIf;

  @Test
  void theGuestHasThePodIpBothWays() throws Exception {
    String why = !"root".equals(System.getProperty("user.name")) ? "needs root"
        : !Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")) ? "no qemu-system-x86_64"
        : !Files.exists(Path.of("/dev/net/tun")) ? "no /dev/net/tun"
        : TestImages.missing();
    if (why == null) {
      why = QemuDriverIT.prepareAssets();
    }
    if (why != null) {
      System.out.println("SKIP QemuPodNetworkIT: " + why);
    }
    assumeTrue(why == null, why);
    String suffix = UUID.randomUUID().toString().substring(0, 6);
    int octet = 100 + (int) (Long.parseLong(suffix, 16) % 100);
    String gw = "10.213." + octet + ".1";
    String podIp = "10.213." + octet + ".2";
    netns = "kvmit-" + suffix;
    hostIf = "kvh" + suffix;
    TestImages.run("ip", "netns", "add", netns);
    TestImages.run("ip", "link", "add", hostIf, "type", "veth", "peer", "name", "kvp" + suffix);
    TestImages.run("ip", "link", "set", "kvp" + suffix, "netns", netns);
    TestImages.run("ip", "netns", "exec", netns, "ip", "link", "set", "kvp" + suffix, "name", "eth0");
    TestImages.run("ip", "netns", "exec", netns, "ip", "addr", "add", podIp + "/24", "dev", "eth0");
    TestImages.run("ip", "netns", "exec", netns, "ip", "link", "set", "eth0", "up");
    TestImages.run("ip", "addr", "add", gw + "/24", "dev", hostIf);
    TestImages.run("ip", "link", "set", hostIf, "up");

    Path images = dir.resolve("images");
    TestImages.preloadBusybox(images);
    ImageStore store = ImageStore.open(images);
    TaskConfig.TaskImage busybox = store.taskImage(store.ensure("keelson.local/busybox:latest", PullPolicy.IF_NOT_PRESENT));

    driver = new QemuDriver(QemuDriver.Options.defaults(null));
    sandboxId = "vmnet-" + suffix;
    PodNetwork net = new PodNetwork(Path.of("/run/netns", netns), "eth0", podIp, 24, gw, null, List.of(), List.of());
    driver.startSandbox(new SandboxConfig(sandboxId, "uid", "default", "net-0", "net-0", net, 0, 0, Map.of(), Map.of(),
        Map.of(), dir.resolve("logs"), dir.resolve("sb")));

    // node -> VM
    String ping = TestImages.run("/bin/busybox", "ping", "-c", "2", "-W", "10", podIp);
    assertThat(ping).contains("2 packets received");

    // VM -> node: the guest's own view of its address, and a ping to the gateway
    TaskConfig t = new TaskConfig(sandboxId + "-c", sandboxId, "c", busybox,
        List.of("sh", "-c", "ip -o -4 addr show dev eth0; ping -c 1 -W 10 " + gw + " && echo PING-OK"),
        Map.of("PATH", "/bin"), "/", TaskUser.ROOT, List.of(), false, TaskResources.NONE, false, false, dir.resolve("logs/c.log"));
    driver.startTask(t);
    ExitResult r = driver.awaitTask(t.taskId()).get(60, TimeUnit.SECONDS);
    String log = Files.readString(t.logPath());
    assertThat(r.exitCode()).as(log).isZero();
    assertThat(log).contains("inet " + podIp + "/24", "PING-OK");
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (driver != null) {
      driver.destroySandbox(sandboxId, Duration.ZERO);
      driver.close();
    }
    if (netns != null) {
      new ProcessBuilder("ip", "netns", "del", netns).start().waitFor();
    }
    if (hostIf != null) {
      new ProcessBuilder("ip", "link", "del", hostIf).start().waitFor();
    }
  }
}
