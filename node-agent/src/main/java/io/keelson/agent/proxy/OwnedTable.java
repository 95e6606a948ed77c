package io.keelson.agent.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One nftables table an agent owns and rewrites from what it watches: the Service proxy's and the
 * NetworkPolicy enforcer's. What they share: the table's name recorded in the state dir (so
 * {@code --cleanup} finds it after the agent is gone; the table itself outlives the agent),
 * changes coalesced for {@link #MIN_SYNC_PERIOD} on one thread (kube-proxy's minSyncPeriod), a
 * full rewrite every {@link #RESYNC_PERIOD} (which repairs a table someone flushed), and a problem
 * reported once until it is gone (a Node event). Subclasses render and write.
 */
public abstract class OwnedTable implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OwnedTable.class);

  public static final Duration MIN_SYNC_PERIOD = Duration.ofMillis(150);
  public static final Duration RESYNC_PERIOD = Duration.ofSeconds(30);

  protected final String table;
  protected final Nft nft;
  private final Path stateDir;
  private final String tableFile;
  private final String what;
  private final Consumer<String> problems;
  private final ScheduledExecutorService timer;
  /** A sync is scheduled and has not started yet: later changes are covered by it. */
  private final AtomicBoolean queued = new AtomicBoolean();
  private volatile String lastProblem;
  private Timer syncs;
  private Counter failures;

  /**
   * @param what how logs name the owner ("service proxy")
   * @param tableFile the file in {@code stateDir} that records the table's name, for {@link #cleanup}
   * @param problems told (once per distinct problem) why the rules do not hold, e.g. to post a Node event
   */
  protected OwnedTable(String what, String table, Path stateDir, String tableFile, Nft nft, Consumer<String> problems) {
    this.what = what;
    this.table = table;
    this.stateDir = stateDir;
    this.tableFile = tableFile;
    this.nft = nft;
    this.problems = problems;
    this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name(what.replace(' ', '-')).daemon().factory());
  }

  /**
   * Registers {@code <prefix>.sync} (successful writes of the ruleset, timed) and
   * {@code <prefix>.sync.failures}; {@code ruleset} and {@code failedWhen} describe them.
   */
  protected final void registerSyncMetrics(MeterRegistry registry, String prefix, String ruleset, String failedWhen) {
    syncs = Timer.builder(prefix + ".sync")
        .description("Writes of the node's " + ruleset + " (nft -f), successful ones").register(registry);
    failures = Counter.builder(prefix + ".sync.failures")
        .description("Writes of the node's " + ruleset + " that failed" + failedWhen).register(registry);
  }

  /** A write that began at {@code startNanos} (System.nanoTime) succeeded. */
  protected final void recordSync(long startNanos) {
    if (syncs != null) {
      syncs.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }
  }

  /** Whether what the rules are rendered from is complete: a partial view must not replace working rules. */
  protected abstract boolean ready();

  /** Renders and writes the rules (on the table's single thread); {@code force}: even when unchanged. */
  protected abstract void write(boolean force) throws IOException;

  /** Records the table's name and starts the periodic rewrite and a first sync. */
  protected void startSyncing() {
    try {
      Files.createDirectories(stateDir);
      Files.writeString(stateDir.resolve(tableFile), table + "\n");
    } catch (IOException e) {
      log.warn("{}: cannot record the table's name in {}: {}", what, stateDir, e.toString());
    }
    timer.scheduleWithFixedDelay(() -> sync(true), RESYNC_PERIOD.toMillis(), RESYNC_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    changed();
  }

  /**
   * Schedules a sync {@link #MIN_SYNC_PERIOD} from now unless one is waiting to start. A change
   * during a running sync schedules the next one, since that sync may have read its snapshot before.
   */
  protected final void changed() {
    if (queued.compareAndSet(false, true)) {
      timer.schedule(() -> {
        queued.set(false);
        sync(false);
      }, MIN_SYNC_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** One sync; runs on the table's single thread only (tests call it directly). */
  protected void sync(boolean force) {
    if (!ready()) {
      changed(); // try again shortly: the informers' first list is about to arrive
      return;
    }
    try {
      write(force);
    } catch (IOException | RuntimeException e) {
      if (failures != null) {
        failures.increment();
      }
      report(failure(e));
    }
  }

  /** A write failed: the problem to report. */
  protected abstract String failure(Exception e);

  /** After a successful write: a problem reported before is over. */
  protected final boolean recovered() {
    if (lastProblem == null) return false;
    lastProblem = null;
    return true;
  }

  protected final void report(String problem) {
    if (problem.equals(lastProblem)) {
      return;
    }
    lastProblem = problem;
    log.error("{}: {}", what, problem);
    try {
      problems.accept(problem);
    } catch (RuntimeException e) {
      log.debug("{}: reporting the problem failed: {}", what, e.toString());
    }
  }

  /** Deletes the table recorded in {@code stateDir}/{@code tableFile}, if its name matches {@code pattern} (for {@code --cleanup}). */
  protected static void cleanup(Path stateDir, String tableFile, String pattern, Nft nft) throws IOException {
    Path f = stateDir.resolve(tableFile);
    if (!Files.exists(f)) {
      return;
    }
    String name = Files.readString(f, StandardCharsets.UTF_8).trim();
    if (name.matches(pattern)) {
      nft.deleteTable(name);
    }
    Files.delete(f);
  }

  /** Stops syncing; the rules stay (a restarted agent takes the table over). */
  @Override
  public void close() {
    timer.shutdownNow();
  }
}
