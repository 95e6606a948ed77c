package io.keelson.apiserver.conversion;

import io.keelson.apiserver.resource.ResourceType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.node.ObjectNode;

/**
 * How a resource served from another resource's storage (a {@link io.keelson.apiserver.resource.ResourceView})
 * maps its objects to the stored shape and back. Both directions return new objects and leave
 * their argument as it was.
 */
public interface Conversion {

  /** The stored object as the served resource shows it. */
  ObjectNode toServed(ObjectNode stored);

  /** Stored objects as the served resource shows them, in order (a conversion webhook converts a list in one call). */
  default List<ObjectNode> toServed(List<ObjectNode> stored) {
    List<ObjectNode> out = new ArrayList<>(stored.size());
    for (ObjectNode o : stored) out.add(toServed(o));
    return out;
  }

  /** A served-shape object as it is stored. */
  ObjectNode toStorage(ObjectNode served);

  /** Top-level fields of the stored shape that the served resource names otherwise (stored → served), for error messages. */
  default Map<String, String> servedFieldNames() {
    return Map.of();
  }

  /** Field selector labels of the served resource that have other names in storage. */
  default Map<String, String> fieldLabels() {
    return Map.of();
  }

  /** Rules the served version adds on create (400/422 when broken); the stored kind's own rules run too. */
  default void validateCreate(ResourceType served, ObjectNode obj) {}
}
