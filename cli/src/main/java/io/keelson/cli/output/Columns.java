package io.keelson.cli.output;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * keelctl's own table columns per kind, used when the server returns plain lists instead of
 * Tables (e.g. an older server) and for watch events. Same columns kubectl shows.
 */
public final class Columns {
  private Columns() {}

  public static List<String> headers(String kind, boolean wide) {
    List<String> h =
        new ArrayList<>(
            switch (kind) {
              case "Pod" -> List.of("NAME", "READY", "STATUS", "RESTARTS", "AGE");
              case "Deployment" -> List.of("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE");
              case "ReplicaSet" -> List.of("NAME", "DESIRED", "CURRENT", "READY", "AGE");
              case "Node" -> List.of("NAME", "STATUS", "ROLES", "AGE", "VERSION");
              case "Service" -> List.of("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE");
              case "Namespace" -> List.of("NAME", "STATUS", "AGE");
              case "Event" -> List.of("LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE");
              case "RuntimeClass" -> List.of("NAME", "HANDLER", "AGE");
              case "Lease" -> List.of("NAME", "HOLDER", "AGE");
              default -> List.of("NAME", "AGE");
            });
    if (wide) {
      switch (kind) {
        case "Pod" -> h.addAll(List.of("IP", "NODE", "RUNTIME"));
        case "Node" -> h.addAll(List.of("INTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"));
        case "Deployment", "ReplicaSet" -> h.addAll(List.of("CONTAINERS", "IMAGES", "SELECTOR"));
        default -> {}
      }
    }
    return h;
  }

  public static List<String> row(String kind, JsonNode o, boolean wide) {
    JsonNode md = o.path("metadata");
    String name = md.path("name").asString("");
    String age = Ages.since(md.path("creationTimestamp").asString(null));
    JsonNode spec = o.path("spec");
    JsonNode st = o.path("status");
    List<String> r =
        new ArrayList<>(
            switch (kind) {
              case "Pod" ->
                  List.of(name, PodStatus.ready(o), Terminal.status(PodStatus.of(o)),
                      Integer.toString(PodStatus.restarts(o)), age);
              case "Deployment" ->
                  List.of(name, st.path("readyReplicas").asInt(0) + "/" + spec.path("replicas").asInt(1),
                      Integer.toString(st.path("updatedReplicas").asInt(0)),
                      Integer.toString(st.path("availableReplicas").asInt(0)), age);
              case "ReplicaSet" ->
                  List.of(name, Integer.toString(spec.path("replicas").asInt(1)),
                      Integer.toString(st.path("replicas").asInt(0)),
                      Integer.toString(st.path("readyReplicas").asInt(0)), age);
              case "Node" ->
                  List.of(name, Terminal.status(nodeStatus(o)), roles(o), age,
                      st.path("nodeInfo").path("kubeletVersion").asString(""));
              case "Service" ->
                  List.of(name, spec.path("type").asString("ClusterIP"), spec.path("clusterIP").asString("<none>"),
                      "<none>", ports(spec), age);
              case "Namespace" -> List.of(name, st.path("phase").asString("Active"), age);
              case "Event" ->
                  List.of(Ages.since(lastSeen(o)), o.path("type").asString(""), o.path("reason").asString(""),
                      o.path("involvedObject").path("kind").asString("").toLowerCase() + "/"
                          + o.path("involvedObject").path("name").asString(""),
                      o.path("message").asString("").strip());
              case "RuntimeClass" -> List.of(name, o.path("handler").asString(""), age);
              case "Lease" -> List.of(name, spec.path("holderIdentity").asString(""), age);
              default -> List.of(name, age);
            });
    if (wide) {
      switch (kind) {
        case "Pod" ->
            r.addAll(List.of(st.path("podIP").asString("<none>"), spec.path("nodeName").asString("<none>"),
                spec.path("runtimeClassName").asString("runc")));
        case "Node" ->
            r.addAll(List.of(internalIp(o), st.path("nodeInfo").path("osImage").asString(""),
                st.path("nodeInfo").path("kernelVersion").asString(""),
                st.path("nodeInfo").path("containerRuntimeVersion").asString("")));
        case "Deployment", "ReplicaSet" -> {
          List<String> names = new ArrayList<>();
          List<String> images = new ArrayList<>();
          for (JsonNode c : spec.path("template").path("spec").path("containers")) {
            names.add(c.path("name").asString(""));
            images.add(c.path("image").asString(""));
          }
          List<String> sel = new ArrayList<>();
          for (Map.Entry<String, JsonNode> e : spec.path("selector").path("matchLabels").properties()) {
            sel.add(e.getKey() + "=" + e.getValue().asString());
          }
          r.addAll(List.of(String.join(",", names), String.join(",", images), String.join(",", sel)));
        }
        default -> {}
      }
    }
    return r;
  }

