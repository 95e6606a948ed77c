package io.keelson.controller.certificates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.keelson.client.fake.InMemoryApiServer;
import io.keelson.client.fake.SelfSignedTls;
import io.keelson.controller.ControllerManager;
import io.keelson.controller.testing.TestControllerManager;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * csrsigning against the in-memory API with a CA made here: an approved client request gets a
 * certificate of its subject from that CA; one asking for server auth is marked Failed; pending
 * and other signers' requests are left alone.
 */
class CsrSigningControllerTest {
  InMemoryApiServer api;
  ControllerManager manager;
  X509Certificate ca;
  KeyPair caKey;

  @BeforeEach
  void start() throws Exception {
    caKey = KeyPairGenerator.getInstance("EC").generateKeyPair();
    Instant now = Instant.now();
    ca = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(new X500Name("CN=test-ca"), BigInteger.ONE,
        Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(30))), new X500Name("CN=test-ca"), caKey.getPublic())
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate())));
    api = InMemoryApiServer.start((SelfSignedTls) null);
    manager = TestControllerManager.against(api, 1, "csrsigning");
    manager.signWith(new ClusterSigner(ca, caKey.getPrivate()));
    manager.start();
  }

  @AfterEach
  void stop() {
    if (api != null) api.close();
    if (manager != null) manager.close();
  }

  static String pem(Object o) throws Exception {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    }
    return out.toString();
  }

  static String request(String subject) throws Exception {
    KeyPair key = KeyPairGenerator.getInstance("EC").generateKeyPair();
    return Base64.getEncoder().encodeToString(pem(new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), key.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()))).getBytes(StandardCharsets.US_ASCII));
  }

  void create(String name, String subject, String signer, String usages, boolean approved) throws Exception {
    api.create("certificatesigningrequests.certificates.k8s.io", "{\"apiVersion\":\"certificates.k8s.io/v1\",\"kind\":\"CertificateSigningRequest\","
        + "\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"request\":\"" + request(subject) + "\",\"signerName\":\"" + signer + "\","
        + "\"expirationSeconds\":3600,\"usages\":" + usages + "}"
        + (approved ? ",\"status\":{\"conditions\":[{\"type\":\"Approved\",\"status\":\"True\",\"reason\":\"KubectlApprove\"}]}" : "") + "}");
  }

  CertificateSigningRequest get(String name) {
    return manager.client().certificates().v1().certificateSigningRequests().withName(name).get();
  }

  @Test
  void anApprovedClientRequestIsIssuedByTheClusterCa() throws Exception {
    create("jane", "CN=jane,O=dev", CsrSigningController.CLIENT_SIGNER, "[\"client auth\",\"digital signature\"]", true);
    create("waiting", "CN=bob", CsrSigningController.CLIENT_SIGNER, "[\"client auth\"]", false);
    create("elsewhere", "CN=carol", "example.com/other", "[\"client auth\"]", true);
    create("server", "CN=web", CsrSigningController.CLIENT_SIGNER, "[\"server auth\",\"client auth\"]", true);

    await().atMost(Duration.ofSeconds(20)).until(() -> get("jane").getStatus().getCertificate() != null);
    X509Certificate cert;
    try (PEMParser p = new PEMParser(new StringReader(new String(Base64.getDecoder().decode(get("jane").getStatus().getCertificate()),
        StandardCharsets.US_ASCII)))) {
      cert = new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) p.readObject());
    }
    cert.verify(ca.getPublicKey());
    assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("O=dev,CN=jane");
    assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    // the requested hour, backdated 5 minutes against clock skew
    assertThat(Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()))
        .isBetween(Duration.ofMinutes(64), Duration.ofMinutes(66));

    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(get("server").getStatus().getConditions())
        .anySatisfy(c -> {
          assertThat(c.getType()).isEqualTo("Failed");
          assertThat(c.getReason()).isEqualTo("SignerValidationFailure");
          assertThat(c.getMessage()).isEqualTo("invalid usage for client certificate: server auth");
        }));
    assertThat(get("server").getStatus().getCertificate()).isNull();
    assertThat(get("waiting").getStatus() == null || get("waiting").getStatus().getCertificate() == null).isTrue();
    assertThat(get("elsewhere").getStatus().getCertificate()).isNull();
  }

  @Test
  void aCertificateNeverOutlivesItsCa() throws Exception {
    ClusterSigner signer = new ClusterSigner(ca, caKey.getPrivate());
    String pem = signer.signClient(Base64.getDecoder().decode(request("CN=long")), Duration.ofDays(3650), Instant.now());
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      var cert = new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) p.readObject());
      assertThat(cert.getNotAfter()).isEqualTo(ca.getNotAfter());
    }
  }
}
