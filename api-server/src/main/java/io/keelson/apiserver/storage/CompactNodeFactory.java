package io.keelson.apiserver.storage;

import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Jackson's node factory with JSON objects backed by a {@link FieldMap} instead of a LinkedHashMap:
 * the same trees in about half the memory. The api-server's mapper ({@link ObjectCodec#JSON}) uses
 * it, so request bodies, decoded stored objects and the watch cache's copy of every object are such
 * trees; nodes made from them ({@code putObject}, {@code deepCopy}) inherit it.
 */
public final class CompactNodeFactory extends JsonNodeFactory {

  private static final long serialVersionUID = 1L;

  public static final CompactNodeFactory INSTANCE = new CompactNodeFactory();

  private CompactNodeFactory() {}

  @Override
  public ObjectNode objectNode() {
    return new ObjectNode(this, new FieldMap());
  }
}
