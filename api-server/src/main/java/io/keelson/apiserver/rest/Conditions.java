package io.keelson.apiserver.rest;

import io.keelson.apiserver.registry.ResourceService;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Setting a typed condition in {@code status.conditions}, keeping its transition time when unchanged. */
public final class Conditions {
  private Conditions() {}

  public static void set(ObjectNode obj, String type, String status, String reason, String message) {
    ObjectNode st = obj.has("status") && obj.get("status").isObject() ? (ObjectNode) obj.get("status") : obj.putObject("status");
    ArrayNode conds = st.has("conditions") && st.get("conditions").isArray() ? (ArrayNode) st.get("conditions") : st.putArray("conditions");
    ObjectNode c = null;
    for (JsonNode n : conds) if (n instanceof ObjectNode o && type.equals(o.path("type").asString())) c = o;
    if (c == null) {
      c = conds.addObject();
      c.put("type", type);
    }
    if (!status.equals(c.path("status").asString())) c.put("lastTransitionTime", ResourceService.now());
    c.put("status", status);
    c.putNull("lastProbeTime");
    if (reason != null) c.put("reason", reason);
    if (message != null) c.put("message", message);
  }
}
