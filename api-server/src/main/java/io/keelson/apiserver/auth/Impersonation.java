package io.keelson.apiserver.auth;

import io.keelson.apiserver.status.StatusException;
import jakarta.servlet.http.HttpServletRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Acting as another user ({@code kubectl --as=USER --as-group=G --as-uid=U}), as kube's impersonation
 * filter does: each requested name, group, uid and extra must be allowed to the caller by the
 * {@code impersonate} verb (on users, groups, serviceaccounts in their namespace, and
 * authentication.k8s.io uids and userextras/KEY), and the impersonated user is authenticated.
 */
final class Impersonation {

  static final String USER = "Impersonate-User";
  static final String GROUP = "Impersonate-Group";
  static final String UID = "Impersonate-Uid";
  static final String EXTRA = "impersonate-extra-";
  private static final String SA_PREFIX = "system:serviceaccount:";

  private Impersonation() {}

  /**
   * Whether {@code req} asks to act as someone else: three header lookups on every request, and no
   * scan of all headers (extras are read only along with a user, the only way they mean anything).
   */
  static boolean requested(HttpServletRequest req) {
    return req.getHeader(USER) != null || req.getHeader(GROUP) != null || req.getHeader(UID) != null;
  }

  /**
   * The user {@code actor} acts as.
   *
   * @throws StatusException 403 when the actor may not impersonate one of them, 400 for groups, a uid
   *     or extras without a user
   */
  static UserInfo as(HttpServletRequest req, UserInfo actor, Authorizer authorizer) {
    String username = req.getHeader(USER);
    List<String> groups = Collections.list(req.getHeaders(GROUP));
    String uid = req.getHeader(UID);
    if (username == null || username.isEmpty()) {
      throw StatusException.badRequest("requested impersonation of groups " + groups + ", a uid or extras without impersonating a user:"
          + " set " + USER);
    }
    List<String> implied = List.of();
    if (username.startsWith(SA_PREFIX) && username.substring(SA_PREFIX.length()).contains(":")) {
      String rest = username.substring(SA_PREFIX.length());
      String ns = rest.substring(0, rest.indexOf(':'));
      check(actor, authorizer, new Authorizer.Attributes("impersonate", "", "serviceaccounts", "", ns, rest.substring(rest.indexOf(':') + 1), null));
      // a service account's groups follow from its name: only groups asked for need the verb
      implied = List.of("system:serviceaccounts", "system:serviceaccounts:" + ns);
    } else {
      check(actor, authorizer, new Authorizer.Attributes("impersonate", "", "users", "", "", username, null));
    }
    for (String g : groups) check(actor, authorizer, new Authorizer.Attributes("impersonate", "", "groups", "", "", g, null));
    if (groups.isEmpty()) groups = new ArrayList<>(implied);
    for (String h : Collections.list(req.getHeaderNames())) {
      if (!h.toLowerCase(Locale.ROOT).startsWith(EXTRA)) continue;
      String key = h.substring(EXTRA.length()).toLowerCase(Locale.ROOT);
      for (String v : Collections.list(req.getHeaders(h))) {
        check(actor, authorizer, new Authorizer.Attributes("impersonate", "authentication.k8s.io", "userextras", key, "", v, null));
      }
    }
    if (uid != null && !uid.isEmpty()) {
      check(actor, authorizer, new Authorizer.Attributes("impersonate", "authentication.k8s.io", "uids", "", "", uid, null));
    }
    List<String> all = new ArrayList<>(groups);
    if (!username.equals("system:anonymous") && !all.contains("system:authenticated") && !all.contains("system:unauthenticated")) {
      all.add("system:authenticated");
    }
    return new UserInfo(username, uid == null ? "" : uid, List.copyOf(all));
  }

  private static void check(UserInfo actor, Authorizer authorizer, Authorizer.Attributes a) {
    Authorizer.Decision d = authorizer.authorize(actor, a);
    if (!d.allowed()) throw AuthenticationFilter.forbidden(actor, a, d.reason());
  }
}
