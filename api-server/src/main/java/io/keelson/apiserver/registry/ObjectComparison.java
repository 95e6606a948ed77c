package io.keelson.apiserver.registry;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Comparisons of two versions of an object (JSON trees) made in place, without copying either:
 * they run on every write (is it a no-op, does the generation move) and on every pod event sent to
 * a node (is it only the echo of the node's own status write).
 */
public final class ObjectComparison {
  private static final Set<String> NOT_SPEC = Set.of("metadata", "status", "apiVersion", "kind");
  private static final Set<String> RESOURCE_VERSION = Set.of("resourceVersion");

  private ObjectComparison() {}

  /** Whether everything but metadata, status, apiVersion and kind is equal. */
  public static boolean sameSpec(ObjectNode a, ObjectNode b) {
    return sameExcept(a, b, NOT_SPEC, null);
  }

  /** Equal apart from {@code metadata.resourceVersion}. */
  public static boolean sameIgnoringRv(ObjectNode a, ObjectNode b) {
    return sameApartFrom(a, b, Set.of(), RESOURCE_VERSION);
  }

  /**
   * Equal apart from the top-level fields {@code fields} and the metadata fields {@code
   * metadataFields} (field order does not matter).
   */
  public static boolean sameApartFrom(ObjectNode a, ObjectNode b, Set<String> fields, Set<String> metadataFields) {
    if (!sameExcept(a, b, fields, "metadata")) return false;
    JsonNode ma = a.get("metadata");
    JsonNode mb = b.get("metadata");
    if (ma instanceof ObjectNode oa && mb instanceof ObjectNode ob) return sameExcept(oa, ob, metadataFields, null);
    return Objects.equals(ma, mb);
  }

  /** The fields of a and b other than {@code skip} and {@code alsoSkip} are the same, in any order. */
  private static boolean sameExcept(ObjectNode a, ObjectNode b, Set<String> skip, String alsoSkip) {
    int n = 0;
    for (Map.Entry<String, JsonNode> e : a.properties()) {
      String k = e.getKey();
      if (skip.contains(k) || k.equals(alsoSkip)) continue;
      n++;
      if (!e.getValue().equals(b.get(k))) return false;
    }
    for (String k : b.propertyNames()) if (!skip.contains(k) && !k.equals(alsoSkip)) n--;
    return n == 0;
  }
}