  public static String nodeStatus(JsonNode node) {
    String s = "Unknown";
    for (JsonNode c : node.path("status").path("conditions")) {
      if ("Ready".equals(c.path("type").asString(""))) {
        s = "True".equals(c.path("status").asString("")) ? "Ready" : "NotReady";
      }
    }
    if (node.path("spec").path("unschedulable").asBoolean(false)) {
      s += ",SchedulingDisabled";
    }
    return s;
  }

  public static String roles(JsonNode node) {
    List<String> roles = new ArrayList<>();
    for (String k : node.path("metadata").path("labels").propertyNames()) {
      if (k.startsWith("node-role.kubernetes.io/")) {
        roles.add(k.substring("node-role.kubernetes.io/".length()));
      }
    }
    return roles.isEmpty() ? "<none>" : String.join(",", roles);
  }

  public static String internalIp(JsonNode node) {
    for (JsonNode a : node.path("status").path("addresses")) {
      if ("InternalIP".equals(a.path("type").asString(""))) {
        return a.path("address").asString("");
      }
    }
    return "<none>";
  }

  private static String ports(JsonNode spec) {
    List<String> out = new ArrayList<>();
    for (JsonNode p : spec.path("ports")) {
      String s = p.path("port").asString("");
      if (p.has("nodePort")) {
        s += ":" + p.path("nodePort").asString("");
      }
      out.add(s + "/" + p.path("protocol").asString("TCP"));
    }
    return out.isEmpty() ? "<none>" : String.join(",", out);
  }

  private static String lastSeen(JsonNode ev) {
    for (String f : new String[] {"lastTimestamp", "eventTime", "firstTimestamp"}) {
      if (ev.hasNonNull(f) && !ev.get(f).asString("").isEmpty()) {
        return ev.get(f).asString();
      }
    }
    return ev.path("metadata").path("creationTimestamp").asString(null);
  }

  /** Converts a server-side Table into a view; with allNamespaces, a NAMESPACE column first. */
  public static TableView fromServerTable(JsonNode table, boolean wide, boolean allNamespaces) {
    List<Integer> keep = new ArrayList<>();
    List<String> headers = new ArrayList<>();
    if (allNamespaces) {
      headers.add("NAMESPACE");
    }
    int i = 0;
    for (JsonNode c : table.path("columnDefinitions")) {
      if (c.path("priority").asInt(0) == 0 || wide) {
        keep.add(i);
        headers.add(c.path("name").asString("").toUpperCase());
      }
      i++;
    }
    TableView view = new TableView(headers);
    for (JsonNode row : table.path("rows")) {
      view.row(tableRow(row, keep, allNamespaces));
    }
    return view;
  }

  public static List<Integer> keptColumns(JsonNode table, boolean wide) {
    List<Integer> keep = new ArrayList<>();
    int i = 0;
    for (JsonNode c : table.path("columnDefinitions")) {
      if (c.path("priority").asInt(0) == 0 || wide) {
        keep.add(i);
      }
      i++;
    }
    return keep;
  }

  public static List<String> tableRow(JsonNode row, List<Integer> keep, boolean allNamespaces) {
    List<String> cells = new ArrayList<>();
    if (allNamespaces) {
      cells.add(row.path("object").path("metadata").path("namespace").asString(""));
    }
    for (int k : keep) {
      JsonNode cell = row.path("cells").path(k);
      String v = cell.isNull() || cell.isMissingNode() ? "<none>" : cell.isString() ? cell.asString() : cell.toString();
      cells.add(Terminal.status(v));
    }
    return cells;
  }
}
