package io.keelson.apiserver.openapi;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.Quantity;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.time.temporal.Temporal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Generates OpenAPI v3 component schemas by reflecting over fabric8 model classes: the JSON property
 * names and Java types of their fields give the structure; {@link FieldDocs} adds descriptions,
 * required fields and strategic-merge extensions; {@link SchemaNames} gives Kubernetes' names.
 *
 * <p>One generator collects the closure of every class it is asked about, so a group/version
 * document is self-contained.
 */
final class SchemaGenerator {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** String fields fabric8 declares as plain strings but Kubernetes types as meta/v1 Time. */
  private static final Set<String> TIME_FIELDS = Set.of(
      "creationTimestamp", "deletionTimestamp", "lastTransitionTime", "lastProbeTime", "lastHeartbeatTime",
      "startedAt", "finishedAt", "startTime", "lastUpdateTime", "firstTimestamp", "lastTimestamp", "time",
      "deprecatedFirstTimestamp", "deprecatedLastTimestamp", "lastScaleTime", "completionTime",
      "lastScheduleTime", "lastSuccessfulTime", "expirationTimestamp");

  private final Map<String, ObjectNode> schemas = new TreeMap<>();
  private final Deque<Class<?>> pending = new ArrayDeque<>();
  private final Set<Class<?>> seen = new java.util.HashSet<>();

  /** Adds the schema of a class (and everything it references); returns its definition name. */
  String add(Class<?> model) {
    String name = SchemaNames.of(model);
    enqueue(model);
    drain();
    return name;
  }

  /** Marks a generated definition as the schema of a served kind. */
  void markKind(String definition, String group, String version, String kind) {
    ObjectNode s = schemas.get(definition);
    if (s == null) return;
    ArrayNode gvks = s.has("x-kubernetes-group-version-kind")
        ? (ArrayNode) s.get("x-kubernetes-group-version-kind")
        : s.putArray("x-kubernetes-group-version-kind");
    for (var existing : gvks) {
      if (existing.path("kind").asString().equals(kind) && existing.path("group").asString().equals(group)
          && existing.path("version").asString().equals(version)) {
        return;
      }
    }
    ObjectNode gvk = gvks.addObject();
    gvk.put("group", group);
    gvk.put("kind", kind);
    gvk.put("version", version);
  }

  /** Adds a hand-built schema (Patch, Time, ...) unless one of that name exists. */
  void addRaw(String name, ObjectNode schema) {
    schemas.putIfAbsent(name, schema);
  }

  Map<String, ObjectNode> schemas() {
    return schemas;
  }

  private void enqueue(Class<?> c) {
    if (seen.add(c)) pending.add(c);
  }

  private void drain() {
    while (!pending.isEmpty()) {
      Class<?> c = pending.poll();
      String name = SchemaNames.of(c);
      schemas.put(name, classSchema(c, name));
    }
  }

  private ObjectNode classSchema(Class<?> c, String name) {
    // Scalars with two JSON forms are written as Kubernetes' v3 documents do: oneOf without a top-level
    // type, so that explain shows <Quantity>/<IntOrString> and validators accept both forms.
    if (c == Quantity.class) {
      ObjectNode s = NODES.objectNode();
      s.put("description", FieldDocs.typeByName("Quantity"));
      ArrayNode oneOf = s.putArray("oneOf");
      oneOf.addObject().put("type", "string");
      oneOf.addObject().put("type", "number");
      return s;
    }
    if (c == IntOrString.class) {
      ObjectNode s = NODES.objectNode();
      s.put("description", FieldDocs.typeByName("IntOrString"));
      s.put("format", "int-or-string");
      ArrayNode oneOf = s.putArray("oneOf");
      oneOf.addObject().put("type", "integer");
      oneOf.addObject().put("type", "string");
      s.put("x-kubernetes-int-or-string", true);
      return s;
    }
    if (c == MicroTime.class) {
      return primitive("string", "date-time", FieldDocs.typeByName("MicroTime"));
    }
    ObjectNode s = NODES.objectNode();
    s.put("description", FieldDocs.type(c, name));
    s.put("type", "object");
    ObjectNode props = NODES.objectNode();
    Set<String> required = new TreeSet<>();
    for (Field f : jsonFields(c)) {
      String prop = f.getAnnotation(JsonProperty.class).value();
      if (prop.isEmpty()) prop = f.getName();
      ObjectNode ps = propertySchema(c, prop, f.getGenericType());
      props.set(prop, ps);
      if (FieldDocs.required(c).contains(prop)) required.add(prop);
    }
    if (props.isEmpty()) {
      // A type fabric8 models as a bag of additional properties (FieldsV1, RawExtension): free-form.
      s.put("x-kubernetes-preserve-unknown-fields", true);
    } else {
      s.set("properties", props);
    }
    if (!required.isEmpty()) {
      ArrayNode req = s.putArray("required");
      required.forEach(req::add);
    }
    return s;
  }

