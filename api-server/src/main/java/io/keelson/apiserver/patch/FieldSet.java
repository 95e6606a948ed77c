package io.keelson.apiserver.patch;

import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.storage.CompactNodeFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * A set of field paths in the {@code managedFields} sense: each path is a list of elements written as
 * Kubernetes writes them in {@code fieldsV1} ({@code f:spec}, {@code k:{"name":"nginx"}},
 * {@code v:"finalizer.io"}, {@code i:0}). Knows how to collect the paths an object sets, to read and
 * write the {@code FieldsV1} JSON, and to find or remove the value a path points at.
 */
final class FieldSet {

  /** Which part of an object a field manager is recorded for. */
  enum Scope {
    /** The main resource: everything but the status of kinds that have a status subresource. */
    MAIN,
    /** The status subresource: only status. */
    STATUS
  }

  private static final JsonMapper JSON = JsonMapper.builder().build();
  // compact trees (FieldMap-backed): what is built here (managedFields, patched objects) ends up in the watch cache
  private static final JsonNodeFactory NODES = CompactNodeFactory.INSTANCE;

  /** Metadata that belongs to the server, never to a field manager (as Kubernetes strips it). */
  private static final Set<String> SERVER_METADATA = Set.of(
      "name", "namespace", "creationTimestamp", "selfLink", "uid", "generation", "managedFields", "resourceVersion",
      "deletionTimestamp", "deletionGracePeriodSeconds");

  /** Maps with free-form keys (not structs): their own path is recorded too (the {@code "."} entry). */
  private static final Set<String> FREE_FORM_MAPS = Set.of(
      "labels", "annotations", "data", "binaryData", "stringData", "nodeSelector", "matchLabels", "limits", "requests",
      "capacity", "allocatable", "overhead");

  final Set<List<String>> paths;
  private boolean markMaps;

  FieldSet() {
    this(new LinkedHashSet<>());
  }

  private FieldSet(Set<List<String>> paths) {
    this.paths = paths;
  }

  boolean isEmpty() {
    return paths.isEmpty();
  }

  FieldSet copy() {
    return new FieldSet(new LinkedHashSet<>(paths));
  }

  /** Whether some path of this set lies strictly below {@code prefix}. */
  boolean hasDescendant(List<String> prefix) {
    for (List<String> p : paths) {
      if (p.size() > prefix.size() && p.subList(0, prefix.size()).equals(prefix)) return true;
    }
    return false;
  }

  // ------------------------------------------------------------ collecting

  /**
   * Every field path {@code obj} sets, in the given scope. With {@code markMaps} the free-form maps
   * themselves are members too (Kubernetes records them so for updates, not for apply configurations).
   */
  static FieldSet of(ResourceType type, JsonNode obj, Scope scope, boolean markMaps) {
    FieldSet set = new FieldSet();
    set.markMaps = markMaps;
    if (obj == null || !obj.isObject()) return set;
    boolean statusIsSubresource = type != null && type.hasSubresource("status");
    for (Map.Entry<String, JsonNode> e : obj.properties()) {
      String k = e.getKey();
      if (k.equals("apiVersion") || k.equals("kind")) continue;
      boolean isStatus = k.equals("status");
      if (scope == Scope.STATUS && !isStatus) continue;
      if (scope == Scope.MAIN && isStatus && statusIsSubresource) continue;
      set.collectField(type, k, e.getValue(), new ArrayList<>(), new ArrayList<>());
    }
    return set;
  }

  private void collectField(ResourceType type, String name, JsonNode v, List<String> fieldPath, List<String> at) {
    List<String> names = append(fieldPath, name);
    List<String> p = append(at, "f:" + name);
    if (names.size() == 2 && names.get(0).equals("metadata") && SERVER_METADATA.contains(name)) return;
    if (v.isObject() && !v.isEmpty()) {
      if (markMaps && (FREE_FORM_MAPS.contains(name) || isServiceSelector(type, names))) paths.add(p);
      for (Map.Entry<String, JsonNode> e : v.properties()) collectField(type, e.getKey(), e.getValue(), names, p);
    } else if (v.isArray() && !v.isEmpty()) {
      ListStrategy s = ListStrategy.of(type, names);
      switch (s.kind()) {
        case SET -> {
          for (JsonNode item : v) paths.add(append(p, "v:" + item));
        }
        case MAP -> {
          for (int i = 0; i < v.size(); i++) {
            JsonNode item = v.get(i);
            List<String> ip = append(p, itemElement(s, item, i));
            paths.add(ip);
            if (item.isObject()) {
              for (Map.Entry<String, JsonNode> e : item.properties()) collectField(type, e.getKey(), e.getValue(), names, ip);
            }
          }
        }
        default -> paths.add(p);
      }
    } else {
      paths.add(p);
    }
  }

