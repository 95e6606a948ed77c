package io.keelson.cli.command;

import io.keelson.cli.cluster.ApiException;
import io.keelson.cli.cluster.Cluster;
import io.keelson.cli.output.Quantities;
import io.keelson.cli.output.TableView;
import java.math.BigDecimal;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/** {@code keelctl top nodes|pods}: CPU and memory usage from the metrics.k8s.io API. */
@Command(name = "top", mixinStandardHelpOptions = true, description = "Show CPU and memory usage of nodes or pods.")
public final class TopCommand extends ClusterCommand {
  @Parameters(paramLabel = "nodes|pods", description = "What to show.")
  String what;

  @Option(names = {"-A", "--all-namespaces"}, description = "Pods of all namespaces.")
  boolean allNamespaces;

  @Override
  protected int run() {
    Cluster c = cluster();
    boolean nodes = what.startsWith("no");
    String path = nodes ? "/apis/metrics.k8s.io/v1beta1/nodes"
        : allNamespaces ? "/apis/metrics.k8s.io/v1beta1/pods"
        : "/apis/metrics.k8s.io/v1beta1/namespaces/" + namespace() + "/pods";
    JsonNode list;
    try {
      list = c.get(path);
    } catch (ApiException e) {
      if (e.code() == 404 || e.code() == 503) {
        throw new IllegalStateException("Metrics API not available");
      }
      throw e;
    }
    TableView t = new TableView(nodes ? List.of("NAME", "CPU(cores)", "MEMORY(bytes)")
        : allNamespaces ? List.of("NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)") : List.of("NAME", "CPU(cores)", "MEMORY(bytes)"));
    for (JsonNode item : list.path("items")) {
      BigDecimal cpu = BigDecimal.ZERO;
      BigDecimal mem = BigDecimal.ZERO;
      if (nodes) {
        cpu = Quantities.parse(item.path("usage").path("cpu").asString("0"));
        mem = Quantities.parse(item.path("usage").path("memory").asString("0"));
      } else {
        for (JsonNode ctr : item.path("containers")) {
          cpu = cpu.add(Quantities.parse(ctr.path("usage").path("cpu").asString("0")));
          mem = mem.add(Quantities.parse(ctr.path("usage").path("memory").asString("0")));
        }
      }
      String name = item.path("metadata").path("name").asString();
      String cpuText = cpu.multiply(BigDecimal.valueOf(1000)).setScale(0, java.math.RoundingMode.HALF_UP) + "m";
      String memText = mem.divide(BigDecimal.valueOf(1048576), 0, java.math.RoundingMode.HALF_UP) + "Mi";
      t.row(allNamespaces && !nodes ? List.of(item.path("metadata").path("namespace").asString(), name, cpuText, memText)
          : List.of(name, cpuText, memText));
    }
    if (t.size() == 0) {
      System.err.println("No resources found");
      return 0;
    }
    t.print(System.out, true);
    return 0;
  }
}
