package io.keelson.agent.driver;

import java.io.IOException;

/**
 * A connection to a running task's main process ({@link WorkloadDriver#attachTask}), for kubectl
 * attach and kubectl run -i: its output from the moment of attaching, and its stdin when the task
 * was started with stdin. Closing the session detaches; the process keeps running.
 */
public interface AttachSession extends AutoCloseable {

  /** A chunk of the process's output; with a tty everything is stdout. */
  record Output(boolean stderr, byte[] data) {}

  /** Blocks for the next output chunk; null once the process has exited and all its output was read, or after close. */
  Output read() throws IOException;

  /** Passes bytes to the process's stdin (dropped when the task has no stdin, or it was closed). */
  void write(byte[] stdin) throws IOException;

  /** This session's stdin ends: with stdinOnce the process's stdin is closed, otherwise it stays open for the next session. */
  void closeStdin() throws IOException;

  /** Resize the task's pseudo-terminal (ignored without a tty). */
  void resize(int width, int height) throws IOException;

  /** Detach; idempotent. */
  @Override
  void close();
}
