package io.keelson.apiserver.auth;

import io.keelson.client.pki.CertificateAuthority;
import io.keelson.client.pki.Pem;
import java.io.IOException;
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
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

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

  private static final Duration VALIDITY = Duration.ofDays(3650);
  private static final Duration BACKDATE = Duration.ofHours(1);

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
      Instant now = Instant.now();
      CertificateAuthority ca = CertificateAuthority.selfSigned(new X500Name("CN=keelson-ca"), kp, now.minus(BACKDATE), now.plus(VALIDITY));
      writePrivate(caKey, Pem.of(kp.getPrivate()));
      Files.writeString(caCrt, Pem.of(ca.certificate()));
    }
    CertificateAuthority ca = CertificateAuthority.fromFiles(caCrt, caKey);
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
      X509Certificate cert = issue(ca, new X500Name("CN=keelson-api-server"), kp, new ArrayList<>(sans));
      writePrivate(srvKey, Pem.of(kp.getPrivate()));
      Files.writeString(srvCrt, Pem.of(cert));
      Files.writeString(sanFile, String.join(",", sans));
    }
    Path saKey = tls.resolve("sa.key");
    Path saPub = tls.resolve("sa.pub");
    if (!Files.exists(saKey) || !Files.exists(saPub)) {
      KeyPair kp = newKey(); // signs service-account tokens (kubectl create token)
      writePrivate(saKey, Pem.of(kp.getPrivate()));
      Files.writeString(saPub, Pem.of(kp.getPublic()));
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
    PrivateKey priv = Pem.readPrivateKey(tls.resolve("sa.key"));
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
    KeyPair kp = newKey();
    X500Name subject = new org.bouncycastle.asn1.x500.X500NameBuilder()
        .addRDN(org.bouncycastle.asn1.x500.style.BCStyle.O, "system:nodes")
        .addRDN(org.bouncycastle.asn1.x500.style.BCStyle.CN, "system:node:" + node).build();
    X509Certificate cert = issue(CertificateAuthority.fromFiles(tls.resolve("ca.crt"), tls.resolve("ca.key")), subject, kp, List.of(node));
    Base64.Encoder b64 = Base64.getEncoder();
    String user = """
            client-certificate-data: %s
            client-key-data: %s
        """.formatted(b64.encodeToString(Pem.of(cert).getBytes(StandardCharsets.US_ASCII)),
        b64.encodeToString(Pem.of(kp.getPrivate()).getBytes(StandardCharsets.US_ASCII)));
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

  /** A server-and-client certificate from the cluster CA, valid from an hour ago (clock skew) for {@link #VALIDITY}. */
  private static X509Certificate issue(CertificateAuthority ca, X500Name subject, KeyPair kp, List<String> sans) {
    Instant now = Instant.now();
    return ca.issue(subject, kp.getPublic(), CertificateAuthority.Profile.SERVER_AND_CLIENT, sans, now.minus(BACKDATE), now.plus(VALIDITY));
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
