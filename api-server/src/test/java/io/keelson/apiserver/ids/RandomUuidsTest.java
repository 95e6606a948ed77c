package io.keelson.apiserver.ids;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RandomUuidsTest {

  @Test
  void areVersion4IetfUuidsAndDoNotRepeat() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      String s = RandomUuids.nextString();
      UUID u = UUID.fromString(s);
      assertThat(u.version()).isEqualTo(4);
      assertThat(u.variant()).isEqualTo(2);
      assertThat(s).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
      assertThat(seen.add(s)).as("repeated %s", s).isTrue();
    }
  }

  @Test
  void threadsDrawDifferentUuids() throws Exception {
    Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      for (int t = 0; t < 16; t++) pool.submit(() -> { for (int i = 0; i < 5_000; i++) seen.add(RandomUuids.nextString()); });
    }
    assertThat(seen).hasSize(16 * 5_000);
  }
}
