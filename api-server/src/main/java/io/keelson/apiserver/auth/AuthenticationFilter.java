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
import java.time.Instant;
import java.util.Set;
import java.util.function.Predicate;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The single place in the request pipeline where callers are authenticated (RBAC will follow it
 * here). Bearer tokens only for now: the admin token, and service-account tokens from TokenRequest
 * ({@code kubectl create token}); health and version endpoints are public, as in Kubernetes.
 */
public class AuthenticationFilter extends OncePerRequestFilter {

  private static final Set<String> PUBLIC = Set.of("/healthz", "/livez", "/readyz", "/version", "/version/");

  private final byte[] adminToken;
  private final ServiceAccountTokens tokens;
  /** Whether a verified token's service account (and bound object) still exist as issued. */
  private final Predicate<ServiceAccountTokens.Subject> current;

  public AuthenticationFilter(String adminToken) {
    this(adminToken, null, s -> false);
  }

  public AuthenticationFilter(String adminToken, ServiceAccountTokens tokens, Predicate<ServiceAccountTokens.Subject> current) {
    this.adminToken = adminToken.getBytes(StandardCharsets.UTF_8);
    this.tokens = tokens;
    this.current = current;
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
    if (h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) && tokens != null) {
      ServiceAccountTokens.Subject sa = tokens.verify(h.substring(7).trim(), Instant.now());
      if (sa != null && current.test(sa)) {
        req.setAttribute(UserInfo.ATTRIBUTE, sa.user());
        chain.doFilter(req, resp);
        return;
      }
    }
    Responses.status(resp, StatusException.unauthorized());
  }

  /** Whether a bearer token (e.g. from gRPC metadata) is valid. */
  public boolean accepts(String token) {
    return token != null && MessageDigest.isEqual(token.trim().getBytes(StandardCharsets.UTF_8), adminToken);
  }
}
