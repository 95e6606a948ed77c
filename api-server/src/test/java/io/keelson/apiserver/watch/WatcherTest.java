package io.keelson.apiserver.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.storage.EtcdStore;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A watcher waits for its next event without a timer of its own: events, its wake-up time and close() end the wait. */
class WatcherTest {

  private final WatchCache cache = new WatchCache(ResourceRegistry.find("", "v1", "configmaps").orElseThrow(), null, 100);

  private void put(String name, long rev) {
    String json = "{\"kind\":\"ConfigMap\",\"metadata\":{\"namespace\":\"a\",\"name\":\"" + name + "\"}}";
    cache.apply(new EtcdStore.Batch(List.of(new EtcdStore.Change(false,
        new EtcdStore.Entry("/registry/core/configmaps/a/" + name, json.getBytes(StandardCharsets.UTF_8), rev), null)), rev));
  }

  private static CompletableFuture<WatchEvent> next(Watcher w, long wakeAt) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return w.next(wakeAt);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  void anEventEndsTheWait() throws Exception {
    Watcher w = cache.watch(1, o -> true, 10);
    CompletableFuture<WatchEvent> got = next(w, Long.MAX_VALUE);
    Thread.sleep(100);
    assertThat(got).isNotDone();
    put("c1", 2);
    assertThat(got.get(10, TimeUnit.SECONDS).object().path("metadata").path("name").asString()).isEqualTo("c1");
  }

  @Test
  void theWakeUpTimeEndsTheWaitWithNoEvent() throws Exception {
    Watcher w = cache.watch(1, o -> true, 10);
    long wakeAt = System.currentTimeMillis() + 300;
    assertThat(next(w, wakeAt).get(10, TimeUnit.SECONDS)).isNull();
    assertThat(System.currentTimeMillis()).isGreaterThanOrEqualTo(wakeAt);
    // the ticker's wake-up is not taken for an event later on
    put("c2", 3);
    assertThat(w.next(Long.MAX_VALUE).object().path("metadata").path("name").asString()).isEqualTo("c2");
    assertThat(w.pollNow()).isNull();
  }

  @Test
  void closingTheWatcherEndsAWait() throws Exception {
    Watcher w = cache.watch(1, o -> true, 10);
    CompletableFuture<WatchEvent> got = next(w, Long.MAX_VALUE);
    Thread.sleep(100);
    w.close();
    assertThat(Watcher.isEnd(got.get(10, TimeUnit.SECONDS))).isTrue();
  }
}
