package io.keelson.cli.output;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * kubectl's JSONPath templates: literal text with {@code {.path}} expressions, {@code [*]},
 * {@code [n]}, {@code ['key']}, filters {@code [?(@.type=="InternalIP")]}, {@code ..name},
 * {@code {range .items[*]}...{end}} and string literals such as {@code {"\n"}}.
 */
public final class JsonPath {
  private sealed interface Part permits Text, Expr, Range {}

  private record Text(String text) implements Part {}

  private record Expr(String path) implements Part {}

  private record Range(String path, List<Part> body) implements Part {}

  private final List<Part> parts;

  private JsonPath(List<Part> parts) {
    this.parts = parts;
  }

  public static JsonPath compile(String template) {
    String t = template.trim().isEmpty() ? template : template;
    if (!t.contains("{")) {
      t = "{" + t + "}"; // kubectl accepts a bare path
    }
    List<List<Part>> stack = new ArrayList<>();
    List<String> rangePaths = new ArrayList<>();
    List<Part> current = new ArrayList<>();
    int i = 0;
    StringBuilder text = new StringBuilder();
    while (i < t.length()) {
      char c = t.charAt(i);
      if (c != '{') {
        text.append(c);
        i++;
        continue;
      }
      int end = closing(t, i);
      if (text.length() > 0) {
        current.add(new Text(text.toString()));
        text.setLength(0);
      }
      String inner = t.substring(i + 1, end).trim();
      i = end + 1;
      if (inner.startsWith("range ")) {
        stack.add(current);
        rangePaths.add(inner.substring(6).trim());
        current = new ArrayList<>();
      } else if (inner.equals("end")) {
        if (stack.isEmpty()) {
          throw new IllegalArgumentException("jsonpath: {end} without {range}");
        }
        Range r = new Range(rangePaths.remove(rangePaths.size() - 1), current);
        current = stack.remove(stack.size() - 1);
        current.add(r);
      } else if (inner.length() >= 2 && (inner.charAt(0) == '"' || inner.charAt(0) == '\'')) {
        current.add(new Text(unquote(inner)));
      } else {
        current.add(new Expr(inner));
      }
    }
    if (text.length() > 0) {
      current.add(new Text(text.toString()));
    }
    if (!stack.isEmpty()) {
      throw new IllegalArgumentException("jsonpath: {range} without {end}");
    }
    return new JsonPath(current);
  }

  private static int closing(String t, int open) {
    boolean quoted = false;
    char q = 0;
    for (int i = open + 1; i < t.length(); i++) {
      char c = t.charAt(i);
      if (quoted) {
        if (c == '\\') {
          i++;
        } else if (c == q) {
          quoted = false;
        }
      } else if (c == '"' || c == '\'') {
        quoted = true;
        q = c;
      } else if (c == '}') {
        return i;
      }
    }
    throw new IllegalArgumentException("jsonpath: unclosed { in " + t);
  }

  private static String unquote(String s) {
    String body = s.substring(1, s.length() - 1);
    return body.replace("\\n", "\n").replace("\\t", "\t").replace("\\\"", "\"").replace("\\'", "'");
  }

  public String render(JsonNode root) {
    StringBuilder out = new StringBuilder();
    render(parts, root, root, out);
    return out.toString();
  }

