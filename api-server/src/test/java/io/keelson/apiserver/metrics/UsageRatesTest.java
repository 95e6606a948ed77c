package io.keelson.apiserver.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** CPU rates from cumulative counters, as kubectl top shows them. */
class UsageRatesTest {

  @Test
  void rateIsTheCounterGrowthOverTheWindow() {
    UsageRates r = new UsageRates();
    assertThat(r.observe("c", 10_000, 5_000_000_000L)).as("first sample: no rate yet").isNull();
    // 0.25 s of CPU in 1 s = a quarter core = 250,000,000 nanocores
    UsageRates.Rate rate = r.observe("c", 11_000, 5_250_000_000L);
    assertThat(rate.nanocores()).isEqualTo(250_000_000L);
    assertThat(rate.windowMillis()).isEqualTo(1000);
  }

  @Test
  void tooCloseTooOldAndRestartedCountersGiveNoRate() {
    UsageRates r = new UsageRates();
    r.observe("c", 10_000, 1_000);
    assertThat(r.observe("c", 10_100, 2_000)).as("100 ms apart").isNull();
    assertThat(r.observe("c", 10_000 + UsageRates.MAX_WINDOW_MILLIS + 1, 3_000)).as("too old").isNull();
    long t = 10_000 + UsageRates.MAX_WINDOW_MILLIS + 1;
    assertThat(r.observe("c", t + 1000, 10)).as("counter went back: restarted container").isNull();
    assertThat(r.observe("c", t + 2000, 1_000_000_010L).nanocores()).isEqualTo(1_000_000_000L);
  }

  @Test
  void aSeedIsKeptUntilItCanGiveARate() {
    UsageRates r = new UsageRates();
    assertThat(r.canRate("c", 0)).isFalse();
    r.seed("c", 1_000, 0);
    r.seed("c", 1_200, 100); // keeps the older base
    assertThat(r.canRate("c", 1_300)).isFalse();
    assertThat(r.canRate("c", 2_000)).isTrue();
    assertThat(r.observe("c", 2_000, 500_000_000L).nanocores()).isEqualTo(500_000_000L);
  }
}
