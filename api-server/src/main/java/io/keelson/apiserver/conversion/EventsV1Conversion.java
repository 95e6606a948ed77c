package io.keelson.apiserver.conversion;

import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * events.k8s.io/v1 Events are core/v1 Events seen through other field names, as in Kubernetes, where
 * both APIs share one storage (cohabitating resources): an event a kubelet or scheduler writes
 * through one API is listed, watched and updated through the other. Objects are stored in the
 * core/v1 shape; this renames the fields on the way in and out.
 */
public final class EventsV1Conversion implements Conversion {

  /** events.k8s.io/v1 field → core/v1 field; every other field (metadata, reason, type, action, ...) keeps its name. */
  private static final Map<String, String> TO_CORE = Map.of(
      "regarding", "involvedObject",
      "note", "message",
      "reportingController", "reportingComponent",
      "deprecatedSource", "source",
      "deprecatedFirstTimestamp", "firstTimestamp",
      "deprecatedLastTimestamp", "lastTimestamp",
      "deprecatedCount", "count");

  private static final Map<String, String> TO_SERVED = invert(TO_CORE);

  /** Field selector labels of events.k8s.io/v1 → the core/v1 labels of the same fields. */
  private static final Map<String, String> FIELD_LABELS = Map.of(
      "regarding.kind", "involvedObject.kind",
      "regarding.namespace", "involvedObject.namespace",
      "regarding.name", "involvedObject.name",
      "regarding.uid", "involvedObject.uid",
      "regarding.apiVersion", "involvedObject.apiVersion",
      "regarding.resourceVersion", "involvedObject.resourceVersion",
      "regarding.fieldPath", "involvedObject.fieldPath",
      "reportingController", "reportingComponent");

  private static Map<String, String> invert(Map<String, String> m) {
    Map<String, String> out = new java.util.HashMap<>();
    m.forEach((k, v) -> out.put(v, k));
    return Map.copyOf(out);
  }

  @Override
  public ObjectNode toServed(ObjectNode core) {
    return renamed(core, TO_SERVED, "events.k8s.io/v1");
  }

  @Override
  public ObjectNode toStorage(ObjectNode served) {
    return renamed(served, TO_CORE, "v1");
  }

  @Override
  public Map<String, String> servedFieldNames() {
    return TO_SERVED;
  }

  @Override
  public Map<String, String> fieldLabels() {
    return FIELD_LABELS;
  }

  /**
   * What kube requires of an Event created through events.k8s.io/v1 (core/v1 stays lenient for old
   * clients): eventTime, the reporting controller and instance, action, reason, and a known type.
   */
  @Override
  public void validateCreate(ResourceType served, ObjectNode obj) {
    List<StatusException.Cause> causes = new ArrayList<>();
    for (String f : List.of("eventTime", "reportingController", "reportingInstance", "action", "reason")) {
      JsonNode v = obj.get(f);
      if (v == null || v.isNull() || v.asString("").isEmpty()) {
        causes.add(new StatusException.Cause("FieldValueRequired", "Required value", f));
      }
    }
    String type = obj.path("type").asString("");
    if (!type.equals("Normal") && !type.equals("Warning")) {
      causes.add(new StatusException.Cause("FieldValueNotSupported",
          "Unsupported value: \"" + type + "\": supported values: \"Normal\", \"Warning\"", "type"));
    }
    if (obj.path("note").asString("").length() > 1024) {
      causes.add(new StatusException.Cause("FieldValueTooLong", "Too long: may not be more than 1024 bytes", "note"));
    }
    if (!causes.isEmpty()) {
      throw StatusException.invalid(served, obj.path("metadata").path("name").asString(""), causes);
    }
  }

  /**
   * A deep copy with the top-level fields renamed, and so the field paths of its managedFields
   * entries: whichever API a manager wrote through, its entry names the fields as the reader's
   * API does, so that server-side apply's ownership and conflicts work across the two.
   */
  private static ObjectNode renamed(ObjectNode in, Map<String, String> names, String apiVersion) {
    ObjectNode out = in.objectNode();
    out.put("apiVersion", apiVersion);
    out.put("kind", "Event");
    for (Map.Entry<String, JsonNode> e : in.properties()) {
      String k = e.getKey();
      if (k.equals("apiVersion") || k.equals("kind")) continue;
      out.set(names.getOrDefault(k, k), e.getValue().deepCopy());
    }
    for (JsonNode entry : out.path("metadata").path("managedFields")) {
      if (!(entry instanceof ObjectNode m)) continue;
      if (m.path("apiVersion").asString("").equals(apiVersion.equals("v1") ? "events.k8s.io/v1" : "v1")) m.put("apiVersion", apiVersion);
      if (!(m.get("fieldsV1") instanceof ObjectNode fields)) continue;
      ObjectNode renamedFields = fields.objectNode();
      for (Map.Entry<String, JsonNode> f : fields.properties()) {
        String path = f.getKey();
        String field = path.startsWith("f:") ? path.substring(2) : null;
        renamedFields.set(field != null && names.containsKey(field) ? "f:" + names.get(field) : path, f.getValue());
      }
      m.set("fieldsV1", renamedFields);
    }
    return out;
  }
}
