package io.keelson.apiserver.rest;

import io.keelson.apiserver.resource.ResourceRegistry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Set;

/**
 * Serves plain resource requests ({@code /api/v1/...}, {@code /apis/<group>/<version>/...}) straight
 * from the servlet filter chain, after authentication, instead of through Spring MVC's dispatcher:
 * matching ~40 request mappings and invoking a handler method reflectively cost ~15% of a create.
 * Everything else — discovery documents, streaming subresources (log, exec, attach, port-forward),
 * WebSocket upgrades — still goes to the dispatcher and its specific controllers.
 */
public class ApiFastPath extends HttpFilter {

  /** Subresources with controllers of their own. */
  private static final Set<String> STREAMING = Set.of("log", "exec", "attach", "portforward", "proxy");

  /**
   * "group/version" of every registry type: other group-versions (a feature's own controller, or an
   * unknown group answered 404) stay with the dispatcher, so that specific mappings still win there.
   */
  private static final Set<String> SERVED = ResourceRegistry.all().stream()
      .map(t -> t.group() + "/" + t.version()).collect(java.util.stream.Collectors.toUnmodifiableSet());

  private final ApiController api;

  public ApiFastPath(ApiController api) {
    this.api = api;
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
      throws IOException, ServletException {
    if (req.getHeader("Upgrade") == null && api.serveDirect(req, resp)) return;
    chain.doFilter(req, resp);
  }

  /**
   * group, version and the rest of a resource path, or null when the dispatcher should handle it
   * (discovery, streaming subresources, anything outside the resource trees).
   */
  static String[] resourcePath(String uri) {
    String group;
    String version;
    int restStart;
    if (uri.startsWith("/api/v1/")) {
      group = "";
      version = "v1";
      restStart = 8;
    } else if (uri.startsWith("/apis/")) {
      int g = uri.indexOf('/', 6);
      int v = g < 0 ? -1 : uri.indexOf('/', g + 1);
      if (g <= 6 || v < 0 || v == g + 1) return null;
      group = uri.substring(6, g);
      version = uri.substring(g + 1, v);
      restStart = v + 1;
    } else {
      return null;
    }
    if (!SERVED.contains(group + "/" + version) && !ResourceRegistry.servesCustom(group, version)) return null;
    int end = uri.endsWith("/") ? uri.length() - 1 : uri.length();
    if (end <= restStart) return null;
    String rest = uri.substring(restStart, end);
    if (rest.startsWith("/") || rest.contains("//")) return null;
    String last = rest.substring(rest.lastIndexOf('/') + 1);
    if (STREAMING.contains(last) || proxied(rest)) return null;
    return new String[] {group, version, rest};
  }

  /** A proxy subresource with a path of its own: {@code namespaces/ns/pods/web/proxy/metrics}. */
  private static boolean proxied(String rest) {
    String[] parts = rest.split("/", 6);
    int at = parts[0].equals("namespaces") ? 4 : 2;
    return parts.length > at + 1 && parts[at].equals("proxy");
  }
}
