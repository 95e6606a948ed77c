package io.keelson.agent.driver.runc;

import io.keelson.agent.driver.ExecSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * A {@code runc exec} session. Without a tty the command's stdin/stdout/stderr are plain pipes.
 * With a tty, runc needs a terminal of its own to relay the container's pty: {@code script(1)}
 * provides one (runc then sets it raw and copies both ways), and a resize is an {@code stty} on
 * that terminal, whose SIGWINCH runc forwards to the container's pty.
 */
final class RuncExecSession implements ExecSession {

  private final Process process;
  private final boolean tty;
  private final Path pidFile;
  private final CompletableFuture<Integer> exit;

  private RuncExecSession(Process process, boolean tty, Path pidFile) {
    this.process = process;
    this.tty = tty;
    this.pidFile = pidFile;
    this.exit = process.onExit().thenApply(p -> {
      deletePidFile();
      return p.exitValue();
    });
  }

  /**
   * @param pidFile where runc records the exec'd process's host pid, so that {@link #close} can kill
   *     it inside the container (killing runc alone would orphan it there)
   */
  static RuncExecSession start(Runc runc, String id, List<String> command, boolean tty, Path pidFile) throws IOException {
    List<String> argv = runc.execArgv(id, tty, pidFile, command);
    ProcessBuilder pb;
    if (tty) {
      String line = argv.stream().map(RuncExecSession::shellQuote).collect(Collectors.joining(" "));
      pb = new ProcessBuilder("script", "--quiet", "--flush", "--return", "--echo", "never", "--command", "exec " + line, "/dev/null");
      pb.environment().put("SHELL", "/bin/sh");
      pb.redirectErrorStream(true);
    } else {
      pb = new ProcessBuilder(argv);
    }
    return new RuncExecSession(pb.start(), tty, pidFile);
  }

  @Override
  public OutputStream stdin() {
    return process.getOutputStream();
  }

  @Override
  public InputStream stdout() {
    return process.getInputStream();
  }

  @Override
  public InputStream stderr() {
    return tty ? InputStream.nullInputStream() : process.getErrorStream();
  }

  @Override
  public void resize(int width, int height) {
    if (!tty || width <= 0 || height <= 0) {
      return;
    }
    // runc may not have its terminal yet right after start: retry briefly off the caller's thread
    Thread.ofVirtual().start(() -> {
      for (int i = 0; i < 40 && process.isAlive(); i++) {
        Optional<String> pts = runcTerminal();
        if (pts.isPresent()) {
          try {
            new ProcessBuilder("stty", "-F", pts.get(), "rows", String.valueOf(height), "cols", String.valueOf(width))
                .redirectErrorStream(true).start().waitFor();
          } catch (IOException e) {
            // the session ended meanwhile
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return;
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
  }

  /** The /dev/pts/N that script(1) gave runc as stdin. */
  private Optional<String> runcTerminal() {
    return process.descendants()
        .map(ph -> {
          try {
            return Files.readSymbolicLink(Path.of("/proc", String.valueOf(ph.pid()), "fd", "0")).toString();
          } catch (IOException e) {
            return "";
          }
        })
        .filter(p -> p.startsWith("/dev/pts/"))
        .findFirst();
  }

  @Override
  public CompletableFuture<Integer> exit() {
    return exit;
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      } catch (IOException | RuntimeException e) {
        // not started yet or already gone
      }
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
    deletePidFile();
  }

  private void deletePidFile() {
    try {
      Files.deleteIfExists(pidFile);
    } catch (IOException ignored) {
      // the bundle is going away anyway
    }
  }

  static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
