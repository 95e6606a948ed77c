package io.keelson.apiserver.watch;

import tools.jackson.databind.node.ObjectNode;

/**
 * One change of one object, as clients see it. {@code object} carries its resourceVersion; it and
 * {@code prev} are shared by every watcher and must never be mutated. {@code json} is the object's
 * JSON when the cache knows it without serializing (a write of this api-server: its stored bytes
 * plus the resourceVersion), else null; shared as well, never to be changed.
 */
public record WatchEvent(Type type, ObjectNode object, ObjectNode prev, long revision, byte[] json) {
  public enum Type { ADDED, MODIFIED, DELETED, BOOKMARK, ERROR }

  public WatchEvent(Type type, ObjectNode object, ObjectNode prev, long revision) {
    this(type, object, prev, revision, null);
  }

  /** The object's JSON for a watch stream: known bytes, or encoded once for every stream (EncodedObjects). */
  public byte[] objectJson() {
    return json != null ? json : EncodedObjects.json(object);
  }
}
