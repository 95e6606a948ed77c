package io.keelson.agent.driver.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Decides between KVM and TCG by booting the guest kernel once with {@code -accel kvm} in probe
 * mode (keelson-init powers off at once) under a hard timeout. On these machines /dev/kvm exists
 * but nested guests hang, so opening /dev/kvm proves nothing; a boot that finishes does. The probe
 * never blocks longer than its timeout: a hung qemu is killed and the answer is TCG.
 */
final class AccelProbe {
  private AccelProbe() {}

  /** The outcome: "kvm" or "tcg" and why. */
  record Result(String accel, String why) {}

  static Result probe(Path qemu, VmAssets assets, Duration timeout) {
    Path kvm = Path.of("/dev/kvm");
    if (!Files.exists(kvm)) {
      return new Result("tcg", "no /dev/kvm");
    }
    if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
      return new Result("tcg", "/dev/kvm not accessible");
    }
    Path out = null;
    Process p = null;
    try {
      out = Files.createTempFile("keelson-kvm-probe", ".log");
      p = new ProcessBuilder(List.of(qemu.toString(), "-M", "microvm", "-accel", "kvm", "-cpu", "host", "-m", "128",
              "-nodefaults", "-no-user-config", "-no-reboot", "-display", "none", "-serial", "stdio",
              "-kernel", assets.kernel().toString(), "-initrd", assets.initramfs().toString(),
              "-append", "console=ttyS0 panic=-1 reboot=t keelson.probe=1"))
          .redirectErrorStream(true).redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return new Result("tcg", "a KVM guest did not boot within " + timeout.toSeconds() + "s (nested virtualization?)");
      }
      String log = Files.readString(out);
      if (log.contains("probe ok")) {
        return new Result("kvm", "a KVM guest booted");
      }
      String last = log.lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("exit " + p.exitValue());
      return new Result("tcg", "KVM boot failed: " + last);
    } catch (IOException e) {
      return new Result("tcg", "KVM probe failed: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result("tcg", "KVM probe interrupted");
    } finally {
      if (p != null && p.isAlive()) {
        p.destroyForcibly();
      }
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException ignored) {
          // a temp file
        }
      }
    }
  }
}
