package io.keelson.apiserver.watch;

import io.keelson.apiserver.storage.ObjectCodec;
import java.util.concurrent.atomic.AtomicReferenceArray;
import tools.jackson.databind.node.ObjectNode;

/**
 * The JSON of watch-cache objects, encoded at most once and shared by every stream that sends them
 * (REST watches, the nodes' pod assignment streams) when their event does not carry its JSON already
 * (see {@link WatchEvent#json}: writes of this api-server need no encoding at all). Keyed by
 * identity (cached objects are shared and never changed, see WatchEvent); small and lossy on
 * purpose: a forgotten object is serialized again.
 */
public final class EncodedObjects {

  private static final int SLOTS = 512;
  private static final int MAX_CACHED_BYTES = 64 * 1024;

  private record Slot(ObjectNode object, byte[] json) {}

  private static final AtomicReferenceArray<Slot> SLOTS_ARRAY = new AtomicReferenceArray<>(SLOTS);

  private EncodedObjects() {}

  /** The JSON of a cached object (with its resourceVersion). The bytes are shared: never change them. */
  public static byte[] json(ObjectNode o) {
    int i = slot(o);
    Slot s = SLOTS_ARRAY.get(i);
    if (s != null && s.object() == o) return s.json();
    byte[] json = ObjectCodec.JSON.writeValueAsBytes(o);
    if (json.length <= MAX_CACHED_BYTES) SLOTS_ARRAY.set(i, new Slot(o, json));
    return json;
  }

  private static int slot(ObjectNode o) {
    return System.identityHashCode(o) & (SLOTS - 1);
  }
}
