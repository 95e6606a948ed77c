package io.keelson.apiserver.registry;

import io.keelson.apiserver.resource.ResourceType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Per-kind rules applied on every write, in Kubernetes' order: prepare (reset what clients may not
 * set), default, validate, track field managers. The defaulting, validation and field-manager
 * logic itself lives in the admission and patch packages; this is where the pipeline calls it.
 */
final class Strategy {

  private Strategy() {}

  /** What a client may not set on create: status of kinds whose status is written by controllers. */
  static void prepareForCreate(ResourceType type, ObjectNode obj) {
    if (type.hasSubresource("status") && !type.kind().equals("Node") && !type.kind().equals("Namespace")
        && !type.kind().equals("Service")) {
      obj.remove("status");
    }
    if (type.group().equals("batch") && type.kind().equals("Job")) {
      io.keelson.apiserver.admission.Defaulter.generateJobSelector(obj); // after the uid is set: the selector names it
    }
    if (type.group().equals(io.keelson.apiserver.admission.CustomResourceDefinitions.GROUP)) {
      io.keelson.apiserver.admission.CustomResourceDefinitions.prepareForCreate(obj);
    }
    if (type.kind().equals("Pod")) {
      ObjectNode st = obj.putObject("status");
      st.put("phase", "Pending");
      st.put("qosClass", qosClass(obj));
    }
  }

  static void applyDefaults(ResourceType type, ObjectNode obj, ObjectNode old, java.util.function.Predicate<String> clusterIpInUse) {
    if (old == null) io.keelson.apiserver.admission.Defaulter.applyDefaults(type, obj, clusterIpInUse);
    else io.keelson.apiserver.admission.Defaulter.applyDefaults(type, obj, old, clusterIpInUse);
  }

  static void validate(ResourceType type, ObjectNode obj, ObjectNode old) {
    io.keelson.apiserver.admission.Validator.validate(type, obj, old);
  }

  /**
   * Records the write in managedFields, changing {@code updated} itself (the write path's own object).
   * A server-side apply has done its bookkeeping already (its Apply entry): nothing to add.
   */
  static ObjectNode recordManager(ResourceType type, ObjectNode old, ObjectNode updated, WriteOptions opts) {
    if (opts.applied()) return updated;
    return io.keelson.apiserver.patch.ServerSideApply.recordUpdateInPlace(type, old, updated, opts.managerOr("unknown"), "Update",
        opts.subresource());
  }

  /** Guaranteed when every container has requests == limits for cpu and memory; BestEffort when none has any. */
  static String qosClass(ObjectNode pod) {
    boolean any = false;
    boolean guaranteed = true;
    for (String list : new String[] {"containers", "initContainers"}) {
      for (JsonNode c : pod.path("spec").path(list)) {
        JsonNode req = c.path("resources").path("requests");
        JsonNode lim = c.path("resources").path("limits");
        if (req.size() > 0 || lim.size() > 0) any = true;
        for (String r : new String[] {"cpu", "memory"}) {
          JsonNode l = lim.get(r);
          JsonNode q = req.has(r) ? req.get(r) : l;
          if (l == null || q == null || !l.asString().equals(q.asString())) guaranteed = false;
        }
      }
    }
    if (!any) return "BestEffort";
    return guaranteed ? "Guaranteed" : "Burstable";
  }
}
