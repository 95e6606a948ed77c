package io.keelson.agent.driver;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/**
 * A command running inside a task ({@link WorkloadDriver#execTask}), used by kubectl exec and by
 * exec probes. The caller pumps the streams; closing {@link #stdin()} sends EOF. With a tty, stderr
 * is merged into stdout and {@link #stderr()} returns an empty stream.
 */
public interface ExecSession extends AutoCloseable {

  OutputStream stdin();

  InputStream stdout();

  InputStream stderr();

  /** Resize the pseudo-terminal (ignored without a tty). */
  void resize(int width, int height);

  /** Completes with the exit code once the command ends and its output has been fully written. */
  CompletableFuture<Integer> exit();

  /** Kill the command if still running and release its resources; idempotent. */
  @Override
  void close();
}
