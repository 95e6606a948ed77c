package io.keelson.agent.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Resolves an image's USER ("app", "app:staff", "1000", "1000:1000") to numeric ids with the
 * image's own /etc/passwd and /etc/group, as container runtimes do: a name becomes its uid and
 * primary gid, a bare uid gets its primary gid when /etc/passwd knows it.
 */
final class ImageUsers {

  private ImageUsers() {}

  /** "uid:gid" or "uid" for {@code user}; empty when a name is unknown to the image. */
  static Optional<String> numeric(Path rootfs, String user) {
    if (user == null || user.isEmpty()) {
      return Optional.of("");
    }
    String[] parts = user.split(":", 2);
    String[] pw = parts[0].matches("\\d+") ? find(rootfs.resolve("etc/passwd"), 2, parts[0]) : find(rootfs.resolve("etc/passwd"), 0, parts[0]);
    String uid;
    String gid = null;
    if (parts[0].matches("\\d+")) {
      uid = parts[0];
      if (pw != null && pw.length > 3) {
        gid = pw[3];
      }
    } else if (pw != null && pw.length > 3) {
      uid = pw[2];
      gid = pw[3];
    } else {
      return Optional.empty();
    }
    if (parts.length > 1) {
      if (parts[1].matches("\\d+")) {
        gid = parts[1];
      } else {
        String[] gr = find(rootfs.resolve("etc/group"), 0, parts[1]);
        if (gr == null || gr.length < 3) {
          return Optional.empty();
        }
        gid = gr[2];
      }
    }
    return Optional.of(gid == null ? uid : uid + ":" + gid);
  }

  /** The colon-separated entry of {@code file} whose field {@code index} equals {@code value}. */
  private static String[] find(Path file, int index, String value) {
    try {
      if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        return null;
      }
      for (String line : Files.readAllLines(file)) {
        String[] f = line.split(":", -1);
        if (f.length > index && f[index].equals(value)) {
          return f;
        }
      }
    } catch (IOException e) {
      // unreadable: treat as unknown
    }
    return null;
  }
}
