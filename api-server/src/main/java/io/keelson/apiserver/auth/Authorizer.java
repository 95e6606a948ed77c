package io.keelson.apiserver.auth;

import java.util.List;

/**
 * Decides what a user may do. Keelson has no authorization policy yet (RBAC is on the roadmap):
 * every authenticated caller may do everything, which {@link #ALWAYS_ALLOW} says in the answers of
 * the self-review APIs ({@code kubectl auth can-i}). RBAC will be another implementation, asked by
 * the same reviews and by the request pipeline next to authentication.
 */
public interface Authorizer {

  /** An allowed or not-allowed answer, with the reason a policy gives (kube's authorizer.Decision). */
  record Decision(boolean allowed, String reason) {}

  /** What the user asks to do: a resource request or a non-resource URL (kube's authorizer.Attributes). */
  record Attributes(String verb, String group, String resource, String subresource, String namespace, String name, String path) {}

  /** A rule of what a user may do (kube's ResourceRule / NonResourceRule: "*" for any). */
  record Rule(List<String> verbs, List<String> apiGroups, List<String> resources, List<String> nonResourceURLs) {}

  Decision authorize(UserInfo user, Attributes request);

  /** Everything the user may do in {@code namespace}. */
  List<Rule> rulesFor(UserInfo user, String namespace);

  /** Kube's AlwaysAllow mode: every request of an authenticated user is allowed. */
  Authorizer ALWAYS_ALLOW = new Authorizer() {
    @Override
    public Decision authorize(UserInfo user, Attributes request) {
      return new Decision(true, "");
    }

    @Override
    public List<Rule> rulesFor(UserInfo user, String namespace) {
      return List.of(new Rule(List.of("*"), List.of("*"), List.of("*"), null), new Rule(List.of("*"), null, null, List.of("*")));
    }
  };
}
