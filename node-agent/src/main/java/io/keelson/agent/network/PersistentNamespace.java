package io.keelson.agent.network;

import io.keelson.agent.host.HostTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A Linux namespace kept alive without a process by bind-mounting it on a file (as {@code ip netns
 * add} does, but anywhere): pod network namespaces, pod IPC namespaces.
 *
 * <p>A bind mount belongs to a mount namespace. When an agent is restarted into a fresh mount
 * namespace (e.g. {@code ip netns exec} in lab mode), the file is still there but no longer a
 * mount; {@link #reattach} finds a process still living in the namespace (a container of the pod)
 * by the namespace's inode and mounts its {@code /proc/PID/ns/TYPE} on the file again.
 */
public final class PersistentNamespace {

  private PersistentNamespace() {}

  /**
   * From now on, namespaces are made by one long-lived helper built in {@code dir} (see {@link
   * NamespaceMaker}: no process per namespace) once it is built; where it cannot be, by unshare.
   */
  public static void useMaker(Path dir) {
    NamespaceMaker.start(dir);
  }

  /** Creates a new namespace of {@code type} ("net", "ipc", "uts") held by {@code file}. */
  public static void create(Path file, String type) throws IOException {
    if (!viaMaker(file, type)) {
      create(file, type, "true");
    }
  }

  /** Creates a new network namespace held by {@code file}, with {@code lo} up (what the CNI loopback plugin does). */
  public static void createNetwork(Path file) throws IOException {
    if (!viaMaker(file, "net")) {
      create(file, "net", "ip", "link", "set", "lo", "up");
    }
  }

  private static boolean viaMaker(Path file, String type) throws IOException {
    NamespaceMaker maker = NamespaceMaker.get();
    if (maker == null) {
      return false;
    }
    Files.createDirectories(file.getParent());
    maker.make(type, file);
    return true;
  }

  /**
   * Creates the namespace and runs {@code inside} in it once (e.g. {@code ip link set lo up} for a
   * network namespace): one process instead of two, which matters at ~10 ms per exec on a busy node.
   */
  public static void create(Path file, String type, String... inside) throws IOException {
    Files.createDirectories(file.getParent());
    if (!Files.exists(file)) {
      Files.createFile(file);
    }
    String[] cmd = new String[2 + inside.length];
    cmd[0] = "unshare";
    cmd[1] = "--" + type + "=" + file;
    System.arraycopy(inside, 0, cmd, 2, inside.length);
    HostTools.run(cmd);
  }

  /** True if {@code file} holds a namespace in this mount namespace. */
  public static boolean isMounted(Path file) {
    try {
      if (!Files.exists(file)) {
        return false;
      }
      String target = file.toAbsolutePath().normalize().toString();
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        String[] f = line.split(" ");
        if (f.length > 4 && f[4].equals(target)) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  /** The namespace's inode (its identity, as in {@code net:[4026532177]}), if mounted. */
  public static Optional<Long> inode(Path file) {
    try {
      return isMounted(file) ? Optional.of(((Number) Files.getAttribute(file, "unix:ino")).longValue()) : Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Mounts namespace {@code inode} of {@code type} on {@code file} again, taken from any process
   * still in it; false if no process is (the namespace is gone).
   */
  public static boolean reattach(Path file, String type, long inode) throws IOException {
    if (isMounted(file)) {
      return true;
    }
    String wanted = type + ":[" + inode + "]";
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : (Iterable<Path>) procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))::iterator) {
        Path ns = proc.resolve("ns").resolve(type);
        try {
          if (Files.readSymbolicLink(ns).toString().equals(wanted)) {
            if (!Files.exists(file)) {
              Files.createDirectories(file.getParent());
              Files.createFile(file);
            }
            HostTools.run("mount", "--bind", ns.toString(), file.toString());
            return true;
          }
        } catch (IOException e) {
          // process ended or not ours to look at
        }
      }
    }
    return false;
  }

  /** Unmounts and deletes {@code file}; idempotent. */
  public static void remove(Path file) throws IOException {
    if (isMounted(file)) {
      HostTools.run("umount", file.toString());
    }
    Files.deleteIfExists(file);
  }
}
