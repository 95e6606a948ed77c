package io.keelson.controller.certificates;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * The cluster CA as a signer (kube-controller-manager's --cluster-signing-cert-file/-key-file):
 * issues client certificates for approved requests, valid for the requested duration up to
 * {@link #MAX_DURATION} (kube's --cluster-signing-duration default) and never past the CA itself,
 * backdated 5 minutes against clock skew as kube's signer does.
 */
public final class ClusterSigner {

  static final Duration MAX_DURATION = Duration.ofDays(365);
  private static final Duration BACKDATE = Duration.ofMinutes(5);

  private final X509Certificate ca;
  private final PrivateKey key;

  ClusterSigner(X509Certificate ca, PrivateKey key) {
    this.ca = ca;
    this.key = key;
  }

  /** The CA from PEM files; IOException saying which file is unreadable. */
  public static ClusterSigner fromFiles(Path certFile, Path keyFile) throws IOException {
    try (PEMParser certs = new PEMParser(Files.newBufferedReader(certFile)); PEMParser keys = new PEMParser(Files.newBufferedReader(keyFile))) {
      if (!(certs.readObject() instanceof X509CertificateHolder holder)) throw new IOException(certFile + " holds no PEM certificate");
      Object k = keys.readObject();
      JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
      PrivateKey key = k instanceof PEMKeyPair pair ? conv.getKeyPair(pair).getPrivate()
          : k instanceof org.bouncycastle.asn1.pkcs.PrivateKeyInfo info ? conv.getPrivateKey(info) : null;
      if (key == null) throw new IOException(keyFile + " holds no PEM private key");
      return new ClusterSigner(new JcaX509CertificateConverter().getCertificate(holder), key);
    } catch (java.security.cert.CertificateException e) {
      throw new IOException(certFile + ": " + e.getMessage(), e);
    }
  }

  /** A PEM client certificate for the PEM certificate request; IllegalArgumentException when it is not one. */
  public String signClient(byte[] requestPem, Duration requested, Instant now) {
    PKCS10CertificationRequest csr;
    try (PEMParser p = new PEMParser(new StringReader(new String(requestPem, java.nio.charset.StandardCharsets.US_ASCII)))) {
      if (!(p.readObject() instanceof PKCS10CertificationRequest r)) throw new IllegalArgumentException("not a PEM certificate request");
      if (!r.isSignatureValid(new JcaContentVerifierProviderBuilder().build(r.getSubjectPublicKeyInfo()))) {
        throw new IllegalArgumentException("the certificate request's signature does not match its key");
      }
      csr = r;
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalArgumentException("unreadable certificate request: " + e.getMessage(), e);
    }
    Duration d = requested == null || requested.compareTo(MAX_DURATION) > 0 ? MAX_DURATION : requested;
    Instant notAfter = now.plus(d);
    if (notAfter.isAfter(ca.getNotAfter().toInstant())) notAfter = ca.getNotAfter().toInstant();
    try {
      X509v3CertificateBuilder b = new X509v3CertificateBuilder(
          X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()), new BigInteger(127, new SecureRandom()),
          Date.from(now.minus(BACKDATE)), Date.from(notAfter), csr.getSubject(), csr.getSubjectPublicKeyInfo());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
      X509CertificateHolder signed = b.build(new JcaContentSignerBuilder(key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA").build(key));
      StringWriter out = new StringWriter();
      try (JcaPEMWriter w = new JcaPEMWriter(out)) {
        w.writeObject(signed);
      }
      return out.toString();
    } catch (Exception e) {
      throw new IllegalStateException("signing failed: " + e.getMessage(), e);
    }
  }
}
