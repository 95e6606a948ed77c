package io.keelson.apiserver.rest;

import io.keelson.apiserver.storage.ObjectCodec;
import java.util.concurrent.atomic.AtomicReferenceArray;
import tools.jackson.databind.node.ObjectNode;

/**
 * The JSON bytes of watch-cache objects, serialized once and shared by every watcher that sends the
 * same event (1,000 watchers of one event used to serialize it 1,000 times). Keyed by identity:
 * cached objects are shared and never mutated (see WatchEvent). Small and lossy on purpose.
 */
final class SharedJson {

  private static final int SLOTS = 512;
  private static final int MAX_CACHED_BYTES = 64 * 1024;

  private record Slot(ObjectNode object, byte[] json) {}

  private static final AtomicReferenceArray<Slot> SLOTS_ARRAY = new AtomicReferenceArray<>(SLOTS);

  private SharedJson() {}

  static byte[] of(ObjectNode o) {
    int i = System.identityHashCode(o) & (SLOTS - 1);
    Slot s = SLOTS_ARRAY.get(i);
    if (s != null && s.object() == o) return s.json();
    byte[] json = ObjectCodec.JSON.writeValueAsBytes(o);
    if (json.length <= MAX_CACHED_BYTES) SLOTS_ARRAY.set(i, new Slot(o, json));
    return json;
  }
}
