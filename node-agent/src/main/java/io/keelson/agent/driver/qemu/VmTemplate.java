package io.keelson.agent.driver.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A VM template on disk: the saved state of a VM of one shape that booted its guest kernel and
 * keelson-init and then sat idle, from which VM pods of that shape are restored instead of booting
 * (the technique of Kata Containers' VM templating and Firecracker snapshots).
 *
 * <p>{@code memory} is the template VM's guest RAM (it ran with a shared file-backed memory
 * backend); {@code state} is qemu's migration stream of everything else (CPU, devices), saved with
 * {@code x-ignore-shared} so it holds no RAM. A restored VM maps {@code memory} privately
 * (copy-on-write: the template is never written, and the pages no VM wrote are shared page cache)
 * and loads {@code state} with {@code -incoming}. A template is never changed once written: a new
 * kernel, initramfs, qemu or shape gives a new directory {@link #name}, and old ones are deleted
 * (VMs still mapping an old memory file keep its inode).
 *
 * @param dir the template's directory, named by {@link #name}
 * @param kernel the guest kernel release the template booted
 */
record VmTemplate(Path dir, String kernel) {

  /** Bump when the device layout or the way templates are made changes. */
  static final String LAYOUT = "v1";
  private static final String META = "template";

  Path memory() {
    return dir.resolve("memory");
  }

  Path state() {
    return dir.resolve("state");
  }

  /**
   * The directory name of a template of this shape for these binaries: the shape plus a hash of
   * what the saved state depends on (qemu binary, guest kernel, initramfs, accel, the driver's
   * device layout). Any change yields a new name, so a stale template is never restored.
   */
  static String name(Path qemu, VmAssets assets, String accel, int vcpus, long ram) throws IOException {
    StringBuilder in = new StringBuilder(LAYOUT).append('|').append(accel).append('|').append(vcpus).append('|').append(ram)
        .append('|').append(QemuDriver.SLOTS).append('|').append(QemuDriver.SLOT_BYTES);
    for (Path p : List.of(qemu.toRealPath(), assets.kernel().toRealPath(), assets.initramfs().toRealPath())) {
      in.append('|').append(p).append(':').append(Files.size(p)).append(':').append(Files.getLastModifiedTime(p).toMillis());
    }
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(in.toString().getBytes(StandardCharsets.UTF_8));
      return vcpus + "cpu-" + (ram >> 20) + "M-" + HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The complete template in {@code dir}, or null (absent, or its build never finished). */
  static VmTemplate load(Path dir) {
    try {
      List<String> meta = Files.readAllLines(dir.resolve(META));
      if (meta.isEmpty() || !Files.isRegularFile(dir.resolve("memory")) || !Files.isRegularFile(dir.resolve("state"))) {
        return null;
      }
      return new VmTemplate(dir, meta.getFirst().strip());
    } catch (IOException e) {
      return null;
    }
  }

  /** Marks the template in {@code dir} complete (written last, after memory and state). */
  static VmTemplate complete(Path dir, String kernel, String details) throws IOException {
    Files.writeString(dir.resolve(META), kernel + "\n" + details + "\n");
    return new VmTemplate(dir, kernel);
  }
}
