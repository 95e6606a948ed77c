package io.keelson.cli.output;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.cli.cluster.Cluster;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class ColumnsTest {
  @Test
  void serverTableKeepsPriorityZeroColumnsUnlessWide() {
    JsonNode table = Cluster.JSON.readTree("""
        {"kind":"Table","apiVersion":"meta.k8s.io/v1","columnDefinitions":[
          {"name":"Name","type":"string","priority":0},{"name":"Ready","type":"string","priority":0},
          {"name":"Status","type":"string","priority":0},{"name":"IP","type":"string","priority":1}],
         "rows":[{"cells":["web-1","1/1","Running","10.244.1.5"],
                  "object":{"kind":"PartialObjectMetadata","metadata":{"name":"web-1","namespace":"prod"}}}]}
        """);
    assertThat(render(Columns.fromServerTable(table, false, false))).isEqualTo("NAME    READY   STATUS\nweb-1   1/1     Running\n");
    assertThat(render(Columns.fromServerTable(table, true, true)))
        .isEqualTo("NAMESPACE   NAME    READY   STATUS    IP\nprod        web-1   1/1     Running   10.244.1.5\n");
  }

  @Test
  void podStatusLikeKubectl() {
    JsonNode waiting = Cluster.JSON.readTree("""
        {"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Pending",
         "containerStatuses":[{"name":"c","ready":false,"restartCount":2,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}
        """);
    assertThat(PodStatus.of(waiting)).isEqualTo("CrashLoopBackOff");
    assertThat(PodStatus.ready(waiting)).isEqualTo("0/1");
    assertThat(PodStatus.restarts(waiting)).isEqualTo(2);
    JsonNode node = Cluster.JSON.readTree("""
        {"spec":{"unschedulable":true},"status":{"conditions":[{"type":"Ready","status":"True"}]}}
        """);
    assertThat(Columns.nodeStatus(node)).isEqualTo("Ready,SchedulingDisabled");
  }

  private static String render(TableView v) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    v.print(new PrintStream(b), true);
    return b.toString();
  }
}
