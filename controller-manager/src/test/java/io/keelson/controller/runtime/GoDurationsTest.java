package io.keelson.controller.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GoDurationsTest {

  @Test
  void readsWhatGoPrints() {
    assertThat(GoDurations.parse("11.974s")).isEqualTo(Duration.ofMillis(11974));
    assertThat(GoDurations.parse("1m0s")).isEqualTo(Duration.ofMinutes(1));
    assertThat(GoDurations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(GoDurations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(GoDurations.parse("1.5us")).isEqualTo(Duration.ofNanos(1500));
    assertThat(GoDurations.parse("3ns")).isEqualTo(Duration.ofNanos(3));
    assertThat(GoDurations.parse("100000000h")).isEqualTo(Duration.ofHours(100_000_000));
  }

  @Test
  void refusesWhatIsNotADuration() {
    for (String bad : new String[] {"", "5", "s", "5x", "5s junk", "junk5s", "1m 30s"}) {
      assertThatThrownBy(() -> GoDurations.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
