package io.keelson.cli.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.JsonNode;

/**
 * Turns what users type ({@code po}, {@code deploy}, {@code deployment.apps}, {@code Deployment})
 * into a {@link ResourceKind}. Well-known kinds come from a built-in table so common commands need
 * no discovery round trips; anything else is looked up in the server's discovery documents.
 */
public final class KindResolver {
  private record Known(ResourceKind kind, List<String> names) {}

  private static final List<Known> BUILTIN = new ArrayList<>();

  static {
    core("pods", "Pod", true, "po", "pod");
    core("nodes", "Node", false, "no", "node");
    core("namespaces", "Namespace", false, "ns", "namespace");
    core("services", "Service", true, "svc", "service");
    core("events", "Event", true, "ev", "event");
    core("configmaps", "ConfigMap", true, "cm", "configmap");
    core("secrets", "Secret", true, "secret");
    core("serviceaccounts", "ServiceAccount", true, "sa", "serviceaccount");
    core("endpoints", "Endpoints", true, "ep");
    core("persistentvolumeclaims", "PersistentVolumeClaim", true, "pvc", "persistentvolumeclaim");
    core("persistentvolumes", "PersistentVolume", false, "pv", "persistentvolume");
    core("replicationcontrollers", "ReplicationController", true, "rc", "replicationcontroller");
    core("resourcequotas", "ResourceQuota", true, "quota", "resourcequota");
    core("limitranges", "LimitRange", true, "limits", "limitrange");
    add("apps", "v1", "deployments", "Deployment", true, "deploy", "deployment");
    add("apps", "v1", "replicasets", "ReplicaSet", true, "rs", "replicaset");
    add("apps", "v1", "daemonsets", "DaemonSet", true, "ds", "daemonset");
    add("apps", "v1", "statefulsets", "StatefulSet", true, "sts", "statefulset");
    add("apps", "v1", "controllerrevisions", "ControllerRevision", true, "controllerrevision");
    add("batch", "v1", "jobs", "Job", true, "job");
    add("batch", "v1", "cronjobs", "CronJob", true, "cj", "cronjob");
    add("coordination.k8s.io", "v1", "leases", "Lease", true, "lease");
    add("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", false, "runtimeclass");
    add("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, "pdb", "poddisruptionbudget");
    add("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, "endpointslice");
    add("rbac.authorization.k8s.io", "v1", "roles", "Role", true, "role");
    add("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, "rolebinding");
    add("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, "clusterrole");
    add("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, "clusterrolebinding");
    add("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false, "pc", "priorityclass");
    add("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, "hpa", "horizontalpodautoscaler");
    add("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, "pdb", "poddisruptionbudget");
    add("networking.k8s.io", "v1", "ingresses", "Ingress", true, "ing", "ingress");
    add("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, "netpol", "networkpolicy");
    add("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, "crd", "crds", "customresourcedefinition");
  }

  private static void core(String plural, String kind, boolean namespaced, String... names) {
    add("", "v1", plural, kind, namespaced, names);
  }

  private static void add(String g, String v, String plural, String kind, boolean ns, String... names) {
    List<String> all = new ArrayList<>(List.of(names));
    all.add(plural);
    all.add(kind.toLowerCase(Locale.ROOT));
    BUILTIN.add(new Known(new ResourceKind(g, v, plural, kind, ns), all));
  }

  private final Cluster cluster;
  private List<ResourceKind> discovered;

  KindResolver(Cluster cluster) {
    this.cluster = cluster;
  }

  /** Resolves a user-typed type: {@code pods}, {@code po}, {@code deployment.apps}, {@code deployments.v1.apps}. */
  public ResourceKind resolve(String typed) {
    String t = typed.toLowerCase(Locale.ROOT);
    String name = t;
    String group = null;
    int dot = t.indexOf('.');
    if (dot > 0) {
      name = t.substring(0, dot);
      group = t.substring(dot + 1);
      // "deployments.v1.apps" -> group apps
      int dot2 = group.indexOf('.');
      if (dot2 > 0 && group.substring(0, dot2).matches("v\\d+.*")) {
        group = group.substring(dot2 + 1);
      }
    }
    for (Known k : BUILTIN) {
      if (k.names().contains(name) && (group == null || group.equals(k.kind().group()))) {
        return k.kind();
      }
    }
    for (ResourceKind k : discovered()) {
      boolean nameMatch =
          k.plural().equals(name) || k.kind().toLowerCase(Locale.ROOT).equals(name);
      if (nameMatch && (group == null || group.equals(k.group()))) {
        return k;
      }
    }
    throw new IllegalArgumentException("the server doesn't have a resource type \"" + typed + "\"");
  }

  /** Resolves a manifest's apiVersion + kind. */
  public ResourceKind resolve(String apiVersion, String kind) {
    String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
    String version = apiVersion.contains("/") ? apiVersion.substring(apiVersion.indexOf('/') + 1) : apiVersion;
    for (Known k : BUILTIN) {
      ResourceKind r = k.kind();
      if (r.kind().equals(kind) && r.group().equals(group)) {
        return new ResourceKind(group, version, r.plural(), kind, r.namespaced());
      }
    }
    for (ResourceKind r : discovered()) {
      if (r.kind().equals(kind) && r.group().equals(group) && r.version().equals(version)) {
        return r;
      }
    }
    throw new IllegalArgumentException(
        "resource mapping not found for kind \"" + kind + "\" in version \"" + apiVersion + "\"");
  }

  /** Every served kind, from /api/v1 and each group's preferred version. */
  public synchronized List<ResourceKind> discovered() {
    if (discovered != null) {
      return discovered;
    }
    List<ResourceKind> out = new ArrayList<>();
    collect(out, "", "v1", "/api/v1");
    JsonNode groups = cluster.find("/apis");
    if (groups != null) {
      for (JsonNode g : groups.path("groups")) {
        String name = g.path("name").asString("");
        String gv = g.path("preferredVersion").path("groupVersion").asString("");
        if (gv.isEmpty() && g.path("versions").size() > 0) {
          gv = g.path("versions").get(0).path("groupVersion").asString("");
        }
        if (!gv.isEmpty()) {
          collect(out, name, gv.substring(gv.indexOf('/') + 1), "/apis/" + gv);
        }
      }
    }
    discovered = out;
    return out;
  }

  private void collect(List<ResourceKind> out, String group, String version, String path) {
    JsonNode list;
    try {
      list = cluster.find(path);
    } catch (ApiException e) {
      return;
    }
    if (list == null) {
      return;
    }
    for (JsonNode r : list.path("resources")) {
      String plural = r.path("name").asString("");
      if (plural.contains("/")) {
        continue; // subresource
      }
      out.add(new ResourceKind(group, version, plural, r.path("kind").asString(""), r.path("namespaced").asBoolean(false)));
    }
  }
}
