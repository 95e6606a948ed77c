package io.keelson.cli.command;

import io.keelson.cli.cluster.Cluster;
import io.keelson.cli.cluster.Query;
import io.keelson.cli.cluster.ResourceKind;
import io.keelson.cli.output.Ages;
import io.keelson.cli.output.Columns;
import io.keelson.cli.output.Formats;
import io.keelson.cli.output.PodStatus;
import io.keelson.cli.output.Quantities;
import io.keelson.cli.output.TableView;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/**
 * {@code keelctl describe}: pods (containers, states, events), nodes (capacity, allocatable, what
 * pods have allocated), deployments (replicas, strategy, conditions, ReplicaSets, events); other
 * kinds as YAML plus their events.
 */
@Command(
    name = "describe",
    mixinStandardHelpOptions = true,
    description = "Show details of a resource, with related objects and events.",
    footer = {"", "Examples:", "  keelctl describe pod web-7d9f-abcde", "  keelctl describe node lab-1",
        "  keelctl describe deploy web"})
public final class DescribeCommand extends ClusterCommand {
  @Parameters(paramLabel = "TYPE [NAME...] | TYPE/NAME...")
  List<String> args = new ArrayList<>();

  @Option(names = {"-l", "--selector"}, description = "Label selector.")
  String selector;

  private PrintStream out = System.out;

  @Override
  protected int run() {
    if (args.isEmpty()) {
      throw new io.keelson.cli.UsageException("you must specify the type of resource (e.g. pods, deployments, nodes)");
    }
    Cluster c = cluster();
    Targets targets = Targets.parse(c.kinds(), args);
    boolean first = true;
    for (Map.Entry<ResourceKind, List<String>> e : targets.byKind().entrySet()) {
      ResourceKind kind = e.getKey();
      List<JsonNode> objects = new ArrayList<>();
      if (e.getValue().isEmpty()) {
        c.list(Query.of().add("labelSelector", selector).on(kind.collectionPath(namespace())), false)
            .path("items").forEach(objects::add);
      } else {
        for (String n : e.getValue()) {
          objects.add(c.get(kind.objectPath(namespace(), n)));
        }
      }
      for (JsonNode o : objects) {
        if (!first) {
          out.println();
          out.println();
        }
        first = false;
        switch (kind.kind()) {
          case "Pod" -> pod(c, o);
          case "Node" -> node(c, o);
          case "Deployment" -> deployment(c, o);
          default -> generic(c, kind, o);
        }
      }
    }
    return 0;
  }

  private void field(String name, Object value) {
    String label = name + ":";
    out.println(String.format("%-" + Math.max(20, label.length() + 2) + "s%s", label, value == null ? "<none>" : value));
  }

  private void indented(int indent, String name, Object value) {
    String pad = " ".repeat(indent);
    String label = name + ":";
    out.println(pad + String.format("%-" + Math.max(20 - indent, label.length() + 2) + "s%s", label, value));
  }

