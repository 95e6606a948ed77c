package io.keelson.apiserver.conversion;

import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * autoscaling/v1 HorizontalPodAutoscalers are the stored autoscaling/v2 objects in the older, CPU-only
 * shape, as in Kubernetes (v2 is the storage version): v1's {@code targetCPUUtilizationPercentage} is
 * v2's Resource metric for cpu with an Utilization target, and {@code currentCPUUtilizationPercentage}
 * its current value. What v1 cannot express (other metrics, behavior, conditions, other current
 * metrics) rides in kube's {@code autoscaling.alpha.kubernetes.io/*} annotations, so that a v1 read,
 * change and write loses none of it. The annotations hold v2-shaped JSON.
 */
public final class AutoscalingV1Conversion implements Conversion {

  static final String METRICS = "autoscaling.alpha.kubernetes.io/metrics";
  static final String BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior";
  static final String CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions";
  static final String CURRENT_METRICS = "autoscaling.alpha.kubernetes.io/current-metrics";

  @Override
  public ObjectNode toServed(ObjectNode v2) {
    ObjectNode v1 = v2.objectNode();
    v1.put("apiVersion", "autoscaling/v1");
    v1.put("kind", "HorizontalPodAutoscaler");
    ObjectNode md = v2.path("metadata") instanceof ObjectNode m ? m.deepCopy() : v1.objectNode();
    v1.set("metadata", md);
    JsonNode spec = v2.path("spec");
    if (spec.isObject()) {
      ObjectNode s = v1.putObject("spec");
      copy(spec, s, "scaleTargetRef", "minReplicas", "maxReplicas");
      ArrayNode others = v1.arrayNode();
      for (JsonNode m : spec.path("metrics")) {
        if (isCpuUtilization(m) && !s.has("targetCPUUtilizationPercentage")) {
          s.set("targetCPUUtilizationPercentage", m.path("resource").path("target").path("averageUtilization"));
        } else {
          others.add(m.deepCopy());
        }
      }
      if (!others.isEmpty()) annotate(md, METRICS, others);
      if (spec.path("behavior").isObject()) annotate(md, BEHAVIOR, spec.get("behavior"));
    }
    JsonNode status = v2.path("status");
    if (status.isObject()) {
      ObjectNode st = v1.putObject("status");
      copy(status, st, "observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas");
      if (!st.has("currentReplicas")) st.put("currentReplicas", 0);
      if (!st.has("desiredReplicas")) st.put("desiredReplicas", 0);
      ArrayNode others = v1.arrayNode();
      for (JsonNode m : status.path("currentMetrics")) {
        JsonNode util = m.path("resource").path("current").path("averageUtilization");
        if (m.path("type").asString("").equals("Resource") && m.path("resource").path("name").asString("").equals("cpu")
            && util.isNumber() && !st.has("currentCPUUtilizationPercentage")) {
          st.set("currentCPUUtilizationPercentage", util);
        } else {
          others.add(m.deepCopy());
        }
      }
      if (!others.isEmpty()) annotate(md, CURRENT_METRICS, others);
      if (status.path("conditions").isArray() && !status.path("conditions").isEmpty()) annotate(md, CONDITIONS, status.get("conditions"));
    }
    return v1;
  }

  @Override
  public ObjectNode toStorage(ObjectNode v1) {
    ObjectNode v2 = v1.objectNode();
    v2.put("apiVersion", "autoscaling/v2");
    v2.put("kind", "HorizontalPodAutoscaler");
    ObjectNode md = v1.path("metadata") instanceof ObjectNode m ? m.deepCopy() : v2.objectNode();
    v2.set("metadata", md);
    JsonNode spec = v1.path("spec");
    if (spec.isObject()) {
      ObjectNode s = v2.putObject("spec");
      copy(spec, s, "scaleTargetRef", "minReplicas", "maxReplicas");
      ArrayNode metrics = v2.arrayNode();
      JsonNode cpu = spec.path("targetCPUUtilizationPercentage");
      if (!cpu.isMissingNode() && !cpu.isNull()) {
        ObjectNode m = metrics.addObject();
        m.put("type", "Resource");
        ObjectNode r = m.putObject("resource");
        r.put("name", "cpu");
        r.putObject("target").put("type", "Utilization").set("averageUtilization", cpu);
      }
      JsonNode more = takeAnnotation(md, METRICS);
      if (more != null && more.isArray()) metrics.addAll((ArrayNode) more);
      if (!metrics.isEmpty()) s.set("metrics", metrics);
      JsonNode behavior = takeAnnotation(md, BEHAVIOR);
      if (behavior != null && behavior.isObject()) s.set("behavior", behavior);
    }
    JsonNode currentMore = takeAnnotation(md, CURRENT_METRICS);
    JsonNode conditions = takeAnnotation(md, CONDITIONS);
    JsonNode status = v1.path("status");
    if (status.isObject()) {
      ObjectNode st = v2.putObject("status");
      copy(status, st, "observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas");
      ArrayNode current = v2.arrayNode();
      JsonNode cpu = status.path("currentCPUUtilizationPercentage");
      if (cpu.isNumber()) {
        ObjectNode m = current.addObject();
        m.put("type", "Resource");
        ObjectNode r = m.putObject("resource");
        r.put("name", "cpu");
        r.putObject("current").set("averageUtilization", cpu);
      }
      if (currentMore != null && currentMore.isArray()) current.addAll((ArrayNode) currentMore);
      if (!current.isEmpty()) st.set("currentMetrics", current);
      if (conditions != null && conditions.isArray()) st.set("conditions", conditions);
    }
    if (md.path("annotations").isObject() && md.path("annotations").isEmpty()) md.remove("annotations");
    return v2;
  }

  /** v1's own field: a CPU target of at least 1%. */
  @Override
  public void validateCreate(ResourceType served, ObjectNode obj) {
    JsonNode cpu = obj.path("spec").path("targetCPUUtilizationPercentage");
    if (!cpu.isMissingNode() && !cpu.isNull() && (!cpu.isIntegralNumber() || cpu.asLong() < 1)) {
      throw StatusException.invalid(served, obj.path("metadata").path("name").asString(""),
          List.of(StatusException.Cause.invalid("spec.targetCPUUtilizationPercentage",
              "Invalid value: " + cpu + ": must be greater than 0")));
    }
  }

  private static boolean isCpuUtilization(JsonNode m) {
    JsonNode r = m.path("resource");
    return m.path("type").asString("").equals("Resource") && r.path("name").asString("").equals("cpu")
        && r.path("target").path("type").asString("").equals("Utilization") && r.path("target").path("averageUtilization").isNumber();
  }

  private static void copy(JsonNode from, ObjectNode to, String... fields) {
    for (String f : fields) {
      if (from.has(f)) to.set(f, from.get(f).deepCopy());
    }
  }

  private static void annotate(ObjectNode md, String key, JsonNode value) {
    ObjectNode a = md.path("annotations") instanceof ObjectNode o ? o : md.putObject("annotations");
    a.put(key, ObjectCodec.JSON.writeValueAsString(value));
  }

  /** Removes an annotation written by {@link #toServed} and returns its JSON; null when absent or unreadable. */
  private static JsonNode takeAnnotation(ObjectNode md, String key) {
    if (!(md.path("annotations") instanceof ObjectNode a) || !a.has(key)) return null;
    String json = a.remove(key).asString("");
    try {
      return ObjectCodec.JSON.readTree(json);
    } catch (RuntimeException e) {
      return null; // a user-edited annotation that is not JSON: ignored, as kube drops what it cannot read
    }
  }
}
