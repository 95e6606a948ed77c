package io.keelson.apiserver.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.keelson.apiserver.status.StatusException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

/** kube's impersonation rules: what each header asks the authorizer, and whom the request then speaks for. */
class ImpersonationTest {

  static final UserInfo ACTOR = new UserInfo("ops", "", List.of("system:authenticated"));

  /** Allows what is listed as "verb resource/name" (subresource as resource.sub), and records every question. */
  static final class Recording implements Authorizer {
    final List<String> asked = new ArrayList<>();
    final List<String> allowed;

    Recording(String... allowed) {
      this.allowed = List.of(allowed);
    }

    @Override
    public Decision authorize(UserInfo user, Attributes a) {
      String q = a.verb() + " " + a.group() + "/" + a.resource() + (a.subresource().isEmpty() ? "" : "." + a.subresource())
          + (a.namespace().isEmpty() ? "" : "@" + a.namespace()) + "/" + a.name();
      asked.add(q);
      return new Decision(allowed.contains(q), "");
    }

    @Override
    public List<Rule> rulesFor(UserInfo user, String namespace) {
      return List.of();
    }
  }

  static MockHttpServletRequest request(String... headers) {
    MockHttpServletRequest req = new MockHttpServletRequest("GET", "/api/v1/pods");
    for (int i = 0; i < headers.length; i += 2) req.addHeader(headers[i], headers[i + 1]);
    return req;
  }

  @Test
  void anImpersonatedUserIsAuthenticatedAndCarriesTheRequestedGroupsAndUid() {
    Recording rbac = new Recording("impersonate /users/jane", "impersonate /groups/devs", "impersonate authentication.k8s.io/uids/u-1",
        "impersonate authentication.k8s.io/userextras.scopes/view");
    MockHttpServletRequest req = request("Impersonate-User", "jane", "Impersonate-Group", "devs", "Impersonate-Uid", "u-1",
        "Impersonate-Extra-Scopes", "view");
    assertThat(Impersonation.requested(req)).isTrue();
    UserInfo jane = Impersonation.as(req, ACTOR, rbac);
    assertThat(jane).isEqualTo(new UserInfo("jane", "u-1", List.of("devs", "system:authenticated")));
    assertThat(rbac.asked).containsExactly("impersonate /users/jane", "impersonate /groups/devs",
        "impersonate authentication.k8s.io/userextras.scopes/view", "impersonate authentication.k8s.io/uids/u-1");
  }

  @Test
  void aServiceAccountIsImpersonatedInItsNamespaceWithItsGroups() {
    Recording rbac = new Recording("impersonate /serviceaccounts@apps/robot");
    UserInfo robot = Impersonation.as(request("Impersonate-User", "system:serviceaccount:apps:robot"), ACTOR, rbac);
    assertThat(robot.groups()).containsExactly("system:serviceaccounts", "system:serviceaccounts:apps", "system:authenticated");
  }

  @Test
  void refusalsAreKubesForbiddenAndGroupsNeedAUser() {
    StatusException denied = catchThrowableOfType(StatusException.class,
        () -> Impersonation.as(request("Impersonate-User", "jane"), ACTOR, new Recording()));
    assertThat(denied.code()).isEqualTo(403);
    assertThat(denied.getMessage()).isEqualTo(
        "users \"jane\" is forbidden: User \"ops\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope");
    StatusException group = catchThrowableOfType(StatusException.class,
        () -> Impersonation.as(request("Impersonate-User", "jane", "Impersonate-Group", "admins"), ACTOR,
            new Recording("impersonate /users/jane")));
    assertThat(group.getMessage()).startsWith("groups \"admins\" is forbidden: User \"ops\" cannot impersonate resource \"groups\"");
    StatusException noUser = catchThrowableOfType(StatusException.class,
        () -> Impersonation.as(request("Impersonate-Group", "devs"), ACTOR, new Recording()));
    assertThat(noUser.code()).isEqualTo(400);
    assertThat(Impersonation.requested(request("Authorization", "Bearer x"))).isFalse();
  }
}
