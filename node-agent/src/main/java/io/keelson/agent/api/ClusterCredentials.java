package io.keelson.agent.api;

import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * What the agent needs from its kubeconfig: the api-server URL, the cluster CA and a bearer token.
 * The gRPC NodeService is at the same host on the REST port + 1.
 */
public record ClusterCredentials(URI server, byte[] caPem, String token) {

  public static ClusterCredentials fromKubeconfig(Path kubeconfig) throws IOException {
    Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
    byte[] ca;
    if (config.getCaCertData() != null && !config.getCaCertData().isBlank()) {
      ca = Base64.getDecoder().decode(config.getCaCertData().trim());
    } else if (config.getCaCertFile() != null) {
      ca = Files.readAllBytes(kubeconfig.toAbsolutePath().getParent().resolve(config.getCaCertFile()));
    } else {
      ca = null;
    }
    String token = config.getAutoOAuthToken() != null ? config.getAutoOAuthToken() : config.getOauthToken();
    if (token == null || token.isBlank()) {
      throw new IOException(kubeconfig + " has no bearer token for the current user");
    }
    return new ClusterCredentials(URI.create(config.getMasterUrl()), ca, token);
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
