package io.keelson.apiserver.storage;

import io.keelson.apiserver.status.StatusException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * How objects are stored: compact JSON without {@code metadata.resourceVersion} (the etcd mod
 * revision is the resourceVersion, added on every read).
 */
public final class ObjectCodec {

  public static final JsonMapper JSON = JsonMapper.builder().build();

  private ObjectCodec() {}

  public static ObjectNode decode(EtcdStore.Entry e) {
    try {
      ObjectNode o = (ObjectNode) JSON.readTree(e.value());
      setResourceVersion(o, e.modRevision());
      return o;
    } catch (JacksonException | ClassCastException ex) {
      throw StatusException.internal("stored object " + e.key() + " is corrupt: " + ex.getMessage());
    }
  }

  public static byte[] encode(ObjectNode o) {
    // Copy only when there is something to strip (creates have no resourceVersion yet).
    if (!(o.get("metadata") instanceof ObjectNode meta) || !meta.has("resourceVersion")) return JSON.writeValueAsBytes(o);
    ObjectNode copy = o.deepCopy();
    JsonNode md = copy.get("metadata");
    if (md instanceof ObjectNode m) m.remove("resourceVersion");
    return JSON.writeValueAsBytes(copy);
  }

  public static void setResourceVersion(ObjectNode o, long rv) {
    JsonNode md = o.get("metadata");
    ObjectNode m = md instanceof ObjectNode mm ? mm : o.putObject("metadata");
    m.put("resourceVersion", Long.toString(rv));
  }

  public static long resourceVersion(ObjectNode o) {
    JsonNode rv = o.path("metadata").path("resourceVersion");
    try {
      return rv.isMissingNode() || rv.isNull() ? 0 : Long.parseLong(rv.asString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
