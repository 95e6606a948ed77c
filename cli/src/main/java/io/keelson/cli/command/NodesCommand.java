package io.keelson.cli.command;

import io.keelson.cli.cluster.Cluster;
import io.keelson.cli.output.Columns;
import io.keelson.cli.output.Quantities;
import io.keelson.cli.output.TableView;
import io.keelson.cli.output.Terminal;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

/**
 * {@code keelctl nodes}: Keelson's view of its nodes: readiness, the runtimes each offers (runc
 * containers, vm), VM acceleration (kvm or tcg), pods placed and allocatable cpu/memory.
 */
@Command(name = "nodes", mixinStandardHelpOptions = true,
    description = "Show nodes with the runtimes (runc, vm) and VM acceleration they offer.")
public final class NodesCommand extends ClusterCommand {
  static final String RUNC = "keelson.io/runtime.runc";
  static final String VM = "keelson.io/runtime.vm";
  static final String ACCEL = "keelson.io/vm.accel";

  @Option(names = {"-l", "--selector"}, description = "Label selector.")
  String selector;

  @Override
  protected int run() {
    Cluster c = cluster();
    JsonNode nodes = c.list(io.keelson.cli.cluster.Query.of().add("labelSelector", selector).on("/api/v1/nodes"), false);
    Map<String, Integer> podsPerNode = new HashMap<>();
    for (JsonNode p : c.list("/api/v1/pods", false).path("items")) {
      String n = p.path("spec").path("nodeName").asString("");
      String phase = p.path("status").path("phase").asString("");
      if (!n.isEmpty() && !phase.equals("Succeeded") && !phase.equals("Failed")) {
        podsPerNode.merge(n, 1, Integer::sum);
      }
    }
    TableView t = new TableView(List.of("NAME", "STATUS", "RUNTIMES", "VM-ACCEL", "PODS", "CPU", "MEMORY", "ADDRESS"));
    for (JsonNode n : nodes.path("items")) {
      JsonNode labels = n.path("metadata").path("labels");
      List<String> runtimes = new ArrayList<>();
      if ("true".equals(labels.path(RUNC).asString(""))) {
        runtimes.add("runc");
      }
      if ("true".equals(labels.path(VM).asString(""))) {
        runtimes.add("vm");
      }
      if ("true".equals(labels.path("keelson.io/hollow").asString(""))) {
        runtimes.add("hollow");
      }
      String name = n.path("metadata").path("name").asString();
      JsonNode alloc = n.path("status").path("allocatable");
      String pods = podsPerNode.getOrDefault(name, 0) + "/" + alloc.path("pods").asString("?");
      BigDecimal mem = Quantities.parse(alloc.path("memory").asString("0"));
      t.row(List.of(name, Terminal.status(Columns.nodeStatus(n)), runtimes.isEmpty() ? "<none>" : String.join(",", runtimes),
          labels.path(ACCEL).asString(runtimes.contains("vm") ? "?" : "-"), pods, alloc.path("cpu").asString("?"),
          Quantities.bytes(mem), Columns.internalIp(n)));
    }
    if (t.size() == 0) {
      System.err.println("No nodes registered");
      return 0;
    }
    t.print(System.out, true);
    return 0;
  }
}
