package io.keelson.apiserver.watch;

import tools.jackson.databind.node.ObjectNode;

/**
 * One change of one object, as clients see it. {@code object} carries its resourceVersion; it and
 * {@code prev} are shared by every watcher and must never be mutated.
 */
public record WatchEvent(Type type, ObjectNode object, ObjectNode prev, long revision) {
  public enum Type { ADDED, MODIFIED, DELETED, BOOKMARK, ERROR }
}
