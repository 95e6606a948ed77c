package io.keelson.agent.driver.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The guest kernel and initramfs prepared by {@code deploy/vm/prepare.sh} in one directory:
 * {@code vmlinuz} (and its uncompressed {@code vmlinux}), {@code initramfs.cpio} (with keelson-init as /init) and {@code kernel.release}.
 */
public record VmAssets(Path dir) {

  /** {@code --vm-dir}, else $KEELSON_VM_DIR, else ~/.keelson/vm. */
  public static VmAssets locate(Path configured) {
    if (configured != null) {
      return new VmAssets(configured);
    }
    String env = System.getenv("KEELSON_VM_DIR");
    if (env != null && !env.isBlank()) {
      return new VmAssets(Path.of(env));
    }
    return new VmAssets(Path.of(System.getProperty("user.home"), ".keelson", "vm"));
  }

  /** The uncompressed vmlinux (PVH boot, no in-guest decompression) when prepared, else vmlinuz. */
  public Path kernel() {
    Path elf = dir.resolve("vmlinux");
    return Files.isReadable(elf) ? elf : dir.resolve("vmlinuz");
  }

  public Path initramfs() {
    return dir.resolve("initramfs.cpio");
  }

  /** e.g. "6.1.0-56-cloud-amd64", or "unknown". */
  public String kernelRelease() {
    try {
      return Files.readString(dir.resolve("kernel.release")).strip();
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** Why VMs cannot boot from this directory, or null when they can. */
  public String missing() {
    if (!Files.isReadable(kernel())) {
      return "no guest kernel at " + kernel() + " (run deploy/vm/prepare.sh --dest " + dir + ")";
    }
    if (!Files.isReadable(initramfs())) {
      return "no guest initramfs at " + initramfs() + " (run deploy/vm/prepare.sh --dest " + dir + ")";
    }
    return null;
  }
}
