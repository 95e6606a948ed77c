package io.keelson.agent.driver.qemu;

import io.keelson.agent.image.TestImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether this host can boot the VM tests' guests: root, qemu, and the guest kernel and init from deploy/vm/prepare.sh. */
final class VmHost {
  private VmHost() {}

  /** Why a VM cannot boot here, or null when it can (preparing the guest kernel and init first, see {@link #prepareAssets}). */
  static String missing() {
    String why = !"root".equals(System.getProperty("user.name")) ? "VM tests need root (cgroups, tap)"
        : !Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")) ? "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
        : null;
    return why != null ? why : prepareAssets();
  }

  /** deploy/vm/prepare.sh into $KEELSON_VM_DIR or ~/.keelson/vm (idempotent; downloads the kernel once). */
  static String prepareAssets() {
    VmAssets assets = VmAssets.locate(null);
    try {
      TestImages.run("bash", TestImages.repoRoot().resolve("deploy/vm/prepare.sh").toString(), "--dest", assets.dir().toString());
      return assets.missing();
    } catch (IOException | InterruptedException e) {
      return "cannot prepare the guest kernel: " + e.getMessage();
    }
  }
}
