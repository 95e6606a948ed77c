package io.keelson.apiserver.patch;

import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.CompactNodeFactory;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Kubernetes strategic merge patch ({@code application/strategic-merge-patch+json}) on JSON trees:
 * maps merge recursively, {@code null} deletes, lists merge per {@link ListStrategy} (by merge key,
 * as sets of primitives, or replaced), and the directives kubectl sends are honoured:
 * {@code $patch: replace|merge|delete}, {@code $retainKeys}, {@code $setElementOrder/<list>},
 * {@code $deleteFromPrimitiveList/<list>}.
 */
final class StrategicMergePatch {

  private static final String PATCH = "$patch";
  private static final String RETAIN_KEYS = "$retainKeys";
  private static final String SET_ORDER = "$setElementOrder/";
  private static final String DELETE_PRIMITIVE = "$deleteFromPrimitiveList/";
  // compact trees (FieldMap-backed): what is built here (managedFields, patched objects) ends up in the watch cache
  private static final JsonNodeFactory NODES = CompactNodeFactory.INSTANCE;

  private StrategicMergePatch() {}

  /** Applies {@code patch} to a copy of {@code original}. */
  static ObjectNode apply(ResourceType type, ObjectNode original, ObjectNode patch) {
    ObjectNode merged = mergeMap(type, original.deepCopy(), patch, new ArrayList<>());
    return merged == null ? NODES.objectNode() : merged;
  }

