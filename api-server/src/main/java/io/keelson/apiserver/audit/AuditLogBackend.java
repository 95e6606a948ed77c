package io.keelson.apiserver.audit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The log backend ({@code --audit-log-path}): events are queued by request threads and written, one
 * JSON line each, by a single writer thread in batches, as kube's buffered backend does, so a slow disk
 * never holds a request. A full queue drops the event and counts it ({@code apiserver_audit_error_total});
 * {@link #close} writes everything queued before it returns.
 */
public final class AuditLogBackend implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AuditLogBackend.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final ObjectNode STOP = JSON.createObjectNode();
  static final int QUEUE = 10_000;
  /** How long the writer lets events gather once one arrived: the log is at most this much behind. */
  static final long GATHER_MS = 10;

  private final BlockingQueue<ObjectNode> queue = new ArrayBlockingQueue<>(QUEUE);
  private final OutputStream out;
  private final Thread writer;
  private final Counter written;
  private final Counter dropped;
  private volatile boolean closed;

  /** @param out where the lines go; closed by {@link #close} */
  public AuditLogBackend(OutputStream out, MeterRegistry meters) {
    this.out = new BufferedOutputStream(out, 64 * 1024);
    this.written = Counter.builder("apiserver_audit_event").description("audit events written").register(meters);
    this.dropped = Counter.builder("apiserver_audit_error").tag("plugin", "log")
        .description("audit events dropped: the log's queue was full or the api-server was stopping").register(meters);
    this.writer = Thread.ofPlatform().name("audit-log").daemon().start(this::run);
  }

  /** Queues one event; never blocks. The event must not change afterwards. */
  public void process(ObjectNode event) {
    if (closed || !queue.offer(event)) dropped.increment();
  }

  private void run() {
    List<ObjectNode> batch = new ArrayList<>();
    boolean reported = false;
    while (true) {
      try {
        batch.add(queue.take());
        // Let the events of the next few ms gather before writing: request threads queue them without
        // waking this thread (it sleeps, it does not wait on the queue), and they go out in one write.
        // Woken and flushing per event, auditing cost every create a context switch and a system call.
        Thread.sleep(GATHER_MS);
        queue.drainTo(batch);
        boolean stop = false;
        for (ObjectNode e : batch) {
          if (e == STOP) {
            stop = true;
            continue;
          }
          try {
            out.write(JSON.writeValueAsBytes(e));
            out.write('\n');
            written.increment();
            reported = false;
          } catch (IOException ex) {
            dropped.increment();
            if (!reported) LOG.error("cannot write the audit log: {}", ex.toString());
            reported = true;
          }
        }
        batch.clear();
        if (queue.isEmpty()) out.flush();
        if (stop) return;
      } catch (InterruptedException e) {
        return;
      } catch (IOException e) {
        if (!reported) LOG.error("cannot write the audit log: {}", e.toString());
        reported = true;
      }
    }
  }

  /** Stops taking events and waits (up to 10 s) until those queued are written. */
  @Override
  public void close() {
    closed = true;
    try {
      if (queue.offer(STOP, 5, TimeUnit.SECONDS)) writer.join(10_000);
      out.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      LOG.error("cannot close the audit log: {}", e.toString());
    }
  }
}
