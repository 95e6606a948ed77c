package io.keelson.agent.image;

import io.keelson.agent.host.HostTools;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Applies image layers (tar, optionally gzip-compressed) on top of each other into one directory,
 * as the OCI image spec describes: later layers replace earlier entries, {@code .wh.NAME} deletes
 * NAME from the layers below, and {@code .wh..wh..opq} empties its directory of everything the
 * layers below put there. Paths are resolved inside the root like a chroot would (an absolute or
 * {@code ..}-climbing symlink from a layer never lets a later entry escape the root).
 */
public final class LayerApplier {

  static final String WHITEOUT_PREFIX = ".wh.";
  static final String OPAQUE = ".wh..wh..opq";
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

  private final Path root;
  private final boolean chown;

  /** @param chown set file owners from the tar headers (needs root; off in unprivileged tests) */
  public LayerApplier(Path root, boolean chown) {
    this.root = root.toAbsolutePath();
    this.chown = chown;
  }

  /** Applies one layer; gzip is detected from the content, not the media type. */
  public void apply(InputStream layer) throws IOException {
    InputStream in = new BufferedInputStream(layer, 1 << 16);
    in.mark(2);
    int b1 = in.read();
    int b2 = in.read();
    in.reset();
    if (b1 == 0x1f && b2 == 0x8b) {
      in = new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
    } else if (b1 == 0x28 && b2 == 0xb5) {
      throw new IOException("zstd-compressed layers are not supported");
    }
    Set<Path> createdHere = new HashSet<>();
    List<Path[]> hardlinks = new ArrayList<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        String rel = clean(e.getName());
        if (rel.isEmpty()) {
          continue; // the layer's root directory entry
        }
        int slash = rel.lastIndexOf('/');
        String parentRel = slash < 0 ? "" : rel.substring(0, slash);
        String base = rel.substring(slash + 1);
        Path parent = resolveDir(parentRel);
        if (base.equals(OPAQUE)) {
          try (Stream<Path> children = Files.list(parent)) {
            for (Path c : children.toList()) {
              if (!createdHere.contains(c)) {
                deleteTree(c);
              }
            }
          }
          continue;
        }
        if (base.startsWith(WHITEOUT_PREFIX)) {
          deleteTree(parent.resolve(base.substring(WHITEOUT_PREFIX.length())));
          continue;
        }
        Path target = parent.resolve(base);
        createdHere.add(target);
        if (e.isDirectory()) {
          if (!Files.isDirectory(target, NOFOLLOW)) {
            deleteTree(target);
            Files.createDirectory(target);
          }
        } else {
          deleteTree(target);
          if (e.isSymbolicLink()) {
            Files.createSymbolicLink(target, Path.of(e.getLinkName()));
          } else if (e.isLink()) {
            hardlinks.add(new Path[] {target, Path.of(clean(e.getLinkName()))});
            continue;
          } else if (e.isFile()) {
            Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
          } else if (e.isFIFO()) {
            HostTools.run("mkfifo", target.toString());
          } else if (e.isCharacterDevice() || e.isBlockDevice()) {
            HostTools.run("mknod", target.toString(), e.isCharacterDevice() ? "c" : "b",
                String.valueOf(e.getDevMajor()), String.valueOf(e.getDevMinor()));
          } else {
            continue;
          }
        }
        setAttributes(target, e);
      }
    }
    // hard links last: their target may appear later in the archive
    for (Path[] link : hardlinks) {
      Path existing = resolveFile(link[1].toString());
      deleteTree(link[0]);
      Files.createLink(link[0], existing);
    }
  }

  private void setAttributes(Path target, TarArchiveEntry e) throws IOException {
    if (chown) {
      Files.setAttribute(target, "unix:uid", (int) e.getLongUserId(), NOFOLLOW);
      Files.setAttribute(target, "unix:gid", (int) e.getLongGroupId(), NOFOLLOW);
    }
    if (!e.isSymbolicLink()) {
      // after chown: chown clears setuid bits
      Files.setAttribute(target, "unix:mode", e.getMode() & 07777);
      Files.setLastModifiedTime(target, FileTime.from(e.getModTime().toInstant()));
    }
  }

  /** "./a/b/" -> "a/b"; rejects nothing but drops "." and clamps ".." at the root. */
  static String clean(String name) {
    List<String> parts = new ArrayList<>();
    for (String p : name.split("/")) {
      if (p.isEmpty() || p.equals(".")) {
        continue;
      }
      if (p.equals("..")) {
        if (!parts.isEmpty()) {
          parts.remove(parts.size() - 1);
        }
        continue;
      }
      parts.add(p);
    }
    return String.join("/", parts);
  }

  /** Resolves a directory path under the root, following symlinks as if root were "/" and creating missing dirs. */
  private Path resolveDir(String rel) throws IOException {
    Path p = resolve(rel, 0);
    if (!Files.isDirectory(p, NOFOLLOW)) {
      deleteTree(p);
      Files.createDirectories(p);
    }
    return p;
  }

  private Path resolveFile(String rel) throws IOException {
    int slash = rel.lastIndexOf('/');
    Path parent = slash < 0 ? root : resolveDir(rel.substring(0, slash));
    return parent.resolve(rel.substring(slash + 1));
  }

  private Path resolve(String rel, int depth) throws IOException {
    if (depth > 40) {
      throw new IOException("too many levels of symbolic links at " + rel);
    }
    Path cur = root;
    String[] parts = rel.isEmpty() ? new String[0] : rel.split("/");
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (!cur.equals(root)) {
          cur = cur.getParent();
        }
        continue;
      }
      Path next = cur.resolve(part);
      if (Files.isSymbolicLink(next)) {
        String target = Files.readSymbolicLink(next).toString();
        String restPath = String.join("/", java.util.Arrays.copyOfRange(parts, i + 1, parts.length));
        String base = target.startsWith("/") ? "" : root.relativize(cur).toString();
        String joined = (base.isEmpty() ? "" : base + "/") + target + (restPath.isEmpty() ? "" : "/" + restPath);
        return resolve(clean(joined), depth + 1);
      }
      if (!Files.exists(next, NOFOLLOW)) {
        Files.createDirectories(next);
      }
      cur = next;
    }
    return cur;
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p, NOFOLLOW)) {
      return;
    }
    if (Files.isDirectory(p, NOFOLLOW)) {
      try (Stream<Path> children = Files.list(p)) {
        for (Path c : children.toList()) {
          deleteTree(c);
        }
      }
    }
    try {
      Files.delete(p);
    } catch (NoSuchFileException | DirectoryNotEmptyException | FileAlreadyExistsException e) {
      if (Files.exists(p, NOFOLLOW)) {
        throw e;
      }
    }
  }
}
