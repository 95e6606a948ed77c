package io.keelson.apiserver.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceAccountTokensTest {

  private static KeyPair key() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    return g.generateKeyPair();
  }

  private final Instant now = Instant.parse("2026-11-28T00:00:00Z");

  @Test
  void aTokenNamesItsServiceAccountAndBoundObject() throws Exception {
    ServiceAccountTokens tokens = new ServiceAccountTokens(key());
    String t = tokens.issue("team", "robot", "u-1", List.of(ServiceAccountTokens.API_AUDIENCE), now, 3600,
        new ServiceAccountTokens.Bound("Pod", "web", "u-pod"));
    ServiceAccountTokens.Subject s = tokens.verify(t, now.plusSeconds(10));
    assertThat(s).isNotNull();
    assertThat(s.namespace()).isEqualTo("team");
    assertThat(s.name()).isEqualTo("robot");
    assertThat(s.uid()).isEqualTo("u-1");
    assertThat(s.bound()).isEqualTo(new ServiceAccountTokens.Bound("Pod", "web", "u-pod"));
    assertThat(s.user().username()).isEqualTo("system:serviceaccount:team:robot");
    assertThat(s.user().groups()).containsExactly("system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated");
  }

  @Test
  void expiredForeignTamperedOrOtherAudienceTokensAreRefused() throws Exception {
    ServiceAccountTokens tokens = new ServiceAccountTokens(key());
    String t = tokens.issue("team", "robot", "u-1", List.of(ServiceAccountTokens.API_AUDIENCE), now, 600, null);
    assertThat(tokens.verify(t, now.plusSeconds(599))).isNotNull();
    assertThat(tokens.verify(t, now.plusSeconds(600))).as("expired").isNull();
    assertThat(new ServiceAccountTokens(key()).verify(t, now)).as("signed by another cluster's key").isNull();
    String[] parts = t.split("\\.");
    String forged = parts[0] + "." + parts[1].substring(0, parts[1].length() - 2) + "AA." + parts[2];
    assertThat(tokens.verify(forged, now)).as("payload changed after signing").isNull();
    String vault = tokens.issue("team", "robot", "u-1", List.of("vault"), now, 600, null);
    assertThat(tokens.verify(vault, now)).as("meant for another audience").isNull();
    assertThat(tokens.verify("not-a-jwt", now)).isNull();
    assertThat(tokens.verify("a.b.c", now)).isNull();
  }
}
