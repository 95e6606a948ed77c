package io.keelson.agent.driver.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When a saved VM template may be restored: only a complete one, only for the binaries and shape it was made from. */
class VmTemplateTest {

  @TempDir Path dir;

  @Test
  void theNameChangesWithTheBinariesTheAccelAndTheShape() throws Exception {
    Path qemu = Files.writeString(dir.resolve("qemu"), "qemu");
    VmAssets assets = new VmAssets(Files.createDirectories(dir.resolve("vm")));
    Files.writeString(assets.dir().resolve("vmlinuz"), "kernel");
    Files.writeString(assets.initramfs(), "init v1");
    String name = VmTemplate.name(qemu, assets, "tcg", 1, 256L << 20);
    assertThat(name).startsWith("1cpu-256M-").isEqualTo(VmTemplate.name(qemu, assets, "tcg", 1, 256L << 20));

    assertThat(VmTemplate.name(qemu, assets, "kvm", 1, 256L << 20)).isNotEqualTo(name);
    assertThat(VmTemplate.name(qemu, assets, "tcg", 2, 256L << 20)).isNotEqualTo(name);
    Files.writeString(assets.initramfs(), "init v2"); // a rebuilt guest init
    Files.setLastModifiedTime(assets.initramfs(), FileTime.fromMillis(Files.getLastModifiedTime(assets.initramfs()).toMillis() + 1000));
    assertThat(VmTemplate.name(qemu, assets, "tcg", 1, 256L << 20)).isNotEqualTo(name);
  }

  @Test
  void onlyACompleteTemplateLoads() throws Exception {
    Path t = Files.createDirectories(dir.resolve("1cpu-256M-abc"));
    assertThat(VmTemplate.load(t)).isNull();
    Files.writeString(t.resolve("memory"), "ram");
    Files.writeString(t.resolve("state"), "devices");
    assertThat(VmTemplate.load(t)).as("saved but not marked complete (a build cut short)").isNull();
    VmTemplate.complete(t, "6.1.0-56-cloud-amd64", "booted in 1 ms");
    assertThat(VmTemplate.load(t)).isEqualTo(new VmTemplate(t, "6.1.0-56-cloud-amd64"));
    assertThat(VmTemplate.load(dir.resolve("missing"))).isNull();
  }
}
