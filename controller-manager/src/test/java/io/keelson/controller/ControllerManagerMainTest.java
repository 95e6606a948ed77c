package io.keelson.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ControllerManagerMainTest {

  private final ControllerManagerMain.DurationConverter durations = new ControllerManagerMain.DurationConverter();

  @Test
  void durationFlagsTakeWhatKubernetesFlagsTake() {
    assertThat(durations.convert("1m30s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(durations.convert("40s")).isEqualTo(Duration.ofSeconds(40));
    assertThat(durations.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(durations.convert("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(durations.convert("15")).isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void aBadDurationSaysWhatItExpects() {
    assertThatThrownBy(() -> durations.convert("ten")).isInstanceOf(CommandLine.TypeConversionException.class)
        .hasMessageContaining("'ten' is not a duration (e.g. 40s, 5m, 1m30s, 500ms)");
  }
}
