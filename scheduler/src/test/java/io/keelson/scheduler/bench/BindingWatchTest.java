package io.keelson.scheduler.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark's pod watch picks each pod's name and node out of real-looking watch events. */
class BindingWatchTest {
  final List<String> bound = new ArrayList<>();
  final BindingWatch watch = new BindingWatch(null, "bench", bound::add);

  static String pod(String type, String name, String rv, String nodeName) {
    return "{\"type\":\"" + type + "\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{"
        + "\"labels\":{\"name\":\"not-the-name\"},\"name\":\"" + name + "\",\"namespace\":\"bench\",\"resourceVersion\":\"" + rv + "\","
        + "\"managedFields\":[{\"manager\":\"kube-scheduler\",\"fieldsV1\":{\"f:spec\":{\"f:nodeName\":{}}}}]},"
        + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]"
        + (nodeName == null ? "" : ",\"nodeName\":\"" + nodeName + "\"") + "},"
        + "\"status\":{\"phase\":\"Pending\",\"nominatedNodeName\":\"other\"}}}";
  }

  void feed(String line) {
    byte[] b = line.getBytes(StandardCharsets.UTF_8);
    watch.event(b, b.length);
  }

  @Test
  void reportsEachPodOnceWhenItFirstHasANode() {
    feed(pod("ADDED", "p1", "10", null));
    feed(pod("ADDED", "p2", "11", null));
    assertThat(bound).isEmpty();
    feed(pod("MODIFIED", "p1", "12", "hollow-7"));
    feed(pod("MODIFIED", "p1", "13", "hollow-7")); // its status report: already counted
    feed(pod("DELETED", "p2", "14", "hollow-1"));
    feed("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"15\"}}}");
    feed(pod("MODIFIED", "p3", "16", "hollow-2"));
    assertThat(bound).containsExactly("p1", "p3");
  }

  @Test
  void anErrorEventIsNotMistakenForAPod() {
    assertThatThrownBy(() -> feed("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}}"))
        .hasMessageContaining("Expired");
    assertThat(bound).isEmpty();
  }
}
