package io.keelson.client.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority: its certificate and private key (the cluster CA in {@code DIR/tls/ca.crt}
 * and {@code ca.key}), issuing the certificates the api-server serves with and the client
 * certificates of node agents and approved CertificateSigningRequests. Needs bcpkix on the class path
 * (an optional dependency of this module: only the api-server and the controller-manager issue).
 */
public final class CertificateAuthority {

  /** What an issued certificate is for: its key usages and extended key usages. */
  public enum Profile {
    /** Signs other certificates. */
    CA,
    /** A TLS server that is also a client (the api-server's, node agents'). */
    SERVER_AND_CLIENT,
    /** A TLS client only (kube's kubernetes.io/kube-apiserver-client signers). */
    CLIENT
  }

  private final X509Certificate cert;
  private final PrivateKey key;

  public CertificateAuthority(X509Certificate cert, PrivateKey key) {
    this.cert = cert;
    this.key = key;
  }

  /** A new self-signed CA named {@code subject} for {@code keys}, valid between the two instants. */
  public static CertificateAuthority selfSigned(X500Name subject, KeyPair keys, Instant notBefore, Instant notAfter) {
    X509Certificate ca = issue(subject, keys.getPrivate(), null, subject, SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()),
        Profile.CA, List.of(), notBefore, notAfter);
    return new CertificateAuthority(ca, keys.getPrivate());
  }

  /** The CA from PEM files; IOException saying which file holds no certificate or key. */
  public static CertificateAuthority fromFiles(Path certFile, Path keyFile) throws IOException {
    try (PEMParser certs = new PEMParser(Files.newBufferedReader(certFile))) {
      if (!(certs.readObject() instanceof X509CertificateHolder holder)) throw new IOException(certFile + " holds no PEM certificate");
      return new CertificateAuthority(new JcaX509CertificateConverter().getCertificate(holder), Pem.readPrivateKey(keyFile));
    } catch (CertificateException e) {
      throw new IOException(certFile + ": " + e.getMessage(), e);
    }
  }

  public X509Certificate certificate() {
    return cert;
  }

  public PrivateKey key() {
    return key;
  }

  /** A certificate for {@code subject}'s public key, signed by this CA; {@code sans} are IP addresses or DNS names. */
  public X509Certificate issue(X500Name subject, PublicKey publicKey, Profile profile, List<String> sans, Instant notBefore, Instant notAfter) {
    return issue(subject, SubjectPublicKeyInfo.getInstance(publicKey.getEncoded()), profile, sans, notBefore, notAfter);
  }

  /** As {@link #issue(X500Name, PublicKey, Profile, List, Instant, Instant)}, for the key of a certificate request. */
  public X509Certificate issue(X500Name subject, SubjectPublicKeyInfo publicKey, Profile profile, List<String> sans, Instant notBefore,
      Instant notAfter) {
    return issue(X500Name.getInstance(cert.getSubjectX500Principal().getEncoded()), key, cert, subject, publicKey, profile, sans, notBefore,
        notAfter);
  }

  /** @param issuerCert null when self-signed (no authority key identifier) */
  private static X509Certificate issue(X500Name issuer, PrivateKey issuerKey, X509Certificate issuerCert, X500Name subject,
      SubjectPublicKeyInfo publicKey, Profile profile, List<String> sans, Instant notBefore, Instant notAfter) {
    try {
      X509v3CertificateBuilder b = new X509v3CertificateBuilder(issuer, new BigInteger(127, new SecureRandom()), Date.from(notBefore),
          Date.from(notAfter), subject, publicKey);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(profile == Profile.CA));
      switch (profile) {
        case CA -> b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
        case SERVER_AND_CLIENT -> {
          b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
          b.addExtension(Extension.extendedKeyUsage, false,
              new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        }
        case CLIENT -> {
          b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
          b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        }
      }
      if (!sans.isEmpty()) {
        GeneralName[] names = sans.stream().map(s -> new GeneralName(s.matches("[0-9.]+") || s.contains(":") ? GeneralName.iPAddress
            : GeneralName.dNSName, s)).toArray(GeneralName[]::new);
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      }
      if (issuerCert != null) {
        b.addExtension(Extension.authorityKeyIdentifier, false, new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(issuerCert));
      }
      String algorithm = issuerKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
      return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(algorithm).build(issuerKey)));
    } catch (Exception e) {
      throw new IllegalStateException("signing failed: " + e.getMessage(), e);
    }
  }
}