  private static String map(JsonNode m) {
    if (m == null || !m.isObject() || m.isEmpty()) {
      return "<none>";
    }
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : m.properties()) {
      if (e.getKey().equals(ApplyCommand.LAST_APPLIED)) {
        continue; // kubectl hides it too: it repeats the whole object
      }
      String v = e.getValue().asString().strip();
      parts.add(e.getKey() + "=" + (v.length() > 120 ? v.substring(0, 117) + "..." : v));
    }
    if (parts.isEmpty()) {
      return "<none>";
    }
    return String.join("\n" + " ".repeat(20), parts);
  }

  private void pod(Cluster c, JsonNode p) {
    JsonNode md = p.path("metadata");
    JsonNode spec = p.path("spec");
    JsonNode st = p.path("status");
    field("Name", md.path("name").asString());
    field("Namespace", md.path("namespace").asString());
    field("Runtime Class", spec.path("runtimeClassName").asString("runc (default)"));
    field("Node", spec.path("nodeName").asString("<none>")
        + (st.hasNonNull("hostIP") ? "/" + st.get("hostIP").asString() : ""));
    field("Start Time", st.path("startTime").asString("<none>"));
    field("Labels", map(md.path("labels")));
    field("Annotations", map(md.path("annotations")));
    field("Status", PodStatus.of(p));
    field("IP", st.path("podIP").asString("<none>"));
    JsonNode owner = md.path("ownerReferences").path(0);
    field("Controlled By", owner.isMissingNode() ? "<none>"
        : owner.path("kind").asString() + "/" + owner.path("name").asString());
    out.println("Containers:");
    for (JsonNode ctr : spec.path("containers")) {
      String name = ctr.path("name").asString();
      JsonNode cs = null;
      for (JsonNode s : st.path("containerStatuses")) {
        if (name.equals(s.path("name").asString())) {
          cs = s;
        }
      }
      out.println("  " + name + ":");
      indented(4, "Image", ctr.path("image").asString());
      if (ctr.has("command")) {
        indented(4, "Command", join(ctr.get("command")));
      }
      if (ctr.has("args")) {
        indented(4, "Args", join(ctr.get("args")));
      }
      if (cs != null) {
        if (cs.hasNonNull("containerID")) {
          indented(4, "Container ID", cs.get("containerID").asString());
        }
        JsonNode state = cs.path("state");
        describeState("State", state);
        if (cs.has("lastState") && !cs.get("lastState").isEmpty()) {
          describeState("Last State", cs.get("lastState"));
        }
        indented(4, "Ready", cs.path("ready").asBoolean(false) ? "True" : "False");
        indented(4, "Restart Count", cs.path("restartCount").asInt(0));
      } else {
        indented(4, "State", "Waiting");
      }
      JsonNode res = ctr.path("resources");
      if (res.has("limits")) {
        indented(4, "Limits", map(res.get("limits")).replace("\n" + " ".repeat(20), ", "));
      }
      if (res.has("requests")) {
        indented(4, "Requests", map(res.get("requests")).replace("\n" + " ".repeat(20), ", "));
      }
      if (ctr.has("env")) {
        out.println("    Environment:");
        for (JsonNode env : ctr.get("env")) {
          out.println("      " + env.path("name").asString() + ":  " + env.path("value").asString("<from source>"));
        }
      }
    }
    out.println("Conditions:");
    out.println("  Type                        Status");
    for (JsonNode cond : st.path("conditions")) {
      out.println(String.format("  %-28s%s", cond.path("type").asString(), cond.path("status").asString()));
    }
    events(c, "Pod", md);
  }

  private void describeState(String label, JsonNode state) {
    if (state.has("running")) {
      indented(4, label, "Running");
      indented(6, "Started", state.path("running").path("startedAt").asString(""));
    } else if (state.has("terminated")) {
      JsonNode t = state.get("terminated");
      indented(4, label, "Terminated");
      indented(6, "Reason", t.path("reason").asString(""));
      indented(6, "Exit Code", t.path("exitCode").asInt());
      indented(6, "Started", t.path("startedAt").asString(""));
      indented(6, "Finished", t.path("finishedAt").asString(""));
    } else if (state.has("waiting")) {
      indented(4, label, "Waiting");
      indented(6, "Reason", state.path("waiting").path("reason").asString(""));
      if (state.path("waiting").has("message")) {
        indented(6, "Message", state.path("waiting").path("message").asString(""));
      }
    } else {
      indented(4, label, "<unknown>");
    }
  }

  private static String join(JsonNode arr) {
    List<String> parts = new ArrayList<>();
    arr.forEach(a -> parts.add(a.asString()));
    return String.join(" ", parts);
  }

  private void node(Cluster c, JsonNode n) {
    JsonNode md = n.path("metadata");
    JsonNode st = n.path("status");
    String name = md.path("name").asString();
    field("Name", name);
    field("Roles", Columns.roles(n));
    field("Labels", map(md.path("labels")));
    field("CreationTimestamp", md.path("creationTimestamp").asString());
    field("Unschedulable", n.path("spec").path("unschedulable").asBoolean(false));
    field("PodCIDR", n.path("spec").path("podCIDR").asString("<none>"));
    List<String> taints = new ArrayList<>();
    for (JsonNode t : n.path("spec").path("taints")) {
      taints.add(t.path("key").asString() + (t.has("value") ? "=" + t.get("value").asString() : "") + ":"
          + t.path("effect").asString());
    }
    field("Taints", taints.isEmpty() ? "<none>" : String.join(", ", taints));
    out.println("Conditions:");
    TableView conds = new TableView(List.of("  Type", "Status", "LastHeartbeatTime", "Reason", "Message"));
    for (JsonNode cond : st.path("conditions")) {
      conds.row(List.of("  " + cond.path("type").asString(), cond.path("status").asString(),
          cond.path("lastHeartbeatTime").asString(""), cond.path("reason").asString(""),
          cond.path("message").asString("")));
    }
    conds.print(out, true);
    out.println("Addresses:");
    for (JsonNode a : st.path("addresses")) {
      out.println("  " + a.path("type").asString() + ":  " + a.path("address").asString());
    }
    out.println("Capacity:");
    for (Map.Entry<String, JsonNode> e : st.path("capacity").properties()) {
      out.println("  " + e.getKey() + ":  " + e.getValue().asString());
    }
    out.println("Allocatable:");
    for (Map.Entry<String, JsonNode> e : st.path("allocatable").properties()) {
      out.println("  " + e.getKey() + ":  " + e.getValue().asString());
    }
    JsonNode info = st.path("nodeInfo");
    out.println("System Info:");
    String[][] labels = {
      {"machineID", "Machine ID"}, {"systemUUID", "System UUID"}, {"bootID", "Boot ID"},
      {"kernelVersion", "Kernel Version"}, {"osImage", "OS Image"}, {"operatingSystem", "Operating System"},
      {"architecture", "Architecture"}, {"containerRuntimeVersion", "Container Runtime Version"},
      {"kubeletVersion", "Kubelet Version"}
    };
    for (String[] l : labels) {
      if (info.has(l[0])) {
        out.println(String.format("  %-27s%s", l[1] + ":", info.get(l[0]).asString()));
      }
    }
    JsonNode pods = c.list(Query.of().add("fieldSelector", "spec.nodeName=" + name).on("/api/v1/pods"), false);
    List<JsonNode> active = new ArrayList<>();
    for (JsonNode p : pods.path("items")) {
      String phase = p.path("status").path("phase").asString("");
      if (!phase.equals("Succeeded") && !phase.equals("Failed")) {
        active.add(p);
      }
    }
    out.println("Non-terminated Pods:  (" + active.size() + " in total)");
    TableView pt = new TableView(List.of("  Namespace", "Name", "Runtime", "CPU Requests", "CPU Limits",
        "Memory Requests", "Memory Limits", "Age"));
    BigDecimal cpuReq = BigDecimal.ZERO, cpuLim = BigDecimal.ZERO, memReq = BigDecimal.ZERO, memLim = BigDecimal.ZERO;
    BigDecimal allocCpu = Quantities.parse(st.path("allocatable").path("cpu").asString("0"));
    BigDecimal allocMem = Quantities.parse(st.path("allocatable").path("memory").asString("0"));
    for (JsonNode p : active) {
      BigDecimal[] r = podResources(p);
      cpuReq = cpuReq.add(r[0]);
      cpuLim = cpuLim.add(r[1]);
      memReq = memReq.add(r[2]);
      memLim = memLim.add(r[3]);
      pt.row(List.of("  " + p.path("metadata").path("namespace").asString(), p.path("metadata").path("name").asString(),
          p.path("spec").path("runtimeClassName").asString("runc"),
          Quantities.cpu(r[0]) + " (" + Quantities.percent(r[0], allocCpu) + ")",
          Quantities.cpu(r[1]) + " (" + Quantities.percent(r[1], allocCpu) + ")",
          Quantities.bytes(r[2]) + " (" + Quantities.percent(r[2], allocMem) + ")",
          Quantities.bytes(r[3]) + " (" + Quantities.percent(r[3], allocMem) + ")",
          Ages.since(p.path("metadata").path("creationTimestamp").asString(null))));
    }
    pt.print(out, true);
    out.println("Allocated resources:");
    out.println("  (Total limits may be over 100 percent, i.e., overcommitted.)");
    TableView at = new TableView(List.of("  Resource", "Requests", "Limits"));
    at.row(List.of("  cpu", Quantities.cpu(cpuReq) + " (" + Quantities.percent(cpuReq, allocCpu) + ")",
        Quantities.cpu(cpuLim) + " (" + Quantities.percent(cpuLim, allocCpu) + ")"));
    at.row(List.of("  memory", Quantities.bytes(memReq) + " (" + Quantities.percent(memReq, allocMem) + ")",
        Quantities.bytes(memLim) + " (" + Quantities.percent(memLim, allocMem) + ")"));
    at.row(List.of("  pods", active.size() + " (" + Quantities.percent(BigDecimal.valueOf(active.size()),
        Quantities.parse(st.path("allocatable").path("pods").asString("0"))) + ")", ""));
    at.print(out, true);
    events(c, "Node", md);
  }

  /** cpu requests, cpu limits, memory requests, memory limits of a pod (sum of containers). */
  static BigDecimal[] podResources(JsonNode p) {
    BigDecimal[] r = {BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO};
    for (JsonNode ctr : p.path("spec").path("containers")) {
      JsonNode res = ctr.path("resources");
      JsonNode req = res.has("requests") ? res.get("requests") : res.path("limits");
      r[0] = r[0].add(Quantities.parse(req.path("cpu").asString("0")));
      r[1] = r[1].add(Quantities.parse(res.path("limits").path("cpu").asString("0")));
      r[2] = r[2].add(Quantities.parse(req.path("memory").asString("0")));
      r[3] = r[3].add(Quantities.parse(res.path("limits").path("memory").asString("0")));
    }
    return r;
  }

  private void deployment(Cluster c, JsonNode d) {
    JsonNode md = d.path("metadata");
    JsonNode spec = d.path("spec");
    JsonNode st = d.path("status");
    field("Name", md.path("name").asString());
    field("Namespace", md.path("namespace").asString());
    field("CreationTimestamp", md.path("creationTimestamp").asString());
    field("Labels", map(md.path("labels")));
    field("Annotations", map(md.path("annotations")));
    field("Selector", map(spec.path("selector").path("matchLabels")).replace("\n" + " ".repeat(20), ","));
    field("Replicas", spec.path("replicas").asInt(1) + " desired | " + st.path("updatedReplicas").asInt(0)
        + " updated | " + st.path("replicas").asInt(0) + " total | " + st.path("availableReplicas").asInt(0)
        + " available | " + st.path("unavailableReplicas").asInt(0) + " unavailable");
    String strategy = spec.path("strategy").path("type").asString("RollingUpdate");
    field("StrategyType", strategy);
    field("MinReadySeconds", spec.path("minReadySeconds").asInt(0));
    if (strategy.equals("RollingUpdate")) {
      JsonNode ru = spec.path("strategy").path("rollingUpdate");
      field("RollingUpdateStrategy", ru.path("maxUnavailable").asString("25%") + " max unavailable, "
          + ru.path("maxSurge").asString("25%") + " max surge");
    }
    JsonNode tpl = spec.path("template");
    out.println("Pod Template:");
    out.println("  Labels:       " + map(tpl.path("metadata").path("labels")).replace("\n" + " ".repeat(20), "\n                "));
    out.println("  Runtime Class: " + tpl.path("spec").path("runtimeClassName").asString("runc (default)"));
    out.println("  Containers:");
    for (JsonNode ctr : tpl.path("spec").path("containers")) {
      out.println("   " + ctr.path("name").asString() + ":");
      out.println("    Image:      " + ctr.path("image").asString());
      if (ctr.has("command")) {
        out.println("    Command:    " + join(ctr.get("command")));
      }
    }
    out.println("Conditions:");
    TableView conds = new TableView(List.of("  Type", "Status", "Reason"));
    for (JsonNode cond : st.path("conditions")) {
      conds.row(List.of("  " + cond.path("type").asString(), cond.path("status").asString(),
          cond.path("reason").asString("")));
    }
    conds.print(out, true);
    List<JsonNode> sets = RolloutCommand.replicaSetsOf(c, d);
    String newRs = "<none>";
    List<String> old = new ArrayList<>();
    sets.sort(Comparator.comparingLong(RolloutCommand::revision).reversed());
    for (int i = 0; i < sets.size(); i++) {
      JsonNode rs = sets.get(i);
      String text = rs.path("metadata").path("name").asString() + " (" + rs.path("status").path("replicas").asInt(0)
          + "/" + rs.path("spec").path("replicas").asInt(0) + " replicas created)";
      if (i == 0 && RolloutCommand.sameTemplate(rs, d)) {
        newRs = text;
      } else if (rs.path("spec").path("replicas").asInt(0) > 0 || rs.path("status").path("replicas").asInt(0) > 0) {
        old.add(text);
      }
    }
    field("OldReplicaSets", old.isEmpty() ? "<none>" : String.join(", ", old));
    field("NewReplicaSet", newRs);
    events(c, "Deployment", md);
  }

  private void generic(Cluster c, ResourceKind kind, JsonNode o) {
    out.print(Formats.yaml(o));
    events(c, kind.kind(), o.path("metadata"));
  }

  private void events(Cluster c, String kind, JsonNode md) {
    String ns = md.path("namespace").asString("default");
    String fs = "involvedObject.name=" + md.path("name").asString() + ",involvedObject.kind=" + kind;
    JsonNode list;
    try {
      list = c.list(Query.of().add("fieldSelector", fs).on("/api/v1/namespaces/" + ns + "/events"), false);
    } catch (RuntimeException e) {
      out.println("Events:  <unavailable: " + e.getMessage() + ">");
      return;
    }
    List<JsonNode> events = new ArrayList<>();
    String uid = md.path("uid").asString("");
    for (JsonNode ev : list.path("items")) {
      String evUid = ev.path("involvedObject").path("uid").asString("");
      if (evUid.isEmpty() || uid.isEmpty() || evUid.equals(uid)) {
        events.add(ev);
      }
    }
    if (events.isEmpty()) {
      out.println("Events:  <none>");
      return;
    }
    events.sort(Comparator.comparing(DescribeCommand::eventTime));
    out.println("Events:");
    TableView t = new TableView(List.of("  Type", "Reason", "Age", "From", "Message"));
    t.row(List.of("  ----", "------", "---", "----", "-------"));
    for (JsonNode ev : events) {
      String from = ev.path("source").path("component").asString(ev.path("reportingComponent").asString(""));
      int count = ev.path("count").asInt(1);
      String age = Ages.since(eventTime(ev)) + (count > 1 ? " (x" + count + ")" : "");
      t.row(List.of("  " + ev.path("type").asString(""), ev.path("reason").asString(""), age, from,
          ev.path("message").asString("").strip()));
    }
    t.print(out, true);
  }

  private static String eventTime(JsonNode ev) {
    for (String f : new String[] {"lastTimestamp", "eventTime", "firstTimestamp"}) {
      String v = ev.path(f).asString("");
      if (!v.isEmpty()) {
        return v;
      }
    }
    return ev.path("metadata").path("creationTimestamp").asString("");
  }
}
