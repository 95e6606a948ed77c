package io.keelson.apiserver.auth.rbac;

import io.keelson.apiserver.storage.ObjectCodec;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The ClusterRoles and ClusterRoleBindings every cluster starts with, as kube's
 * plugin/pkg/auth/authorizer/rbac/bootstrappolicy defines them, limited to the resources Keelson
 * serves: cluster-admin for system:masters; the user-facing admin, edit and view roles, aggregated
 * from the system:aggregate-to-* roles by label; discovery, basic-user (the self reviews) and the
 * public info every authenticated user may read.
 */
public final class BootstrapPolicy {

  public static final String AUTOUPDATE = "rbac.authorization.kubernetes.io/autoupdate";
  public static final String AGGREGATE_TO = "rbac.authorization.k8s.io/aggregate-to-";
  private static final List<String> READ = List.of("get", "list", "watch");
  private static final List<String> WRITE = List.of("create", "delete", "deletecollection", "patch", "update");
  private static final List<String> READ_WRITE = List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

  private BootstrapPolicy() {}

  public static List<ObjectNode> clusterRoles() {
    List<ObjectNode> roles = new ArrayList<>();
    roles.add(role("cluster-admin", null, rule(List.of("*"), List.of("*"), List.of("*")), urls(List.of("*"), List.of("*"))));
    roles.add(aggregated("admin", "admin", null));
    roles.add(aggregated("edit", "edit", "admin"));
    roles.add(aggregated("view", "view", "edit"));
    roles.add(role("system:aggregate-to-admin", "admin",
        rule(List.of("create"), List.of("authorization.k8s.io"), List.of("localsubjectaccessreviews")),
        rule(READ_WRITE, List.of(CachedPolicy.GROUP), List.of("rolebindings", "roles"))));
    roles.add(role("system:aggregate-to-edit", "edit",
        rule(READ, List.of(""), List.of("pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy")),
        rule(List.of("impersonate"), List.of(""), List.of("serviceaccounts")),
        rule(WRITE, List.of(""), List.of("pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy")),
        rule(List.of("create"), List.of(""), List.of("pods/eviction")),
        rule(WRITE, List.of(""), List.of("configmaps", "events", "persistentvolumeclaims", "secrets", "serviceaccounts", "services",
            "services/proxy")),
        rule(List.of("create"), List.of(""), List.of("serviceaccounts/token")),
        rule(WRITE, List.of("apps"), List.of("daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
            "replicasets/scale", "statefulsets", "statefulsets/scale")),
        rule(WRITE, List.of("autoscaling"), List.of("horizontalpodautoscalers")),
        rule(WRITE, List.of("batch"), List.of("cronjobs", "jobs")),
        rule(WRITE, List.of("networking.k8s.io"), List.of("ingresses", "networkpolicies")),
        rule(WRITE, List.of("vm.keelson.io"), List.of("virtualmachines")),
        rule(WRITE, List.of("policy"), List.of("poddisruptionbudgets"))));
    roles.add(role("system:aggregate-to-view", "view",
        rule(READ, List.of(""), List.of("configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
            "serviceaccounts", "services", "services/status")),
        rule(READ, List.of(""), List.of("events", "namespaces/status", "pods/log", "pods/status")),
        rule(READ, List.of(""), List.of("namespaces")),
        rule(READ, List.of("discovery.k8s.io"), List.of("endpointslices")),
        rule(READ, List.of("apps"), List.of("controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
            "deployments/status", "replicasets", "replicasets/scale", "replicasets/status",
            "statefulsets", "statefulsets/scale", "statefulsets/status")),
        rule(READ, List.of("autoscaling"), List.of("horizontalpodautoscalers", "horizontalpodautoscalers/status")),
        rule(READ, List.of("batch"), List.of("cronjobs", "cronjobs/status", "jobs", "jobs/status")),
        rule(READ, List.of("networking.k8s.io"), List.of("ingresses", "ingresses/status", "networkpolicies")),
        rule(READ, List.of("vm.keelson.io"), List.of("virtualmachines", "virtualmachines/status")),
        rule(READ, List.of("policy"), List.of("poddisruptionbudgets", "poddisruptionbudgets/status"))));
    roles.add(role("system:discovery", null, urls(List.of("get"), List.of("/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez",
        "/openapi", "/openapi/*", "/readyz", "/version", "/version/"))));
    roles.add(role("system:basic-user", null,
        rule(List.of("create"), List.of("authentication.k8s.io"), List.of("selfsubjectreviews")),
        rule(List.of("create"), List.of("authorization.k8s.io"), List.of("selfsubjectaccessreviews", "selfsubjectrulesreviews"))));
    roles.add(role("system:public-info-viewer", null,
        urls(List.of("get"), List.of("/healthz", "/livez", "/readyz", "/version", "/version/"))));
    return roles;
  }

