package io.keelson.apiserver.admission;

import io.keelson.apiserver.resource.ResourceType;
import tools.jackson.databind.node.ObjectNode;

/** Per-kind validation (work in progress: accepts everything for now). */
public final class Validator {

  private Validator() {}

  public static void validate(ResourceType type, ObjectNode obj, ObjectNode old) {}
}
