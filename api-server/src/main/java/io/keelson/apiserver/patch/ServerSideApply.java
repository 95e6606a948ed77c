package io.keelson.apiserver.patch;

import io.keelson.apiserver.patch.FieldSet.Scope;
import io.keelson.apiserver.patch.FieldSet.Values;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.status.StatusException.Cause;
import io.keelson.apiserver.storage.CompactNodeFactory;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Server-side apply ({@code application/apply-patch+yaml}) and the {@code metadata.managedFields}
 * bookkeeping behind it. Every write records which field manager set which fields; an apply merges
 * the manager's configuration into the live object, removes fields the manager owned but no longer
 * applies, and refuses (409 with one cause per field) to change fields another manager owns unless
 * forced, in which case it takes them over. Pure functions: inputs are never changed.
 */
public final class ServerSideApply {

  public static final String APPLY = "Apply";
  public static final String UPDATE = "Update";

  // compact trees (FieldMap-backed): what is built here (managedFields, patched objects) ends up in the watch cache
  private static final JsonNodeFactory NODES = CompactNodeFactory.INSTANCE;
  private static final tools.jackson.databind.json.JsonMapper JSON = tools.jackson.databind.json.JsonMapper.builder().build();

  private ServerSideApply() {}

  /** One {@code managedFields} entry: a manager, how it wrote, and the fields it owns. */
  private static final class Entry {
    final String manager;
    final String operation;
    String apiVersion;
    String time;
    final String subresource;
    FieldSet fields;
    final ObjectNode original;
    /**
     * For entries read lazily from a stored object (see {@link #readStoredEntries}): {@code fields}
     * stays null until needed, and an entry whose fields did not change is written back from its
     * stored JSON instead of being decoded and encoded again. Stored entries are this server's own
     * output ({@link #toJson}), so both give the same JSON.
     */
    private boolean lazy;
    /** The stored JSON belongs to the object being written (no copy needed to reuse it). */
    private boolean owned;
    private boolean fieldsChanged;
    private boolean headerChanged;

    Entry(String manager, String operation, String apiVersion, String time, String subresource, FieldSet fields,
        ObjectNode original) {
      this.manager = manager;
      this.operation = operation;
      this.apiVersion = apiVersion;
      this.time = time;
      this.subresource = subresource == null ? "" : subresource;
      this.fields = fields;
      this.original = original;
    }

    /** The fields, decoded on first use. */
    FieldSet fields() {
      if (fields == null) fields = FieldSet.decode(original.get("fieldsV1"));
      return fields;
    }

    /** Whether this entry owns {@code path}, without decoding its fields when they are not decoded yet. */
    boolean owns(List<String> path) {
      return fields != null ? fields.paths.contains(path) : FieldSet.contains(original.get("fieldsV1"), path);
    }

    /** Removes these paths from the entry's fields (decoding them only if it owns one of them). */
    void removeAll(java.util.Collection<List<String>> paths) {
      if (paths.isEmpty()) return;
      boolean any = false;
      for (List<String> p : paths) {
        if (owns(p)) {
          any = true;
          break;
        }
      }
      if (any && fields().paths.removeAll(paths)) fieldsChanged = true;
    }

    /** Adds these paths (decoding the fields only if some are new to it). */
    void addAll(java.util.Collection<List<String>> paths) {
      for (List<String> p : paths) {
        if (!owns(p)) {
          fields().paths.addAll(paths);
          fieldsChanged = true;
          return;
        }
      }
    }

    void touch(String apiVersion, String time) {
      this.apiVersion = apiVersion;
      this.time = time;
      headerChanged = true;
    }

    boolean isEmpty() {
      return fields == null ? false : fields.isEmpty();
    }

    /** The JSON to store: the stored entry itself when nothing about it changed. */
    ObjectNode json() {
      if (!lazy || fieldsChanged) return toJson();
      if (!headerChanged) return owned ? original : original.deepCopy();
      JsonNode f = original.get("fieldsV1");
      return header(owned ? f : f.deepCopy());
    }

    boolean is(String manager, String operation, String subresource) {
      return this.manager.equals(manager) && this.operation.equals(operation) && this.subresource.equals(subresource);
    }

    /** How Kubernetes names a manager in conflict messages. */
    String describe() {
      String m = "\"" + manager + "\"";
      if (!subresource.isEmpty()) m += " with subresource \"" + subresource + "\"";
      return operation.equals(UPDATE) ? m + " using " + apiVersion : m;
    }

    ObjectNode toJson() {
      return header(fields().encode());
    }

