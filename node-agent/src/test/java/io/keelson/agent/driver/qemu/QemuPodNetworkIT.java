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
  final TestPodNetworks nets = new TestPodNetworks();

  @Test
  void theGuestHasThePodIpBothWays() throws Exception {
    String why = TestPodNetworks.missing();
    if (why != null) {
      System.out.println("SKIP QemuPodNetworkIT: " + why);
    }
    assumeTrue(why == null, why);
    PodNetwork net = nets.create();
    String podIp = net.ip();
    String gw = net.gateway();

    Path images = dir.resolve("images");
    TestImages.preloadBusybox(images);
    ImageStore store = ImageStore.open(images);
    TaskConfig.TaskImage busybox = store.taskImage(store.ensure("keelson.local/busybox:latest", PullPolicy.IF_NOT_PRESENT));

    driver = new QemuDriver(QemuDriver.Options.defaults(null));
    sandboxId = "vmnet-" + UUID.randomUUID().toString().substring(0, 6);
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
    nets.close();
  }
}
