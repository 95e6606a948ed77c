package io.keelson.apiserver.auth;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The cluster's credentials under {@code DIR/tls}: a CA, the api-server's serving certificate
 * (valid for loopback, the host name and any extra addresses), the admin bearer token and the key
 * that signs service-account tokens; plus
 * {@code DIR/kubeconfig} for kubectl and keelctl. Generated on first start, reused afterwards, so
 * that several api-servers on one DIR share them.
 */
public final class ClusterCredentials {

  /** The default/kubernetes Service's ClusterIP and names, as kube-apiserver puts them into its cert. */
  public static final List<String> KUBERNETES_SERVICE_SANS = List.of(io.keelson.apiserver.admission.Defaulter.KUBERNETES_SERVICE_IP, "kubernetes", "kubernetes.default",
      "kubernetes.default.svc", "kubernetes.default.svc.cluster.local");

  private final Path tlsDir;
  private final String token;

  private ClusterCredentials(Path tlsDir, String token) {
    this.tlsDir = tlsDir;
    this.token = token;
  }

  public Path caCert() {
    return tlsDir.resolve("ca.crt");
  }

  public Path serverCert() {
    return tlsDir.resolve("server.crt");
  }

  public Path serverKey() {
    return tlsDir.resolve("server.key");
  }

  public String adminToken() {
    return token;
  }

  /** Load or create everything; {@code extraSans} are additional IPs/DNS names for the serving cert. */
  public static synchronized ClusterCredentials ensure(Path dir, List<String> extraSans, String serverUrl) throws Exception {
    Path tls = dir.resolve("tls");
    Files.createDirectories(tls);
    Path caCrt = tls.resolve("ca.crt");
    Path caKey = tls.resolve("ca.key");
    if (!Files.exists(caCrt) || !Files.exists(caKey)) {
      KeyPair kp = newKey();
      X509Certificate ca = sign(new X500Name("CN=keelson-ca"), kp.getPublic(), new X500Name("CN=keelson-ca"), kp.getPrivate(),
          true, List.of(), Duration.ofDays(3650));
      writePrivate(caKey, pem(kp.getPrivate()));
      Files.writeString(caCrt, pem(ca));
    }
    X509Certificate ca = readCert(caCrt);
    PrivateKey caPriv = readKey(caKey);
    Set<String> sans = new LinkedHashSet<>(List.of("127.0.0.1", "localhost", "::1"));
    // what pods dial: the "kubernetes" Service's ClusterIP and DNS names (a cert from an older
    // start lacks them and is made again below, with the same CA)
    sans.addAll(KUBERNETES_SERVICE_SANS);
    try {
      sans.add(InetAddress.getLocalHost().getHostName());
    } catch (IOException ignored) {
      // no resolvable host name: loopback SANs suffice
    }
    sans.addAll(extraSans);
    Path srvCrt = tls.resolve("server.crt");
    Path srvKey = tls.resolve("server.key");
    Path sanFile = tls.resolve("server.sans");
    String sanList = String.join(",", sans);
    boolean fresh = !Files.exists(srvCrt) || !Files.exists(srvKey) || !Files.exists(sanFile)
        || !Set.of(Files.readString(sanFile).split(",")).containsAll(sans);
    if (fresh) {
      if (Files.exists(sanFile)) sans.addAll(List.of(Files.readString(sanFile).split(",")));
      KeyPair kp = newKey();
      X509Certificate cert = sign(new X500Name("CN=keelson-api-server"), kp.getPublic(), X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
          caPriv, false, new ArrayList<>(sans), Duration.ofDays(3650));
      writePrivate(srvKey, pem(kp.getPrivate()));
      Files.writeString(srvCrt, pem(cert));
      Files.writeString(sanFile, String.join(",", sans));
    }
    Path saKey = tls.resolve("sa.key");
    Path saPub = tls.resolve("sa.pub");
    if (!Files.exists(saKey) || !Files.exists(saPub)) {
      KeyPair kp = newKey(); // signs service-account tokens (kubectl create token)
      writePrivate(saKey, pem(kp.getPrivate()));
      Files.writeString(saPub, pem(kp.getPublic()));
    }
    Path tokenFile = tls.resolve("admin.token");
    if (!Files.exists(tokenFile)) {
      byte[] b = new byte[24];
      new SecureRandom().nextBytes(b);
      writePrivate(tokenFile, HexFormat.of().formatHex(b));
    }
    String token = Files.readString(tokenFile).trim();
    Path kubeconfig = dir.resolve("kubeconfig");
    if (serverUrl != null && !Files.exists(kubeconfig)) {
      writePrivate(kubeconfig, kubeconfig(serverUrl, Files.readString(caCrt), token));
    }
    return new ClusterCredentials(tls, token);
  }