  /**
   * What a write changed, in the managedFields sense: {@code changed} are the paths {@code now} sets
   * that {@code before} did not set or set to another value (objects with fields count as set, not
   * as changed), {@code removed} the paths only {@code before} sets. Both as {@code of(.., true)}
   * would give them: subtrees that are equal in both objects (reached through object fields) are
   * skipped, since they set the same paths to the same values.
   */
  record Diff(Set<List<String>> changed, Set<List<String>> removed) {}

  static Diff diff(ResourceType type, JsonNode before, JsonNode now, Scope scope) {
    FieldSet b = new FieldSet();
    FieldSet n = new FieldSet();
    b.markMaps = true;
    n.markMaps = true;
    boolean statusIsSubresource = type != null && type.hasSubresource("status");
    JsonNode bo = before != null && before.isObject() ? before : null;
    JsonNode no = now != null && now.isObject() ? now : null;
    if (no != null) {
      for (Map.Entry<String, JsonNode> e : no.properties()) {
        if (inScope(e.getKey(), scope, statusIsSubresource)) {
          collectBoth(b, n, type, e.getKey(), bo == null ? null : bo.get(e.getKey()), e.getValue(), List.of(), List.of());
        }
      }
    }
    if (bo != null) {
      for (Map.Entry<String, JsonNode> e : bo.properties()) {
        if (inScope(e.getKey(), scope, statusIsSubresource) && (no == null || !no.has(e.getKey()))) {
          b.collectField(type, e.getKey(), e.getValue(), new ArrayList<>(), new ArrayList<>());
        }
      }
    }
    Set<List<String>> changed = new LinkedHashSet<>();
    for (List<String> p : n.paths) {
      if (!b.paths.contains(p)) {
        changed.add(p);
        continue;
      }
      JsonNode x = valueAt(before, p);
      JsonNode y = valueAt(now, p);
      boolean container = y != null && y.isObject() && !y.isEmpty();
      if (!container && !Values.same(x, y)) changed.add(p);
    }
    Set<List<String>> removed = new LinkedHashSet<>();
    for (List<String> p : b.paths) if (!n.paths.contains(p)) removed.add(p);
    return new Diff(changed, removed);
  }

  private static boolean inScope(String topLevelField, Scope scope, boolean statusIsSubresource) {
    if (topLevelField.equals("apiVersion") || topLevelField.equals("kind")) return false;
    boolean isStatus = topLevelField.equals("status");
    if (scope == Scope.STATUS) return isStatus;
    return !(isStatus && statusIsSubresource);
  }

  /**
   * The paths field {@code name} sets in {@code before} (into {@code bs}) and in {@code now} (into
   * {@code ns}), skipping what is equal in both; descends through objects present on both sides.
   */
  private static void collectBoth(FieldSet bs, FieldSet ns, ResourceType type, String name, JsonNode bv, JsonNode nv,
      List<String> fieldPath, List<String> at) {
    if (bv != null && bv.equals(nv)) return;
    if (bv == null) {
      ns.collectField(type, name, nv, fieldPath, at);
      return;
    }
    if (nv == null) {
      bs.collectField(type, name, bv, fieldPath, at);
      return;
    }
    if (bv.isObject() && !bv.isEmpty() && nv.isObject() && !nv.isEmpty()) {
      List<String> names = append(fieldPath, name);
      if (names.size() == 2 && names.get(0).equals("metadata") && SERVER_METADATA.contains(name)) return;
      List<String> p = append(at, "f:" + name);
      if (FREE_FORM_MAPS.contains(name) || isServiceSelector(type, names)) {
        bs.paths.add(p);
        ns.paths.add(p);
      }
      for (Map.Entry<String, JsonNode> e : nv.properties()) collectBoth(bs, ns, type, e.getKey(), bv.get(e.getKey()), e.getValue(), names, p);
      for (Map.Entry<String, JsonNode> e : bv.properties()) {
        if (!nv.has(e.getKey())) bs.collectField(type, e.getKey(), e.getValue(), names, p);
      }
      return;
    }
    bs.collectField(type, name, bv, fieldPath, at);
    ns.collectField(type, name, nv, fieldPath, at);
  }

