package io.keelson.apiserver.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

/** {@link ResourceService#now}: the current second as Kubernetes writes timestamps, reused within the second. */
class TimestampTest {

  @Test
  void nowIsTheCurrentSecondInRfc3339() {
    for (int i = 0; i < 3; i++) {
      Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      String now = ResourceService.now();
      Instant after = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      assertThat(now).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z");
      assertThat(Instant.parse(now)).isBetween(before, after);
    }
  }

  @Test
  void aNewSecondGivesANewTimestamp() {
    String first = ResourceService.now();
    await().atMost(Duration.ofSeconds(3)).until(() -> !ResourceService.now().equals(first));
    assertThat(Instant.parse(ResourceService.now())).isAfter(Instant.parse(first));
  }
}
