package io.keelson.apiserver.admission;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Validation of certificates.k8s.io/v1 CertificateSigningRequests, as kube's
 * pkg/apis/certificates/validation says: a signed PEM CERTIFICATE REQUEST, a qualified signerName,
 * known key usages, at least 10 minutes of requested duration; Approved and Denied exclusive and,
 * once there, kept; an issued certificate PEM and never changed.
 */
public final class CertificateRequests {

  static final List<String> USAGES = List.of("signing", "digital signature", "content commitment", "key encipherment",
      "key agreement", "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any",
      "server auth", "client auth", "code signing", "email protection", "s/mime", "ipsec end system", "ipsec tunnel",
      "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc");
  private static final Pattern SIGNER = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+/[^/]+(/.+)?");

  private CertificateRequests() {}

  /** The request of a CSR's spec.request (base64 of PEM in JSON), or an IllegalArgumentException saying what is wrong. */
  public static PKCS10CertificationRequest parse(byte[] pem) {
    PemObject block;
    try (PemReader r = new PemReader(new StringReader(new String(pem, java.nio.charset.StandardCharsets.US_ASCII)))) {
      block = r.readPemObject();
    } catch (java.io.IOException | RuntimeException e) {
      block = null;
    }
    if (block == null) throw new IllegalArgumentException("PEM block type must be CERTIFICATE REQUEST (no PEM block found)");
    if (!block.getType().equals("CERTIFICATE REQUEST")) {
      throw new IllegalArgumentException("PEM block type must be CERTIFICATE REQUEST, not " + block.getType());
    }
    try {
      PKCS10CertificationRequest csr = new PKCS10CertificationRequest(block.getContent());
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(csr.getSubjectPublicKeyInfo()))) {
        throw new IllegalArgumentException("the certificate request's signature does not match its key");
      }
      return csr;
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalArgumentException("not a valid certificate request: " + e.getMessage());
    }
  }

  static void validate(ObjectNode csr, ObjectNode old, FieldErrors errs) {
    JsonNode spec = csr.path("spec");
    String request = spec.path("request").asString("");
    if (request.isEmpty()) {
      errs.required("spec.request");
    } else {
      try {
        parse(java.util.Base64.getDecoder().decode(request));
      } catch (IllegalArgumentException e) { // bad base64 too
        errs.invalid("spec.request", "<" + request.length() + " bytes>", e.getMessage());
      }
    }
    String signer = spec.path("signerName").asString("");
    if (signer.isEmpty()) errs.required("spec.signerName");
    else if (!SIGNER.matcher(signer).matches()) {
      errs.invalid("spec.signerName", signer, "should be a domain with at least two segments separated by dots, then a path (e.g. kubernetes.io/kube-apiserver-client)");
    }
    JsonNode usages = spec.path("usages");
    if (usages.isEmpty()) errs.required("spec.usages");
    Set<String> seen = new HashSet<>();
    int i = 0;
    for (JsonNode u : usages) {
      String field = "spec.usages[" + i++ + "]";
      if (!USAGES.contains(u.asString(""))) errs.notSupported(field, u.asString(""), USAGES);
      else if (!seen.add(u.asString())) errs.duplicate(field, u.asString());
    }
    JsonNode seconds = spec.path("expirationSeconds");
    if (seconds.isNumber() && seconds.asLong() < 600) {
      errs.invalid("spec.expirationSeconds", seconds.asLong(), "may not specify a duration less than 600 seconds (10 minutes)");
    }
    conditions(csr, old, errs);
    certificate(csr, old, errs);
  }

  private static void conditions(ObjectNode csr, ObjectNode old, FieldErrors errs) {
    List<String> types = new ArrayList<>();
    int i = 0;
    for (JsonNode c : csr.path("status").path("conditions")) {
      String field = "status.conditions[" + i++ + "]";
      String type = c.path("type").asString("");
      if (type.isEmpty()) errs.required(field + ".type");
      else if (types.contains(type) && (type.equals("Approved") || type.equals("Denied") || type.equals("Failed"))) {
        errs.duplicate(field + ".type", type);
      }
      types.add(type);
      if ((type.equals("Approved") || type.equals("Denied")) && !c.path("status").asString("True").equals("True")) {
        errs.notSupported(field + ".status", c.path("status").asString(), List.of("True"));
      }
    }
    if (types.contains("Approved") && types.contains("Denied")) {
      errs.invalid("status.conditions", "Approved and Denied", "Approved and Denied conditions are mutually exclusive");
    }
    if (old == null) return;
    for (JsonNode c : old.path("status").path("conditions")) {
      String type = c.path("type").asString("");
      if ((type.equals("Approved") || type.equals("Denied") || type.equals("Failed")) && !types.contains(type)) {
        errs.forbidden("status.conditions", "updates may not remove a condition of type \"" + type + "\"");
      }
    }
  }

  private static void certificate(ObjectNode csr, ObjectNode old, FieldErrors errs) {
    String cert = csr.path("status").path("certificate").asString("");
    String before = old == null ? "" : old.path("status").path("certificate").asString("");
    if (!before.isEmpty() && !before.equals(cert)) {
      errs.forbidden("status.certificate", "updates may not modify existing certificate content");
      return;
    }
    if (cert.isEmpty() || cert.equals(before)) return;
    try {
      String pem = new String(java.util.Base64.getDecoder().decode(cert), java.nio.charset.StandardCharsets.US_ASCII);
      if (!pem.contains("-----BEGIN CERTIFICATE-----")) throw new IllegalArgumentException();
    } catch (IllegalArgumentException e) {
      errs.invalid("status.certificate", "<certificate data>", "must contain at least one CERTIFICATE PEM block");
    }
  }
}
