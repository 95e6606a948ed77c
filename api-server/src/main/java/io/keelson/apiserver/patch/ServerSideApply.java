package io.keelson.apiserver.patch;

import io.keelson.apiserver.resource.ResourceType;
import tools.jackson.databind.node.ObjectNode;

/** Server-side apply and managedFields (work in progress). */
public final class ServerSideApply {

  private ServerSideApply() {}

  public static ObjectNode apply(ResourceType type, ObjectNode current, ObjectNode applied, String fieldManager, boolean force) {
    throw io.keelson.apiserver.status.StatusException.methodNotAllowed("server-side apply is not implemented yet");
  }

  public static ObjectNode recordUpdate(ResourceType type, ObjectNode old, ObjectNode updated, String fieldManager, String operation) {
    return updated;
  }
}
