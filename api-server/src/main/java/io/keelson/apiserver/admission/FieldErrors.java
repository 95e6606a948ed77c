package io.keelson.apiserver.admission;

import io.keelson.apiserver.status.StatusException.Cause;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/**
 * Collects validation failures worded as Kubernetes' {@code field.Error}s, so clients see the same
 * reasons ({@code FieldValueInvalid}, {@code FieldValueRequired}, ...) and messages
 * ({@code Invalid value: "x": ...}) in {@code details.causes}.
 */
final class FieldErrors {

  private final List<Cause> causes = new ArrayList<>();

  List<Cause> causes() {
    return causes;
  }

  boolean isEmpty() {
    return causes.isEmpty();
  }

  void required(String field) {
    causes.add(new Cause("FieldValueRequired", "Required value", field));
  }

  void required(String field, String detail) {
    causes.add(new Cause("FieldValueRequired", "Required value: " + detail, field));
  }

  void invalid(String field, Object value, String detail) {
    causes.add(new Cause("FieldValueInvalid", "Invalid value: " + format(value) + (detail.isEmpty() ? "" : ": " + detail), field));
  }

  void duplicate(String field, Object value) {
    causes.add(new Cause("FieldValueDuplicate", "Duplicate value: " + format(value), field));
  }

  void notFound(String field, Object value) {
    causes.add(new Cause("FieldValueNotFound", "Not found: " + format(value), field));
  }

  void notSupported(String field, Object value, List<String> supported) {
    causes.add(new Cause("FieldValueNotSupported", "Unsupported value: " + format(value) + ": supported values: "
        + supported.stream().map(FieldErrors::quote).collect(Collectors.joining(", ")), field));
  }

  void forbidden(String field, String detail) {
    causes.add(new Cause("FieldValueForbidden", "Forbidden: " + detail, field));
  }

  void tooLong(String field, int max) {
    causes.add(new Cause("FieldValueTooLong", "Too long: may not be more than " + max + " bytes", field));
  }

  void tooMany(String field, int actual, int max) {
    causes.add(new Cause("FieldValueTooMany", "Too many: " + actual + ": must have at most " + max + " items", field));
  }

  void typeInvalid(String field, Object value, String detail) {
    causes.add(new Cause("FieldValueTypeInvalid", "Invalid value: " + format(value) + ": " + detail, field));
  }

  /** Values print as Go's {@code %#v} would for the simple cases: strings quoted, numbers bare. */
  static String format(Object value) {
    if (value == null) return "null";
    if (value instanceof JsonNode n) {
      if (n.isString()) return quote(n.stringValue());
      return n.toString();
    }
    if (value instanceof String s) return quote(s);
    return String.valueOf(value);
  }

  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) sb.append(String.format("\\x%02x", (int) c));
          else sb.append(c);
        }
      }
    }
    return sb.append('"').toString();
  }
}