  /** The key pair that signs service-account tokens ({@code DIR/tls/sa.key}, {@code sa.pub}), made by {@link #ensure}. */
  public static KeyPair serviceAccountKey(Path dir) throws Exception {
    Path tls = dir.resolve("tls");
    PrivateKey priv = readKey(tls.resolve("sa.key"));
    try (PEMParser r = new PEMParser(Files.newBufferedReader(tls.resolve("sa.pub")))) {
      java.security.PublicKey pub = new JcaPEMKeyConverter()
          .getPublicKey((org.bouncycastle.asn1.x509.SubjectPublicKeyInfo) r.readObject());
      return new KeyPair(pub, priv);
    }
  }

  /**
   * {@code DIR/nodes/<node>/kubeconfig} (mode 0600) for a node agent against {@code serverUrl}: a
   * client certificate from the cluster CA for {@code CN=system:node:<node>, O=system:nodes}, the
   * identity kube's Node authorizer and NodeRestriction know. Issued once: an existing file is kept.
   */
  public static Path nodeKubeconfig(Path dir, String node, String serverUrl) throws Exception {
    if (!node.matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")) {
      throw new IllegalArgumentException("node name \"" + node + "\" is not a DNS subdomain (lower-case letters, digits, '-' and '.')");
    }
    Path file = dir.resolve("nodes").resolve(node).resolve("kubeconfig");
    if (Files.exists(file)) return file;
    Files.createDirectories(file.getParent());
    Path tls = dir.resolve("tls");
    X509Certificate ca = readCert(tls.resolve("ca.crt"));
    KeyPair kp = newKey();
    X500Name subject = new org.bouncycastle.asn1.x500.X500NameBuilder()
        .addRDN(org.bouncycastle.asn1.x500.style.BCStyle.O, "system:nodes")
        .addRDN(org.bouncycastle.asn1.x500.style.BCStyle.CN, "system:node:" + node).build();
    X509Certificate cert = sign(subject, kp.getPublic(), X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
        readKey(tls.resolve("ca.key")), false, List.of(node), Duration.ofDays(3650));
    Base64.Encoder b64 = Base64.getEncoder();
    String user = """
            client-certificate-data: %s
            client-key-data: %s
        """.formatted(b64.encodeToString(pem(cert).getBytes(StandardCharsets.US_ASCII)),
        b64.encodeToString(pem(kp.getPrivate()).getBytes(StandardCharsets.US_ASCII)));
    writePrivate(file, kubeconfig(serverUrl, Files.readString(tls.resolve("ca.crt")), "system:node:" + node, user));
    return file;
  }

  /** A kubeconfig for the admin user against {@code serverUrl}. */
  public static String kubeconfig(String serverUrl, String caPem, String token) {
    return kubeconfig(serverUrl, caPem, "keelson-admin", "    token: " + token + "\n");
  }

  /** @param credentials the user's fields, each a line indented by four spaces */
  private static String kubeconfig(String serverUrl, String caPem, String user, String credentials) {
    String ca = Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.UTF_8));
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: keelson
          cluster:
            server: %s
            certificate-authority-data: %s
        users:
        - name: %s
          user:
        %scontexts:
        - name: keelson
          context:
            cluster: keelson
            user: %s
            namespace: default
        current-context: keelson
        """.formatted(serverUrl, ca, user, credentials, user);
  }

  private static KeyPair newKey() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    return g.generateKeyPair();
  }

  private static X509Certificate sign(X500Name subject, java.security.PublicKey pub, X500Name issuer, PrivateKey issuerKey,
      boolean isCa, List<String> sans, Duration validity) throws Exception {
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, new SecureRandom()),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), subject, pub);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    if (isCa) {
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
    } else {
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      List<GeneralName> names = new ArrayList<>();
      for (String s : sans) {
        boolean ip = s.matches("[0-9.]+") || s.contains(":");
        names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, s));
      }
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
    }
    ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey);
    X509CertificateHolder h = b.build(signer);
    return new JcaX509CertificateConverter().getCertificate(h);
  }

  private static String pem(Object o) throws IOException {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      // PKCS#8 ("PRIVATE KEY"): what Tomcat, curl and Go clients all read
      w.writeObject(o instanceof PrivateKey k ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null) : o);
    }
    return sw.toString();
  }

  private static X509Certificate readCert(Path p) throws Exception {
    try (PEMParser r = new PEMParser(Files.newBufferedReader(p))) {
      return new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) r.readObject());
    }
  }

  private static PrivateKey readKey(Path p) throws Exception {
    try (PEMParser r = new PEMParser(Files.newBufferedReader(p))) {
      Object o = r.readObject();
      JcaPEMKeyConverter c = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair kp) return c.getKeyPair(kp).getPrivate();
      return c.getPrivateKey((org.bouncycastle.asn1.pkcs.PrivateKeyInfo) o);
    }
  }

  private static void writePrivate(Path p, String content) throws IOException {
    Path tmp = p.resolveSibling(p.getFileName() + ".tmp");
    Files.writeString(tmp, content);
    try {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException ignored) {
      // non-POSIX file system
    }
    Files.move(tmp, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
