package io.keelson.apiserver.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.text.ParseException;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Service-account tokens as Kubernetes issues them through TokenRequest ({@code kubectl create
 * token}): JWTs signed by the cluster's service-account key ({@code DIR/tls/sa.key}, shared by every
 * api-server on the DIR), with the service account and any bound object in the {@code kubernetes.io}
 * claim. A token authenticates to the api-server only while it is unexpired, names the api-server's
 * audience, and its service account (and bound object) still exist with the uids it was issued for.
 */
public final class ServiceAccountTokens {

  /** kube's default audience and issuer: what in-cluster clients expect. */
  public static final String API_AUDIENCE = "https://kubernetes.default.svc.cluster.local";
  static final String ISSUER = API_AUDIENCE;
  private static final String CLAIM = "kubernetes.io";

  /** An object a token is bound to (Pod, Secret or Node): the token dies with it. */
  public record Bound(String kind, String name, String uid) {}

  /** Whom a valid token speaks for. */
  public record Subject(String namespace, String name, String uid, Bound bound, String jti) {
    public UserInfo user() {
      return new UserInfo("system:serviceaccount:" + namespace + ":" + name, uid,
          List.of("system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"));
    }
  }

  private final ECDSASigner signer;
  private final ECDSAVerifier verifier;
  private final String keyId;

  public ServiceAccountTokens(KeyPair key) {
    try {
      ECKey jwk = new ECKey.Builder(Curve.P_256, (ECPublicKey) key.getPublic()).build();
      this.keyId = jwk.computeThumbprint().toString();
      this.signer = new ECDSASigner((ECPrivateKey) key.getPrivate());
      this.verifier = new ECDSAVerifier((ECPublicKey) key.getPublic());
    } catch (JOSEException e) {
      throw new IllegalStateException("the service-account key is not a P-256 EC key pair: " + e.getMessage(), e);
    }
  }

  /** A signed token for service account {@code namespace/name} valid from {@code now} for {@code seconds}. */
  public String issue(String namespace, String name, String uid, List<String> audiences, Instant now, long seconds, Bound bound) {
    Map<String, Object> sa = new LinkedHashMap<>();
    sa.put("name", name);
    sa.put("uid", uid);
    Map<String, Object> k8s = new LinkedHashMap<>();
    k8s.put("namespace", namespace);
    if (bound != null) {
      k8s.put(bound.kind().toLowerCase(java.util.Locale.ROOT), Map.of("name", bound.name(), "uid", bound.uid()));
    }
    k8s.put("serviceaccount", sa);
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .subject("system:serviceaccount:" + namespace + ":" + name)
        .audience(audiences)
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(seconds)))
        .jwtID(UUID.randomUUID().toString())
        .claim(CLAIM, k8s)
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(keyId).build(), claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("signing a service-account token: " + e.getMessage(), e);
    }
    return jwt.serialize();
  }

  /**
   * The subject of {@code token} if it is one of ours, correctly signed, current at {@code now} and
   * meant for the api-server; null otherwise (the caller then checks that its objects still exist).
   */
  public Subject verify(String token, Instant now) {
    if (token.chars().filter(c -> c == '.').count() != 2) return null; // not a JWT: another kind of credential
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      if (!JWSAlgorithm.ES256.equals(jwt.getHeader().getAlgorithm()) || !jwt.verify(verifier)) return null;
      JWTClaimsSet c = jwt.getJWTClaimsSet();
      Date exp = c.getExpirationTime();
      Date nbf = c.getNotBeforeTime();
      if (!ISSUER.equals(c.getIssuer()) || exp == null || !now.isBefore(exp.toInstant())) return null;
      if (nbf != null && now.plusSeconds(60).isBefore(nbf.toInstant())) return null; // a minute of clock skew, as kube allows
      if (c.getAudience() == null || !c.getAudience().contains(API_AUDIENCE)) return null;
      Map<String, Object> k8s = c.getJSONObjectClaim(CLAIM);
      if (k8s == null || !(k8s.get("namespace") instanceof String ns) || !(k8s.get("serviceaccount") instanceof Map<?, ?> sa)) {
        return null;
      }
      Bound bound = null;
      for (String kind : List.of("Pod", "Secret", "Node")) {
        if (k8s.get(kind.toLowerCase(java.util.Locale.ROOT)) instanceof Map<?, ?> b) {
          bound = new Bound(kind, String.valueOf(b.get("name")), String.valueOf(b.get("uid")));
        }
      }
      return new Subject(ns, String.valueOf(sa.get("name")), String.valueOf(sa.get("uid")), bound, c.getJWTID());
    } catch (ParseException | JOSEException | RuntimeException e) {
      return null;
    }
  }
}
