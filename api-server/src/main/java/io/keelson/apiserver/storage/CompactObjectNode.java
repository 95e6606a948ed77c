package io.keelson.apiserver.storage;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The JSON objects {@link CompactNodeFactory} makes: an ObjectNode over a {@link FieldMap} whose
 * {@link #deepCopy} copies the fields array directly (the api-server deep-copies a cached object
 * for every write) instead of re-adding each field through the map.
 */
final class CompactObjectNode extends ObjectNode {

  private static final long serialVersionUID = 1L;

  CompactObjectNode(JsonNodeFactory factory, FieldMap fields) {
    super(factory, fields);
  }

  @Override
  public ObjectNode deepCopy() {
    return new CompactObjectNode(_nodeFactory, ((FieldMap) _children).copy(JsonNode::deepCopy));
  }
}
