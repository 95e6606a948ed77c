package io.keelson.agent.driver.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.Fingerprint;
import io.keelson.agent.driver.SandboxConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a node without qemu or without a guest kernel reports, and what a VM pod there sees. */
class QemuDriverTest {

  @TempDir Path dir;

  SandboxConfig sandbox() {
    return new SandboxConfig("sb-1", "uid", "default", "p", "p", null, 0, 0, Map.of(), Map.of(), Map.of(), dir.resolve("logs"),
        dir.resolve("sb"));
  }

  @Test
  void noKernelMakesTheFingerprintUnhealthyAndVmPodsFailWithTheReason() {
    QemuDriver d = new QemuDriver(new QemuDriver.Options(Path.of("/bin/true"), new VmAssets(dir.resolve("vm")), "tcg",
        Duration.ofSeconds(5), dir.resolve("run")));
    Fingerprint f = d.fingerprint();
    assertThat(f.healthy()).isFalse();
    assertThat(f.healthDescription()).contains("no guest kernel at " + dir.resolve("vm/vmlinuz"), "deploy/vm/prepare.sh");
    assertThat(f.attributes()).doesNotContainKey(QemuDriver.RUNTIME_LABEL);
    assertThatThrownBy(() -> d.startSandbox(sandbox())).isInstanceOf(DriverException.class)
        .hasMessageContaining("no guest kernel")
        .satisfies(e -> assertThat(((DriverException) e).reason()).isEqualTo("FailedCreatePodSandBox"));
  }

  /** kubectl run -i / debug -i in a VM pod: a clear start error instead of a shell that reads end-of-file at once. */
  @Test
  void stdinOrTtyIsRefusedWithTheReason() {
    QemuDriver d = new QemuDriver(QemuDriver.Options.defaults(dir));
    io.keelson.agent.driver.TaskConfig.TaskImage image =
        new io.keelson.agent.driver.TaskConfig.TaskImage("keelson.local/busybox:latest", "sha256:x", java.util.List.of(dir), dir);
    io.keelson.agent.driver.TaskConfig shell = new io.keelson.agent.driver.TaskConfig("t-1", "sb-1", "debugger", image,
        java.util.List.of("sh"), Map.of(), "/", io.keelson.agent.driver.TaskConfig.TaskUser.ROOT, java.util.List.of(), false,
        io.keelson.agent.driver.TaskConfig.TaskResources.NONE, false, true, dir.resolve("log"));
    assertThatThrownBy(() -> d.startTask(shell)).isInstanceOf(DriverException.class)
        .hasMessageContaining("container debugger asks for stdin, which VM pods (runtimeClassName: vm) do not support yet");
  }

  @Test
  void noQemuMakesTheFingerprintUnhealthy() {
    QemuDriver d = new QemuDriver(new QemuDriver.Options(dir.resolve("no-qemu"), new VmAssets(dir.resolve("vm")), "auto",
        Duration.ofSeconds(5), dir.resolve("run")));
    assertThat(d.fingerprint().healthy()).isFalse();
    assertThat(d.fingerprint().healthDescription()).contains("qemu not found at " + dir.resolve("no-qemu"));
  }

  @Test
  void capabilitiesSayVmWithExecAndCriLogs() {
    QemuDriver d = new QemuDriver(QemuDriver.Options.defaults(dir));
    assertThat(d.name()).isEqualTo("qemu");
    assertThat(d.capabilities().isolation()).isEqualTo("vm");
    assertThat(d.capabilities().exec()).isTrue();
    assertThat(d.capabilities().criLogFormat()).isTrue();
  }

  @Test
  void guestMemoryIsThePodLimitLessTheRuntimeClassOverhead() {
    long mi = 1 << 20;
    assertThat(QemuDriver.guestMemory(0)).isEqualTo(256 * mi); // no limits at all
    assertThat(QemuDriver.guestMemory(64 * mi)).isEqualTo(256 * mi); // only the overhead: containers set none
    assertThat(QemuDriver.guestMemory((512 + 64) * mi)).isEqualTo(512 * mi);
    assertThat(QemuDriver.guestMemory((32 + 64) * mi)).isEqualTo(128 * mi); // a kernel needs some room
  }

  @Test
  void destroyingAnUnknownSandboxOrTaskIsNotAnError() throws Exception {
    QemuDriver d = new QemuDriver(QemuDriver.Options.defaults(dir));
    d.destroySandbox("never-started", Duration.ZERO);
    d.destroyTask("never-started", true);
    d.stopTask("never-started", Duration.ZERO);
  }
}
