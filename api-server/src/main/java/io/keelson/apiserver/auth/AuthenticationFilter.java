package io.keelson.apiserver.auth;

import io.keelson.apiserver.audit.AuditedRequest;
import io.keelson.apiserver.audit.Auditor;
import io.keelson.apiserver.auth.rbac.RbacAuthorizer;
import io.keelson.apiserver.inflight.MaxInFlight;
import io.keelson.apiserver.rest.QueryParameters;
import io.keelson.apiserver.rest.Responses;
import io.keelson.apiserver.status.StatusException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The single place in the request pipeline where callers are authenticated, may act as someone else
 * ({@link Impersonation}) and are authorized, in kube's order. Client certificates signed by the
 * cluster CA ({@link ClientCertificates}), then bearer tokens: the admin token,
 * and service-account tokens from TokenRequest ({@code kubectl create token}); health and version
 * endpoints are public, as in Kubernetes. Members of {@code system:masters} (the admin token, which
 * every Keelson component uses) pass authorization without a rule being evaluated; anyone else's
 * request is checked against RBAC and denied with kube's 403 Forbidden. In between, in kube's order,
 * each request's audit event is begun ({@link Auditor}; finished once it is answered) and the
 * in-flight limits are applied ({@link MaxInFlight}). Everything after this filter
 * — the fast path, the dispatcher, watches, streaming subresources, discovery — is covered by it.
 */
public class AuthenticationFilter extends OncePerRequestFilter {

  /** Who a public endpoint's caller is (kube's anonymous user): what the audit policy matches. */
  private static final UserInfo ANONYMOUS = new UserInfo("system:anonymous", "", List.of("system:unauthenticated"));
  private static final Set<String> PUBLIC = Set.of("/healthz", "/livez", "/readyz", "/version", "/version/");

  private final byte[] adminToken;
  private final ServiceAccountTokens tokens;
  /** Whether a verified token's service account (and bound object) still exist as issued. */
  private final Predicate<ServiceAccountTokens.Subject> current;
  private final Authorizer authorizer;
  private final Auditor auditor;
  private final MaxInFlight inFlight;

  /** Admin token only, no policy beyond it (tests). */
  public AuthenticationFilter(String adminToken) {
    this(adminToken, null, s -> false, Authorizer.ALWAYS_ALLOW);
  }

  /** Without auditing and in-flight limits. */
  public AuthenticationFilter(String adminToken, ServiceAccountTokens tokens, Predicate<ServiceAccountTokens.Subject> current,
      Authorizer authorizer) {
    this(adminToken, tokens, current, authorizer, Auditor.DISABLED, new MaxInFlight(0, 0, new SimpleMeterRegistry()));
  }

  /** @param auditor what the audit policy logs of each request; @param inFlight the in-flight limits */
  public AuthenticationFilter(String adminToken, ServiceAccountTokens tokens, Predicate<ServiceAccountTokens.Subject> current,
      Authorizer authorizer, Auditor auditor, MaxInFlight inFlight) {
    this.auditor = auditor;
    this.inFlight = inFlight;
    this.adminToken = adminToken.getBytes(StandardCharsets.UTF_8);
    this.tokens = tokens;
    this.current = current;
    this.authorizer = authorizer;
  }

  @Override
  protected void doFilterInternal(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
      throws ServletException, IOException {
    String path = req.getRequestURI();
    // from the query string itself: getParameter would parse (consume) a form-encoded POST body,
    // which the pod and Service proxy must pass on untouched
    Map<String, List<String>> query = QueryParameters.parse(req.getQueryString());
    Authorizer.Attributes a = RequestAttributes.of(req.getMethod(), path, QueryParameters.first(query, "watch"),
        QueryParameters.first(query, "fieldSelector"));
    boolean open = PUBLIC.contains(path) || path.startsWith("/healthz/") || path.startsWith("/readyz/") || path.startsWith("/livez/");
    UserInfo user = open ? ANONYMOUS : ClientCertificates.user(req);
    if (user == null) user = authenticate(req.getHeader("Authorization"));
    AuditedRequest audit = auditor.begin(req, resp, user, a, MaxInFlight.longRunning(a));
    MaxInFlight.Slot slot = null;
    boolean panicked = false;
    try {
      if (user == null) throw StatusException.unauthorized();
      if (!open) {
        if (Impersonation.requested(req)) {
          user = Impersonation.as(req, user, authorizer);
          audit.impersonating(user);
        }
        req.setAttribute(UserInfo.ATTRIBUTE, user);
        // kube's order: the in-flight limit after impersonation (the user it exempts), before authorization
        slot = inFlight.admit(user, a);
        if (!RbacAuthorizer.superuser(user)) authorize(user, a, audit);
        else audit.authorized(true, "");
      }
      chain.doFilter(audit.request(req), audit.response(resp));
    } catch (StatusException e) {
      audit.answered(e);
      Responses.status(resp, e);
    } catch (RuntimeException | Error e) {
      panicked = true;
      audit.panic(e);
      throw e;
    } finally {
      if (!panicked) audit.complete(resp); // a client gone mid-watch (IOException) still completes its request
      if (slot != null) slot.close();
    }
  }

  /** The caller a bearer token speaks for, or null. */
  private UserInfo authenticate(String h) {
    if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) return null;
    String token = h.substring(7).trim();
    if (MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), adminToken)) return UserInfo.ADMIN;
    if (tokens == null) return null;
    ServiceAccountTokens.Subject sa = tokens.verify(token, Instant.now());
    return sa != null && current.test(sa) ? sa.user() : null;
  }

  private void authorize(UserInfo user, Authorizer.Attributes a, AuditedRequest audit) {
    Authorizer.Decision d = authorizer.authorize(user, a);
    audit.authorized(d.allowed(), d.reason());
    if (!d.allowed()) throw forbidden(user, a, d.reason());
  }

  /** kube's 403 for a denied request: the message names the user, verb, resource and scope. */
  static StatusException forbidden(UserInfo user, Authorizer.Attributes a, String reason) {
    String message = RequestAttributes.forbiddenMessage(user.username(), a, reason);
    return new StatusException(403, "Forbidden", message, a.resourceRequest() ? a.resource() : null,
        a.resourceRequest() ? a.group() : null, a.name() == null || a.name().isEmpty() ? null : a.name(), null, null);
  }

  /** Whether a bearer token (e.g. from gRPC metadata) is the admin token: the NodeService takes only that. */
  public boolean accepts(String token) {
    return token != null && MessageDigest.isEqual(token.trim().getBytes(StandardCharsets.UTF_8), adminToken);
  }
}