  private void render(List<Part> ps, JsonNode root, JsonNode cur, StringBuilder out) {
    for (Part p : ps) {
      switch (p) {
        case Text t -> out.append(t.text());
        case Expr e -> {
          List<JsonNode> values = eval(e.path(), root, cur);
          for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
              out.append(' ');
            }
            out.append(format(values.get(i)));
          }
        }
        case Range r -> {
          for (JsonNode n : eval(r.path(), root, cur)) {
            render(r.body(), root, n, out);
          }
        }
      }
    }
  }

  private static String format(JsonNode n) {
    if (n.isString()) {
      return n.asString();
    }
    if (n.isNull() || n.isMissingNode()) {
      return "";
    }
    return n.toString();
  }

  /** Evaluates one path expression against the root ($) or the current node (. or @). */
  public static List<JsonNode> eval(String path, JsonNode root, JsonNode cur) {
    String p = path.trim();
    List<JsonNode> nodes = new ArrayList<>();
    if (p.startsWith("$")) {
      nodes.add(root);
      p = p.substring(1);
    } else if (p.startsWith("@")) {
      nodes.add(cur);
      p = p.substring(1);
    } else {
      nodes.add(cur);
    }
    int i = 0;
    while (i < p.length() && !nodes.isEmpty()) {
      char c = p.charAt(i);
      if (c == '.' && i + 1 < p.length() && p.charAt(i + 1) == '.') {
        int j = nameEnd(p, i + 2);
        String name = p.substring(i + 2, j);
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode n : nodes) {
          descend(n, name, found);
        }
        nodes = found;
        i = j;
      } else if (c == '.') {
        int j = nameEnd(p, i + 1);
        String name = p.substring(i + 1, j);
        nodes = child(nodes, name);
        i = j;
      } else if (c == '[') {
        int j = bracketEnd(p, i);
        String sel = p.substring(i + 1, j).trim();
        nodes = select(nodes, sel, root);
        i = j + 1;
      } else {
        int j = nameEnd(p, i);
        nodes = child(nodes, p.substring(i, j));
        i = j;
      }
    }
    nodes.removeIf(n -> n == null || n.isMissingNode());
    return nodes;
  }

  private static int nameEnd(String p, int from) {
    int j = from;
    while (j < p.length() && p.charAt(j) != '.' && p.charAt(j) != '[') {
      j++;
    }
    return j;
  }

  private static int bracketEnd(String p, int open) {
    int depth = 0;
    boolean quoted = false;
    char q = 0;
    for (int j = open; j < p.length(); j++) {
      char c = p.charAt(j);
      if (quoted) {
        if (c == q) {
          quoted = false;
        }
      } else if (c == '"' || c == '\'') {
        quoted = true;
        q = c;
      } else if (c == '[') {
        depth++;
      } else if (c == ']' && --depth == 0) {
        return j;
      }
    }
    throw new IllegalArgumentException("jsonpath: unclosed [ in " + p);
  }

  private static List<JsonNode> child(List<JsonNode> nodes, String name) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode n : nodes) {
      if (name.isEmpty()) {
        out.add(n);
      } else if (name.equals("*")) {
        n.values().forEach(out::add);
      } else if (n.isObject() && n.has(name)) {
        out.add(n.get(name));
      }
    }
    return out;
  }

  private static void descend(JsonNode n, String name, List<JsonNode> found) {
    if (n.isObject()) {
      if (n.has(name)) {
        found.add(n.get(name));
      }
      for (JsonNode v : n.values()) {
        descend(v, name, found);
      }
    } else if (n.isArray()) {
      for (JsonNode v : n) {
        descend(v, name, found);
      }
    }
  }

  private static List<JsonNode> select(List<JsonNode> nodes, String sel, JsonNode root) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode n : nodes) {
      if (sel.equals("*")) {
        n.values().forEach(out::add);
      } else if (sel.startsWith("'") || sel.startsWith("\"")) {
        String key = sel.substring(1, sel.length() - 1);
        if (n.has(key)) {
          out.add(n.get(key));
        }
      } else if (sel.startsWith("?(") && sel.endsWith(")")) {
        String cond = sel.substring(2, sel.length() - 1).trim();
        for (JsonNode e : n.isArray() ? n : List.of(n)) {
          if (matches(cond, root, e)) {
            out.add(e);
          }
        }
      } else if (n.isArray()) {
        int size = n.size();
        if (sel.contains(":")) {
          String[] b = sel.split(":", -1);
          int from = b[0].isBlank() ? 0 : index(Integer.parseInt(b[0].trim()), size);
          int to = b[1].isBlank() ? size : index(Integer.parseInt(b[1].trim()), size);
          for (int k = Math.max(0, from); k < Math.min(size, to); k++) {
            out.add(n.get(k));
          }
        } else {
          int k = index(Integer.parseInt(sel), size);
          if (k >= 0 && k < size) {
            out.add(n.get(k));
          }
        }
      }
    }
    return out;
  }

  private static int index(int i, int size) {
    return i < 0 ? size + i : i;
  }

  private static boolean matches(String cond, JsonNode root, JsonNode e) {
    for (String op : new String[] {"==", "!=", ">=", "<=", ">", "<"}) {
      int at = cond.indexOf(op);
      if (at > 0) {
        List<JsonNode> left = eval(cond.substring(0, at), root, e);
        String rightRaw = cond.substring(at + op.length()).trim();
        String right =
            rightRaw.startsWith("\"") || rightRaw.startsWith("'")
                ? rightRaw.substring(1, rightRaw.length() - 1)
                : rightRaw;
        if (left.isEmpty()) {
          return op.equals("!=");
        }
        String l = format(left.get(0));
        return switch (op) {
          case "==" -> l.equals(right);
          case "!=" -> !l.equals(right);
          default -> compare(l, right, op);
        };
      }
    }
    return !eval(cond, root, e).isEmpty();
  }

  private static boolean compare(String l, String r, String op) {
    try {
      double a = Double.parseDouble(l);
      double b = Double.parseDouble(r);
      return switch (op) {
        case ">=" -> a >= b;
        case "<=" -> a <= b;
        case ">" -> a > b;
        default -> a < b;
      };
    } catch (NumberFormatException ex) {
      return false;
    }
  }
}