  private ObjectNode propertySchema(Class<?> owner, String prop, Type type) {
    Class<?> raw = rawClass(type);
    ObjectNode s = typeSchema(type, prop);
    String description = FieldDocs.field(owner, prop, raw);
    if (s.has("$ref")) {
      // Siblings of $ref are ignored by OpenAPI 3.0; Kubernetes wraps refs in allOf to keep a description.
      ObjectNode wrapped = NODES.objectNode();
      wrapped.putArray("allOf").add(s);
      s = wrapped;
    }
    s.put("description", description);
    FieldDocs.ListMeta lm = FieldDocs.list(owner, prop);
    if (lm != null) {
      boolean array = s.has("type") && "array".equals(s.get("type").asString());
      if (array && lm.listType() != null) s.put("x-kubernetes-list-type", lm.listType());
      if (array && lm.mapKeys() != null) {
        ArrayNode keys = s.putArray("x-kubernetes-list-map-keys");
        lm.mapKeys().forEach(keys::add);
      }
      if (lm.mergeKey() != null) s.put("x-kubernetes-patch-merge-key", lm.mergeKey());
      if (lm.patchStrategy() != null) s.put("x-kubernetes-patch-strategy", lm.patchStrategy());
    }
    return s;
  }

  /** The schema of a Java type; model classes become {@code $ref}s and are queued for generation. */
  private ObjectNode typeSchema(Type type, String prop) {
    Class<?> raw = rawClass(type);
    if (raw == String.class) {
      if (prop != null && TIME_FIELDS.contains(prop)) return ref(SchemaNames.TIME);
      return primitive("string", null, null);
    }
    if (raw == Integer.class || raw == int.class || raw == Short.class || raw == short.class) {
      return primitive("integer", "int32", null);
    }
    if (raw == Long.class || raw == long.class) return primitive("integer", "int64", null);
    if (raw == Boolean.class || raw == boolean.class) return primitive("boolean", null, null);
    if (raw == Double.class || raw == double.class || raw == Float.class || raw == float.class) {
      return primitive("number", "double", null);
    }
    if (Number.class.isAssignableFrom(raw)) return primitive("number", null, null);
    if (Temporal.class.isAssignableFrom(raw)) return ref(SchemaNames.MICRO_TIME);
    if (raw.isEnum()) {
      ObjectNode s = primitive("string", null, null);
      ArrayNode values = s.putArray("enum");
      for (Object e : raw.getEnumConstants()) values.add(e.toString());
      return s;
    }
    if (raw == byte[].class) return primitive("string", "byte", null);
    if (Collection.class.isAssignableFrom(raw) || raw.isArray()) {
      ObjectNode s = NODES.objectNode();
      s.put("type", "array");
      Type item = raw.isArray() ? raw.getComponentType() : typeArg(type, 0);
      s.set("items", itemSchema(item));
      return s;
    }
    if (Map.class.isAssignableFrom(raw)) {
      ObjectNode s = NODES.objectNode();
      s.put("type", "object");
      Type value = typeArg(type, 1);
      if (rawClass(value) != Object.class) s.set("additionalProperties", itemSchema(value));
      return s;
    }
    if (SchemaNames.isModel(raw)) {
      enqueue(raw);
      if (raw == Quantity.class) return ref(SchemaNames.QUANTITY);
      if (raw == IntOrString.class) return ref(SchemaNames.INT_OR_STRING);
      return ref(SchemaNames.of(raw));
    }
    // Object, JsonNode, KubernetesResource, ...: anything goes.
    ObjectNode s = NODES.objectNode();
    s.put("type", "object");
    s.put("x-kubernetes-preserve-unknown-fields", true);
    return s;
  }

  /** Items and map values: refs wrapped in allOf with a default, as Kubernetes' v3 documents do. */
  private ObjectNode itemSchema(Type type) {
    ObjectNode s = typeSchema(type, null);
    if (s.has("$ref")) {
      ObjectNode wrapped = NODES.objectNode();
      wrapped.putArray("allOf").add(s);
      Class<?> raw = rawClass(type);
      if (raw != Quantity.class && raw != IntOrString.class) wrapped.putObject("default");
      return wrapped;
    }
    return s;
  }

  static List<Field> jsonFields(Class<?> c) {
    List<Field> fields = new ArrayList<>();
    for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
      List<Field> own = new ArrayList<>();
      for (Field f : k.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers())) continue;
        if (f.isAnnotationPresent(JsonIgnore.class)) continue;
        if (!f.isAnnotationPresent(JsonProperty.class)) continue;
        own.add(f);
      }
      fields.addAll(0, own);
    }
    return fields;
  }

  private static ObjectNode primitive(String type, String format, String description) {
    ObjectNode s = NODES.objectNode();
    if (description != null) s.put("description", description);
    s.put("type", type);
    if (format != null) s.put("format", format);
    return s;
  }

  private static ObjectNode ref(String name) {
    ObjectNode s = NODES.objectNode();
    s.put("$ref", "#/components/schemas/" + name);
    return s;
  }

  private static Class<?> rawClass(Type t) {
    if (t instanceof Class<?> c) return c;
    if (t instanceof ParameterizedType p) return rawClass(p.getRawType());
    if (t instanceof WildcardType w) return rawClass(w.getUpperBounds()[0]);
    return Object.class;
  }

  private static Type typeArg(Type t, int i) {
    if (t instanceof ParameterizedType p && p.getActualTypeArguments().length > i) return p.getActualTypeArguments()[i];
    return Object.class;
  }
}
