package io.keelson.apiserver.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.IntNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

class FieldMapTest {

  /** The same random operations on a FieldMap and a LinkedHashMap leave both equal, in the same order. */
  @Test
  void behavesLikeLinkedHashMapUnderRandomOperations() {
    Random r = new Random(42);
    for (int round = 0; round < 300; round++) {
      int keys = round % 3 == 0 ? 40 : round % 3 == 1 ? 12 : 5; // across the hash index threshold
      FieldMap f = new FieldMap();
      LinkedHashMap<String, JsonNode> l = new LinkedHashMap<>();
      for (int op = 0; op < 400; op++) {
        // new String: equal keys that are not the same instance
        String k = new String("k" + r.nextInt(keys));
        JsonNode v = r.nextInt(10) == 0 ? null : IntNode.valueOf(r.nextInt(5));
        switch (r.nextInt(14)) {
          case 0, 1, 2, 3 -> assertThat(f.put(k, v)).isEqualTo(l.put(k, v));
          case 4 -> assertThat(f.remove(k)).isEqualTo(l.remove(k));
          case 5 -> assertThat(f.get(k)).isEqualTo(l.get(k));
          case 6 -> assertThat(f.containsKey(k)).isEqualTo(l.containsKey(k));
          case 7 -> assertThat(f.putIfAbsent(k, v)).isEqualTo(l.putIfAbsent(k, v));
          case 8 -> { // iterator.remove of every entry with an odd value
            removeOdd(f.entrySet().iterator());
            removeOdd(l.entrySet().iterator());
          }
          case 9 -> { // setValue writes through
            int n = r.nextInt(Math.max(1, l.size()));
            setNth(f, n, v);
            setNth(l, n, v);
          }
          case 10 -> assertThat(f.keySet().remove(k)).isEqualTo(l.keySet().remove(k));
          case 11 -> assertThat(f.values().removeIf(x -> x == null)).isEqualTo(l.values().removeIf(x -> x == null));
          case 12 -> assertThat(f.keySet().retainAll(List.of("k1", "k2", "k3", "k4", "k5", "k30")))
              .isEqualTo(l.keySet().retainAll(List.of("k1", "k2", "k3", "k4", "k5", "k30")));
          default -> {
            if (r.nextInt(20) == 0) {
              f.clear();
              l.clear();
            }
          }
        }
        assertSame(f, l);
      }
    }
  }

  private static void removeOdd(Iterator<Map.Entry<String, JsonNode>> it) {
    while (it.hasNext()) {
      JsonNode v = it.next().getValue();
      if (v != null && v.intValue() % 2 == 1) it.remove();
    }
  }

  private static void setNth(Map<String, JsonNode> m, int n, JsonNode v) {
    int i = 0;
    for (Map.Entry<String, JsonNode> e : m.entrySet()) {
      if (i++ == n) {
        e.setValue(v);
        return;
      }
    }
  }

  private static void assertSame(FieldMap f, LinkedHashMap<String, JsonNode> l) {
    assertThat(f.size()).isEqualTo(l.size());
    assertThat(f.isEmpty()).isEqualTo(l.isEmpty());
    assertThat(new ArrayList<>(f.keySet())).containsExactlyElementsOf(l.keySet());
    assertThat(new ArrayList<>(f.values())).containsExactlyElementsOf(l.values());
    assertThat(new ArrayList<>(f.entrySet())).containsExactlyElementsOf(l.entrySet());
    assertThat(f).isEqualTo(l);
    assertThat(l).isEqualTo(f);
    assertThat(f.hashCode()).isEqualTo(l.hashCode());
    assertThat(f.toString()).isEqualTo(l.toString());
    for (String k : l.keySet()) assertThat(f.get(k)).isEqualTo(l.get(k));
    assertThat(f.get("absent")).isNull();
  }

  @Test
  void manyFieldsKeepOrderAndAreFound() {
    FieldMap f = new FieldMap();
    for (int i = 0; i < 1000; i++) f.put("key-" + i, IntNode.valueOf(i));
    for (int i = 0; i < 1000; i += 3) f.remove("key-" + i);
    f.put("key-0", IntNode.valueOf(-1));
    List<String> order = new ArrayList<>(f.keySet());
    assertThat(order.get(order.size() - 1)).isEqualTo("key-0");
    assertThat(order.get(0)).isEqualTo("key-1");
    for (int i = 1; i < 1000; i++) {
      assertThat(f.get("key-" + i)).isEqualTo(i % 3 == 0 ? null : IntNode.valueOf(i));
    }
    assertThat(f.get("key-0")).isEqualTo(IntNode.valueOf(-1));
  }

