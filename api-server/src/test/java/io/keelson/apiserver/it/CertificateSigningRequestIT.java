package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * certificates.k8s.io/v1 against the real api-server: who asked is recorded from the credentials,
 * approval goes through the approval subresource only, an issued certificate never changes, and a
 * client certificate from the cluster CA authenticates as its CN with its O values as groups.
 */
class CertificateSigningRequestIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String CSRS = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
  private static TestCluster c;

  @BeforeAll
  static void up() throws Exception {
    c = TestCluster.start("csr", 1);
  }

  @AfterAll
  static void down() throws Exception {
    if (c != null) c.close();
  }

  private static String pem(Object o) throws Exception {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    }
    return out.toString();
  }

  private static String csr(String name, KeyPair key, String subject) throws Exception {
    var request = new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), key.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()));
    return "{\"apiVersion\":\"certificates.k8s.io/v1\",\"kind\":\"CertificateSigningRequest\",\"metadata\":{\"name\":\"" + name + "\"},"
        + "\"spec\":{\"request\":\"" + Base64.getEncoder().encodeToString(pem(request).getBytes(StandardCharsets.US_ASCII)) + "\","
        + "\"signerName\":\"kubernetes.io/kube-apiserver-client\",\"usages\":[\"client auth\"],"
        + "\"username\":\"mallory\",\"groups\":[\"system:masters\"]},\"status\":{\"certificate\":\"Zm9v\"}}";
  }

  /** What the controller-manager's signer would issue, made here from the cluster CA's files. */
  private static X509Certificate issue(KeyPair key, String subject) throws Exception {
    X509Certificate ca;
    PrivateKey caKey;
    try (PEMParser p = new PEMParser(Files.newBufferedReader(c.dir.resolve("tls/ca.crt")))) {
      ca = new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) p.readObject());
    }
    try (PEMParser p = new PEMParser(Files.newBufferedReader(c.dir.resolve("tls/ca.key")))) {
      caKey = new JcaPEMKeyConverter().getPrivateKey((org.bouncycastle.asn1.pkcs.PrivateKeyInfo) p.readObject());
    }
    Instant now = Instant.now();
    var holder = new JcaX509v3CertificateBuilder(ca, BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minusSeconds(60)),
        Date.from(now.plus(Duration.ofHours(1))), new X500Name(subject), key.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey));
    return new JcaX509CertificateConverter().getCertificate(holder);
  }

  private static HttpClient clientWith(KeyPair key, X509Certificate cert) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("me", key.getPrivate(), new char[0], new java.security.cert.Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, new char[0]);
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (var in = Files.newInputStream(c.dir.resolve("tls/ca.crt"))) {
      trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(ctx).build();
  }

  @Test
  void aRequestIsRecordedAsItsSenderAndApprovedOnlyThroughApproval() throws Exception {
    KeyPair key = KeyPairGenerator.getInstance("EC").generateKeyPair();
    HttpResponse<String> created = c.send("POST", CSRS, csr("jane", key, "CN=jane,O=dev"));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode csr = JSON.readTree(created.body());
    // who asked comes from the credentials, never from the body; a client cannot issue itself
    assertThat(csr.at("/spec/username").asString()).isEqualTo("keelson-admin");
    assertThat(csr.at("/spec/groups").toString()).contains("system:masters").contains("system:authenticated");
    assertThat(csr.has("status")).isFalse();

    ObjectNode approve = (ObjectNode) csr.deepCopy();
    approve.putObject("status").putArray("conditions").addObject().put("type", "Approved").put("status", "True")
        .put("reason", "KubectlApprove").put("message", "This CSR was approved by kubectl certificate approve.");
    // the object itself takes no conditions (they are kept as stored) ...
    HttpResponse<String> viaMain = c.send("PUT", CSRS + "/jane", approve.toString());
    assertThat(viaMain.statusCode()).as(viaMain.body()).isEqualTo(200);
    assertThat(JSON.readTree(viaMain.body()).at("/status/conditions").isMissingNode()).isTrue();
    // ... the approval subresource does, and only them
    approve.set("metadata", JSON.readTree(viaMain.body()).get("metadata"));
    ((ObjectNode) approve.get("spec")).put("signerName", "example.com/other");
    HttpResponse<String> approved = c.send("PUT", CSRS + "/jane/approval", approve.toString());
    assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);
    JsonNode after = JSON.readTree(approved.body());
    assertThat(after.at("/status/conditions/0/type").asString()).isEqualTo("Approved");
    assertThat(after.at("/spec/signerName").asString()).isEqualTo("kubernetes.io/kube-apiserver-client");

    // Approved and Denied exclude each other, and an approval cannot be taken back
    ObjectNode deny = (ObjectNode) after.deepCopy();
    ((tools.jackson.databind.node.ArrayNode) deny.at("/status/conditions")).addObject().put("type", "Denied").put("status", "True");
    HttpResponse<String> both = c.send("PUT", CSRS + "/jane/approval", deny.toString());
    assertThat(both.statusCode()).isEqualTo(422);
    assertThat(both.body()).contains("Approved and Denied conditions are mutually exclusive");
    ObjectNode revoke = (ObjectNode) after.deepCopy();
    revoke.putObject("status").putArray("conditions");
    HttpResponse<String> revoked = c.send("PUT", CSRS + "/jane/approval", revoke.toString());
    assertThat(revoked.statusCode()).isEqualTo(422);
    assertThat(revoked.body()).contains("updates may not remove a condition of type \\\"Approved\\\"");

    // the signer writes the certificate through status, once
    X509Certificate cert = issue(key, "CN=jane,O=dev");
    ObjectNode issued = (ObjectNode) after.deepCopy();
    ((ObjectNode) issued.get("status")).put("certificate", Base64.getEncoder().encodeToString(pem(cert).getBytes(StandardCharsets.US_ASCII)));
    HttpResponse<String> signed = c.send("PUT", CSRS + "/jane/status", issued.toString());
    assertThat(signed.statusCode()).as(signed.body()).isEqualTo(200);
    ObjectNode reissue = (ObjectNode) JSON.readTree(signed.body());
    ((ObjectNode) reissue.get("status")).put("certificate", Base64.getEncoder().encodeToString(
        pem(issue(key, "CN=jane,O=admins")).getBytes(StandardCharsets.US_ASCII)));
    HttpResponse<String> changed = c.send("PUT", CSRS + "/jane/status", reissue.toString());
    assertThat(changed.statusCode()).isEqualTo(422);
    assertThat(changed.body()).contains("updates may not modify existing certificate content");

    HttpResponse<String> table = c.send(c.request(c.api(), CSRS + "/jane")
        .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").GET().build());
    assertThat(table.body()).contains("\"Approved,Issued\"").contains("\"keelson-admin\"");

    // the issued certificate authenticates: CN the user, O the groups; RBAC decides the rest
    HttpClient jane = clientWith(key, cert);
    HttpResponse<String> whoami = jane.send(HttpRequest.newBuilder(URI.create(c.api().url() + "/apis/authentication.k8s.io/v1/selfsubjectreviews"))
        .header("Content-Type", "application/json")
        .POST(BodyPublishers.ofString("{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(whoami.statusCode()).as(whoami.body()).isEqualTo(201);
    assertThat(JSON.readTree(whoami.body()).at("/status/userInfo/username").asString()).isEqualTo("jane");
    assertThat(JSON.readTree(whoami.body()).at("/status/userInfo/groups").toString()).isEqualTo("[\"dev\",\"system:authenticated\"]");
    HttpResponse<String> pods = jane.send(HttpRequest.newBuilder(URI.create(c.api().url() + "/api/v1/namespaces/default/pods")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(pods.statusCode()).isEqualTo(403);
    assertThat(pods.body()).contains("User \\\"jane\\\" cannot list resource \\\"pods\\\"");
  }

  @Test
  void aMalformedRequestSaysWhatToFix() throws Exception {
    HttpResponse<String> r = c.send("POST", CSRS, "{\"apiVersion\":\"certificates.k8s.io/v1\",\"kind\":\"CertificateSigningRequest\","
        + "\"metadata\":{\"name\":\"bad\"},\"spec\":{\"request\":\"" + Base64.getEncoder().encodeToString("hello".getBytes()) + "\","
        + "\"signerName\":\"example\",\"usages\":[\"flying\"],\"expirationSeconds\":60}}");
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(r.body()).contains("spec.request").contains("PEM block type must be CERTIFICATE REQUEST")
        .contains("spec.signerName").contains("spec.usages[0]").contains("Unsupported value: \\\"flying\\\"")
        .contains("may not specify a duration less than 600 seconds (10 minutes)");
    assertThat(c.send("GET", CSRS + "/bad", null).statusCode()).isEqualTo(404);
  }
}
