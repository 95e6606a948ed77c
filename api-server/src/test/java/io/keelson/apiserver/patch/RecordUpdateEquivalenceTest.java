package io.keelson.apiserver.patch;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.patch.FieldSet.Scope;
import io.keelson.apiserver.patch.FieldSet.Values;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The write path's managedFields bookkeeping ({@link ServerSideApply#recordUpdateInPlace}, which
 * walks only what differs and keeps untouched entries as stored) gives exactly what the plain
 * algorithm gives — collect every path of both versions, compare each, decode and re-encode every
 * entry — over random sequences of updates and status writes of pods by several managers.
 */
class RecordUpdateEquivalenceTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final ResourceType PODS = ResourceRegistry.find("", "v1", "pods").orElseThrow();
  private static final String OLD_TIME = "2020-01-01T00:00:00Z";

  @Test
  void randomWritesGiveTheSameManagedFieldsAsThePlainAlgorithm() {
    Random rnd = new Random(42);
    int compared = 0;
    for (int run = 0; run < 60; run++) {
      ObjectNode live = ServerSideApply.recordUpdate(PODS, null, basePod(), "kubectl-create", "Update");
      ageTimes(live);
      for (int step = 0; step < 25; step++) {
        String sub = rnd.nextInt(3) == 0 ? "status" : null;
        String manager = List.of("kubectl-edit", "keelson-agent", "controller", "kubectl-create").get(rnd.nextInt(4));
        ObjectNode next = live.deepCopy();
        int changes = 1 + rnd.nextInt(3);
        for (int i = 0; i < changes; i++) mutate(next, rnd, sub != null);
        if (rnd.nextInt(5) == 0) ((ObjectNode) next.get("metadata")).remove("managedFields"); // a PUT without them
        ObjectNode expected = plainRecordUpdate(PODS, live, next, manager, sub);
        ObjectNode actual = ServerSideApply.recordUpdateInPlace(PODS, live, next.deepCopy(), manager, "Update", sub);
        assertThat(normalized(actual)).as("run %d step %d (%s, %s)", run, step, manager, sub).isEqualTo(normalized(expected));
        compared++;
        live = actual;
        ageTimes(live);
      }
    }
    assertThat(compared).isEqualTo(60 * 25);
  }

  /** Entry times of earlier writes are set in the past, so that a write that touches an entry shows. */
  private static void ageTimes(ObjectNode o) {
    for (JsonNode e : o.path("metadata").path("managedFields")) ((ObjectNode) e).put("time", OLD_TIME);
  }

  private static ObjectNode normalized(ObjectNode o) {
    ObjectNode c = o.deepCopy();
    for (JsonNode e : c.path("metadata").path("managedFields")) {
      if (!OLD_TIME.equals(e.path("time").asString())) ((ObjectNode) e).put("time", "now");
    }
    return c;
  }

  private static ObjectNode basePod() {
    return (ObjectNode) JSON.readTree("""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default","uid":"u1","generation":1,
          "labels":{"app":"web","tier":"front"},"annotations":{"a":"1"},"finalizers":["example.com/a"]},
         "spec":{"containers":[{"name":"c","image":"busybox","ports":[{"containerPort":80}],
           "env":[{"name":"A","value":"1"}],"resources":{"requests":{"cpu":"10m"}}}],
           "tolerations":[{"key":"k","operator":"Exists"}],"restartPolicy":"Always"},
         "status":{"phase":"Pending","qosClass":"Burstable","conditions":[{"type":"PodScheduled","status":"False"}]}}""");
  }

  /** One random change: in status only for status writes (as the write path prepares them), anywhere otherwise. */
  private static void mutate(ObjectNode pod, Random rnd, boolean statusOnly) {
    ObjectNode st = pod.get("status") instanceof ObjectNode s ? s : pod.putObject("status");
    ObjectNode md = (ObjectNode) pod.get("metadata");
    ObjectNode spec = pod.get("spec") instanceof ObjectNode s ? s : pod.putObject("spec");
    int what = statusOnly ? rnd.nextInt(6) : rnd.nextInt(18);
    switch (what) {
      case 0 -> st.put("phase", List.of("Pending", "Running", "Succeeded").get(rnd.nextInt(3)));
      case 1 -> st.put("hostIP", "10.0.0." + rnd.nextInt(3));
      case 2 -> {
        ArrayNode conds = st.get("conditions") instanceof ArrayNode a ? a : st.putArray("conditions");
        String type = List.of("PodScheduled", "Ready", "Initialized").get(rnd.nextInt(3));
        ObjectNode c = null;
        for (JsonNode x : conds) if (type.equals(x.path("type").asString())) c = (ObjectNode) x;
        if (c == null) c = conds.addObject().put("type", type);
        c.put("status", rnd.nextBoolean() ? "True" : "False");
      }
      case 3 -> {
        ArrayNode cs = st.putArray("containerStatuses");
        cs.addObject().put("name", "c").put("ready", rnd.nextBoolean()).put("restartCount", rnd.nextInt(2))
            .putObject("state").putObject("running").put("startedAt", "2026-01-0" + (1 + rnd.nextInt(2)) + "T00:00:00Z");
      }
      case 4 -> st.remove(List.of("hostIP", "conditions", "containerStatuses", "qosClass").get(rnd.nextInt(4)));
      case 5 -> st.putObject("resize");
      case 6 -> labels(md).put(List.of("app", "tier", "new").get(rnd.nextInt(3)), "v" + rnd.nextInt(3));
      case 7 -> labels(md).remove(List.of("app", "tier", "new").get(rnd.nextInt(3)));
      case 8 -> md.putObject("annotations").put("a", "" + rnd.nextInt(2));
      case 9 -> {
        ArrayNode f = md.putArray("finalizers");
        if (rnd.nextBoolean()) f.add("example.com/a");
        if (rnd.nextBoolean()) f.add("example.com/b");
      }
      case 10 -> container(spec, 0).put("image", "busybox:" + rnd.nextInt(3));
      case 11 -> {
        ArrayNode cs = spec.get("containers") instanceof ArrayNode a ? a : spec.putArray("containers");
        if (cs.size() < 2) cs.addObject().put("name", "side").put("image", "pause");
        else cs.remove(1);
      }
      case 12 -> container(spec, 0).putArray("env").addObject().put("name", "B").put("value", "" + rnd.nextInt(2));
      case 13 -> container(spec, 0).putArray("ports").addObject().put("containerPort", 80 + rnd.nextInt(2)).put("protocol", "TCP");
      case 14 -> spec.put("nodeName", "node-" + rnd.nextInt(2));
      case 15 -> spec.remove(List.of("tolerations", "restartPolicy", "nodeName").get(rnd.nextInt(3)));
      case 16 -> md.putObject("labels"); // an empty map
      case 17 -> spec.put("activeDeadlineSeconds", rnd.nextBoolean() ? 30 : 30L * 1);
      default -> {}
    }
  }

  private static ObjectNode labels(ObjectNode md) {
    return md.get("labels") instanceof ObjectNode l ? l : md.putObject("labels");
  }

  private static ObjectNode container(ObjectNode spec, int i) {
    ArrayNode cs = spec.get("containers") instanceof ArrayNode a ? a : spec.putArray("containers");
    if (cs.size() <= i) cs.addObject().put("name", "c" + i);
    return (ObjectNode) cs.get(i);
  }

  // ---------------------------------------------------------------- the plain algorithm

  private record PlainEntry(String manager, String operation, String apiVersion, String time, String subresource, FieldSet fields) {}

  /** recordUpdate as first written: every path of both objects, every entry decoded and encoded (writer did not change managedFields). */
  private static ObjectNode plainRecordUpdate(ResourceType type, ObjectNode old, ObjectNode updated, String manager, String sub) {
    ObjectNode result = updated.deepCopy();
    String s = sub == null ? "" : sub;
    Scope scope = s.equals("status") ? Scope.STATUS : Scope.MAIN;
    List<PlainEntry> entries = new ArrayList<>();
    for (JsonNode m : old.path("metadata").path("managedFields")) {
      entries.add(new PlainEntry(m.path("manager").asString(""), m.path("operation").asString(""),
          m.has("apiVersion") ? m.get("apiVersion").asString() : null, m.has("time") ? m.get("time").asString() : null,
          m.path("subresource").asString(""), FieldSet.decode(m.get("fieldsV1"))));
    }
    FieldSet now = FieldSet.of(type, result, scope, true);
    FieldSet before = FieldSet.of(type, old, scope, true);
    FieldSet changed = new FieldSet();
    for (List<String> p : now.paths) {
      if (!before.paths.contains(p)) {
        changed.paths.add(p);
        continue;
      }
      JsonNode a = FieldSet.valueAt(old, p);
      JsonNode b = FieldSet.valueAt(result, p);
      boolean container = b != null && b.isObject() && !b.isEmpty();
      if (!container && !Values.same(a, b)) changed.paths.add(p);
    }
    List<PlainEntry> out = new ArrayList<>();
    boolean found = false;
    for (PlainEntry e : entries) {
      if (e.subresource().equals("status") != s.equals("status")) {
        e.fields().paths.removeIf(p -> before.paths.contains(p) && !now.paths.contains(p));
      } else {
        e.fields().paths.removeIf(p -> changed.paths.contains(p) || (before.paths.contains(p) && !now.paths.contains(p)));
      }
      if (e.manager().equals(manager) && e.operation().equals("Update") && e.subresource().equals(s) && !changed.isEmpty()) {
        e.fields().paths.addAll(changed.paths);
        e = new PlainEntry(e.manager(), e.operation(), type.apiVersion(), "touched", e.subresource(), e.fields());
        found = true;
      }
      out.add(e);
    }
    if (!found && !changed.isEmpty()) out.add(new PlainEntry(manager, "Update", type.apiVersion(), "touched", s, changed));
    ArrayNode arr = JSON.createArrayNode();
    for (PlainEntry e : out) {
      if (e.fields().isEmpty()) continue;
      ObjectNode o = arr.addObject();
      o.put("manager", e.manager());
      o.put("operation", e.operation());
      if (e.apiVersion() != null) o.put("apiVersion", e.apiVersion());
      if (e.time() != null) o.put("time", e.time());
      o.put("fieldsType", "FieldsV1");
      o.set("fieldsV1", e.fields().encode());
      if (!e.subresource().isEmpty()) o.put("subresource", e.subresource());
    }
    ObjectNode md = (ObjectNode) result.get("metadata");
    if (arr.isEmpty()) md.remove("managedFields");
    else md.set("managedFields", arr);
    return result;
  }
}
