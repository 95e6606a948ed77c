package io.keelson.apiserver.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The serving certificate names what pods dial: the kubernetes Service's ClusterIP and DNS names. */
class ClusterCredentialsTest {

  private static List<String> sans(Path cert) throws Exception {
    try (InputStream in = Files.newInputStream(cert)) {
      X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      return c.getSubjectAlternativeNames().stream().map(n -> n.get(1).toString()).toList();
    }
  }

  @Test
  void aCertificateFromAnOlderStartIsMadeAgainWithTheServiceNamesAndTheSameCa(@TempDir Path dir) throws Exception {
    ClusterCredentials first = ClusterCredentials.ensure(dir, List.of(), "https://127.0.0.1:6443");
    assertThat(sans(first.serverCert())).contains("10.96.0.1", "kubernetes", "kubernetes.default",
        "kubernetes.default.svc", "kubernetes.default.svc.cluster.local");

    // what an older api-server recorded: loopback and the host name only
    Files.writeString(dir.resolve("tls/server.sans"), "127.0.0.1,localhost,::1");
    Files.writeString(first.serverCert(), "not the right cert any more");
    String ca = Files.readString(first.caCert());
    ClusterCredentials again = ClusterCredentials.ensure(dir, List.of("192.0.2.7"), "https://127.0.0.1:6443");

    assertThat(sans(again.serverCert())).contains("10.96.0.1", "kubernetes.default.svc", "192.0.2.7");
    assertThat(Files.readString(again.caCert())).isEqualTo(ca);
  }
}
