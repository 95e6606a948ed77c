package io.keelson.agent.network;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CniNetworkTest {

  @Test
  void gatewayIsTheFirstAddressOfTheCidr() {
    assertThat(CniNetwork.gatewayOf("10.244.3.0/24")).isEqualTo("10.244.3.1");
    assertThat(CniNetwork.gatewayOf("10.244.3.77/24")).isEqualTo("10.244.3.1");
    assertThat(CniNetwork.gatewayOf("172.16.0.0/12")).isEqualTo("172.16.0.1");
  }

  @Test
  void interfaceNamesFitIfnamsizAndMacsAreLocal() {
    assertThat(CniNetwork.tapName("default-web-0-0123456789abcdef")).hasSizeLessThanOrEqualTo(15);
    assertThat(CniNetwork.macFor("x")).matches("02(:[0-9a-f]{2}){5}");
    assertThat(CniNetwork.macFor("x")).isEqualTo(CniNetwork.macFor("x")).isNotEqualTo(CniNetwork.macFor("y"));
  }
}
