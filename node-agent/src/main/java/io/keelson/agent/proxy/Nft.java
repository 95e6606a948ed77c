package io.keelson.agent.proxy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code nft} tool: loads a ruleset from standard input in one transaction (all or nothing) and
 * deletes tables. {@code prefix} runs it elsewhere (e.g. {@code ip netns exec NS} in tests).
 */
public final class Nft {

  private final List<String> command;

  /** {@code nft} from PATH, or {@code KEELSON_NFT} when set. */
  public static Nft fromPath() {
    String env = System.getenv("KEELSON_NFT");
    return new Nft(List.of(env == null || env.isBlank() ? "nft" : env));
  }

  public Nft(List<String> command) {
    this.command = List.copyOf(command);
  }

  /** Why nft cannot work here (not installed, not runnable), or null when it can. */
  public String problem() {
    String tool = command.get(command.size() - 1);
    if (tool.contains("/") ? Files.isExecutable(Path.of(tool)) : onPath(tool)) {
      return null;
    }
    return "nft (nftables) not found" + (tool.contains("/") ? " at " + tool : " on PATH")
        + ": ClusterIP and NodePort Services are not routed on this node; install the nftables package";
  }

  private static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  /** Applies {@code ruleset} atomically ({@code nft -f -}); throws with nft's own words on failure. */
  public void apply(String ruleset) throws IOException {
    run(ruleset, "-f", "-");
  }

  /** Deletes an {@code ip} table; a table that does not exist is fine. */
  public void deleteTable(String table) throws IOException {
    // "add" first: deleting a table that is not there fails
    run("add table ip " + table + "\ndelete table ip " + table + "\n", "-f", "-");
  }

  /** {@code nft list table ip TABLE}. */
  public String listTable(String table) throws IOException {
    return run(null, "list", "table", "ip", table);
  }

  private String run(String stdin, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(command);
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try (OutputStream in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
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
