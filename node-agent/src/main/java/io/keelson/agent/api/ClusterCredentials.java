package io.keelson.agent.api;

import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * What the agent needs from its kubeconfig: the api-server URL, the cluster CA and who it is — a
 * client certificate and key ({@code ./keelson up} issues every agent its own, for
 * {@code system:node:<name>}) or a bearer token (the admin's: tests, hollow nodes). The gRPC
 * NodeService is at the same host on the REST port + 1.
 *
 * @param token null when the kubeconfig has a client certificate instead
 * @param clientCertPem null when it has a token only
 */
public record ClusterCredentials(URI server, byte[] caPem, String token, byte[] clientCertPem, byte[] clientKeyPem) {

  public ClusterCredentials(URI server, byte[] caPem, String token) {
    this(server, caPem, token, null, null);
  }

  public static ClusterCredentials fromKubeconfig(Path kubeconfig) throws IOException {
    Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
    Path base = kubeconfig.toAbsolutePath().getParent();
    byte[] ca = data(config.getCaCertData(), config.getCaCertFile(), base);
    byte[] cert = data(config.getClientCertData(), config.getClientCertFile(), base);
    byte[] key = data(config.getClientKeyData(), config.getClientKeyFile(), base);
    String token = config.getAutoOAuthToken() != null ? config.getAutoOAuthToken() : config.getOauthToken();
    if (token != null && token.isBlank()) token = null;
    if (cert == null || key == null) {
      if (token == null) throw new IOException(kubeconfig + " has neither a client certificate and key nor a bearer token for the current user");
      cert = key = null;
    } else {
      token = null; // the certificate says who the agent is; the REST client presents it too
    }
    return new ClusterCredentials(URI.create(config.getMasterUrl()), ca, token, cert, key);
  }

  /** Inline base64 data, else the file (relative to the kubeconfig), else null. */
  private static byte[] data(String inline, String file, Path base) throws IOException {
    if (inline != null && !inline.isBlank()) return Base64.getDecoder().decode(inline.trim());
    return file == null ? null : Files.readAllBytes(base.resolve(file));
  }

  /** The algorithm of the kubeconfig's PKCS#8 client key ("EC" or "RSA"), which fabric8 needs to be told. */
  static String keyAlgorithm(Config config) {
    try {
      String pem = new String(Base64.getDecoder().decode(config.getClientKeyData().trim()), StandardCharsets.US_ASCII);
      byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
      java.security.KeyFactory.getInstance("EC").generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(der));
      return "EC";
    } catch (IllegalArgumentException | java.security.GeneralSecurityException e) {
      return "RSA";
    }
  }

  /** host:port of the gRPC NodeService. */
  public String grpcTarget() {
    int port = server.getPort() > 0 ? server.getPort() : 443;
    return server.getHost() + ":" + (port + 1);
  }

  public String caPemString() {
    return caPem == null ? null : new String(caPem, StandardCharsets.US_ASCII);
  }
}
