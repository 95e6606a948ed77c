package io.keelson.apiserver.storage;

import io.keelson.apiserver.status.StatusException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.BooleanNode;
import tools.jackson.databind.node.DoubleNode;
import tools.jackson.databind.node.IntNode;
import tools.jackson.databind.node.LongNode;
import tools.jackson.databind.node.NullNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

/**
 * How objects are stored: compact JSON without {@code metadata.resourceVersion} (the etcd mod
 * revision is the resourceVersion, added on every read).
 */
public final class ObjectCodec {

  /** Trees it makes are compact ({@link CompactNodeFactory}): the watch cache keeps every object as one. */
  public static final JsonMapper JSON = JsonMapper.builder().nodeFactory(CompactNodeFactory.INSTANCE).build();

  private ObjectCodec() {}

  public static ObjectNode decode(EtcdStore.Entry e) {
    if (e.unreadable() != null) throw StatusException.internal(e.unreadable());
    try {
      ObjectNode o = (ObjectNode) JSON.readTree(e.value());
      setResourceVersion(o, e.modRevision());
      return o;
    } catch (JacksonException | ClassCastException ex) {
      throw StatusException.internal("stored object " + e.key() + " is corrupt: " + ex.getMessage());
    }
  }

  /**
   * An object's stored JSON (without resourceVersion) and the offset just inside its
   * {@code metadata} object, where {@link #withResourceVersion} adds the resourceVersion: the
   * response to a write is then the stored bytes plus one field, not a second serialization.
   */
  public record Stored(byte[] bytes, int metadataStart, boolean metadataEmpty) {
    /** The object's JSON with {@code metadata.resourceVersion} (as metadata's first field). */
    public byte[] withResourceVersion(long rv) {
      byte[] field = ("\"resourceVersion\":\"" + rv + "\"" + (metadataEmpty ? "" : ",")).getBytes(StandardCharsets.US_ASCII);
      byte[] out = new byte[bytes.length + field.length];
      System.arraycopy(bytes, 0, out, 0, metadataStart);
      System.arraycopy(field, 0, out, metadataStart, field.length);
      System.arraycopy(bytes, metadataStart, out, metadataStart + field.length, bytes.length - metadataStart);
      return out;
    }
  }

  /**
   * As {@link #encode}, remembering where metadata's fields begin. The bytes are exactly those of
   * {@code encode}: the top level is written field by field with the same serializer.
   */
  public static Stored encodeStored(ObjectNode o) {
    if (!(o.get("metadata") instanceof ObjectNode)) throw new IllegalArgumentException("an object to store has metadata");
    ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    int metadataStart = -1;
    boolean metadataEmpty = true;
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      for (Map.Entry<String, JsonNode> e : o.properties()) {
        g.writeName(e.getKey());
        if (metadataStart < 0 && e.getKey().equals("metadata")) {
          g.writeStartObject();
          g.flush();
          metadataStart = out.size();
          for (Map.Entry<String, JsonNode> m : e.getValue().properties()) {
            if (m.getKey().equals("resourceVersion")) continue;
            g.writeName(m.getKey());
            g.writeTree(m.getValue());
            metadataEmpty = false;
          }
          g.writeEndObject();
        } else {
          g.writeTree(e.getValue());
        }
      }
      g.writeEndObject();
    }
    return new Stored(out.toByteArray(), metadataStart, metadataEmpty);
  }

  /**
   * A copy of {@code o} equal to what decoding its JSON would give (ints as IntNode, other numbers
   * as the parser makes them), so that the watch cache can take a just-written object instead of
   * decoding the etcd event; null when the tree holds a node whose round trip is not that simple.
   * Type matters: Jackson's equals tells IntNode 1 from LongNode 1, and no-op detection compares
   * cached objects with new ones.
   */
  public static ObjectNode decodedCopy(ObjectNode o) {
    try {
      return (ObjectNode) roundTrip(o);
    } catch (NotSimple e) {
      return null;
    }
  }

  /**
   * Makes {@code o} itself what decoding its JSON gives (see {@link #decodedCopy}: ints as IntNode),
   * for an object handed to the watch cache without a copy. False when the tree holds a node whose
   * round trip is not that simple (the object may then be partly normalized, which changes nothing
   * it means).
   */
  public static boolean normalizeDecoded(ObjectNode o) {
    return normalize(o);
  }

  private static boolean normalize(JsonNode n) {
    switch (n) {
      case ObjectNode obj -> {
        List<String> ints = null;
        for (Map.Entry<String, JsonNode> e : obj.properties()) {
          JsonNode v = e.getValue();
          if (v instanceof LongNode l && fitsInt(l)) {
            if (ints == null) ints = new ArrayList<>(2);
            ints.add(e.getKey());
          } else if (!normalize(v)) {
            return false;
          }
        }
        if (ints != null) for (String k : ints) obj.put(k, (int) obj.get(k).longValue());
        return true;
      }
      case ArrayNode arr -> {
        for (int i = 0; i < arr.size(); i++) {
          JsonNode v = arr.get(i);
          if (v instanceof LongNode l && fitsInt(l)) arr.set(i, IntNode.valueOf((int) l.longValue()));
          else if (!normalize(v)) return false;
        }
        return true;
      }
      case DoubleNode d -> {
        return Double.isFinite(d.doubleValue());
      }
      default -> {
        // the other leaves roundTrip keeps as they are
        return n instanceof StringNode || n instanceof BooleanNode || n instanceof NullNode
            || n instanceof IntNode || n instanceof LongNode;
      }
    }
  }

  private static boolean fitsInt(LongNode l) {
    long v = l.longValue();
    return v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
  }

  private static final class NotSimple extends RuntimeException {
    NotSimple() {
      super(null, null, false, false);
    }
  }

  private static JsonNode roundTrip(JsonNode n) {
    switch (n) {
      case ObjectNode obj -> {
        ObjectNode c = JSON.createObjectNode();
        for (Map.Entry<String, JsonNode> e : obj.properties()) c.set(e.getKey(), roundTrip(e.getValue()));
        return c;
      }
      case ArrayNode arr -> {
        ArrayNode c = JSON.createArrayNode();
        for (JsonNode x : arr) c.add(roundTrip(x));
        return c;
      }
      case StringNode s -> {
        return s; // immutable
      }
      case BooleanNode b -> {
        return b;
      }
      case NullNode z -> {
        return z;
      }
      case IntNode i -> {
        return i;
      }
      case LongNode l -> {
        return fitsInt(l) ? IntNode.valueOf((int) l.longValue()) : l;
      }
      case DoubleNode d -> {
        if (!Double.isFinite(d.doubleValue())) throw new NotSimple();
        return d;
      }
      default -> throw new NotSimple();
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
