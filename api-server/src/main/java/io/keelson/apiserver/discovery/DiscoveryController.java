package io.keelson.apiserver.discovery;

import io.keelson.apiserver.status.StatusException;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Serves API discovery ({@code /api}, {@code /apis}, {@code /api/v1}, {@code /apis/{group}[/{version}]})
 * and {@code /version}. Aggregated discovery is chosen strictly from the Accept header: kubectl 1.28
 * only understands v2beta1, newer ones prefer v2, and a client that asks for neither gets the legacy
 * documents. The aggregated response must carry its exact media type or client-go ignores it.
 */
@RestController
public class DiscoveryController {

  static final String AGG_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
  static final String AGG_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Brought up to date before the named groups are listed: a definition written a moment ago is discoverable at once. */
  @org.springframework.beans.factory.annotation.Autowired(required = false)
  private io.keelson.apiserver.apiextensions.CustomResourceRegistrar customResources;

  private void awaitCustomResources() {
    if (customResources != null) customResources.awaitCurrent();
  }

  /** The version kubectl's dispatcher reads to pick its 1.32 binary. */
  static final String MAJOR = "1";
  static final String MINOR = "32";
  static final String GIT_VERSION = "v1.32.4-keelson";

  // Each discovery path also with a trailing slash: kube's OpenAPI names them so (GET /version/, /api/,
  // /apis/, /api/v1/, /apis/{group}/, /apis/{group}/{version}/), and the clients generated from it
  // (client-java's VersionApi, the Python client) call exactly those.
  @GetMapping({"/version", "/version/"})
  public ResponseEntity<byte[]> version() {
    var n = ApiDiscovery.NODES.objectNode();
    n.put("major", MAJOR);
    n.put("minor", MINOR);
    n.put("gitVersion", GIT_VERSION);
    n.put("gitCommit", "0000000000000000000000000000000000000000");
    n.put("gitTreeState", "clean");
    n.put("buildDate", "2026-01-01T00:00:00Z");
    n.put("goVersion", "java" + Runtime.version().feature());
    n.put("compiler", "keelson");
    n.put("platform", System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT) + "/" + arch());
    return json(n, MediaType.APPLICATION_JSON_VALUE);
  }

  @GetMapping({"/api", "/api/"})
  public ResponseEntity<byte[]> api(@RequestHeader(value = HttpHeaders.ACCEPT, required = false) String accept,
      HttpServletRequest request) {
    String agg = aggregatedVersion(accept);
    if (agg != null) return json(ApiDiscovery.aggregated(true, agg), agg.equals("v2") ? AGG_V2 : AGG_V2BETA1);
    // The address the client used to reach us (Host header), like kube-apiserver reports it.
    String host = request.getServerName();
    if (host.contains(":") && !host.startsWith("[")) host = "[" + host + "]";
    return json(ApiDiscovery.apiVersions(host + ":" + request.getServerPort()), MediaType.APPLICATION_JSON_VALUE);
  }

  @GetMapping({"/apis", "/apis/"})
  public ResponseEntity<byte[]> apis(@RequestHeader(value = HttpHeaders.ACCEPT, required = false) String accept) {
    awaitCustomResources();
    String agg = aggregatedVersion(accept);
    if (agg != null) return json(ApiDiscovery.aggregated(false, agg), agg.equals("v2") ? AGG_V2 : AGG_V2BETA1);
    return json(ApiDiscovery.apiGroupList(), MediaType.APPLICATION_JSON_VALUE);
  }

  @GetMapping({"/api/v1", "/api/v1/"})
  public ResponseEntity<byte[]> coreV1() {
    return ApiDiscovery.apiResourceList("", "v1").map(DiscoveryController::json).orElseGet(DiscoveryController::notFound);
  }

  @GetMapping({"/apis/{group}", "/apis/{group}/"})
  public ResponseEntity<byte[]> group(@PathVariable String group) {
    awaitCustomResources();
    return ApiDiscovery.apiGroup(group).map(DiscoveryController::json).orElseGet(DiscoveryController::notFound);
  }

  @GetMapping({"/apis/{group}/{version}", "/apis/{group}/{version}/"})
  public ResponseEntity<byte[]> groupVersion(@PathVariable String group, @PathVariable String version) {
    awaitCustomResources();
    return ApiDiscovery.apiResourceList(group, version).map(DiscoveryController::json)
        .orElseGet(DiscoveryController::notFound);
  }

  /**
   * "v2", "v2beta1" or null (legacy): the first acceptable range in the client's preference order
   * decides. Protobuf ranges are skipped (we only speak JSON) rather than treated as "legacy".
   */
  static String aggregatedVersion(String accept) {
    for (MediaRanges.Range r : MediaRanges.parse(accept)) {
      if (r.type().equals("application/json") && "apidiscovery.k8s.io".equals(r.param("g"))
          && "APIGroupDiscoveryList".equals(r.param("as"))) {
        String v = r.param("v");
        if ("v2".equals(v) || "v2beta1".equals(v)) return v;
        continue;
      }
      if (r.param("as") != null || r.param("g") != null) continue; // some other typed shape we don't serve
      if (r.isJsonCompatible()) return null;
    }
    return null;
  }

  /** A Status 404 like the one Kubernetes sends for unknown discovery paths. */
  static ResponseEntity<byte[]> notFound() {
    StatusException e = StatusException.notFound("the server could not find the requested resource");
    return ResponseEntity.status(404).header(HttpHeaders.CONTENT_TYPE, MediaType.APPLICATION_JSON_VALUE)
        .body(JSON.writeValueAsString(e.toStatus()).getBytes(StandardCharsets.UTF_8));
  }

  private static ResponseEntity<byte[]> json(JsonNode body) {
    return json(body, MediaType.APPLICATION_JSON_VALUE);
  }

  private static ResponseEntity<byte[]> json(JsonNode body, String contentType) {
    byte[] bytes = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
    return ResponseEntity.ok().header(HttpHeaders.CONTENT_TYPE, contentType).body(bytes);
  }

  private static String arch() {
    String a = System.getProperty("os.arch");
    return switch (a) {
      case "x86_64", "amd64" -> "amd64";
      case "aarch64" -> "arm64";
      default -> a;
    };
  }
}
