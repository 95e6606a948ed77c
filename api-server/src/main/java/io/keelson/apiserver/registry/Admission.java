package io.keelson.apiserver.registry;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Admission rules that need other objects, as Kubernetes' admission plugins do: RuntimeClass (pod
 * overhead and node selector from the pod's RuntimeClass) and Priority (spec.priority from the
 * PriorityClass). Stateless rules live in the admission package.
 */
final class Admission {

  private static final Map<String, Integer> SYSTEM_PRIORITIES =
      Map.of("system-node-critical", 2000001000, "system-cluster-critical", 2000000000);

  private Admission() {}

  static void admitCreate(ResourceService svc, ResourceType type, ObjectNode obj) {
    if (!type.kind().equals("Pod")) return;
    ObjectNode spec = obj.has("spec") && obj.get("spec").isObject() ? (ObjectNode) obj.get("spec") : obj.putObject("spec");
    runtimeClass(svc, type, obj, spec);
    priority(svc, type, obj, spec);
  }

  static void admitUpdate(ResourceService svc, ResourceType type, ObjectNode obj, ObjectNode old, String subresource) {
    // Nothing yet: RBAC and node authorization will hook in here.
  }

  private static void runtimeClass(ResourceService svc, ResourceType podType, ObjectNode pod, ObjectNode spec) {
    String rc = spec.path("runtimeClassName").asString("");
    if (rc.isEmpty()) return;
    ResourceType rcType = ResourceRegistry.find("node.k8s.io", "v1", "runtimeclasses").orElseThrow();
    ObjectNode runtimeClass = svc.cached(rcType, null, rc);
    if (runtimeClass == null) {
      throw StatusException.forbidden("pod rejected: RuntimeClass \"" + rc + "\" not found");
    }
    JsonNode fixed = runtimeClass.path("overhead").path("podFixed");
    if (fixed.isObject() && fixed.size() > 0) {
      if (spec.has("overhead") && !spec.get("overhead").equals(fixed)) {
        throw StatusException.forbidden("pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
      }
      spec.putObject("overhead").setAll((ObjectNode) fixed);
    }
    JsonNode sel = runtimeClass.path("scheduling").path("nodeSelector");
    if (sel.isObject()) {
      ObjectNode ns = spec.has("nodeSelector") && spec.get("nodeSelector").isObject()
          ? (ObjectNode) spec.get("nodeSelector") : spec.putObject("nodeSelector");
      for (Map.Entry<String, JsonNode> e : sel.properties()) {
        JsonNode mine = ns.get(e.getKey());
        if (mine != null && !mine.equals(e.getValue())) {
          throw StatusException.forbidden("pod rejected: conflicting nodeSelector " + e.getKey()
              + " between the pod and RuntimeClass \"" + rc + "\"");
        }
        ns.set(e.getKey(), e.getValue());
      }
    }
    JsonNode tol = runtimeClass.path("scheduling").path("tolerations");
    if (tol.isArray() && tol.size() > 0) {
      ArrayNode pt = spec.has("tolerations") && spec.get("tolerations").isArray() ? (ArrayNode) spec.get("tolerations") : spec.putArray("tolerations");
      for (JsonNode t : tol) {
        boolean present = false;
        for (JsonNode p : pt) present |= p.equals(t);
        if (!present) pt.add(t);
      }
    }
  }

  private static void priority(ResourceService svc, ResourceType podType, ObjectNode pod, ObjectNode spec) {
    String pc = spec.path("priorityClassName").asString("");
    if (pc.isEmpty()) {
      if (!spec.has("priority")) spec.put("priority", 0);
      return;
    }
    Integer value = SYSTEM_PRIORITIES.get(pc);
    String preemption = "PreemptLowerPriority";
    if (value == null) {
      ResourceType pcType = ResourceRegistry.find("scheduling.k8s.io", "v1", "priorityclasses").orElseThrow();
      ObjectNode cls = svc.cached(pcType, null, pc);
      if (cls == null) throw StatusException.forbidden("pods \"" + pod.path("metadata").path("name").asString("")
          + "\" is forbidden: no PriorityClass with name " + pc + " was found");
      value = cls.path("value").asInt(0);
      preemption = cls.path("preemptionPolicy").asString(preemption);
    }
    spec.put("priority", value);
    if (!spec.has("preemptionPolicy")) spec.put("preemptionPolicy", preemption);
  }
}
