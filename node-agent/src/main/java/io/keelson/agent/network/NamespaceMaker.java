package io.keelson.agent.network;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One long-lived helper process ({@code keelson-ns}, compiled from {@code keelson-ns.c} with gcc into
 * a state dir) that creates bind-mounted namespaces on request by forking itself, instead of an
 * {@code unshare} (and {@code ip link set lo up}) process per namespace: about 1 ms instead of
 * 10-25 ms on a busy node, twice on every pod start (the pod's network and IPC namespaces). Where
 * it cannot be built or has died, {@link PersistentNamespace} runs unshare as before.
 */
final class NamespaceMaker {
  private static final Logger log = LoggerFactory.getLogger(NamespaceMaker.class);
  private static volatile NamespaceMaker running;
  private static boolean tried;

  private final Process process;
  private final OutputStream requests;
  private final BufferedReader answers;

  private NamespaceMaker(Process process) {
    this.process = process;
    this.requests = process.getOutputStream();
    this.answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
  }

  /**
   * Builds (unless built from the same source before) and starts the helper in {@code dir}, once per
   * JVM, in the background: until it runs, namespaces are made by unshare.
   */
  static synchronized void start(Path dir) {
    if (tried) {
      return;
    }
    tried = true;
    Thread.ofVirtual().name("namespace-maker-build").start(() -> {
      try {
        Path binary = build(dir);
        if (binary != null) {
          Process p = new ProcessBuilder(binary.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
          running = new NamespaceMaker(p);
          log.info("namespace maker: {} (pid {})", binary, p.pid());
        }
      } catch (IOException e) {
        log.info("namespace maker not available ({}); namespaces are made by unshare", e.getMessage());
      }
    });
  }

  /** The running helper, or null. */
  static NamespaceMaker get() {
    NamespaceMaker m = running;
    if (m != null && !m.process.isAlive()) {
      log.warn("namespace maker exited ({}); namespaces are made by unshare from now on", m.process.exitValue());
      running = null;
      return null;
    }
    return m;
  }

  /** Creates a namespace of {@code type} held by {@code file} (a network namespace with lo up). */
  synchronized void make(String type, Path file) throws IOException {
    requests.write((type + " " + file.toAbsolutePath() + "\n").getBytes(StandardCharsets.UTF_8));
    requests.flush();
    String answer = answers.readLine();
    if (answer == null) {
      throw new IOException("the namespace maker exited");
    }
    if (!answer.equals("ok")) {
      throw new IOException("creating the " + type + " namespace " + file + ": " + (answer.startsWith("err ") ? answer.substring(4) : answer));
    }
  }

  private static Path build(Path dir) throws IOException {
    byte[] source;
    try (InputStream in = NamespaceMaker.class.getResourceAsStream("keelson-ns.c")) {
      source = in.readAllBytes();
    }
    Files.createDirectories(dir);
    Path binary = dir.resolve("keelson-ns");
    Path builtFrom = dir.resolve("keelson-ns.c");
    if (Files.isExecutable(binary) && Files.exists(builtFrom) && Arrays.equals(Files.readAllBytes(builtFrom), source)) {
      return binary;
    }
    Path gcc = null;
    for (String d : System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, "gcc"))) {
        gcc = Path.of(d, "gcc");
        break;
      }
    }
    if (gcc == null) {
      log.info("no gcc on PATH: namespaces are made by unshare");
      return null;
    }
    Path src = dir.resolve("keelson-ns.c.tmp");
    Path tmp = dir.resolve("keelson-ns.tmp");
    Files.write(src, source);
    Process p = new ProcessBuilder(gcc.toString(), "-O2", "-x", "c", "-o", tmp.toString(), src.toString())
        .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        Files.deleteIfExists(tmp);
        Files.deleteIfExists(src);
        log.warn("building the namespace maker failed: {}", out.lines().limit(5).toList());
        return null;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    Files.move(tmp, binary, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    Files.move(src, builtFrom, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return binary;
  }
}
