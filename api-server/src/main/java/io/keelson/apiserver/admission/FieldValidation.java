package io.keelson.apiserver.admission;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.keelson.apiserver.resource.CustomResource;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Finds fields a kind's schema does not have ({@code fieldValidation=Strict|Warn}). The schema is the
 * fabric8 model class of the kind: its Jackson properties, walked recursively through nested
 * classes, lists and maps. Free-form places (maps of strings, raw extensions, {@code fieldsV1}) accept
 * anything.
 */
public final class FieldValidation {

  /** Properties of a model class, by JSON name; null means the class accepts any fields. */
  private static final Map<Class<?>, Map<String, Type>> PROPERTIES = new ConcurrentHashMap<>();

  private FieldValidation() {}

  /**
   * The paths of unknown fields in {@code obj}, e.g. {@code .spec.replicaz} or
   * {@code .spec.template.spec.containers[0].imagex}, in document order.
   */
  public static List<String> unknownFields(ResourceType type, ObjectNode obj) {
    List<String> out = new ArrayList<>();
    if (CustomResource.isCustom(type)) {
      // a custom resource: metadata as any object's, the rest per its definition's schema
      walk(io.fabric8.kubernetes.api.model.ObjectMeta.class, obj.get("metadata"), ".metadata", out);
      StructuralSchemas.prune(ResourceRegistry.customOf(type), obj.deepCopy(), out);
      return out;
    }
    walk(type.model(), obj, "", out);
    return out;
  }

  /**
   * Rejects values of the wrong JSON type (a string where the schema has an integer, an object where
   * it has a list, ...), as Kubernetes' decoder does before anything else looks at the object.
   *
   * @throws StatusException 400 BadRequest naming the first offending field
   */
  public static void checkTypes(ResourceType type, ObjectNode obj) {
    if (CustomResource.isCustom(type)) return; // the schema validation answers 422 for these, as kube does
    String problem = typeProblem(type.model(), obj, "", type.model().getSimpleName());
    if (problem != null) {
      throw StatusException.badRequest(type.kind() + " in version \"" + type.version() + "\" cannot be handled as a " + type.kind()
          + ": " + problem);
    }
  }

  private static String typeProblem(Type schema, JsonNode value, String path, String struct) {
    if (value == null || value.isNull()) return null;
    Class<?> raw = rawClass(schema);
    if (raw == null || raw == Object.class) return null;
    String expected = null;
    if (raw == String.class) {
      if (!value.isString()) expected = "string";
    } else if (raw == Integer.class || raw == int.class) {
      if (!value.isIntegralNumber() || !value.canConvertToInt()) expected = "int32";
    } else if (raw == Long.class || raw == long.class) {
      if (!value.isIntegralNumber() || !value.canConvertToLong()) expected = "int64";
    } else if (raw == Boolean.class || raw == boolean.class) {
      if (!value.isBoolean()) expected = "bool";
    } else if (raw == Double.class || raw == double.class || raw == Float.class || raw == float.class) {
      if (!value.isNumber()) expected = "float64";
    } else if (raw.getSimpleName().equals("IntOrString")) {
      if (!value.isIntegralNumber() && !value.isString()) expected = "intstr.IntOrString";
    } else if (raw.getSimpleName().equals("Quantity")) {
      if (!value.isNumber() && !value.isString()) expected = "resource.Quantity";
    } else if (java.time.temporal.Temporal.class.isAssignableFrom(raw) || raw.getSimpleName().equals("MicroTime")) {
      if (!value.isString()) expected = "v1.MicroTime";
      else {
        try {
          java.time.OffsetDateTime.parse(value.stringValue());
        } catch (java.time.format.DateTimeParseException e) {
          return "parsing time \"" + value.stringValue() + "\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse it as RFC 3339"
              + " (field " + path.substring(1) + ")";
        }
      }
    } else if (Collection.class.isAssignableFrom(raw) || raw.isArray()) {
      if (!value.isArray()) {
        expected = "[]" + goName(raw.isArray() ? raw.getComponentType() : typeArgument(schema, 0));
      } else {
        Type element = raw.isArray() ? raw.getComponentType() : typeArgument(schema, 0);
        for (int i = 0; i < value.size(); i++) {
          String p = typeProblem(element, value.get(i), path, struct);
          if (p != null) return p;
        }
      }
    } else if (Map.class.isAssignableFrom(raw)) {
      if (!value.isObject()) {
        expected = "map[string]" + goName(typeArgument(schema, 1));
      } else {
        for (Map.Entry<String, JsonNode> e : value.properties()) {
          String p = typeProblem(typeArgument(schema, 1), e.getValue(), path, struct);
          if (p != null) return p;
        }
      }
    } else if (properties(raw) != null) {
      if (!value.isObject()) {
        expected = "v1." + raw.getSimpleName();
      } else {
        Map<String, Type> props = properties(raw);
        for (Map.Entry<String, JsonNode> e : value.properties()) {
          Type t = props.get(e.getKey());
          if (t == null) continue;
          String p = typeProblem(t, e.getValue(), path + "." + e.getKey(), raw.getSimpleName());
          if (p != null) return p;
        }
      }
    }
    if (expected == null) return null;
    return "json: cannot unmarshal " + jsonType(value) + " into Go struct field " + struct + path + " of type " + expected;
  }

