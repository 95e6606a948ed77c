package io.keelson.agent.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Test fixture: the sample busybox image built once per test JVM by deploy/images/build-busybox.sh. */
public final class TestImages {

  private static Path layout;

  private TestImages() {}

  /** The repository root (tests run in node-agent/). */
  public static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    return Files.exists(p.resolve("deploy/images")) ? p : p.getParent();
  }

  /** Why the busybox image cannot be built here, or null if it can. */
  public static String missing() {
    if (!Files.isExecutable(Path.of("/bin/busybox"))) {
      return "no /bin/busybox (apt-get install busybox-static)";
    }
    return null;
  }

  /** An OCI layout holding keelson.local/busybox:{latest,1,2}. */
  public static synchronized Path busyboxLayout() throws IOException, InterruptedException {
    if (layout == null) {
      Path out = Path.of("target/test-images/busybox").toAbsolutePath();
      run(repoRoot().resolve("deploy/images/build-busybox.sh").toString(), "--out", out.toString());
      layout = out;
    }
    return layout;
  }

  /** Copies the busybox layout into {@code imagesDir/preload/busybox}. */
  public static void preloadBusybox(Path imagesDir) throws IOException, InterruptedException {
    Path dest = imagesDir.resolve("preload/busybox");
    Files.createDirectories(dest.getParent());
    run("cp", "-a", busyboxLayout().toString(), dest.toString());
  }

  /**
   * Builds keelson.local/bootsector-disk:latest (deploy/images/build-bootsector-disk.sh, needs nasm)
   * into {@code imagesDir/preload/bootsector-disk}; returns why it cannot, or null.
   */
  public static String preloadBootsectorDisk(Path imagesDir) throws IOException, InterruptedException {
    if (!Files.isExecutable(Path.of("/usr/bin/nasm"))) {
      return "no nasm (apt-get install nasm)";
    }
    run(repoRoot().resolve("deploy/images/build-bootsector-disk.sh").toString(), "--out",
        imagesDir.resolve("preload/bootsector-disk").toString());
    return null;
  }

  public static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }
}
