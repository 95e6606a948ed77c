package io.keelson.apiserver.conversion;

import tools.jackson.databind.node.ObjectNode;

/**
 * Versions of a custom resource whose schemas agree (a CustomResourceDefinition's conversion
 * strategy None): an object converts by its apiVersion alone.
 */
public record ApiVersionConversion(String servedApiVersion, String storedApiVersion) implements Conversion {

  @Override
  public ObjectNode toServed(ObjectNode stored) {
    ObjectNode o = stored.deepCopy();
    o.put("apiVersion", servedApiVersion);
    return o;
  }

  @Override
  public ObjectNode toStorage(ObjectNode served) {
    ObjectNode o = served.deepCopy();
    o.put("apiVersion", storedApiVersion);
    return o;
  }
}
