package io.keelson.apiserver.nodeservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ClusterCidrTest {

  @Test
  void aSixteenHoldsTwoHundredFiftySixNodeRanges() {
    ClusterCidr c = ClusterCidr.parse("10.245.0.0/16");
    assertThat(c.nodeRanges()).isEqualTo(256);
    assertThat(c.nodeRange(0)).isEqualTo("10.245.0.0/24");
    assertThat(c.nodeRange(255)).isEqualTo("10.245.255.0/24");
    assertThat(c.indexOf("10.245.7.0/24")).isEqualTo(7);
    assertThat(c.indexOf("10.244.7.0/24")).as("another cluster's range").isEqualTo(-1);
    assertThat(c.indexOf("10.245.7.0/25")).isEqualTo(-1);
    assertThat(c).hasToString("10.245.0.0/16");
  }

  @Test
  void widerAndNarrowerRanges() {
    ClusterCidr wide = ClusterCidr.parse("172.16.0.0/12");
    assertThat(wide.nodeRanges()).isEqualTo(4096);
    assertThat(wide.nodeRange(4095)).isEqualTo("172.31.255.0/24");
    assertThat(wide.indexOf("172.17.1.0/24")).isEqualTo(257);
    ClusterCidr one = ClusterCidr.parse("192.168.7.0/24");
    assertThat(one.nodeRanges()).isEqualTo(1);
    assertThat(one.nodeRange(0)).isEqualTo("192.168.7.0/24");
    assertThat(ClusterCidr.DEFAULT).hasToString("10.244.0.0/16");
  }

  @Test
  void badRangesSayWhatIsWrong() {
    assertThatThrownBy(() -> ClusterCidr.parse("10.244.0.0")).hasMessageContaining("is not a CIDR");
    assertThatThrownBy(() -> ClusterCidr.parse("10.244.0/16")).hasMessageContaining("not an IPv4 CIDR");
    assertThatThrownBy(() -> ClusterCidr.parse("10.300.0.0/16")).hasMessageContaining("not an IPv4 CIDR");
    assertThatThrownBy(() -> ClusterCidr.parse("fd00::/64")).hasMessageContaining("not an IPv4 CIDR");
    assertThatThrownBy(() -> ClusterCidr.parse("10.244.0.0/25")).hasMessageContaining("/8 to /24");
    assertThatThrownBy(() -> ClusterCidr.parse("10.244.1.0/16")).hasMessageContaining("starts at 10.244.0.0/16");
  }
}
