package io.keelson.agent.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An agent's kubeconfig: its own client certificate (what `keelson up` issues) or a bearer token. */
class ClusterCredentialsTest {

  @TempDir Path dir;

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.US_ASCII));
  }

  Path kubeconfig(String user) throws IOException {
    Path f = dir.resolve("kubeconfig");
    Files.writeString(f, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: k
          cluster: {server: "https://10.0.0.1:6443", certificate-authority-data: %s}
        users:
        - name: u
          user: %s
        contexts:
        - name: k
          context: {cluster: k, user: u}
        current-context: k
        """.formatted(b64("CA"), user));
    return f;
  }

  @Test
  void aClientCertificateIsTheAgentsIdentityAndItsEcKeyIsNamedForFabric8() throws Exception {
    var key = KeyPairGenerator.getInstance("EC").generateKeyPair().getPrivate();
    String keyPem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n";
    Path f = kubeconfig("{client-certificate-data: %s, client-key-data: %s}".formatted(b64("CERT"), b64(keyPem)));
    ClusterCredentials c = ClusterCredentials.fromKubeconfig(f);
    assertThat(c.token()).isNull();
    assertThat(new String(c.clientCertPem(), StandardCharsets.US_ASCII)).isEqualTo("CERT");
    assertThat(new String(c.clientKeyPem(), StandardCharsets.US_ASCII)).isEqualTo(keyPem);
    assertThat(c.grpcTarget()).isEqualTo("10.0.0.1:6444");
    Config config = Config.fromKubeconfig(null, Files.readString(f), f.toString());
    assertThat(ClusterCredentials.keyAlgorithm(config)).isEqualTo("EC");
  }

  @Test
  void aTokenStillWorksAndNeitherIsRefused() throws Exception {
    ClusterCredentials c = ClusterCredentials.fromKubeconfig(kubeconfig("{token: secret}"));
    assertThat(c.token()).isEqualTo("secret");
    assertThat(c.clientCertPem()).isNull();
    assertThatThrownBy(() -> ClusterCredentials.fromKubeconfig(kubeconfig("{}")))
        .hasMessageContaining("has neither a client certificate and key nor a bearer token");
  }
}
