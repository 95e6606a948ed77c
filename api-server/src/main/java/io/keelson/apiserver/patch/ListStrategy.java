package io.keelson.apiserver.patch;

import io.keelson.apiserver.resource.ResourceType;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a list field of a built-in kind merges: the {@code patchStrategy}/{@code patchMergeKey} and
 * {@code +listType}/{@code +listMapKey} markers of the Kubernetes Go types, reduced to a table keyed by
 * the field name and where it sits. Strategic merge patch and server-side apply both read it, so the
 * two agree on which lists are keyed, which are sets and which are replaced whole.
 *
 * @param kind how the list merges
 * @param mergeKey the strategic-merge-patch key ({@code patchMergeKey}), null unless kind is MAP
 * @param applyKeys the server-side-apply keys ({@code +listMapKey}), sorted by name, empty unless MAP
 */
public record ListStrategy(Kind kind, String mergeKey, List<String> applyKeys) {

  /** The merge behaviour of a list. */
  public enum Kind {
    /** Replaced as a whole (no patch strategy / {@code +listType=atomic}). */
    ATOMIC,
    /** Primitives merged as a set ({@code patchStrategy:"merge"} on []string / {@code +listType=set}). */
    SET,
    /** Objects merged by key ({@code patchMergeKey} / {@code +listType=map}). */
    MAP
  }

  public static final ListStrategy ATOMIC = new ListStrategy(Kind.ATOMIC, null, List.of());
  public static final ListStrategy SET = new ListStrategy(Kind.SET, null, List.of());

  private static ListStrategy map(String mergeKey, String... applyKeys) {
    List<String> keys = applyKeys.length == 0 ? List.of(mergeKey) : List.of(applyKeys);
    return new ListStrategy(Kind.MAP, mergeKey, keys.stream().sorted().toList());
  }

  /** Keyed lists whose key does not depend on where the list is. */
  private static final Map<String, ListStrategy> BY_NAME = Map.ofEntries(
      Map.entry("containers", map("name")),
      Map.entry("initContainers", map("name")),
      Map.entry("ephemeralContainers", map("name")),
      Map.entry("volumes", map("name")),
      Map.entry("env", map("name")),
      Map.entry("imagePullSecrets", map("name")),
      Map.entry("volumeMounts", map("mountPath")),
      Map.entry("volumeDevices", map("devicePath")),
      Map.entry("conditions", map("type")),
      Map.entry("ownerReferences", map("uid")),
      Map.entry("hostAliases", map("ip")),
      Map.entry("topologySpreadConstraints", map("topologyKey", "topologyKey", "whenUnsatisfiable")),
      Map.entry("podIPs", map("ip")),
      Map.entry("hostIPs", map("ip")),
      Map.entry("resourceClaims", map("name")),
      Map.entry("schedulingGates", map("name")),
      Map.entry("addresses", map("type")));

  /** Lists that hold ports of a container, keyed by containerPort. */
  private static final Set<String> CONTAINER_LISTS = Set.of("containers", "initContainers", "ephemeralContainers");

  /** Key fields that Kubernetes defaults, so an item that omits them still matches the live item. */
  public static final Map<String, String> KEY_DEFAULTS = Map.of("protocol", "TCP");

  /**
   * The strategy of the list at {@code fieldPath} (field names from the object root, list positions
   * left out: {@code [spec, template, spec, containers, ports]}).
   */
  public static ListStrategy of(ResourceType type, List<String> fieldPath) {
    if (fieldPath.isEmpty()) return ATOMIC;
    if (type != null && io.keelson.apiserver.resource.CustomResource.isCustom(type) && !fieldPath.get(0).equals("metadata")) {
      return ofSchema(io.keelson.apiserver.resource.ResourceRegistry.customOf(type), fieldPath);
    }
    String name = fieldPath.get(fieldPath.size() - 1);
    if (name.equals("finalizers") && fieldPath.size() == 2 && fieldPath.get(0).equals("metadata")) return SET;
    if (name.equals("ports")) {
      if (fieldPath.size() >= 2 && CONTAINER_LISTS.contains(fieldPath.get(fieldPath.size() - 2))) {
        return map("containerPort", "containerPort", "protocol");
      }
      if (type != null && type.kind().equals("Service") && fieldPath.equals(List.of("spec", "ports"))) {
        return map("port", "port", "protocol");
      }
      return ATOMIC;
    }
    if (name.equals("podCIDRs") && fieldPath.equals(List.of("spec", "podCIDRs"))) return SET;
    if (name.equals("secrets") && type != null && type.kind().equals("ServiceAccount") && fieldPath.size() == 1) return map("name");
    if (name.equals("conditions") && !fieldPath.contains("status")) return ATOMIC;
    if (name.equals("addresses") && !(type != null && type.kind().equals("Node"))) return ATOMIC;
    ListStrategy s = BY_NAME.get(name);
    return s == null ? ATOMIC : s;
  }

  /**
   * A custom resource's list merges as its schema says, as in kube: {@code x-kubernetes-list-type}
   * map (by {@code x-kubernetes-list-map-keys}) or set; atomic otherwise, whatever the field's name.
   */
  private static ListStrategy ofSchema(io.keelson.apiserver.resource.CustomResource cr, List<String> fieldPath) {
    tools.jackson.databind.JsonNode schema = cr == null ? null : cr.schema();
    for (String name : fieldPath) {
      if (schema == null || schema.isMissingNode()) return ATOMIC;
      if (schema.path("type").asString("").equals("array")) schema = schema.path("items");
      tools.jackson.databind.JsonNode next = schema.path("properties").get(name);
      schema = next != null ? next : schema.get("additionalProperties");
    }
    if (schema == null) return ATOMIC;
    return switch (schema.path("x-kubernetes-list-type").asString("")) {
      case "set" -> SET;
      case "map" -> {
        List<String> keys = new java.util.ArrayList<>();
        for (tools.jackson.databind.JsonNode k : schema.path("x-kubernetes-list-map-keys")) keys.add(k.asString());
        yield keys.isEmpty() ? ATOMIC : new ListStrategy(Kind.MAP, keys.get(0), keys.stream().sorted().toList());
      }
      default -> ATOMIC;
    };
  }
}
