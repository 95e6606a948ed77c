package io.keelson.agent.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Runs the host's own tools (mount, umount, cp, mkfifo...) where Java has no call of its own. */
public final class HostTools {
  private HostTools() {}

  /**
   * Runs {@code cmd} to its end and returns its output (stdout and stderr, trimmed); a non-zero exit
   * throws, with the command and that output as the message (the tool's own words say what went wrong).
   */
  public static String run(String... cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.waitFor() != 0) {
        throw new IOException(String.join(" ", cmd) + ": " + out);
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted", e);
    }
  }
}
