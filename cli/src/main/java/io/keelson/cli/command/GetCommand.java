package io.keelson.cli.command;

import io.keelson.cli.cluster.Cluster;
import io.keelson.cli.cluster.Query;
import io.keelson.cli.cluster.ResourceKind;
import io.keelson.cli.output.Columns;
import io.keelson.cli.output.Formats;
import io.keelson.cli.output.JsonPath;
import io.keelson.cli.output.TableView;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code keelctl get}: tables from the server (kubectl's columns), or yaml/json/name/jsonpath. */
@Command(
    name = "get",
    mixinStandardHelpOptions = true,
    description = "Display one or many resources.",
    footer = {
      "",
      "Examples:",
      "  keelctl get pods -o wide",
      "  keelctl get deploy web -o yaml",
      "  keelctl get pods -l app=web -w",
      "  keelctl get nodes -o jsonpath='{.items[*].metadata.name}'"
    })
public final class GetCommand extends ClusterCommand {
  @Parameters(paramLabel = "TYPE [NAME...] | TYPE/NAME...", description = "What to get.")
  List<String> args = new ArrayList<>();

  @Option(names = {"-o", "--output"}, description = "Output format: wide, yaml, json, name, jsonpath=TEMPLATE.")
  String output;

  @Option(names = {"-l", "--selector"}, description = "Label selector (e.g. app=web,tier!=db).")
  String selector;

  @Option(names = "--field-selector", description = "Field selector (e.g. spec.nodeName=node-1).")
  String fieldSelector;

  @Option(names = {"-A", "--all-namespaces"}, description = "List across all namespaces.")
  boolean allNamespaces;

  @Option(names = {"-w", "--watch"}, description = "After listing, watch for changes.")
  boolean watch;

  @Option(names = "--watch-only", description = "Watch for changes without listing first.")
  boolean watchOnly;

  @Option(names = "--no-headers", description = "Don't print column headers.")
  boolean noHeaders;

  private final PrintStream out = System.out;

  /** Targets the server answered NotFound for (reported as kubectl does; the exit code is then 1). */
  private int errors;

  @Override
  protected int run() throws Exception {
    if (args.isEmpty()) {
      throw new io.keelson.cli.UsageException("you must specify the type of resource (e.g. pods, deployments, nodes)");
    }
    Cluster c = cluster();
    Targets targets = Targets.parse(c.kinds(), args);
    String fmt = output == null ? "" : output;
    boolean wide = fmt.equals("wide");
    boolean table = fmt.isEmpty() || wide;
    if (!table && !fmt.equals("yaml") && !fmt.equals("json") && !fmt.equals("name")
        && !fmt.startsWith("jsonpath=") && !fmt.startsWith("jsonpath")) {
      throw new io.keelson.cli.UsageException(
          "unable to match a printer suitable for the output format \"" + fmt
              + "\", allowed formats are: json,jsonpath,name,wide,yaml");
    }
    List<JsonNode> objects = new ArrayList<>();
    boolean singleObject = targets.byKind().size() == 1
        && targets.byKind().values().iterator().next().size() == 1;
    boolean printedAny = false;
    String lastRv = null;
    for (Map.Entry<ResourceKind, List<String>> e : targets.byKind().entrySet()) {
      ResourceKind kind = e.getKey();
      boolean allNs = allNamespaces && kind.namespaced();
      String ns = allNs ? null : namespace();
      if (table) {
        TableView view = null;
        boolean ownColumns = false;
        for (String path : paths(kind, ns, e.getValue())) {
          if (watchOnly) {
            continue;
          }
          JsonNode answer = fetch(e.getValue(),
              () -> isCollection(path, e.getValue()) ? c.list(path, true) : c.getTable(path));
          if (answer == null) {
            continue;
          }
          if (weakTable(kind, answer)) {
            // the server's Table lacks the familiar columns: print our own from the objects
            answer = e.getValue().isEmpty() ? c.list(path, false) : c.get(path);
            ownColumns = true;
          }
          lastRv = answer.path("metadata").path("resourceVersion").asString(null);
          TableView part = toView(kind, answer, wide, allNs);
          if (view == null) {
            view = part;
          } else {
            printRowsInto(view, part, view.headers().size());
          }
        }
        if (view != null && view.size() > 0) {
          if (printedAny) {
            out.println();
          }
          if (targets.byKind().size() > 1) {
            prefixNames(view, kind);
          }
          view.print(out, !noHeaders);
          printedAny = true;
        }
        if ((watch || watchOnly) && targets.byKind().size() == 1) {
          watchTable(c, kind, ns, e.getValue(), lastRv, wide, allNs, view, ownColumns);
        }
      } else {
        for (String path : paths(kind, ns, e.getValue())) {
          JsonNode answer = fetch(e.getValue(),
              () -> isCollection(path, e.getValue()) ? c.list(path, false) : c.get(path));
          if (answer == null) {
            continue;
          }
          lastRv = answer.path("metadata").path("resourceVersion").asString(null);
          if (answer.has("items")) {
            for (JsonNode item : answer.get("items")) {
              ((ObjectNode) item).put("apiVersion", kind.apiVersion());
              ((ObjectNode) item).put("kind", kind.kind());
              objects.add(item);
            }
          } else {
            objects.add(answer);
          }
        }
        if ((watch || watchOnly) && targets.byKind().size() == 1) {
          printObjects(objects, fmt, singleObject, kindOf(targets));
          objects.clear();
          watchObjects(c, kind, ns, e.getValue(), lastRv, fmt);
        }
      }
    }
    if (!table) {
      if (objects.isEmpty() && !singleObject) {
        if (fmt.equals("yaml") || fmt.equals("json")) {
          printObjects(objects, fmt, false, kindOf(targets));
        } else {
          System.err.println(noneFound());
        }
      } else {
        printObjects(objects, fmt, singleObject, kindOf(targets));
      }
    } else if (!printedAny && errors == 0) {
      System.err.println(noneFound());
    }
    return errors > 0 ? 1 : 0;
  }

  /** With several kinds in one get, kubectl shows names as type/name. */
  private void prefixNames(TableView view, ResourceKind kind) {
    int col = view.headers().indexOf("NAME");
    if (col < 0) {
      return;
    }
    for (List<String> row : view.rows()) {
      if (col < row.size()) {
        row.set(col, kind.qualifiedName() + "/" + row.get(col));
      }
    }
  }

  /** A Table with fewer columns than keelctl knows for this kind (e.g. only Name). */
  static boolean weakTable(ResourceKind kind, JsonNode answer) {
    if (!"Table".equals(answer.path("kind").asString(""))) {
      return false;
    }
    int known = Columns.headers(kind.kind(), false).size();
    return known > 2 && answer.path("columnDefinitions").size() < known;
  }

  /**
   * One request's answer, or null when its target is missing: a NotFound is reported as kubectl does
   * and counted, except for a kind of {@code get all} that this server does not serve.
   */
  private JsonNode fetch(List<String> names, java.util.function.Supplier<JsonNode> request) {
    try {
      return request.get();
    } catch (io.keelson.cli.cluster.ApiException ex) {
      if (!ex.notFound()) {
        throw ex;
      }
      if (!(names.isEmpty() && "all".equals(args.get(0)))) {
        System.err.println("Error from server (NotFound): " + ex.getMessage());
        errors++;
      }
      return null;
    }
  }

  private static boolean isCollection(String path, List<String> names) {
    return names.isEmpty();
  }

  private static ResourceKind kindOf(Targets t) {
    return t.byKind().keySet().iterator().next();
  }

  private String noneFound() {
    boolean clusterScoped = args.isEmpty() ? false : !cluster().kinds().resolve(args.get(0).split("[,/]")[0]).namespaced();
    return allNamespaces || clusterScoped ? "No resources found" : "No resources found in " + namespace() + " namespace.";
  }

  private List<String> paths(ResourceKind kind, String ns, List<String> names) {
    List<String> out = new ArrayList<>();
    if (names.isEmpty()) {
      out.add(Query.of().add("labelSelector", selector).add("fieldSelector", fieldSelector)
          .on(kind.collectionPath(ns)));
    } else {
      for (String n : names) {
        out.add(kind.objectPath(ns == null ? namespace() : ns, n));
      }
    }
    return out;
  }

  static TableView toView(ResourceKind kind, JsonNode answer, boolean wide, boolean allNs) {
    if ("Table".equals(answer.path("kind").asString(""))) {
      return Columns.fromServerTable(answer, wide, allNs);
    }
    List<String> headers = new ArrayList<>(Columns.headers(kind.kind(), wide));
    if (allNs) {
      headers.add(0, "NAMESPACE");
    }
    TableView v = new TableView(headers);
    List<JsonNode> items = new ArrayList<>();
    if (answer.has("items")) {
      answer.get("items").forEach(items::add);
    } else {
      items.add(answer);
    }
    for (JsonNode o : items) {
      List<String> row = new ArrayList<>(Columns.row(kind.kind(), o, wide));
      if (allNs) {
        row.add(0, o.path("metadata").path("namespace").asString(""));
      }
      v.row(row);
    }
    return v;
  }

  private static void printRowsInto(TableView into, TableView from, int width) {
    // several single-name gets of one kind share the same columns: one table
    from.rows().forEach(into::row);
  }

  private void printObjects(List<JsonNode> objects, String fmt, boolean single, ResourceKind kind) {
    if (objects.isEmpty() && single) {
      return;
    }
    if (fmt.equals("name")) {
      for (JsonNode o : objects) {
        out.println(nameOf(o, kind));
      }
      return;
    }
    JsonNode doc;
    if (single && objects.size() == 1) {
      doc = objects.get(0);
    } else {
      ObjectNode list = Cluster.object();
      list.put("apiVersion", "v1");
      ArrayNode items = list.putArray("items");
      objects.forEach(items::add);
      list.put("kind", "List");
      list.putObject("metadata").put("resourceVersion", "");
      doc = list;
    }
    if (fmt.equals("yaml")) {
      out.print(Formats.yaml(doc));
    } else if (fmt.equals("json")) {
      out.println(Formats.json(doc));
    } else {
      String template = fmt.startsWith("jsonpath=") ? fmt.substring(9) : fmt.substring(8);
      out.print(JsonPath.compile(template).render(doc));
    }
  }

  static String nameOf(JsonNode o, ResourceKind fallback) {
    String kind = o.path("kind").asString(fallback.kind()).toLowerCase();
    String apiVersion = o.path("apiVersion").asString(fallback.apiVersion());
    String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
    return (group.isEmpty() ? kind : kind + "." + group) + "/" + o.path("metadata").path("name").asString("");
  }

  // ---- watch -------------------------------------------------------------------------------

  private String watchPath(ResourceKind kind, String ns, List<String> names, String rv) {
    String fs = fieldSelector;
    if (names.size() == 1) {
      fs = "metadata.name=" + names.get(0);
    }
    return Query.of().add("labelSelector", selector).add("fieldSelector", fs).add("watch", "true")
        .add("resourceVersion", rv).add("allowWatchBookmarks", "false")
        .on(kind.collectionPath(ns == null && kind.namespaced() && !allNamespaces ? namespace() : ns));
  }

  private void watchTable(Cluster c, ResourceKind kind, String ns, List<String> names, String rv, boolean wide,
      boolean allNs, TableView initial, boolean ownColumns) throws Exception {
    int[] widths = initial == null ? null : initial.widths();
    boolean headerPrinted = initial != null && initial.size() > 0 && !noHeaders;
    String accept = ownColumns ? "application/json" : Cluster.TABLE_ACCEPT;
    try (InputStream in = c.stream(watchPath(kind, ns, names, rv), accept);
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode ev = Cluster.JSON.readTree(line);
        String type = ev.path("type").asString("");
        if (type.equals("BOOKMARK")) {
          continue;
        }
        if (type.equals("ERROR")) {
          throw new IllegalStateException("watch ended: " + ev.path("object").path("message").asString(""));
        }
        TableView v = toView(kind, ev.path("object"), wide, allNs);
        if (widths == null) {
          widths = v.widths();
        }
        if (!headerPrinted && !noHeaders) {
          out.println(TableView.line(v.headers(), widths));
          headerPrinted = true;
        }
        for (List<String> row : v.rows()) {
          out.println(TableView.line(row, widths));
        }
        out.flush();
      }
    }
  }

  private void watchObjects(Cluster c, ResourceKind kind, String ns, List<String> names, String rv, String fmt)
      throws Exception {
    try (InputStream in = c.stream(watchPath(kind, ns, names, rv), "application/json");
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode ev = Cluster.JSON.readTree(line);
        if (!ev.path("type").asString("").matches("ADDED|MODIFIED|DELETED")) {
          continue;
        }
        if (fmt.equals("yaml")) {
          out.println("---");
        }
        printObjects(List.of(ev.get("object")), fmt, true, kind);
        out.flush();
      }
    }
  }
}