  /** Merges patch into original (which is owned and may be changed); null means "delete this map". */
  private static ObjectNode mergeMap(ResourceType type, ObjectNode original, ObjectNode patch, List<String> path) {
    JsonNode directive = patch.get(PATCH);
    if (directive != null) {
      String d = directive.isString() ? directive.stringValue() : String.valueOf(directive);
      switch (d) {
        case "delete":
          return NODES.objectNode(); // Kubernetes leaves an empty map, it does not remove the key
        case "replace":
          ObjectNode replaced = patch.deepCopy();
          replaced.remove(PATCH);
          return stripDirectives(type, replaced, path);
        case "merge":
          break;
        default:
          throw StatusException.badRequest("unknown patch type: " + d + " in map: " + path(path));
      }
    }
    JsonNode retain = patch.get(RETAIN_KEYS);
    if (retain != null) {
      if (!retain.isArray()) {
        throw StatusException.badRequest("invalid $retainKeys at " + path(path) + ": must be a list of field names");
      }
      Set<String> keep = new HashSet<>();
      for (JsonNode k : retain) {
        if (!k.isString()) throw StatusException.badRequest("invalid $retainKeys at " + path(path) + ": " + k + " is not a string");
        keep.add(k.stringValue());
      }
      for (String k : patch.propertyNames()) {
        if (!k.startsWith("$") && !keep.contains(k) && !patch.get(k).isNull()) {
          throw StatusException.badRequest("invalid patch format of retainKeys: field \"" + k + "\" at " + path(path)
              + " is not in $retainKeys " + retain);
        }
      }
      original.properties().removeIf(e -> !keep.contains(e.getKey()));
    }
    // $deleteFromPrimitiveList first, so a list merged in the same patch sees the deletions.
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      if (!e.getKey().startsWith(DELETE_PRIMITIVE)) continue;
      String field = e.getKey().substring(DELETE_PRIMITIVE.length());
      if (!e.getValue().isArray()) throw StatusException.badRequest("invalid " + e.getKey() + ": must be a list");
      JsonNode list = original.get(field);
      if (list != null && list.isArray()) {
        ArrayNode kept = NODES.arrayNode();
        for (JsonNode item : list) if (!containsValue(e.getValue(), item)) kept.add(item);
        original.set(field, kept);
      }
    }
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      String key = e.getKey();
      if (key.equals(PATCH) || key.equals(RETAIN_KEYS) || key.startsWith(DELETE_PRIMITIVE) || key.startsWith(SET_ORDER)) {
        continue;
      }
      if (key.startsWith("$")) throw StatusException.badRequest("unknown patch directive " + key + " at " + path(path));
      JsonNode pv = e.getValue();
      if (pv.isNull()) {
        original.remove(key);
        continue;
      }
      List<String> childPath = new ArrayList<>(path);
      childPath.add(key);
      JsonNode ov = original.get(key);
      if (pv.isObject()) {
        ObjectNode base = ov != null && ov.isObject() ? (ObjectNode) ov : NODES.objectNode();
        ObjectNode merged = mergeMap(type, base, (ObjectNode) pv, childPath);
        if (merged == null) original.remove(key);
        else original.set(key, merged);
      } else if (pv.isArray()) {
        ArrayNode base = ov != null && ov.isArray() ? (ArrayNode) ov : NODES.arrayNode();
        original.set(key, mergeList(type, base, (ArrayNode) pv, patch.get(SET_ORDER + key), childPath));
      } else {
        original.set(key, pv.deepCopy());
      }
    }
    // A $setElementOrder for a list the patch did not touch still reorders it.
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      if (!e.getKey().startsWith(SET_ORDER)) continue;
      String field = e.getKey().substring(SET_ORDER.length());
      if (!e.getValue().isArray()) throw StatusException.badRequest("invalid " + e.getKey() + ": must be a list");
      if (patch.has(field)) continue;
      JsonNode list = original.get(field);
      if (list != null && list.isArray()) {
        List<String> childPath = new ArrayList<>(path);
        childPath.add(field);
        original.set(field, reorder(ListStrategy.of(type, childPath), (ArrayNode) list, (ArrayNode) list,
            (ArrayNode) e.getValue(), childPath));
      }
    }
    return original;
  }

  private static ArrayNode mergeList(ResourceType type, ArrayNode original, ArrayNode patch, JsonNode order, List<String> path) {
    ListStrategy strategy = ListStrategy.of(type, path);
    boolean objects = patch.size() > 0 ? patch.get(0).isObject() : original.size() > 0 && original.get(0).isObject();
    for (JsonNode item : patch) {
      if (item.isArray()) throw StatusException.badRequest("lists of lists are not supported in a strategic merge patch: " + path(path));
    }
    // [{"$patch": "replace"}, items...] replaces the list whatever its strategy.
    for (JsonNode item : patch) {
      if (item.isObject() && "replace".equals(text(item.get(PATCH)))) {
        ArrayNode replaced = NODES.arrayNode();
        for (JsonNode i : patch) {
          if (i.isObject() && i.has(PATCH)) continue;
          replaced.add(i.isObject() ? stripDirectives(type, ((ObjectNode) i).deepCopy(), path) : i.deepCopy());
        }
        return replaced;
      }
    }
    if (order != null && !order.isArray()) throw StatusException.badRequest("invalid $setElementOrder at " + path(path) + ": must be a list");
    switch (strategy.kind()) {
      case SET -> {
        if (objects) return replaceList(type, patch, path);
        ArrayNode merged = original.deepCopy();
        for (JsonNode item : patch) if (!containsValue(merged, item)) merged.add(item.deepCopy());
        return reorder(strategy, original, merged, order == null ? patch : (ArrayNode) order, path);
      }
      case MAP -> {
        if (!objects) return replaceList(type, patch, path);
        ArrayNode merged = original.deepCopy();
        ArrayNode patchItems = NODES.arrayNode();
        for (JsonNode item : patch) {
          if (item.isObject() && "merge".equals(text(item.get(PATCH)))) {
            throw StatusException.badRequest("merging lists cannot yet be specified in the patch (" + path(path) + ")");
          }
          if (!item.isObject()) {
            throw StatusException.badRequest("a list item of " + path(path) + " is not an object: " + item);
          }
          JsonNode key = item.get(strategy.mergeKey());
          if (key == null) {
            throw StatusException.badRequest("map: " + item + " does not contain declared merge key: " + strategy.mergeKey()
                + " (in " + path(path) + ")");
          }
          int at = indexOfKey(merged, strategy.mergeKey(), key);
          String d = text(item.get(PATCH));
          if ("delete".equals(d)) {
            while ((at = indexOfKey(merged, strategy.mergeKey(), key)) >= 0) merged.remove(at);
            continue;
          }
          if (d != null) throw StatusException.badRequest("unknown patch type: " + d + " in list item " + item + " of " + path(path));
          patchItems.add(item);
          if (at >= 0) {
            ObjectNode m = mergeMap(type, (ObjectNode) merged.get(at), (ObjectNode) item, path);
            if (m == null) merged.remove(at);
            else merged.set(at, m);
          } else {
            ObjectNode m = mergeMap(type, NODES.objectNode(), (ObjectNode) item, path);
            if (m != null) merged.add(m);
          }
        }
        return reorder(strategy, original, merged, order == null ? patchItems : (ArrayNode) order, path);
      }
      default -> {
        return replaceList(type, patch, path);
      }
    }
  }

  private static ArrayNode replaceList(ResourceType type, ArrayNode patch, List<String> path) {
    ArrayNode out = NODES.arrayNode();
    for (JsonNode i : patch) {
      if (i.isObject()) {
        ObjectNode m = mergeMap(type, NODES.objectNode(), (ObjectNode) i, path);
        if (m != null) out.add(m);
      } else {
        out.add(i.deepCopy());
      }
    }
    return out;
  }

  /**
   * Orders a merged list as Kubernetes does: items named in {@code order} (the patch list, or
   * {@code $setElementOrder}) come in that order; items only on the server keep their live order and
   * are interleaved before a patch item only when both were in the live list and the server item came
   * first there.
   */
  private static ArrayNode reorder(ListStrategy strategy, ArrayNode original, ArrayNode merged, ArrayNode order,
      List<String> path) {
    Map<String, Integer> rank = new LinkedHashMap<>();
    for (JsonNode o : order) {
      JsonNode k = strategy.kind() == ListStrategy.Kind.MAP ? o.get(strategy.mergeKey()) : o;
      if (k == null) {
        throw StatusException.badRequest("$setElementOrder/" + path.get(path.size() - 1) + " item " + o
            + " does not contain merge key " + strategy.mergeKey());
      }
      rank.putIfAbsent(canonical(k), rank.size());
    }
    List<JsonNode> patchItems = new ArrayList<>();
    List<JsonNode> serverOnly = new ArrayList<>();
    for (JsonNode item : merged) {
      if (rank.containsKey(identity(strategy, item))) patchItems.add(item);
      else serverOnly.add(item);
    }
    patchItems.sort((a, b) -> Integer.compare(rank.get(identity(strategy, a)), rank.get(identity(strategy, b))));
    Map<String, Integer> live = new LinkedHashMap<>();
    for (int i = 0; i < original.size(); i++) live.putIfAbsent(identity(strategy, original.get(i)), i);
    ArrayNode out = NODES.arrayNode();
    int s = 0;
    int p = 0;
    while (s < serverOnly.size() || p < patchItems.size()) {
      if (p == patchItems.size()) {
        out.add(serverOnly.get(s++));
      } else if (s == serverOnly.size()) {
        out.add(patchItems.get(p++));
      } else {
        Integer ls = live.get(identity(strategy, serverOnly.get(s)));
        Integer lp = live.get(identity(strategy, patchItems.get(p)));
        out.add(ls != null && lp != null && ls < lp ? serverOnly.get(s++) : patchItems.get(p++));
      }
    }
    return out;
  }

  private static String identity(ListStrategy strategy, JsonNode item) {
    if (strategy.kind() == ListStrategy.Kind.MAP && item.isObject()) {
      JsonNode k = item.get(strategy.mergeKey());
      return k == null ? "\u0000" + item : canonical(k);
    }
    return canonical(item);
  }

  /** Merge keys compare by value: 80 and "80" differ, 80 and 80.0 do not matter in practice. */
  private static String canonical(JsonNode n) {
    return n.isString() ? "s:" + n.stringValue() : n.isNumber() ? "n:" + n.decimalValue().stripTrailingZeros() : "j:" + n;
  }

  private static int indexOfKey(ArrayNode list, String keyName, JsonNode key) {
    for (int i = 0; i < list.size(); i++) {
      JsonNode k = list.get(i).get(keyName);
      if (k != null && canonical(k).equals(canonical(key))) return i;
    }
    return -1;
  }

  private static boolean containsValue(JsonNode list, JsonNode value) {
    for (JsonNode i : list) if (canonical(i).equals(canonical(value))) return true;
    return false;
  }

  /** A map taken verbatim from the patch (replace) must not leak directives into the object. */
  private static ObjectNode stripDirectives(ResourceType type, ObjectNode node, List<String> path) {
    ObjectNode m = mergeMap(type, NODES.objectNode(), node, path);
    return m == null ? NODES.objectNode() : m;
  }

  private static String text(JsonNode n) {
    return n != null && n.isString() ? n.stringValue() : null;
  }

  private static String path(List<String> path) {
    return path.isEmpty() ? "<root>" : String.join(".", path);
  }
}
