package io.keelson.apiserver.cel;

import com.google.protobuf.NullValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * JSON trees as CEL values: objects as maps, arrays as lists, integers as {@code int}, other numbers
 * as {@code double}, strings, bools and {@code null}, so that an int-or-string is whichever it holds.
 */
public final class CelValues {

  private CelValues() {}

  /** The CEL value of a JSON node; a missing node is CEL's {@code null}. */
  public static Object of(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) return NullValue.NULL_VALUE;
    if (n.isObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : n.properties()) m.put(e.getKey(), of(e.getValue()));
      return m;
    }
    if (n.isArray()) {
      List<Object> l = new ArrayList<>(n.size());
      for (JsonNode item : n) l.add(of(item));
      return l;
    }
    if (n.isIntegralNumber() && n.canConvertToLong()) return n.longValue();
    if (n.isNumber()) return n.doubleValue();
    if (n.isBoolean()) return n.booleanValue();
    return n.asString();
  }

  /** An {@code optional} variable's value (kube's optionalOldSelf): empty when there is no old value. */
  public static Optional<Object> optional(JsonNode n) {
    return n == null || n.isMissingNode() ? Optional.empty() : Optional.of(of(n));
  }

  /** A result as plain Java: CEL's null as {@code null}, everything else as it is. */
  static Object toJava(Object v) {
    return v instanceof NullValue || v instanceof dev.cel.common.values.NullValue ? null : v;
  }

  /** CEL's name of a value's type, for error messages. */
  public static String typeName(Object v) {
    return switch (v) {
      case null -> "null_type";
      case Boolean b -> "bool";
      case Long l -> "int";
      case Double d -> "double";
      case String s -> "string";
      case List<?> l -> "list";
      case Map<?, ?> m -> "map";
      default -> v.getClass().getSimpleName();
    };
  }
}
