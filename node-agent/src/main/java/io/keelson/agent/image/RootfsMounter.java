package io.keelson.agent.image;

import io.keelson.agent.host.HostTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives each container a private, writable root filesystem on top of an image's shared read-only
 * one: an overlayfs mount (lower = the image rootfs, upper/work in the container's directory) when
 * the kernel and file system allow it, else a full copy ({@code cp -a}). Overlay is probed once;
 * a container created with one method is always released correctly whatever the probe says now.
 *
 * <p>{@link #prepare} leaves the overlay mount itself to the container runtime (runc mounts it as the
 * container's first mount, inside the container's own mount namespace): no {@code mount} process per
 * container, and nothing is left mounted on the host when the container dies. {@link #mount} mounts
 * on the host, for callers that need the files there.
 */
public final class RootfsMounter {

  private static final Logger log = LoggerFactory.getLogger(RootfsMounter.class);
  private final boolean overlay;

  private RootfsMounter(boolean overlay) {
    this.overlay = overlay;
  }

  /** Probes overlayfs support by mounting a tiny overlay under {@code scratch}. */
  public static RootfsMounter probe(Path scratch) {
    Path d = scratch.resolve("overlay-probe-" + ProcessHandle.current().pid());
    try {
      for (String s : List.of("lower", "upper", "work", "merged")) {
        Files.createDirectories(d.resolve(s));
      }
      Files.writeString(d.resolve("lower/probe"), "ok");
      HostTools.run("mount", "-t", "overlay", "overlay", "-o", options(List.of(d.resolve("lower")), d.resolve("upper"), d.resolve("work")), d.resolve("merged").toString());
      boolean ok = Files.exists(d.resolve("merged/probe"));
      HostTools.run("umount", d.resolve("merged").toString());
      return new RootfsMounter(ok);
    } catch (IOException e) {
      log.info("overlayfs not usable under {} ({}); container root filesystems will be copies", scratch, e.getMessage());
      return new RootfsMounter(false);
    } finally {
      try {
        LayerApplier.deleteTree(d);
      } catch (IOException ignored) {
        // best effort
      }
    }
  }

  /** Always copy (for tests, or file systems where overlay misbehaves). */
  public static RootfsMounter copying() {
    return new RootfsMounter(false);
  }

  public boolean usesOverlay() {
    return overlay;
  }

  /**
   * A container's root filesystem as the runtime gets it: {@code dir}, on which the runtime mounts
   * overlayfs with {@code overlayOptions} first; null options mean {@code dir} is complete already
   * (a copy, or a host mount of a container created before the runtime mounted it).
   */
  public record Rootfs(Path dir, String overlayOptions) {}

  /**
   * Prepares the root filesystem of a container in {@code containerDir} from {@code lowerDirs}
   * (bottom first) without mounting anything on the host when overlay is usable: creates the empty
   * mount point and the upper/work dirs and returns the overlay options for the runtime. Falls back
   * to a copy like {@link #mount}. Idempotent.
   */
  public Rootfs prepare(List<Path> lowerDirs, Path containerDir) throws IOException {
    Path rootfs = containerDir.resolve("rootfs");
    if (!overlay || isMountPoint(rootfs) || Files.exists(containerDir.resolve(".rootfs-copied"))) {
      return new Rootfs(mount(lowerDirs, containerDir), null);
    }
    Path upper = containerDir.resolve("upper");
    Path work = containerDir.resolve("work");
    Files.createDirectories(rootfs);
    Files.createDirectories(upper);
    Files.createDirectories(work);
    return new Rootfs(rootfs, options(lowerDirs, upper, work));
  }

  /**
   * Prepares {@code containerDir/rootfs} from {@code lowerDirs} (bottom first) mounted on the host; idempotent: an
   * existing mount or copy is kept (so that recovery after an agent restart does not disturb a
   * running container).
   *
   * @return the root filesystem path
   */
  public Path mount(List<Path> lowerDirs, Path containerDir) throws IOException {
    Path rootfs = containerDir.resolve("rootfs");
    Files.createDirectories(rootfs);
    if (isMountPoint(rootfs) || Files.exists(containerDir.resolve(".rootfs-copied"))) {
      return rootfs;
    }
    if (overlay) {
      Path upper = containerDir.resolve("upper");
      Path work = containerDir.resolve("work");
      Files.createDirectories(upper);
      Files.createDirectories(work);
      try {
        HostTools.run("mount", "-t", "overlay", "overlay", "-o", options(lowerDirs, upper, work), rootfs.toString());
        return rootfs;
      } catch (IOException e) {
        log.warn("overlay mount for {} failed ({}); copying the image instead", containerDir, e.getMessage());
      }
    }
    for (Path lower : lowerDirs) {
      HostTools.run("cp", "-a", "--reflink=auto", lower + "/.", rootfs.toString());
    }
    Files.writeString(containerDir.resolve(".rootfs-copied"), "");
    return rootfs;
  }

  /** Unmounts (if mounted) and deletes the container's rootfs, upper and work dirs; idempotent. */
  public void release(Path containerDir) throws IOException {
    Path rootfs = containerDir.resolve("rootfs");
    if (isMountPoint(rootfs)) {
      try {
        HostTools.run("umount", rootfs.toString());
      } catch (IOException e) {
        HostTools.run("umount", "-l", rootfs.toString()); // still busy (a process lingers): detach it
      }
    }
    for (String d : List.of("rootfs", "upper", "work", ".rootfs-copied")) {
      LayerApplier.deleteTree(containerDir.resolve(d));
    }
  }

  /** True if {@code p} is a mount point in this process's mount namespace. */
  public static boolean isMountPoint(Path p) throws IOException {
    String target = p.toAbsolutePath().normalize().toString();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f.length > 4 && unescape(f[4]).equals(target)) {
        return true;
      }
    }
    return false;
  }

  private static String unescape(String s) {
    return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
  }

  private static String options(List<Path> lowerDirs, Path upper, Path work) {
    // overlayfs wants the top-most lower dir first
    List<Path> top = new java.util.ArrayList<>(lowerDirs);
    java.util.Collections.reverse(top);
    return "lowerdir=" + top.stream().map(Path::toString).collect(Collectors.joining(":")) + ",upperdir=" + upper + ",workdir=" + work;
  }
}