  /** Whether {@code decode(fieldsV1)} would contain {@code path}, without decoding it. */
  static boolean contains(JsonNode fieldsV1, List<String> path) {
    if (path.isEmpty() || fieldsV1 == null || !fieldsV1.isObject()) return false;
    JsonNode n = fieldsV1;
    for (String el : path) {
      if (!n.isObject()) return false;
      n = n.get(el); // the elements of collected paths are well formed, so is a key equal to one
      if (n == null) return false;
    }
    return !(n.isObject() && !n.isEmpty()) || n.has(".");
  }

  private static boolean isServiceSelector(ResourceType type, List<String> names) {
    return type != null && type.kind().equals("Service") && names.equals(List.of("spec", "selector"));
  }

  /** {@code k:{"containerPort":80,"protocol":"TCP"}}: the item's keys, sorted, defaults filled in. */
  static String itemElement(ListStrategy s, JsonNode item, int index) {
    if (!item.isObject()) return "i:" + index;
    ObjectNode key = NODES.objectNode();
    for (String k : s.applyKeys()) {
      JsonNode v = item.get(k);
      if (v == null && ListStrategy.KEY_DEFAULTS.containsKey(k)) v = NODES.stringNode(ListStrategy.KEY_DEFAULTS.get(k));
      if (v != null) key.set(k, v);
    }
    return key.isEmpty() ? "i:" + index : "k:" + key;
  }

  // ------------------------------------------------------------ FieldsV1 JSON

  static FieldSet decode(JsonNode fieldsV1) {
    FieldSet set = new FieldSet();
    if (fieldsV1 != null && fieldsV1.isObject()) set.decode(fieldsV1, new ArrayList<>());
    return set;
  }

