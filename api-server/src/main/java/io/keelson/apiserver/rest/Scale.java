package io.keelson.apiserver.rest;

import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** The autoscaling/v1 Scale view of a Deployment, ReplicaSet or StatefulSet (the scale subresource). */
final class Scale {

  static final ResourceType TYPE = new ResourceType("autoscaling", "v1", "scale", "Scale", true, List.of(), List.of(),
      Set.of(), Object.class, false);

  private Scale() {}

  /** The Scale of an object of {@code type}: a custom resource's from the paths its definition names. */
  static ObjectNode of(ResourceType type, ObjectNode obj) {
    io.keelson.apiserver.resource.CustomResource cr = io.keelson.apiserver.resource.ResourceRegistry.customOf(type);
    if (cr == null) return of(obj);
    JsonNode paths = cr.versionSpec().path("subresources").path("scale");
    ObjectNode s = of(obj);
    ((ObjectNode) s.get("spec")).put("replicas", at(obj, paths.path("specReplicasPath").asString("")).asInt(0));
    ObjectNode st = (ObjectNode) s.get("status");
    st.put("replicas", at(obj, paths.path("statusReplicasPath").asString("")).asInt(0));
    JsonNode selector = at(obj, paths.path("labelSelectorPath").asString(""));
    if (selector.isString()) st.put("selector", selector.asString());
    else st.remove("selector");
    return s;
  }

  /** Sets the replicas a Scale asks for at the custom resource's {@code specReplicasPath}. */
  static ObjectNode applyTo(ResourceType type, ObjectNode obj, ObjectNode scale) {
    io.keelson.apiserver.resource.CustomResource cr = io.keelson.apiserver.resource.ResourceRegistry.customOf(type);
    if (cr == null) return applyTo(obj, scale);
    JsonNode r = scale.path("spec").path("replicas");
    if (!r.isIntegralNumber() || r.asLong() < 0 || r.asLong() > Integer.MAX_VALUE) {
      throw StatusException.invalid(TYPE, obj.path("metadata").path("name").asString(""),
          List.of(StatusException.Cause.invalid("spec.replicas", "Invalid value: " + r + ": must be a non-negative integer")));
    }
    String[] path = cr.versionSpec().path("subresources").path("scale").path("specReplicasPath").asString("").substring(1).split("\\.");
    ObjectNode parent = obj;
    for (int i = 0; i < path.length - 1; i++) parent = parent.get(path[i]) instanceof ObjectNode o ? o : parent.putObject(path[i]);
    parent.put(path[path.length - 1], r.asInt());
    return obj;
  }

  /** The value at a simple path such as {@code .spec.replicas} (missing when absent). */
  private static JsonNode at(JsonNode obj, String path) {
    JsonNode cur = obj;
    for (String f : path.isEmpty() ? new String[0] : path.substring(1).split("\\.")) cur = cur.path(f);
    return path.isEmpty() ? tools.jackson.databind.node.MissingNode.getInstance() : cur;
  }

  static ObjectNode of(ObjectNode obj) {
    ObjectNode s = ObjectCodec.JSON.createObjectNode();
    s.put("kind", "Scale");
    s.put("apiVersion", "autoscaling/v1");
    ObjectNode md = s.putObject("metadata");
    JsonNode src = obj.path("metadata");
    for (String f : new String[] {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
      if (src.has(f)) md.set(f, src.get(f));
    }
    s.putObject("spec").put("replicas", obj.path("spec").path("replicas").asInt(1));
    ObjectNode st = s.putObject("status");
    st.put("replicas", obj.path("status").path("replicas").asInt(0));
    st.put("selector", io.keelson.apiserver.selection.LabelSelector.toString(obj.path("spec").path("selector")));
    return s;
  }

  static ObjectNode applyTo(ObjectNode obj, ObjectNode scale) {
    JsonNode r = scale.path("spec").path("replicas");
    if (!r.isIntegralNumber() || r.asLong() < 0 || r.asLong() > Integer.MAX_VALUE) {
      throw StatusException.invalid(TYPE, obj.path("metadata").path("name").asString(""),
          List.of(StatusException.Cause.invalid("spec.replicas", "Invalid value: " + r + ": must be a non-negative integer")));
    }
    ObjectNode spec = obj.has("spec") && obj.get("spec").isObject() ? (ObjectNode) obj.get("spec") : obj.putObject("spec");
    spec.put("replicas", r.asInt());
    ResourceService.metadata(obj);
    return obj;
  }
}
