package io.keelson.apiserver.discovery;

import io.fabric8.kubernetes.client.utils.KubernetesVersionPriority;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds every discovery document kubectl reads (aggregated {@code APIGroupDiscoveryList}, legacy
 * {@code APIVersions}/{@code APIGroupList}/{@code APIGroup}/{@code APIResourceList}) from the
 * {@link ResourceRegistry}, so that adding a table entry there is all it takes to be discoverable.
 */
public final class ApiDiscovery {

  /** What a served subresource looks like to clients: the kind it accepts/returns and its verbs. */
  public record Subresource(String name, String group, String version, String kind, List<String> verbs) {}

  static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ApiDiscovery() {}

  // ---- per-resource facts derived from the registry ----

  /**
   * The verbs a resource supports. The registry has no verb column yet: every ordinary kind is fully
   * writable, review kinds are create-only, the metrics API and component statuses are read-only.
   */
  public static List<String> verbs(ResourceType t) {
    if (t.kind().endsWith("Review")) return List.of("create");
    if (t.group().equals("metrics.k8s.io") || t.resource().equals("componentstatuses")) return List.of("get", "list");
    return ResourceType.VERBS;
  }

  /** The subresources of a type in the order kubectl lists them, with their response kinds and verbs. */
  public static List<Subresource> subresources(ResourceType t) {
    List<Subresource> out = new ArrayList<>();
    // Deterministic order (Set.of has none): the order upstream discovery uses.
    for (String name : List.of("attach", "binding", "eviction", "exec", "finalize", "log", "portforward", "proxy",
        "scale", "status", "ephemeralcontainers", "resize")) {
      if (!t.hasSubresource(name)) continue;
      out.add(subresource(t, name));
    }
    for (String name : t.subresources()) {
      if (out.stream().noneMatch(s -> s.name().equals(name))) out.add(subresource(t, name));
    }
    return out;
  }

  static Subresource subresource(ResourceType t, String name) {
    return switch (name) {
      case "status", "ephemeralcontainers", "resize" ->
          new Subresource(name, t.group(), t.version(), t.kind(), List.of("get", "patch", "update"));
      case "scale" -> new Subresource(name, "autoscaling", "v1", "Scale", List.of("get", "patch", "update"));
      case "eviction" -> new Subresource(name, "policy", "v1", "Eviction", List.of("create"));
      case "binding" -> new Subresource(name, "", "v1", "Binding", List.of("create"));
      case "token" -> new Subresource(name, "authentication.k8s.io", "v1", "TokenRequest", List.of("create"));
      case "finalize" -> new Subresource(name, t.group(), t.version(), t.kind(), List.of("update"));
      case "log" -> new Subresource(name, t.group(), t.version(), t.kind(), List.of("get"));
      case "exec" -> new Subresource(name, "", "v1", "PodExecOptions", List.of("create", "get"));
      case "attach" -> new Subresource(name, "", "v1", "PodAttachOptions", List.of("create", "get"));
      case "portforward" -> new Subresource(name, "", "v1", "PodPortForwardOptions", List.of("create", "get"));
      case "proxy" -> new Subresource(name, "", "v1", t.kind() + "ProxyOptions",
          List.of("create", "delete", "get", "patch", "update"));
      default -> new Subresource(name, t.group(), t.version(), t.kind(), List.of("get"));
    };
  }