  private void decode(JsonNode node, List<String> at) {
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      if (e.getKey().equals(".")) {
        if (!at.isEmpty()) paths.add(at);
        continue;
      }
      if (!wellFormed(e.getKey())) continue; // written by a client: ignore what cannot be a path element
      List<String> p = append(at, e.getKey());
      if (e.getValue().isObject() && !e.getValue().isEmpty()) decode(e.getValue(), p);
      else paths.add(p);
    }
  }

  private static boolean wellFormed(String el) {
    if (el.length() < 2 || el.charAt(1) != ':') return false;
    String body = el.substring(2);
    try {
      return switch (el.charAt(0)) {
        case 'f' -> true;
        case 'i' -> Integer.parseInt(body) >= 0;
        case 'k' -> JSON.readTree(body).isObject();
        case 'v' -> !JSON.readTree(body).isMissingNode();
        default -> false;
      };
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The {@code fieldsV1} tree, with children sorted as Kubernetes sorts them. */
  ObjectNode encode() {
    Tree root = new Tree();
    for (List<String> p : paths) {
      Tree t = root;
      for (String el : p) t = t.children.computeIfAbsent(el, x -> new Tree());
      t.self = true;
    }
    return root.toJson();
  }

  private static final Comparator<String> ELEMENT_ORDER = Comparator
      .comparingInt((String e) -> "fkvi".indexOf(e.charAt(0)))
      .thenComparing(Comparator.naturalOrder());

  private static final class Tree {
    boolean self;
    final Map<String, Tree> children = new TreeMap<>(ELEMENT_ORDER);

    ObjectNode toJson() {
      ObjectNode o = NODES.objectNode();
      if (self && !children.isEmpty()) o.putObject(".");
      children.forEach((k, v) -> o.set(k, v.toJson()));
      return o;
    }
  }

  // ------------------------------------------------------------ navigating objects

  /** The value {@code path} points at in {@code root}, or null. */
  static JsonNode valueAt(JsonNode root, List<String> path) {
    JsonNode n = root;
    for (String el : path) {
      if (n == null) return null;
      n = step(n, el);
    }
    return n;
  }

  private static JsonNode step(JsonNode n, String el) {
    String body = el.substring(2);
    switch (el.charAt(0)) {
      case 'f':
        return n.isObject() ? n.get(body) : null;
      case 'i':
        return n.isArray() ? n.get(Integer.parseInt(body)) : null;
      case 'v': {
        if (!n.isArray()) return null;
        JsonNode want = JSON.readTree(body);
        for (JsonNode item : n) if (Values.same(item, want)) return item;
        return null;
      }
      case 'k': {
        int i = indexOfKey(n, body);
        return i < 0 ? null : n.get(i);
      }
      default:
        return null;
    }
  }

  private static int indexOfKey(JsonNode list, String keyJson) {
    if (!list.isArray()) return -1;
    JsonNode key = JSON.readTree(keyJson);
    for (int i = 0; i < list.size(); i++) {
      if (matchesKey(list.get(i), key)) return i;
    }
    return -1;
  }

  /** Whether a list item has the given key fields (missing defaulted keys count as their default). */
  static boolean matchesKey(JsonNode item, JsonNode key) {
    if (!item.isObject()) return false;
    for (Map.Entry<String, JsonNode> k : key.properties()) {
      JsonNode v = item.get(k.getKey());
      if (v == null && ListStrategy.KEY_DEFAULTS.containsKey(k.getKey())) {
        v = NODES.stringNode(ListStrategy.KEY_DEFAULTS.get(k.getKey()));
      }
      if (v == null || !Values.same(v, k.getValue())) return false;
    }
    return true;
  }

  /** Removes what {@code path} points at from {@code root}; false when it is not there. */
  static boolean remove(JsonNode root, List<String> path) {
    JsonNode parent = valueAt(root, path.subList(0, path.size() - 1));
    if (parent == null) return false;
    String el = path.get(path.size() - 1);
    String body = el.substring(2);
    switch (el.charAt(0)) {
      case 'f':
        return parent.isObject() && ((ObjectNode) parent).remove(body) != null;
      case 'k': {
        int i = indexOfKey(parent, body);
        if (i >= 0) ((ArrayNode) parent).remove(i);
        return i >= 0;
      }
      case 'v': {
        if (!parent.isArray()) return false;
        JsonNode want = JSON.readTree(body);
        for (int i = 0; i < parent.size(); i++) {
          if (Values.same(parent.get(i), want)) {
            ((ArrayNode) parent).remove(i);
            return true;
          }
        }
        return false;
      }
      default:
        return false;
    }
  }

  /** How conflicts print a path: {@code .spec.containers[name="nginx"].image}. */
  static String toPathString(List<String> path) {
    StringBuilder sb = new StringBuilder();
    for (String el : path) {
      String body = el.substring(2);
      switch (el.charAt(0)) {
        case 'f' -> sb.append('.').append(body);
        case 'i' -> sb.append('[').append(body).append(']');
        case 'v' -> sb.append("[=").append(body).append(']');
        case 'k' -> {
          List<String> parts = new ArrayList<>();
          JSON.readTree(body).properties().forEach(e -> parts.add(e.getKey() + "=" + e.getValue()));
          sb.append('[').append(String.join(",", parts)).append(']');
        }
        default -> sb.append(el);
      }
    }
    return sb.toString();
  }

  private static List<String> append(List<String> list, String el) {
    List<String> out = new ArrayList<>(list.size() + 1);
    out.addAll(list);
    out.add(el);
    return List.copyOf(out);
  }

  /** JSON value comparison where 1, 1.0 and 1L are the same number. */
  static final class Values {
    private Values() {}

    static boolean same(JsonNode a, JsonNode b) {
      if (a == null || b == null) return a == b;
      if (a.isNumber() && b.isNumber()) return a.decimalValue().compareTo(b.decimalValue()) == 0;
      if (a.isObject() && b.isObject()) {
        if (a.size() != b.size()) return false;
        for (Map.Entry<String, JsonNode> e : a.properties()) if (!same(e.getValue(), b.get(e.getKey()))) return false;
        return true;
      }
      if (a.isArray() && b.isArray()) {
        if (a.size() != b.size()) return false;
        for (int i = 0; i < a.size(); i++) if (!same(a.get(i), b.get(i))) return false;
        return true;
      }
      return a.equals(b);
    }
  }
}
