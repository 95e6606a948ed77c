package io.keelson.cli.output;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.cli.cluster.Cluster;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class JsonPathTest {
  private final JsonNode nodes = Cluster.JSON.readTree("""
      {"kind":"List","items":[
        {"metadata":{"name":"lab-1","labels":{"keelson.io/runtime.vm":"true"}},
         "status":{"addresses":[{"type":"Hostname","address":"lab-1"},{"type":"InternalIP","address":"10.1.0.11"}]}},
        {"metadata":{"name":"lab-2"},
         "status":{"addresses":[{"type":"InternalIP","address":"10.1.0.12"}]}}]}
      """);

  @Test
  void printsFieldsOfAllItems() {
    assertThat(JsonPath.compile("{.items[*].metadata.name}").render(nodes)).isEqualTo("lab-1 lab-2");
  }

  @Test
  void rangeWithFilterAndNewlines() {
    String t = "{range .items[*]}{.status.addresses[?(@.type==\"InternalIP\")].address}{\"\\n\"}{end}";
    assertThat(JsonPath.compile(t).render(nodes)).isEqualTo("10.1.0.11\n10.1.0.12\n");
  }

  @Test
  void indexQuotedKeysAndBarePaths() {
    assertThat(JsonPath.compile("{.items[0].metadata.labels['keelson.io/runtime.vm']}").render(nodes))
        .isEqualTo("true");
    assertThat(JsonPath.compile(".items[-1].metadata.name").render(nodes)).isEqualTo("lab-2");
    assertThat(JsonPath.compile("name={.items[1].metadata.name};").render(nodes)).isEqualTo("name=lab-2;");
  }

  @Test
  void recursiveDescentAndMissingFields() {
    assertThat(JsonPath.compile("{..address}").render(nodes)).isEqualTo("lab-1 10.1.0.11 10.1.0.12");
    assertThat(JsonPath.compile("{.items[0].spec.podCIDR}").render(nodes)).isEmpty();
  }

  @Test
  void objectsPrintAsJson() {
    assertThat(JsonPath.compile("{.items[1].status.addresses[0]}").render(nodes))
        .isEqualTo("{\"type\":\"InternalIP\",\"address\":\"10.1.0.12\"}");
  }
}
