package io.keelson.apiserver.printing;

import io.keelson.apiserver.printing.TablePrinter.Column;
import io.keelson.apiserver.resource.CustomResource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * The Table columns of a custom resource: Name, then its version's {@code additionalPrinterColumns}
 * (Age alone when it has none), each cell read by the column's JSONPath as kube's CRD table
 * convertor does.
 */
final class CustomColumns {

  private CustomColumns() {}

  static List<Column> of(CustomResource cr) {
    List<Column> out = new ArrayList<>();
    out.add(new Column("Name", "string", "name", "Name must be unique within a namespace.", 0,
        (o, now) -> Fields.str(o, "metadata.name")));
    JsonNode cols = cr == null ? null : cr.versionSpec().path("additionalPrinterColumns");
    if (cols == null || cols.isEmpty()) {
      out.add(column("Age", "date", "", "Time since the object was created.", 0, ".metadata.creationTimestamp"));
      return out;
    }
    for (JsonNode c : cols) {
      out.add(column(c.path("name").asString(""), c.path("type").asString("string"), c.path("format").asString(""),
          c.path("description").asString(""), c.path("priority").asInt(0), c.path("jsonPath").asString("")));
    }
    return out;
  }

  private static Column column(String name, String type, String format, String description, int priority, String path) {
    // "date" cells are shown as ages, as kubectl shows kube's own date columns
    String tableType = type.equals("date") ? "string" : type;
    return new Column(name, tableType, format, description, priority, (o, now) -> cell(type, select(o, path), now));
  }

  private static Object cell(String type, JsonNode v, Instant now) {
    if (v == null || v.isMissingNode() || v.isNull()) return "<none>"; // what kubectl shows for kube's null cells
    return switch (type) {
      case "date" -> v.isString() ? Ages.since(v.asString(), now) : v.toString();
      case "integer" -> v.isIntegralNumber() ? (Object) v.asLong() : text(v);
      case "boolean" -> v.isBoolean() ? (Object) v.asBoolean() : text(v);
      default -> text(v);
    };
  }

  private static String text(JsonNode v) {
    return v.isString() ? v.asString() : v.toString();
  }

  /**
   * A CRD column's JSONPath ({@code .spec.replicas}, {@code .spec.items[0].name},
   * {@code .status.conditions[?(@.type=="Ready")].status}); the first match, or null.
   */
  static JsonNode select(JsonNode o, String path) {
    String p = path.startsWith("{") && path.endsWith("}") ? path.substring(1, path.length() - 1) : path;
    JsonNode cur = o;
    int i = 0;
    while (cur != null && i < p.length()) {
      char ch = p.charAt(i);
      if (ch == '.') {
        int end = i + 1;
        while (end < p.length() && p.charAt(end) != '.' && p.charAt(end) != '[') end++;
        cur = cur.get(p.substring(i + 1, end));
        i = end;
      } else if (ch == '[') {
        int end = p.indexOf(']', i);
        if (end < 0) return null;
        String inside = p.substring(i + 1, end);
        if (inside.startsWith("?(@.")) cur = filter(cur, inside.substring(4, inside.length() - 1));
        else if (inside.equals("*")) cur = cur.isArray() && !cur.isEmpty() ? cur.get(0) : null;
        else {
          try {
            int idx = Integer.parseInt(inside.trim());
            cur = cur.isArray() ? cur.get(idx < 0 ? cur.size() + idx : idx) : null;
          } catch (NumberFormatException e) {
            cur = cur.get(inside.replace("'", "").replace("\"", ""));
          }
        }
        i = end + 1;
      } else {
        return null;
      }
    }
    return cur;
  }

  /** {@code type=="Ready"}: the first element of an array whose field equals the value. */
  private static JsonNode filter(JsonNode arr, String cond) {
    int eq = cond.indexOf("==");
    if (!arr.isArray() || eq < 0) return null;
    String field = cond.substring(0, eq).trim();
    String want = cond.substring(eq + 2).trim().replaceAll("^[\"']|[\"']$", "");
    for (JsonNode e : arr) {
      JsonNode v = e.get(field);
      if (v != null && (v.isString() ? v.asString() : v.toString()).equals(want)) return e;
    }
    return null;
  }
}
