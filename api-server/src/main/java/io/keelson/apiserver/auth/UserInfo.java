package io.keelson.apiserver.auth;

import jakarta.servlet.http.HttpServletRequest;
import java.util.List;

/**
 * Who a request comes from, as authentication established it (Kubernetes' user.Info): what
 * {@code kubectl auth whoami} prints and what authorization decides on.
 */
public record UserInfo(String username, String uid, List<String> groups) {

  /** The request attribute {@link AuthenticationFilter} leaves the caller's identity in. */
  static final String ATTRIBUTE = UserInfo.class.getName();

  /**
   * The holder of the admin token ({@code DIR/kubeconfig}'s user): a cluster administrator, as
   * Kubernetes' admin credentials are members of {@code system:masters}.
   */
  public static final UserInfo ADMIN = new UserInfo("keelson-admin", "", List.of("system:masters", "system:authenticated"));

  /** The identity authentication attached to {@code req}. */
  public static UserInfo of(HttpServletRequest req) {
    return req.getAttribute(ATTRIBUTE) instanceof UserInfo u ? u : ADMIN;
  }
}
