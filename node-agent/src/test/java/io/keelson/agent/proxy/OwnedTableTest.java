package io.keelson.agent.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** What every owned nftables table reports: timed syncs, counted failures, a problem once until it is over. */
class OwnedTableTest {

  static final class Table extends OwnedTable {
    final AtomicBoolean broken = new AtomicBoolean();

    Table(Path dir, List<String> problems) {
      super("test table", "keelson-test", dir, "test-table", new Nft(List.of("true")), problems::add);
    }

    @Override
    protected boolean ready() {
      return true;
    }

    @Override
    protected void write(boolean force) throws IOException {
      long start = System.nanoTime();
      if (broken.get()) throw new IOException("nft refused the ruleset");
      recordSync(start);
      recovered();
    }

    @Override
    protected String failure(Exception e) {
      return "writing the test rules failed: " + e.getMessage();
    }
  }

  @Test
  void syncsAreTimedAndFailuresCountedAndReportedOnce() throws IOException {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    List<String> problems = new ArrayList<>();
    try (Table t = new Table(Files.createTempDirectory("owned-table"), problems)) {
      t.registerSyncMetrics(registry, "keelson.test", "test ruleset", "");
      t.sync(true);
      t.broken.set(true);
      t.sync(true);
      t.sync(true);
      t.broken.set(false);
      t.sync(true);
      t.broken.set(true);
      t.sync(true);
    }
    assertThat(registry.get("keelson.test.sync").timer().count()).isEqualTo(2);
    assertThat(registry.get("keelson.test.sync.failures").counter().count()).isEqualTo(3);
    assertThat(problems).containsExactly(
        "writing the test rules failed: nft refused the ruleset", "writing the test rules failed: nft refused the ruleset");
  }
}
