package io.keelson.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The lab plumbing on its own (deploy/lab/lab.sh, no cluster): three hosts ping each other over
 * the bridge, a partition cuts one off, heal restores it, down leaves no namespace, link or nft
 * table behind. Traffic stays inside the namespaces it creates.
 */
class LabNetworkIT {
  private static final Path LAB = KeelsonCluster.HOME.resolve("deploy/lab/lab.sh");
  private Path dir;

  @BeforeEach
  void setUp() throws Exception {
    String lacks = Host.root() ? (Host.onPath("ip") ? null : "iproute2 is not installed") : "network namespaces need root";
    if (lacks == null && !Files.isExecutable(Path.of("/bin/busybox"))) {
      lacks = "busybox-static is not installed (used for ping inside the namespaces)";
    }
    if (lacks != null) {
      System.out.println("SKIP LabNetworkIT: " + lacks);
    }
    Assumptions.assumeTrue(lacks == null, lacks);
    dir = Files.createTempDirectory("keelson-lab-");
  }

  @AfterEach
  void tearDown() {
    if (dir != null) {
      sh(LAB.toString(), "down", "--dir", dir.toString());
    }
  }

  private KeelsonCluster.Result sh(String... cmd) {
    return Shell.run(Duration.ofSeconds(60), List.of(cmd));
  }

  private boolean ping(int from, String to) {
    return sh(LAB.toString(), "exec", "--dir", dir.toString(), Integer.toString(from), "--",
        "/bin/busybox", "ping", "-c", "1", "-W", "1", to).ok();
  }

  @Test
  void hostsTalkPartitionHealAndLeaveNothingBehind() throws Exception {
    assertThat(sh(LAB.toString(), "up", "--dir", dir.toString(), "--nodes", "3").ok()).isTrue();
    Map<String, String> state = Files.readAllLines(dir.resolve("lab/state")).stream()
        .filter(l -> l.contains("=")).collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')),
            l -> l.substring(l.indexOf('=') + 1), (a, b) -> b));
    String id = state.get("LAB_ID");
    String a2 = state.get("NODE_2_ADDR");
    String a3 = state.get("NODE_3_ADDR");
    assertThat(List.of(state.get("NODE_1_ADDR"), a2, a3)).doesNotHaveDuplicates();

    assertThat(ping(1, a2)).as("lab-1 reaches lab-2").isTrue();
    assertThat(ping(3, state.get("LAB_GATEWAY"))).as("lab-3 reaches the bridge (api-server address)").isTrue();

    assertThat(sh(LAB.toString(), "partition", "--dir", dir.toString(), "lab-2").ok()).isTrue();
    assertThat(ping(1, a2)).as("partitioned lab-2 is unreachable").isFalse();
    assertThat(ping(1, a3)).as("the others still talk").isTrue();

    assertThat(sh(LAB.toString(), "heal", "--dir", dir.toString(), "lab-2").ok()).isTrue();
    boolean back = false;
    for (int i = 0; i < 5 && !back; i++) {
      back = ping(1, a2);
    }
    assertThat(back).as("healed lab-2 is reachable again").isTrue();

    assertThat(sh(LAB.toString(), "down", "--dir", dir.toString()).ok()).isTrue();
    assertThat(sh("ip", "netns", "list").out()).doesNotContain("klab-" + id);
    assertThat(sh("ip", "-br", "link").out()).doesNotContain("klab0-" + id).doesNotContain("kv" + id);
    assertThat(sh("nft", "list", "tables").out()).doesNotContain("klab_" + id);
    assertThat(dir.resolve("lab/state")).doesNotExist();
  }
}