  /**
   * The storage version hash clients use to notice storage migrations: the first 8 bytes of
   * sha256("group/version/kind"), base64 — the same recipe Kubernetes uses.
   */
  public static String storageVersionHash(ResourceType t) {
    try {
      byte[] sum = MessageDigest.getInstance("SHA-256")
          .digest((t.group() + "/" + t.version() + "/" + t.kind()).getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(sum, 8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Groups (excluding core) in discovery order, each with its versions in preference order. */
  public static Map<String, List<String>> groups() {
    return groups(ResourceRegistry.all());
  }

  static Map<String, List<String>> groups(List<ResourceType> all) {
    Map<String, List<String>> groups = new LinkedHashMap<>();
    for (ResourceType t : all) {
      if (t.group().isEmpty()) continue;
      List<String> versions = groups.computeIfAbsent(t.group(), g -> new ArrayList<>());
      if (!versions.contains(t.version())) versions.add(t.version());
    }
    // kube's order, whatever order the versions were registered in (a CRD lists them as it likes):
    // GA before beta before alpha, higher first, so the preferred version is the first
    groups.replaceAll((g, versions) -> KubernetesVersionPriority.sortByPriority(versions, v -> v));
    return groups;
  }

  static List<ResourceType> resources(List<ResourceType> all, String group, String version) {
    return all.stream()
        .filter(t -> t.group().equals(group) && t.version().equals(version))
        .toList();
  }

  public static boolean servesGroupVersion(String group, String version) {
    return !resources(ResourceRegistry.all(), group, version).isEmpty();
  }

  // ---- aggregated discovery (apidiscovery.k8s.io v2 / v2beta1) ----

  /**
   * The {@code APIGroupDiscoveryList} for {@code /api} (core=true) or {@code /apis} (core=false).
   *
   * @param apiVersion "v2" or "v2beta1": same shape, only the apiVersion differs
   */
  public static ObjectNode aggregated(boolean core, String apiVersion) {
    return aggregated(ResourceRegistry.all(), core, apiVersion);
  }

  static ObjectNode aggregated(List<ResourceType> all, boolean core, String apiVersion) {
    ObjectNode list = NODES.objectNode();
    list.put("kind", "APIGroupDiscoveryList");
    list.put("apiVersion", "apidiscovery.k8s.io/" + apiVersion);
    list.putObject("metadata");
    ArrayNode items = list.putArray("items");
    if (core) {
      if (!resources(all, "", "v1").isEmpty()) items.add(aggregatedGroup(all, "", List.of("v1")));
    } else {
      groups(all).forEach((g, versions) -> items.add(aggregatedGroup(all, g, versions)));
    }
    return list;
  }

  private static ObjectNode aggregatedGroup(List<ResourceType> all, String group, List<String> versions) {
    ObjectNode g = NODES.objectNode();
    ObjectNode meta = g.putObject("metadata");
    if (!group.isEmpty()) meta.put("name", group);
    ArrayNode vs = g.putArray("versions");
    for (String v : versions) {
      ObjectNode vn = vs.addObject();
      vn.put("version", v);
      ArrayNode rs = vn.putArray("resources");
      for (ResourceType t : resources(all, group, v)) rs.add(aggregatedResource(t));
      vn.put("freshness", "Current");
    }
    return g;
  }

  private static ObjectNode aggregatedResource(ResourceType t) {
    ObjectNode r = NODES.objectNode();
    r.put("resource", t.resource());
    r.set("responseKind", gvk(t.group(), t.version(), t.kind()));
    r.put("scope", t.namespaced() ? "Namespaced" : "Cluster");
    r.put("singularResource", t.singular());
    strings(r.putArray("verbs"), verbs(t));
    if (!t.shortNames().isEmpty()) strings(r.putArray("shortNames"), t.shortNames());
    if (!t.categories().isEmpty()) strings(r.putArray("categories"), t.categories());
    List<Subresource> subs = subresources(t);
    if (!subs.isEmpty()) {
      ArrayNode sa = r.putArray("subresources");
      for (Subresource s : subs) {
        ObjectNode sn = sa.addObject();
        sn.put("subresource", s.name());
        sn.set("responseKind", gvk(s.group(), s.version(), s.kind()));
        strings(sn.putArray("verbs"), s.verbs());
      }
    }
    return r;
  }

  // ---- legacy discovery ----

  /** {@code GET /api}: the core versions. */
  public static ObjectNode apiVersions(String serverAddress) {
    ObjectNode n = NODES.objectNode();
    n.put("kind", "APIVersions");
    strings(n.putArray("versions"), List.of("v1"));
    ObjectNode cidr = n.putArray("serverAddressByClientCIDRs").addObject();
    cidr.put("clientCIDR", "0.0.0.0/0");
    cidr.put("serverAddress", serverAddress);
    return n;
  }

  /** {@code GET /apis}: every named group. */
  public static ObjectNode apiGroupList() {
    ObjectNode n = NODES.objectNode();
    n.put("kind", "APIGroupList");
    n.put("apiVersion", "v1");
    ArrayNode groups = n.putArray("groups");
    groups().forEach((g, versions) -> {
      ObjectNode gn = apiGroup(g, versions);
      gn.remove("kind");
      gn.remove("apiVersion");
      groups.add(gn);
    });
    return n;
  }

  /** {@code GET /apis/{group}}, empty when the group is not served. */
  public static Optional<ObjectNode> apiGroup(String group) {
    List<String> versions = groups().get(group);
    return versions == null ? Optional.empty() : Optional.of(apiGroup(group, versions));
  }

  private static ObjectNode apiGroup(String group, List<String> versions) {
    ObjectNode gn = NODES.objectNode();
    gn.put("kind", "APIGroup");
    gn.put("apiVersion", "v1");
    gn.put("name", group);
    ArrayNode vs = gn.putArray("versions");
    for (String v : versions) {
      ObjectNode vn = vs.addObject();
      vn.put("groupVersion", group + "/" + v);
      vn.put("version", v);
    }
    ObjectNode pref = gn.putObject("preferredVersion");
    pref.put("groupVersion", group + "/" + versions.get(0));
    pref.put("version", versions.get(0));
    return gn;
  }

  /** {@code GET /api/v1} or {@code /apis/{group}/{version}}, empty when not served. */
  public static Optional<ObjectNode> apiResourceList(String group, String version) {
    return apiResourceList(ResourceRegistry.all(), group, version);
  }

  static Optional<ObjectNode> apiResourceList(List<ResourceType> all, String group, String version) {
    List<ResourceType> types = resources(all, group, version);
    if (types.isEmpty()) return Optional.empty();
    ObjectNode n = NODES.objectNode();
    n.put("kind", "APIResourceList");
    n.put("apiVersion", "v1");
    n.put("groupVersion", group.isEmpty() ? version : group + "/" + version);
    ArrayNode rs = n.putArray("resources");
    for (ResourceType t : types) {
      ObjectNode r = rs.addObject();
      r.put("name", t.resource());
      r.put("singularName", t.singular());
      r.put("namespaced", t.namespaced());
      r.put("kind", t.kind());
      strings(r.putArray("verbs"), verbs(t));
      if (!t.shortNames().isEmpty()) strings(r.putArray("shortNames"), t.shortNames());
      if (!t.categories().isEmpty()) strings(r.putArray("categories"), t.categories());
      r.put("storageVersionHash", storageVersionHash(t));
      for (Subresource s : subresources(t)) {
        ObjectNode sn = rs.addObject();
        sn.put("name", t.resource() + "/" + s.name());
        sn.put("singularName", "");
        sn.put("namespaced", t.namespaced());
        // group/version only when they differ from the list's own, as upstream does.
        if (!s.group().equals(group) || !s.version().equals(version)) {
          sn.put("group", s.group());
          sn.put("version", s.version());
        }
        sn.put("kind", s.kind());
        strings(sn.putArray("verbs"), s.verbs());
      }
    }
    return Optional.of(n);
  }

  // ---- helpers ----

  private static ObjectNode gvk(String group, String version, String kind) {
    ObjectNode k = NODES.objectNode();
    k.put("group", group);
    k.put("version", version);
    k.put("kind", kind);
    return k;
  }

  private static void strings(ArrayNode arr, List<String> values) {
    values.forEach(arr::add);
  }
}
