package io.keelson.apiserver.admission;

import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Defaults and validation of the rbac.authorization.k8s.io/v1 kinds, as kube's
 * pkg/apis/rbac/v1/defaults.go and pkg/apis/rbac/validation say: rules need verbs and either
 * resources (with API groups) or non-resource URLs (cluster roles only); a binding's roleRef names a
 * Role or ClusterRole of this group and never changes; subjects are Users, Groups or ServiceAccounts.
 */
final class RbacObjects {

  static final String GROUP = "rbac.authorization.k8s.io";

  private RbacObjects() {}

  /** SetDefaults_Subject and the roleRef's group: what {@code kubectl create rolebinding} leaves out. */
  static void defaultBinding(ObjectNode binding) {
    if (binding.get("roleRef") instanceof ObjectNode ref && ref.path("apiGroup").asString("").isEmpty()) {
      ref.put("apiGroup", GROUP);
    }
    for (JsonNode s : binding.path("subjects")) {
      if (!(s instanceof ObjectNode subject) || !subject.path("apiGroup").asString("").isEmpty()) continue;
      String kind = subject.path("kind").asString("");
      if (kind.equals("User") || kind.equals("Group")) subject.put("apiGroup", GROUP);
    }
  }

  /** Role ({@code namespaced}) or ClusterRole. */
  static void role(ObjectNode role, boolean namespaced, FieldErrors errs) {
    int i = 0;
    for (JsonNode rule : role.path("rules")) rule(rule, namespaced, "rules[" + i++ + "]", errs);
    JsonNode aggregation = role.path("aggregationRule");
    if (!namespaced && aggregation.isObject() && aggregation.path("clusterRoleSelectors").isEmpty()) {
      errs.required("aggregationRule.clusterRoleSelectors", "at least one clusterRoleSelector required if aggregationRule is non-nil");
    }
  }

  private static void rule(JsonNode rule, boolean namespaced, String path, FieldErrors errs) {
    if (rule.path("verbs").isEmpty()) errs.required(path + ".verbs", "verbs must contain at least one value");
    JsonNode urls = rule.path("nonResourceURLs");
    if (!urls.isEmpty()) {
      if (namespaced) errs.invalid(path + ".nonResourceURLs", goList(urls), "namespaced rules cannot apply to non-resource URLs");
      if (!rule.path("apiGroups").isEmpty() || !rule.path("resources").isEmpty() || !rule.path("resourceNames").isEmpty()) {
        errs.invalid(path + ".nonResourceURLs", goList(urls), "rules cannot apply to both regular resources and non-resource URLs");
      }
      return;
    }
    if (rule.path("apiGroups").isEmpty()) errs.required(path + ".apiGroups", "resource rules must supply at least one api group");
    if (rule.path("resources").isEmpty()) errs.required(path + ".resources", "resource rules must supply at least one resource");
  }

  /** RoleBinding ({@code namespaced}) or ClusterRoleBinding, and on update the roleRef that may not change. */
  static void binding(ObjectNode binding, ObjectNode old, boolean namespaced, FieldErrors errs) {
    JsonNode ref = binding.path("roleRef");
    String apiGroup = ref.path("apiGroup").asString("");
    if (!apiGroup.equals(GROUP)) errs.notSupported("roleRef.apiGroup", apiGroup, List.of(GROUP));
    String kind = ref.path("kind").asString("");
    List<String> kinds = namespaced ? List.of("Role", "ClusterRole") : List.of("ClusterRole");
    if (!kinds.contains(kind)) errs.notSupported("roleRef.kind", kind, kinds);
    String name = ref.path("name").asString("");
    if (name.isEmpty()) errs.required("roleRef.name");
    else for (String msg : pathSegmentName(name)) errs.invalid("roleRef.name", name, msg);
    int i = 0;
    for (JsonNode s : binding.path("subjects")) subject(s, namespaced, "subjects[" + i++ + "]", errs);
    if (old != null && !old.path("roleRef").equals(ref)) {
      errs.invalid("roleRef", goRoleRef(ref), "cannot change roleRef");
    }
  }

  private static void subject(JsonNode s, boolean namespaced, String path, FieldErrors errs) {
    String name = s.path("name").asString("");
    String apiGroup = s.path("apiGroup").asString("");
    if (name.isEmpty()) errs.required(path + ".name");
    switch (s.path("kind").asString("")) {
      case "ServiceAccount" -> {
        if (!name.isEmpty()) for (String msg : Names.dns1123Subdomain(name)) errs.invalid(path + ".name", name, msg);
        if (!apiGroup.isEmpty()) errs.notSupported(path + ".apiGroup", apiGroup, List.of(""));
        if (!namespaced && s.path("namespace").asString("").isEmpty()) errs.required(path + ".namespace");
      }
      case "User", "Group" -> {
        if (!apiGroup.equals(GROUP)) errs.notSupported(path + ".apiGroup", apiGroup, List.of(GROUP));
      }
      default -> errs.notSupported(path + ".kind", s.path("kind").asString(""), List.of("ServiceAccount", "User", "Group"));
    }
  }

  /** kube's ValidateRBACName (path.IsValidPathSegmentName): RBAC names may hold colons, e.g. system:basic-user. */
  static List<String> pathSegmentName(String name) {
    if (name.equals(".") || name.equals("..")) return List.of("may not be '" + name + "'");
    List<String> errs = new java.util.ArrayList<>();
    if (name.contains("/")) errs.add("may not contain '/'");
    if (name.contains("%")) errs.add("may not contain '%'");
    return errs;
  }

  /** A value printed as Go's %#v shows it: not quoted again by FieldErrors. */
  private record GoValue(String text) {
    @Override
    public String toString() {
      return text;
    }
  }

  /** A string list as Go's %#v prints a []string, which kube's messages show. */
  private static GoValue goList(JsonNode values) {
    StringBuilder sb = new StringBuilder("[]string{");
    int i = 0;
    for (JsonNode v : values) sb.append(i++ == 0 ? "" : ", ").append(FieldErrors.quote(v.asString("")));
    return new GoValue(sb.append('}').toString());
  }

  /** A RoleRef as Go's %#v prints it. */
  private static GoValue goRoleRef(JsonNode ref) {
    return new GoValue("rbac.RoleRef{APIGroup:" + FieldErrors.quote(ref.path("apiGroup").asString("")) + ", Kind:"
        + FieldErrors.quote(ref.path("kind").asString("")) + ", Name:" + FieldErrors.quote(ref.path("name").asString("")) + "}");
  }
}
