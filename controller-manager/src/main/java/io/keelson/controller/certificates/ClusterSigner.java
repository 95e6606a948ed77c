package io.keelson.controller.certificates;

import io.keelson.client.pki.CertificateAuthority;
import io.keelson.client.pki.Pem;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.openssl.PEMParser;
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

  private final CertificateAuthority ca;

  ClusterSigner(X509Certificate ca, PrivateKey key) {
    this(new CertificateAuthority(ca, key));
  }

  private ClusterSigner(CertificateAuthority ca) {
    this.ca = ca;
  }

  /** The CA from PEM files; IOException saying which file is unreadable. */
  public static ClusterSigner fromFiles(Path certFile, Path keyFile) throws IOException {
    return new ClusterSigner(CertificateAuthority.fromFiles(certFile, keyFile));
  }

  /** A PEM client certificate for the PEM certificate request; IllegalArgumentException when it is not one. */
  public String signClient(byte[] requestPem, Duration requested, Instant now) {
    PKCS10CertificationRequest csr;
    try (PEMParser p = new PEMParser(new StringReader(new String(requestPem, StandardCharsets.US_ASCII)))) {
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
    Instant caNotAfter = ca.certificate().getNotAfter().toInstant();
    if (notAfter.isAfter(caNotAfter)) notAfter = caNotAfter;
    X509Certificate signed = ca.issue(csr.getSubject(), csr.getSubjectPublicKeyInfo(), CertificateAuthority.Profile.CLIENT, List.of(),
        now.minus(BACKDATE), notAfter);
    try {
      return Pem.of(signed);
    } catch (IOException e) {
      throw new IllegalStateException("signing failed: " + e.getMessage(), e);
    }
  }
}