  /** Trees of the compact factory read, write, copy and compare as Jackson's default trees. */
  @Test
  void compactTreesAreJacksonTrees() {
    JsonMapper plain = JsonMapper.builder().build();
    String json = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"default\","
        + "\"labels\":{\"a\":\"1\",\"b\":\"2\"},\"annotations\":{}},\"spec\":{\"containers\":[{\"name\":\"c\","
        + "\"image\":\"i\",\"ports\":[{\"containerPort\":80}]}],\"n\":1.5,\"big\":12345678901,\"t\":true,\"z\":null},"
        + "\"many\":{\"f0\":0,\"f1\":1,\"f2\":2,\"f3\":3,\"f4\":4,\"f5\":5,\"f6\":6,\"f7\":7,\"f8\":8,\"f9\":9,\"f10\":10}}";
    ObjectNode compact = (ObjectNode) ObjectCodec.JSON.readTree(json);
    ObjectNode standard = (ObjectNode) plain.readTree(json);
    assertThat(compact).isEqualTo(standard);
    assertThat(standard).isEqualTo(compact);
    assertThat(compact.hashCode()).isEqualTo(standard.hashCode());
    assertThat(ObjectCodec.JSON.writeValueAsString(compact)).isEqualTo(json);
    assertThat(compact.toString()).isEqualTo(standard.toString());

    ObjectNode copy = compact.deepCopy();
    assertThat(copy).isEqualTo(compact);
    ((ObjectNode) copy.get("metadata")).put("name", "q");
    assertThat(compact.path("metadata").path("name").asString()).isEqualTo("p");
    ((ObjectNode) copy.get("metadata")).remove("namespace");
    ((ObjectNode) copy.get("metadata")).put("namespace", "other"); // back in, last
    assertThat(ObjectCodec.JSON.writeValueAsString(copy.get("metadata")))
        .isEqualTo("{\"name\":\"q\",\"labels\":{\"a\":\"1\",\"b\":\"2\"},\"annotations\":{},\"namespace\":\"other\"}");

    ObjectNode many = (ObjectNode) copy.get("many");
    many.retain("f1", "f9", "f10");
    many.remove(List.of("f9"));
    many.putObject("sub").put("x", "y");
    assertThat(ObjectCodec.JSON.writeValueAsString(many)).isEqualTo("{\"f1\":1,\"f10\":10,\"sub\":{\"x\":\"y\"}}");
    assertThat(copy.without("many").has("many")).isFalse();
    assertThat(compact.at("/spec/containers/0/ports/0/containerPort").intValue()).isEqualTo(80);
    assertThat(compact.findValue("image")).isEqualTo(StringNode.valueOf("i"));
    assertThat(compact.propertyNames()).containsExactly("apiVersion", "kind", "metadata", "spec", "many");
  }

  @Test
  void shortStringValuesAreSharedBetweenTreesAndStayValues() {
    ObjectNode a = (ObjectNode) ObjectCodec.JSON.readTree("{\"status\":\"True\",\"type\":\"Ready\",\"e\":\"\",\"long\":\"" + "x".repeat(100) + "\"}");
    ObjectNode b = (ObjectNode) ObjectCodec.JSON.readTree("{\"status\":\"True\",\"type\":\"Ready\",\"e\":\"\",\"long\":\"" + "x".repeat(100) + "\"}");
    assertThat(a.get("status")).isSameAs(b.get("status"));
    assertThat(a.get("type")).isSameAs(b.get("type"));
    assertThat(a).isEqualTo(b);
    assertThat(a.get("long").asString()).hasSize(100);
    a.put("status", "False"); // a tree's change is its own
    assertThat(b.get("status").asString()).isEqualTo("True");
    assertThat(ObjectCodec.JSON.writeValueAsString(b)).startsWith("{\"status\":\"True\",\"type\":\"Ready\",\"e\":\"\",");
  }

  @Test
  void equalFieldNamesBuiltByCodeAreShared() {
    FieldMap a = new FieldMap();
    FieldMap b = new FieldMap();
    a.put(new String("f:lastTransitionTime"), IntNode.valueOf(1));
    b.put(new String("f:lastTransitionTime"), IntNode.valueOf(2));
    assertThat(b.keySet().iterator().next()).isSameAs(a.keySet().iterator().next());
    assertThat(b.get("f:lastTransitionTime")).isEqualTo(IntNode.valueOf(2));
  }

  @Test
  void deepCopiesAreIndependentCompactTrees() {
    StringBuilder many = new StringBuilder("{");
    for (int i = 0; i < 30; i++) many.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":{\"v\":").append(i).append('}');
    String json = "{\"a\":{\"b\":[{\"c\":1}],\"e\":{}},\"many\":" + many.append('}') + ",\"s\":\"x\",\"n\":null}";
    ObjectNode original = (ObjectNode) ObjectCodec.JSON.readTree(json);
    ObjectNode copy = original.deepCopy();
    assertThat(copy).isEqualTo(original).isNotSameAs(original);
    assertThat(copy.getClass()).isEqualTo(original.getClass());
    assertThat(ObjectCodec.JSON.writeValueAsString(copy)).isEqualTo(json);
    ObjectNode m = (ObjectNode) copy.get("many"); // indexed: more than 9 fields
    assertThat(m).isNotSameAs(original.get("many"));
    m.remove("k3");
    m.put("k31", 31);
    m.put("k0", "zero"); // replaces in place
    assertThat(m.get("k29").path("v").intValue()).isEqualTo(29);
    assertThat(m.get("k3")).isNull();
    assertThat(m.propertyNames()).first().isEqualTo("k0");
    assertThat(m.propertyNames()).last().isEqualTo("k31");
    ((ObjectNode) copy.path("a").path("b").get(0)).put("c", 2);
    ((ObjectNode) copy.path("a").get("e")).put("new", true);
    assertThat(ObjectCodec.JSON.writeValueAsString(original)).isEqualTo(json); // untouched
    ObjectNode again = copy.deepCopy().deepCopy();
    assertThat(again).isEqualTo(copy);
    assertThat(again.path("a").path("e").path("new").booleanValue()).isTrue();
  }
}
