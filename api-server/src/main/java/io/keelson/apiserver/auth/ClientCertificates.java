package io.keelson.apiserver.auth;

import jakarta.servlet.http.HttpServletRequest;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/**
 * Kube's x509 authenticator: a client certificate that the TLS handshake verified against the
 * cluster CA names its user in the subject's CN and its groups in the O values — what
 * {@code kubectl certificate approve} issues for a user's CertificateSigningRequest
 * ({@code openssl req -subj "/CN=jane/O=dev"}).
 */
public final class ClientCertificates {

  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  private ClientCertificates() {}

  /** The user of the request's verified client certificate, or null when there is none fit for client auth. */
  static UserInfo user(HttpServletRequest req) {
    return req.getAttribute("jakarta.servlet.request.X509Certificate") instanceof X509Certificate[] chain ? user(chain) : null;
  }

  /** The user of a client certificate chain the TLS handshake verified (the gRPC NodeService's too), or null. */
  public static UserInfo user(java.security.cert.Certificate[] chain) {
    if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate cert)) return null;
    try {
      cert.checkValidity();
      List<String> usages = cert.getExtendedKeyUsage();
      if (usages != null && !usages.contains(CLIENT_AUTH)) return null;
    } catch (CertificateParsingException | java.security.cert.CertificateExpiredException
        | java.security.cert.CertificateNotYetValidException e) {
      return null;
    }
    X500Name subject = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
    List<String> names = values(subject, BCStyle.CN);
    if (names.isEmpty() || names.get(0).isEmpty()) return null;
    List<String> groups = new ArrayList<>(values(subject, BCStyle.O));
    groups.add("system:authenticated");
    return new UserInfo(names.get(0), "", List.copyOf(groups));
  }

  private static List<String> values(X500Name name, ASN1ObjectIdentifier attribute) {
    List<String> out = new ArrayList<>();
    for (RDN rdn : name.getRDNs(attribute)) out.add(IETFUtils.valueToString(rdn.getFirst().getValue()));
    return out;
  }
}
