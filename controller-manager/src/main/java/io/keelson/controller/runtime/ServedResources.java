package io.keelson.controller.runtime;

import io.fabric8.kubernetes.api.model.APIGroup;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscovery;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kinds the api-server serves, from discovery (preferred version of each group), for the
 * controllers that work over every kind: the garbage collector and the namespace controller.
 */
public final class ServedResources {
  private static final Logger log = LoggerFactory.getLogger(ServedResources.class);

  /** A served resource and the verbs it supports. */
  public record Served(ResourceDefinitionContext context, List<String> verbs) {
    public String apiVersion() {
      String g = context.getGroup();
      return g == null || g.isEmpty() ? context.getVersion() : g + "/" + context.getVersion();
    }

    public boolean supports(String... vs) {
      for (String v : vs) if (!verbs.contains(v)) return false;
      return true;
    }

    public boolean namespaced() {
      return Boolean.TRUE.equals(context.isNamespaceScoped());
    }
  }

  private final Map<String, Served> byApiVersionKind = new LinkedHashMap<>();

  private ServedResources(List<Served> all) {
    for (Served s : all) byApiVersionKind.putIfAbsent(s.apiVersion() + "/" + s.context().getKind(), s);
  }

  public List<Served> all() {
    return new ArrayList<>(byApiVersionKind.values());
  }

  /** The resource for an ownerReference's apiVersion and kind (null if not served). */
  public Served forKind(String apiVersion, String kind) {
    Served s = byApiVersionKind.get(apiVersion + "/" + kind);
    if (s != null) return s;
    // An owner recorded under another version of the same group is still the same object.
    String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
    for (Served x : byApiVersionKind.values()) {
      String g = x.context().getGroup() == null ? "" : x.context().getGroup();
      if (g.equals(group) && x.context().getKind().equals(kind)) return x;
    }
    return null;
  }

  public static ServedResources discover(KubernetesClient client) {
    List<Served> out = new ArrayList<>();
    try {
      add(out, "", "v1", client.getApiResources("v1"));
      for (APIGroup g : client.getApiGroups().getGroups()) {
        GroupVersionForDiscovery pv = g.getPreferredVersion() != null ? g.getPreferredVersion() : g.getVersions().get(0);
        try {
          add(out, g.getName(), pv.getVersion(), client.getApiResources(pv.getGroupVersion()));
        } catch (RuntimeException e) {
          log.warn("discovery of {} failed: {}", pv.getGroupVersion(), e.toString());
        }
      }
    } catch (RuntimeException e) {
      log.warn("discovery failed ({}); using the built-in list of kinds", e.toString());
    }
    if (out.stream().noneMatch(s -> s.context().getKind().equals("Pod"))) out.addAll(builtIn());
    return new ServedResources(out);
  }

  private static void add(List<Served> out, String group, String version, APIResourceList list) {
    if (list == null || list.getResources() == null) return;
    for (APIResource r : list.getResources()) {
      if (r.getName().contains("/")) continue; // subresource
      out.add(
          new Served(
              new ResourceDefinitionContext.Builder()
                  .withGroup(group)
                  .withVersion(version)
                  .withPlural(r.getName())
                  .withKind(r.getKind())
                  .withNamespaced(Boolean.TRUE.equals(r.getNamespaced()))
                  .build(),
              r.getVerbs() == null ? List.of() : r.getVerbs()));
    }
  }

  private static List<Served> builtIn() {
    List<String> all = List.of("create", "delete", "get", "list", "patch", "update", "watch");
    List<Served> out = new ArrayList<>();
    String[][] kinds = {
      {"", "v1", "pods", "Pod", "true"},
      {"", "v1", "configmaps", "ConfigMap", "true"},
      {"", "v1", "secrets", "Secret", "true"},
      {"", "v1", "services", "Service", "true"},
      {"", "v1", "serviceaccounts", "ServiceAccount", "true"},
      {"", "v1", "nodes", "Node", "false"},
      {"", "v1", "namespaces", "Namespace", "false"},
      {"apps", "v1", "deployments", "Deployment", "true"},
      {"apps", "v1", "replicasets", "ReplicaSet", "true"},
      {"apps", "v1", "daemonsets", "DaemonSet", "true"},
      {"coordination.k8s.io", "v1", "leases", "Lease", "true"},
    };
    for (String[] k : kinds) {
      out.add(
          new Served(
              new ResourceDefinitionContext.Builder()
                  .withGroup(k[0])
                  .withVersion(k[1])
                  .withPlural(k[2])
                  .withKind(k[3])
                  .withNamespaced(Boolean.parseBoolean(k[4]))
                  .build(),
              all));
    }
    return out;
  }
}
