package io.keelson.cli.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class AgesTest {
  @Test
  void shortHumanDurationsLikeKubectl() {
    assertThat(Ages.human(Duration.ofSeconds(45))).isEqualTo("45s");
    assertThat(Ages.human(Duration.ofSeconds(312))).isEqualTo("5m12s");
    assertThat(Ages.human(Duration.ofMinutes(42))).isEqualTo("42m");
    assertThat(Ages.human(Duration.ofMinutes(200))).isEqualTo("3h20m");
    assertThat(Ages.human(Duration.ofHours(30))).isEqualTo("30h");
    assertThat(Ages.human(Duration.ofHours(52))).isEqualTo("2d4h");
    assertThat(Ages.since(null)).isEqualTo("<unknown>");
  }

  @Test
  void quantities() {
    assertThat(Quantities.parse("250m")).isEqualByComparingTo("0.25");
    assertThat(Quantities.bytes(Quantities.parse("256Mi"))).isEqualTo("256Mi");
    assertThat(Quantities.bytes(Quantities.parse("1536Mi"))).isEqualTo("1.5Gi");
    assertThat(Quantities.cpu(Quantities.parse("2"))).isEqualTo("2");
    assertThat(Quantities.cpu(Quantities.parse("100m"))).isEqualTo("100m");
  }
}
