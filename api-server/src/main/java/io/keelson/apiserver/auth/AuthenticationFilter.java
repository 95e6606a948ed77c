package io.keelson.apiserver.auth;

import io.keelson.apiserver.rest.Responses;
import io.keelson.apiserver.status.StatusException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The single place in the request pipeline where callers are authenticated (RBAC will follow it
 * here). Bearer tokens only for now; health and version endpoints are public, as in Kubernetes.
 */
public class AuthenticationFilter extends OncePerRequestFilter {

  private static final Set<String> PUBLIC = Set.of("/healthz", "/livez", "/readyz", "/version");

  private final byte[] adminToken;

  public AuthenticationFilter(String adminToken) {
    this.adminToken = adminToken.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  protected void doFilterInternal(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
      throws ServletException, IOException {
    String path = req.getRequestURI();
    if (PUBLIC.contains(path) || path.startsWith("/healthz/") || path.startsWith("/readyz/") || path.startsWith("/livez/")) {
      chain.doFilter(req, resp);
      return;
    }
    String h = req.getHeader("Authorization");
    if (h != null && h.regionMatches(true, 0, "Bearer ", 0, 7)
        && MessageDigest.isEqual(h.substring(7).trim().getBytes(StandardCharsets.UTF_8), adminToken)) {
      req.setAttribute(UserInfo.ATTRIBUTE, UserInfo.ADMIN);
      chain.doFilter(req, resp);
      return;
    }
    Responses.status(resp, StatusException.unauthorized());
  }

  /** Whether a bearer token (e.g. from gRPC metadata) is valid. */
  public boolean accepts(String token) {
    return token != null && MessageDigest.isEqual(token.trim().getBytes(StandardCharsets.UTF_8), adminToken);
  }
}