  private static String goName(Type t) {
    Class<?> c = rawClass(t);
    if (c == null || c == Object.class) return "interface {}";
    if (c == String.class) return "string";
    if (c == Integer.class) return "int32";
    if (c == Long.class) return "int64";
    if (c == Boolean.class) return "bool";
    return "v1." + c.getSimpleName();
  }

  private static String jsonType(JsonNode v) {
    if (v.isString()) return "string";
    if (v.isNumber()) return "number" + (v.isIntegralNumber() ? "" : " " + v.asString());
    if (v.isBoolean()) return "bool";
    if (v.isArray()) return "array";
    if (v.isObject()) return "object";
    return v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * Removes the unknown fields from {@code obj} and returns their paths: what Kubernetes does under
   * {@code fieldValidation=Warn|Ignore}, where unknown fields are dropped by decoding, never stored.
   */
  public static List<String> removeUnknownFields(ResourceType type, ObjectNode obj) {
    List<String> out = new ArrayList<>();
    if (CustomResource.isCustom(type)) {
      prune(io.fabric8.kubernetes.api.model.ObjectMeta.class, obj.get("metadata"), ".metadata", out);
      StructuralSchemas.prune(ResourceRegistry.customOf(type), obj, out);
      return out;
    }
    prune(type.model(), obj, "", out);
    return out;
  }

  private static void prune(Type schema, JsonNode value, String path, List<String> out) {
    if (value == null || value.isNull()) return;
    Class<?> raw = rawClass(schema);
    if (raw == null) return;
    if (Collection.class.isAssignableFrom(raw) || raw.isArray()) {
      if (!value.isArray()) return;
      Type element = raw.isArray() ? raw.getComponentType() : typeArgument(schema, 0);
      for (int i = 0; i < value.size(); i++) prune(element, value.get(i), path + "[" + i + "]", out);
      return;
    }
    if (Map.class.isAssignableFrom(raw)) {
      if (!value.isObject()) return;
      Type element = typeArgument(schema, 1);
      for (Map.Entry<String, JsonNode> e : value.properties()) prune(element, e.getValue(), path + "." + e.getKey(), out);
      return;
    }
    if (!value.isObject()) return;
    Map<String, Type> props = properties(raw);
    if (props == null) return;
    List<String> unknown = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : value.properties()) {
      Type t = props.get(e.getKey());
      if (t == null) unknown.add(e.getKey());
      else prune(t, e.getValue(), path + "." + e.getKey(), out);
    }
    for (String k : unknown) {
      out.add(path + "." + k);
      ((ObjectNode) value).remove(k);
    }
  }

  private static void walk(Type schema, JsonNode value, String path, List<String> out) {
    if (value == null || value.isNull()) return;
    Class<?> raw = rawClass(schema);
    if (raw == null) return;
    if (Collection.class.isAssignableFrom(raw) || raw.isArray()) {
      if (!value.isArray()) return; // type mismatches are the decoder's business
      Type element = raw.isArray() ? raw.getComponentType() : typeArgument(schema, 0);
      for (int i = 0; i < value.size(); i++) walk(element, value.get(i), path + "[" + i + "]", out);
      return;
    }
    if (Map.class.isAssignableFrom(raw)) {
      if (!value.isObject()) return;
      Type element = typeArgument(schema, 1);
      for (Map.Entry<String, JsonNode> e : value.properties()) walk(element, e.getValue(), path + "." + e.getKey(), out);
      return;
    }
    if (!value.isObject()) return;
    Map<String, Type> props = properties(raw);
    if (props == null) return;
    for (Map.Entry<String, JsonNode> e : value.properties()) {
      String child = path + "." + e.getKey();
      Type t = props.get(e.getKey());
      if (t == null) out.add(child);
      else walk(t, e.getValue(), child, out);
    }
  }

  private static Map<String, Type> properties(Class<?> cls) {
    return PROPERTIES.computeIfAbsent(cls, FieldValidation::introspect).isEmpty() ? null : PROPERTIES.get(cls);
  }

  /** JSON properties of a fabric8 model class; empty for leaf or free-form types. */
  private static Map<String, Type> introspect(Class<?> cls) {
    if (cls.isPrimitive() || cls.isEnum() || cls.isInterface() || Modifier.isAbstract(cls.getModifiers())
        || cls.getName().startsWith("java.") || !(cls.getName().startsWith("io.fabric8.") || cls.getName().startsWith("io.keelson.apiserver.model."))) {
      return Map.of();
    }
    Map<String, Type> props = new LinkedHashMap<>();
    for (Class<?> c = cls; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers()) || f.isAnnotationPresent(JsonIgnore.class)) continue;
        JsonProperty p = f.getAnnotation(JsonProperty.class);
        if (p == null) continue;
        String name = p.value().isEmpty() ? f.getName() : p.value();
        props.putIfAbsent(name, f.getGenericType());
      }
    }
    return props;
  }

  private static Class<?> rawClass(Type t) {
    if (t instanceof Class<?> c) return c;
    if (t instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) return c;
    return null;
  }

  private static Type typeArgument(Type t, int i) {
    if (t instanceof ParameterizedType p && p.getActualTypeArguments().length > i) return p.getActualTypeArguments()[i];
    return Object.class;
  }
}
