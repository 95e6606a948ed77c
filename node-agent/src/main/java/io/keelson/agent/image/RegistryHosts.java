package io.keelson.agent.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Per-registry settings, read from a small YAML (or JSON) file, by default
 * {@code <images-dir>/registries.yaml}:
 *
 * <pre>
 * registries:
 *   "127.0.0.1:5000":
 *     insecure: true              # plain http (loopback registries are insecure by default)
 *   docker.io:
 *     mirrors: ["http://10.0.0.5:5000", "https://mirror.example"]   # tried in order, then docker.io
 *     username: me                # basic credentials, also used to fetch bearer tokens
 *     password: secret
 * </pre>
 */
public final class RegistryHosts {

  /**
   * Settings of one registry.
   *
   * @param insecure talk plain http instead of https
   * @param mirrors endpoints (with scheme) tried before the registry itself
   */
  public record Settings(boolean insecure, List<String> mirrors, String username, String password) {
    public Settings {
      mirrors = List.copyOf(mirrors);
    }
  }

  private final Map<String, Settings> byHost;

  public RegistryHosts(Map<String, Settings> byHost) {
    this.byHost = Map.copyOf(byHost);
  }

  public static RegistryHosts empty() {
    return new RegistryHosts(Map.of());
  }

  /** Reads {@code file}; a missing file means no special settings. */
  public static RegistryHosts load(Path file) throws IOException {
    if (file == null || !Files.isRegularFile(file)) {
      return empty();
    }
    JsonNode root = YAMLMapper.builder().build().readTree(Files.readString(file));
    Map<String, Settings> map = new HashMap<>();
    JsonNode regs = root == null ? null : root.get("registries");
    if (regs != null && regs.isObject()) {
      for (var e : regs.properties()) {
        JsonNode n = e.getValue();
        List<String> mirrors = new ArrayList<>();
        if (n.get("mirrors") != null) {
          n.get("mirrors").forEach(m -> mirrors.add(m.asString()));
        }
        map.put(
            e.getKey(),
            new Settings(
                n.path("insecure").asBoolean(false),
                mirrors,
                n.hasNonNull("username") ? n.get("username").asString() : null,
                n.hasNonNull("password") ? n.get("password").asString() : null));
      }
    }
    return new RegistryHosts(map);
  }

  /** Settings for {@code registry} (host[:port]); loopback registries default to insecure, as in Docker. */
  public Settings settings(String registry) {
    Settings s = byHost.get(registry);
    if (s != null) {
      return s;
    }
    return new Settings(isLoopback(registry), List.of(), null, null);
  }

  /** The endpoints to try for {@code registry}, mirrors first; each is scheme://host[:port]. */
  public List<String> endpoints(String registry) {
    Settings s = settings(registry);
    List<String> out = new ArrayList<>();
    for (String m : s.mirrors()) {
      String e = m.endsWith("/") ? m.substring(0, m.length() - 1) : m;
      out.add(e.contains("://") ? e : "https://" + e);
    }
    String host = registry.equals(ImageReference.DOCKER_HUB) ? "registry-1.docker.io" : registry;
    out.add((s.insecure() ? "http://" : "https://") + host);
    return out;
  }

  static boolean isLoopback(String registry) {
    String host = registry.startsWith("[") ? registry.substring(0, registry.indexOf(']') + 1) : registry.split(":")[0];
    return host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
  }
}