  public static List<ObjectNode> clusterRoleBindings() {
    return List.of(
        binding("cluster-admin", "cluster-admin", "system:masters"),
        binding("system:discovery", "system:discovery", "system:authenticated"),
        binding("system:basic-user", "system:basic-user", "system:authenticated"),
        binding("system:public-info-viewer", "system:public-info-viewer", "system:authenticated", "system:unauthenticated"));
  }

  private static ObjectNode object(String kind, String name) {
    ObjectNode o = ObjectCodec.JSON.createObjectNode();
    o.put("apiVersion", CachedPolicy.GROUP + "/v1");
    o.put("kind", kind);
    ObjectNode md = o.putObject("metadata");
    md.put("name", name);
    md.putObject("labels").put("kubernetes.io/bootstrapping", "rbac-defaults");
    md.putObject("annotations").put(AUTOUPDATE, "true");
    return o;
  }

  /** A ClusterRole; {@code aggregateTo} labels it for aggregation into admin, edit or view. */
  private static ObjectNode role(String name, String aggregateTo, ObjectNode... rules) {
    ObjectNode o = object("ClusterRole", name);
    if (aggregateTo != null) ((ObjectNode) o.path("metadata").path("labels")).put(AGGREGATE_TO + aggregateTo, "true");
    ArrayNode r = o.putArray("rules");
    for (ObjectNode rule : rules) r.add(rule);
    return o;
  }

  /** A ClusterRole whose rules the clusterrole-aggregation controller gathers from the roles labelled aggregate-to-{@code name}. */
  private static ObjectNode aggregated(String name, String from, String aggregateTo) {
    ObjectNode o = role(name, aggregateTo);
    o.putObject("aggregationRule").putArray("clusterRoleSelectors").addObject().putObject("matchLabels").put(AGGREGATE_TO + from, "true");
    return o;
  }

  private static ObjectNode rule(List<String> verbs, List<String> groups, List<String> resources) {
    ObjectNode r = ObjectCodec.JSON.createObjectNode();
    strings(r.putArray("verbs"), verbs);
    strings(r.putArray("apiGroups"), groups);
    strings(r.putArray("resources"), resources);
    return r;
  }

  private static ObjectNode urls(List<String> verbs, List<String> urls) {
    ObjectNode r = ObjectCodec.JSON.createObjectNode();
    strings(r.putArray("verbs"), verbs);
    strings(r.putArray("nonResourceURLs"), urls);
    return r;
  }

  private static ObjectNode binding(String name, String role, String... groups) {
    ObjectNode o = object("ClusterRoleBinding", name);
    o.putObject("roleRef").put("apiGroup", CachedPolicy.GROUP).put("kind", "ClusterRole").put("name", role);
    ArrayNode subjects = o.putArray("subjects");
    for (String g : groups) subjects.addObject().put("apiGroup", CachedPolicy.GROUP).put("kind", "Group").put("name", g);
    return o;
  }

  private static void strings(ArrayNode into, List<String> values) {
    values.forEach(into::add);
  }
}
