package io.keelson.apiserver.rest;

import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.storage.ObjectCodec;
import java.util.List;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Bridge to server-side printing (interim: NAME only until the printing package lands). */
final class Tables {
  private Tables() {}

  static boolean wantsTable(String accept) {
    return accept != null && accept.contains("as=Table");
  }

  static ObjectNode table(ResourceType type, List<ObjectNode> objects, String rv, String cont, boolean includeObject) {
    ObjectNode t = ObjectCodec.JSON.createObjectNode();
    t.put("kind", "Table");
    t.put("apiVersion", "meta.k8s.io/v1");
    ObjectNode md = t.putObject("metadata");
    md.put("resourceVersion", rv);
    if (cont != null) md.put("continue", cont);
    ArrayNode cols = t.putArray("columnDefinitions");
    ObjectNode c = cols.addObject();
    c.put("name", "Name");
    c.put("type", "string");
    c.put("format", "name");
    c.put("priority", 0);
    ArrayNode rows = t.putArray("rows");
    for (ObjectNode o : objects) {
      ObjectNode r = rows.addObject();
      r.putArray("cells").add(o.path("metadata").path("name").asString());
      ObjectNode obj = r.putObject("object");
      obj.put("kind", "PartialObjectMetadata");
      obj.put("apiVersion", "meta.k8s.io/v1");
      obj.set("metadata", o.get("metadata"));
    }
    return t;
  }
}