    private ObjectNode header(JsonNode fieldsV1) {
      ObjectNode o = NODES.objectNode();
      o.put("manager", manager);
      o.put("operation", operation);
      if (apiVersion != null) o.put("apiVersion", apiVersion);
      if (time != null) o.put("time", time);
      o.put("fieldsType", "FieldsV1");
      o.set("fieldsV1", fieldsV1);
      if (!subresource.isEmpty()) o.put("subresource", subresource);
      return o;
    }
  }

  // ------------------------------------------------------------------ apply

  /**
   * Applies {@code applied} (the manager's full intended configuration) to {@code current}.
   *
   * @param current the live object, or null when it does not exist yet (the result is then the object to create)
   * @return the new object, with {@code metadata.managedFields} updated
   * @throws StatusException 409 Conflict with {@code FieldManagerConflict} causes when another manager
   *     owns a field the configuration changes and {@code force} is false; 400 for a malformed configuration
   */
  public static ObjectNode apply(ResourceType type, ObjectNode current, ObjectNode applied, String fieldManager, boolean force) {
    if (fieldManager == null || fieldManager.isEmpty()) {
      throw StatusException.badRequest("PATCH requests of type application/apply-patch+yaml require a fieldManager query parameter");
    }
    if (applied == null) throw StatusException.badRequest("apply patch body is empty");
    String kind = applied.path("kind").asString("");
    String apiVersion = applied.path("apiVersion").asString("");
    if (kind.isEmpty() || apiVersion.isEmpty()) {
      throw StatusException.badRequest("invalid object type: apply configuration must set apiVersion and kind");
    }
    if (!kind.equals(type.kind()) || !apiVersion.equals(type.apiVersion())) {
      throw StatusException.badRequest("the apply configuration is a " + apiVersion + ", Kind=" + kind
          + " but the URL is for " + type.apiVersion() + ", Kind=" + type.kind());
    }
    if (applied.path("metadata").has("managedFields")) {
      throw StatusException.badRequest("metadata.managedFields must be nil in an apply configuration");
    }
    ObjectNode config = applied.deepCopy();
    checkListKeys(type, config, new ArrayList<>(), "", applied);
    if (type.hasSubresource("status")) config.remove("status"); // status is the status subresource's business

    ObjectNode live;
    List<Entry> entries;
    if (current == null) {
      live = NODES.objectNode();
      live.put("apiVersion", apiVersion);
      live.put("kind", kind);
      live.putObject("metadata");
      entries = new ArrayList<>();
    } else {
      live = current.deepCopy();
      entries = readEntries(live);
      if (entries.isEmpty()) {
        // Objects written before any field tracking are owned by a synthetic manager, as in Kubernetes.
        entries.add(new Entry("before-first-apply", UPDATE, type.apiVersion(), now(), "",
            FieldSet.of(type, live, Scope.MAIN, true), null));
      }
    }

    FieldSet appliedSet = FieldSet.of(type, config, Scope.MAIN, false);
    Entry me = entries.stream().filter(e -> e.is(fieldManager, APPLY, "")).findFirst().orElse(null);

    // Conflicts: a field another manager owns whose value this configuration changes.
    record Conflict(Entry owner, List<String> path) {}
    List<Conflict> conflicts = new ArrayList<>();
    for (Entry e : entries) {
      if (e == me || e.subresource.equals("status")) continue;
      for (List<String> p : appliedSet.paths) {
        if (!e.fields.paths.contains(p)) continue;
        JsonNode want = FieldSet.valueAt(config, p);
        if (want == null || (want.isObject() && !want.isEmpty())) continue;
        if (!Values.same(FieldSet.valueAt(live, p), want)) conflicts.add(new Conflict(e, p));
      }
    }
    if (!conflicts.isEmpty()) {
      if (!force) throw conflictError(conflicts.stream().map(c -> Map.entry(c.owner(), c.path())).toList());
      for (Conflict c : conflicts) c.owner().fields.paths.remove(c.path());
    }

    FieldSet previouslyOwned = me == null ? new FieldSet() : me.fields;
    merge(type, live, config, new ArrayList<>());

    // Fields this manager applied before but not now are removed, unless someone else owns them.
    List<List<String>> dropped = new ArrayList<>();
    for (List<String> p : previouslyOwned.paths) if (!appliedSet.paths.contains(p)) dropped.add(p);
    // Shallow paths first: a dropped list item goes as a whole (its key fields are still there to find it).
    dropped.sort(Comparator.comparingInt((List<String> p) -> p.size()));
    for (List<String> p : dropped) {
      boolean ownedElsewhere = entries.stream().anyMatch(e -> e != me && (e.fields.paths.contains(p) || e.fields.hasDescendant(p)));
      if (!ownedElsewhere && !appliedSet.hasDescendant(p)) FieldSet.remove(live, p);
    }

    // Nothing to do: leave the object exactly as it was (no new resourceVersion, no new timestamp).
    if (current != null && conflicts.isEmpty() && me != null && me.fields.paths.equals(appliedSet.paths)
        && withoutManagedFields(live).equals(withoutManagedFields(current))
        && Objects.equals(me.apiVersion, apiVersion)) {
      return current.deepCopy();
    }
    Entry mine = me;
    if (mine == null) {
      mine = new Entry(fieldManager, APPLY, apiVersion, now(), "", appliedSet, null);
      entries.add(mine);
    } else {
      mine.fields = appliedSet;
      mine.apiVersion = apiVersion;
      mine.time = now();
    }
    writeEntries(live, entries);
    return live;
  }

