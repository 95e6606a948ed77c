package io.keelson.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A command run on a pseudo-terminal, as a user at a terminal runs it (kubectl run -it, kubectl
 * attach -it): script(1) gives it a pty of 90x25; the test types into it and reads what the
 * terminal shows.
 */
final class Terminal implements AutoCloseable {
  private final Process process;
  private final OutputStream keys;
  private final StringBuffer screen = new StringBuffer();

  private Terminal(Process process) {
    this.process = process;
    this.keys = process.getOutputStream();
    Thread.ofVirtual().start(() -> {
      byte[] buf = new byte[4096];
      try (InputStream in = process.getInputStream()) {
        int n;
        while ((n = in.read(buf)) > 0) {
          String s = new String(buf, 0, n, StandardCharsets.UTF_8);
          screen.append(s);
          System.out.print(s);
        }
      } catch (IOException e) {
        // the terminal closed
      }
    });
  }

  static Terminal start(KeelsonCluster cluster, String command) throws IOException {
    System.out.println("$ (on a terminal) " + command);
    ProcessBuilder pb = new ProcessBuilder("script", "--quiet", "--return", "--command",
        "stty cols 90 rows 25; " + command, "/dev/null").redirectErrorStream(true);
    pb.environment().put("KUBECONFIG", cluster.dir.resolve("kubeconfig").toString());
    return new Terminal(pb.start());
  }

  String screen() {
    return screen.toString();
  }

  /** Waits until the terminal shows {@code text}. */
  Terminal awaitShown(String text, Duration timeout) {
    await().atMost(timeout).until(() -> screen().contains(text));
    return this;
  }

  /** Types a line (Enter is a carriage return on a terminal). */
  Terminal type(String line) throws IOException {
    keys.write((line + "\r").getBytes(StandardCharsets.UTF_8));
    keys.flush();
    return this;
  }

  /** The command's exit code once it ends within {@code timeout}. */
  int exitCode(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("still running after " + timeout + "; the terminal shows:\n" + screen());
    }
    return process.exitValue();
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
  }
}
