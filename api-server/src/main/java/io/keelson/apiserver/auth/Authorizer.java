package io.keelson.apiserver.auth;

import java.util.List;

/**
 * Decides what a user may do (kube's authorizer.Authorizer). The api-server's implementation is
 * RBAC ({@link io.keelson.apiserver.auth.rbac.RbacAuthorizer}), asked by the request pipeline right
 * after authentication, by impersonation, by the escalation checks of RBAC writes and by the review
 * APIs ({@code kubectl auth can-i}).
 */
public interface Authorizer {

  /** An allowed or not-allowed answer, with the reason a policy gives (kube's authorizer.Decision). */
  record Decision(boolean allowed, String reason) {}

  /**
   * What the user asks to do: a resource request (resource non-null) or a non-resource URL (path
   * non-null), as kube's authorizer.Attributes; namespace "" or null at the cluster scope.
   */
  record Attributes(String verb, String group, String resource, String subresource, String namespace, String name, String path) {

    public boolean resourceRequest() {
      return resource != null;
    }
  }

  /**
   * A rule of what a user may do (kube's PolicyRule): resource rules have apiGroups and resources
   * (and maybe resourceNames), non-resource rules nonResourceURLs; "*" matches anything.
   */
  record Rule(List<String> verbs, List<String> apiGroups, List<String> resources, List<String> resourceNames,
      List<String> nonResourceURLs) {

    public Rule {
      verbs = verbs == null ? List.of() : List.copyOf(verbs);
      apiGroups = apiGroups == null ? List.of() : List.copyOf(apiGroups);
      resources = resources == null ? List.of() : List.copyOf(resources);
      resourceNames = resourceNames == null ? List.of() : List.copyOf(resourceNames);
      nonResourceURLs = nonResourceURLs == null ? List.of() : List.copyOf(nonResourceURLs);
    }

    public static Rule resources(List<String> verbs, List<String> apiGroups, List<String> resources) {
      return new Rule(verbs, apiGroups, resources, null, null);
    }

    public static Rule nonResource(List<String> verbs, List<String> urls) {
      return new Rule(verbs, null, null, null, urls);
    }

    public boolean isNonResource() {
      return !nonResourceURLs.isEmpty();
    }
  }

  Decision authorize(UserInfo user, Attributes request);

  /** Everything the user may do in {@code namespace} (cluster-wide rules included). */
  List<Rule> rulesFor(UserInfo user, String namespace);

  /** Kube's AlwaysAllow mode: every request of an authenticated user is allowed (tests only). */
  Authorizer ALWAYS_ALLOW = new Authorizer() {
    @Override
    public Decision authorize(UserInfo user, Attributes request) {
      return new Decision(true, "");
    }

    @Override
    public List<Rule> rulesFor(UserInfo user, String namespace) {
      return List.of(Rule.resources(List.of("*"), List.of("*"), List.of("*")), Rule.nonResource(List.of("*"), List.of("*")));
    }
  };
}