  /**
   * Every item of a keyed list must carry its keys, once: otherwise the item cannot be tracked (and
   * Kubernetes refuses the configuration the same way).
   */
  private static void checkListKeys(ResourceType type, JsonNode node, List<String> fieldPath, String path, ObjectNode applied) {
    if (!node.isObject()) return;
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      List<String> names = new ArrayList<>(fieldPath);
      names.add(e.getKey());
      String p = path + "." + e.getKey();
      JsonNode v = e.getValue();
      if (v.isObject()) {
        checkListKeys(type, v, names, p, applied);
      } else if (v.isArray()) {
        ListStrategy s = ListStrategy.of(type, names);
        if (s.kind() != ListStrategy.Kind.MAP) continue;
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < v.size(); i++) {
          JsonNode item = v.get(i);
          if (!item.isObject()) continue;
          for (String k : s.applyKeys()) {
            if (!item.has(k) && !ListStrategy.KEY_DEFAULTS.containsKey(k)) {
              throw StatusException.badRequest(typedPatchError(type, applied) + p + ": element " + i
                  + ": associative list with keys has an element that omits key field \"" + k + "\" (and doesn't have default value)");
            }
          }
          String el = FieldSet.itemElement(s, item, i);
          if (!seen.add(el)) {
            throw StatusException.badRequest(typedPatchError(type, applied) + p + ": duplicate entries for key "
                + FieldSet.toPathString(List.of(el)));
          }
          checkListKeys(type, item, names, p + "[" + i + "]", applied);
        }
      }
    }
  }

  private static String typedPatchError(ResourceType type, ObjectNode applied) {
    String ns = applied.path("metadata").path("namespace").asString("");
    String name = applied.path("metadata").path("name").asString("");
    return "failed to create typed patch object (" + (ns.isEmpty() ? "" : ns + "/") + name + "; " + type.apiVersion() + ", Kind="
        + type.kind() + "): ";
  }

  private static JsonNode withoutManagedFields(ObjectNode o) {
    ObjectNode c = o.deepCopy();
    if (c.get("metadata") instanceof ObjectNode m) m.remove("managedFields");
    return c;
  }

  /** Merges an apply configuration into the live object, list by list as the schema says. */
  private static void merge(ResourceType type, ObjectNode target, ObjectNode config, List<String> fieldPath) {
    for (Map.Entry<String, JsonNode> e : config.properties()) {
      String k = e.getKey();
      JsonNode v = e.getValue();
      if (fieldPath.size() == 1 && fieldPath.get(0).equals("metadata") && k.equals("managedFields")) continue;
      List<String> path = new ArrayList<>(fieldPath);
      path.add(k);
      JsonNode t = target.get(k);
      if (v.isNull()) {
        target.remove(k);
      } else if (v.isObject() && t != null && t.isObject()) {
        merge(type, (ObjectNode) t, (ObjectNode) v, path);
      } else if (v.isArray() && t != null && t.isArray()) {
        target.set(k, mergeList(type, (ArrayNode) t, (ArrayNode) v, path));
      } else {
        target.set(k, withoutNulls(v));
      }
    }
  }

  private static ArrayNode mergeList(ResourceType type, ArrayNode live, ArrayNode config, List<String> path) {
    ListStrategy s = ListStrategy.of(type, path);
    switch (s.kind()) {
      case SET -> {
        ArrayNode out = live.deepCopy();
        for (JsonNode item : config) {
          boolean present = false;
          for (JsonNode l : out) present |= Values.same(l, item);
          if (!present) out.add(item.deepCopy());
        }
        return out;
      }
      case MAP -> {
        ArrayNode out = live.deepCopy();
        for (int i = 0; i < config.size(); i++) {
          JsonNode item = config.get(i);
          String el = FieldSet.itemElement(s, item, i);
          JsonNode match = null;
          if (el.startsWith("k:")) {
            JsonNode key = JSON.readTree(el.substring(2));
            for (JsonNode l : out) {
              if (FieldSet.matchesKey(l, key)) {
                match = l;
                break;
              }
            }
          }
          if (match != null && match.isObject() && item.isObject()) merge(type, (ObjectNode) match, (ObjectNode) item, path);
          else out.add(withoutNulls(item));
        }
        return out;
      }
      default -> {
        return (ArrayNode) withoutNulls(config);
      }
    }
  }

  private static JsonNode withoutNulls(JsonNode v) {
    JsonNode copy = v.deepCopy();
    stripNulls(copy);
    return copy;
  }

  private static void stripNulls(JsonNode n) {
    if (n.isObject()) {
      ((ObjectNode) n).properties().removeIf(e -> e.getValue().isNull());
      for (JsonNode c : n) stripNulls(c);
    } else if (n.isArray()) {
      for (JsonNode c : n) stripNulls(c);
    }
  }

  private static StatusException conflictError(List<Map.Entry<Entry, List<String>>> conflicts) {
    List<Cause> causes = new ArrayList<>();
    for (Map.Entry<Entry, List<String>> c : conflicts) {
      causes.add(new Cause("FieldManagerConflict", "conflict with " + c.getKey().describe(), FieldSet.toPathString(c.getValue())));
    }
    String message;
    if (conflicts.size() == 1) {
      message = "Apply failed with 1 conflict: conflict with " + conflicts.get(0).getKey().describe() + ": "
          + FieldSet.toPathString(conflicts.get(0).getValue());
    } else {
      Map<String, List<String>> byManager = new LinkedHashMap<>();
      conflicts.stream()
          .sorted(Comparator.comparing((Map.Entry<Entry, List<String>> c) -> c.getKey().manager)
              .thenComparing(c -> c.getKey().operation))
          .forEach(c -> byManager.computeIfAbsent(c.getKey().describe(), k -> new ArrayList<>())
              .add(FieldSet.toPathString(c.getValue())));
      List<String> lines = new ArrayList<>();
      byManager.forEach((m, paths) -> {
        lines.add("conflicts with " + m + ":");
        paths.forEach(p -> lines.add("- " + p));
      });
      message = "Apply failed with " + conflicts.size() + " conflicts: " + String.join("\n", lines);
    }
    return new StatusException(409, "Conflict", message, null, null, null, causes, null);
  }

  // ------------------------------------------------------------------ ordinary writes

  /**
   * Records in {@code managedFields} that {@code fieldManager} wrote {@code updated} (create, update,
   * or a non-apply patch of the main resource). Fields it changed move to its entry, fields it removed
   * leave every entry.
   *
   * @param old the object before the write, null on create
   * @param operation normally {@code "Update"}
   * @return a copy of {@code updated} with managedFields maintained
   */
  public static ObjectNode recordUpdate(ResourceType type, ObjectNode old, ObjectNode updated, String fieldManager, String operation) {
    return recordUpdate(type, old, updated, fieldManager, operation, null);
  }

  /**
   * As {@link #recordUpdate(ResourceType, ObjectNode, ObjectNode, String, String)}, for a write through
   * a subresource: the entry is marked with it ({@code subresource: status}); for {@code "status"} only
   * status fields are recorded, for others (e.g. {@code "scale"}) the main resource's fields.
   */
  public static ObjectNode recordUpdate(ResourceType type, ObjectNode old, ObjectNode updated, String fieldManager,
      String operation, String subresource) {
    return recordUpdateInPlace(type, old, updated.deepCopy(), fieldManager, operation, subresource);
  }

  /**
   * As {@link #recordUpdate(ResourceType, ObjectNode, ObjectNode, String, String, String)}, changing
   * {@code updated} itself instead of a copy of it (the write path's own object: no copy of a whole
   * object per write). {@code old} is only read.
   *
   * <p>Only what differs between {@code old} and {@code updated} is walked (equal subtrees are
   * skipped), and managedFields entries that the write does not touch are kept as stored, without
   * decoding and encoding their field sets.
   */
  public static ObjectNode recordUpdateInPlace(ResourceType type, ObjectNode old, ObjectNode updated, String fieldManager,
      String operation, String subresource) {
    ObjectNode result = updated;
    String manager = fieldManager == null || fieldManager.isEmpty() ? "unknown" : fieldManager;
    String op = operation == null || operation.isEmpty() ? UPDATE : operation;
    String sub = subresource == null ? "" : subresource;
    Scope scope = sub.equals("status") ? Scope.STATUS : Scope.MAIN;

    // The writer may replace managedFields itself (a list with one empty entry, [{}], clears them: its
    // own changes are then all it owns); otherwise they carry over from old. An empty list changes
    // nothing, as in Kubernetes: it is what clients unaware of the field send (client-java's models
    // start with one), and they must not wipe everyone's ownership on each create or update.
    JsonNode sentMf = result.path("metadata").get("managedFields");
    if (sentMf != null && sentMf.isArray() && sentMf.isEmpty()) sentMf = null;
    JsonNode oldMf = old == null ? null : old.path("metadata").get("managedFields");
    boolean writerChangedThem = sentMf != null && !Objects.equals(sentMf, oldMf);
    List<Entry> entries = writerChangedThem ? readEntries(result)
        : old == null ? new ArrayList<>()
        : sentMf != null ? readStoredEntries(result, true) // the writer's copy of the stored entries
        : readStoredEntries(old, false);

    FieldSet.Diff diff = FieldSet.diff(type, old, result, scope);
    java.util.Set<List<String>> changed = diff.changed();
    java.util.Set<List<String>> gone = diff.removed();
    java.util.Set<List<String>> changedOrGone = new java.util.HashSet<>(changed);
    changedOrGone.addAll(gone);
    Entry mine = entries.stream().filter(e -> e.is(manager, op, sub)).findFirst().orElse(null);
    for (Entry e : entries) {
      if (e.subresource.equals("status") != sub.equals("status")) {
        // Entries of the other scope keep their fields unless those fields disappeared.
        e.removeAll(gone);
      } else if (e == mine) {
        e.removeAll(gone); // what it changed it keeps (added below)
      } else {
        e.removeAll(changedOrGone);
      }
    }
    if (!changed.isEmpty()) {
      if (mine == null) {
        mine = new Entry(manager, op, type.apiVersion(), now(), sub, new FieldSet(), null);
        entries.add(mine);
      }
      mine.addAll(changed);
      mine.touch(type.apiVersion(), now());
    }
    writeEntries(result, entries);
    return result;
  }

  // ------------------------------------------------------------------ managedFields I/O

  private static List<Entry> readEntries(JsonNode obj) {
    List<Entry> out = new ArrayList<>();
    for (JsonNode m : obj.path("metadata").path("managedFields")) {
      if (!m.isObject()) continue;
      out.add(new Entry(m.path("manager").asString(""), m.path("operation").asString(UPDATE),
          m.has("apiVersion") ? m.get("apiVersion").asString("") : null, m.has("time") ? m.get("time").asString("") : null,
          m.path("subresource").asString(""), FieldSet.decode(m.get("fieldsV1")), (ObjectNode) m));
    }
    return out;
  }

  /**
   * The entries of a stored object, their field sets decoded only when needed (see {@link Entry}).
   * {@code owned}: the entries' JSON belongs to the object being written and may be reused as is.
   * An entry whose fieldsV1 is not a non-empty object is decoded at once (writing drops empty ones).
   */
  private static List<Entry> readStoredEntries(JsonNode obj, boolean owned) {
    List<Entry> out = new ArrayList<>();
    for (JsonNode m : obj.path("metadata").path("managedFields")) {
      if (!m.isObject()) continue;
      Entry e = new Entry(m.path("manager").asString(""), m.path("operation").asString(UPDATE),
          m.has("apiVersion") ? m.get("apiVersion").asString("") : null, m.has("time") ? m.get("time").asString("") : null,
          m.path("subresource").asString(""), null, (ObjectNode) m);
      JsonNode f = m.get("fieldsV1");
      e.lazy = f != null && f.isObject() && !f.isEmpty();
      e.owned = owned;
      if (!e.lazy) e.fields();
      out.add(e);
    }
    return out;
  }

  private static void writeEntries(ObjectNode obj, List<Entry> entries) {
    JsonNode meta = obj.get("metadata");
    ObjectNode metadata = meta != null && meta.isObject() ? (ObjectNode) meta : obj.putObject("metadata");
    ArrayNode arr = NODES.arrayNode();
    for (Entry e : entries) if (!e.isEmpty()) arr.add(e.json());
    if (arr.isEmpty()) metadata.remove("managedFields");
    else metadata.set("managedFields", arr);
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
