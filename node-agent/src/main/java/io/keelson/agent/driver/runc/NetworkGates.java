package io.keelson.agent.driver.runc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Holds a container's process back until its pod network is ready, so that runc can create the
 * container (namespaces, mounts, cgroup: most of {@code runc run}) while CNI ADD still runs.
 *
 * <p>The container gets a createRuntime hook {@code grep -q ready FIFO}: runc runs it after the
 * container's namespaces and mounts exist and before its process starts, and fails the start when
 * the hook fails. The agent holds the FIFO open read-write from before the container is created (so
 * the hook's open never blocks, and the word waits in the pipe when the hook comes later), writes
 * {@code ready} once the network is up, or, when the network failed, removes the FIFO and then
 * closes its end: a hook that opened it already reads end-of-file and exits 1, one that comes later
 * finds no FIFO and exits 2 (closing first would leave a later hook blocked in its open, with no
 * writer ever coming, until runc's hook timeout). If the agent dies meanwhile its end closes too.
 *
 * <p>FIFOs are made in batches by one {@code mkfifo} and reused (a FIFO keeps no data once nobody
 * has it open); one used by a failed start is deleted instead, in case a hook still reads it.
 */
final class NetworkGates {
  private static final int BATCH = 8;
  private final Path dir;
  private final Path grep;
  private final Path mkfifo;
  private final ConcurrentLinkedQueue<Path> free = new ConcurrentLinkedQueue<>();
  private final AtomicLong next = new AtomicLong();

  private NetworkGates(Path dir, Path grep, Path mkfifo) {
    this.dir = dir;
    this.grep = grep;
    this.mkfifo = mkfifo;
  }

  /** Gates in {@code dir} (emptied: no hook of an earlier agent can still be waiting), or null without grep or mkfifo. */
  static NetworkGates create(Path dir, Path grep, Path mkfifo) throws IOException {
    if (grep == null || mkfifo == null) {
      return null;
    }
    Files.createDirectories(dir);
    try (var old = Files.list(dir)) {
      for (Path p : old.toList()) {
        Files.deleteIfExists(p);
      }
    }
    NetworkGates gates = new NetworkGates(dir, grep, mkfifo);
    gates.make(); // the first pods find FIFOs ready
    return gates;
  }

  /** A gate that opens when {@code ready} completes normally and fails the container's start when it fails. */
  Gate open(CompletableFuture<?> ready) throws IOException {
    Path fifo = free.poll();
    while (fifo == null) {
      make();
      fifo = free.poll();
    }
    Gate gate = new Gate(fifo, FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE));
    ready.whenComplete((v, err) -> gate.release(err == null));
    return gate;
  }

  private synchronized void make() throws IOException {
    if (!free.isEmpty()) {
      return;
    }
    List<String> argv = new ArrayList<>(List.of(mkfifo.toString(), "-m", "600"));
    List<Path> made = new ArrayList<>();
    for (int i = 0; i < BATCH; i++) {
      Path p = dir.resolve("gate-" + next.incrementAndGet());
      made.add(p);
      argv.add(p.toString());
    }
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException("mkfifo: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    free.addAll(made);
  }

  /** One container start's gate. */
  final class Gate {
    private final Path fifo;
    private final FileChannel channel;
    private boolean closed;
    private volatile long releasedNanos;
    private volatile boolean opened;

    private Gate(Path fifo, FileChannel channel) {
      this.fifo = fifo;
      this.channel = channel;
    }

    /** The createRuntime hook's argv. */
    List<String> hook() {
      return List.of(grep.toString(), "-q", "ready", fifo.toString());
    }

    private synchronized void release(boolean ok) {
      releasedNanos = System.nanoTime();
      if (closed) {
        return;
      }
      try {
        if (ok) {
          channel.write(ByteBuffer.wrap("ready\n".getBytes(StandardCharsets.US_ASCII)));
          opened = true;
        } else {
          closed = true;
          Files.deleteIfExists(fifo); // first: a hook not yet started must not open it without a writer
          channel.close(); // a hook already reading gets end-of-file and fails the start
        }
      } catch (IOException e) {
        closed = true;
        try {
          channel.close();
        } catch (IOException ignored) {
          // closed either way
        }
      }
    }

    /** When the network became ready or failed ({@link System#nanoTime}), 0 if it has not yet. */
    long releasedNanos() {
      return releasedNanos;
    }

    /** The container start is over: frees the FIFO, for reuse if the start succeeded. */
    synchronized void close(boolean started) {
      boolean reuse = started && opened && !closed;
      closed = true;
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing to keep
      }
      if (reuse) {
        free.add(fifo);
      } else {
        try {
          Files.deleteIfExists(fifo);
        } catch (IOException ignored) {
          // a stray file in the gates dir, emptied at the next start
        }
      }
    }
  }
}
