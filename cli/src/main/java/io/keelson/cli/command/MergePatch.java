package io.keelson.cli.command;

import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Three-way JSON merge patch for client-side apply: set what the new manifest says where the live
 * object differs, and null what the previous apply set but the new manifest dropped. Lists are
 * replaced whole (merge patch semantics) but only when the manifest changed them, so
 * server-defaulted fields inside list items don't make every apply a change.
 */
public final class MergePatch {
  private MergePatch() {}

  public static ObjectNode threeWay(JsonNode previous, JsonNode desired, JsonNode current) {
    ObjectNode patch = io.keelson.cli.cluster.Cluster.object();
    diff(previous, desired, current, patch);
    return patch;
  }

  private static void diff(JsonNode previous, JsonNode desired, JsonNode current, ObjectNode patch) {
    for (Map.Entry<String, JsonNode> e : desired.properties()) {
      String k = e.getKey();
      JsonNode want = e.getValue();
      JsonNode live = current == null ? null : current.get(k);
      JsonNode prev = previous == null ? null : previous.get(k);
      if (want.isObject() && live != null && live.isObject()) {
        ObjectNode sub = patch.objectNode();
        diff(prev != null && prev.isObject() ? prev : null, want, live, sub);
        if (!sub.isEmpty()) {
          patch.set(k, sub);
        }
      } else if (want.isArray()) {
        boolean unchangedSinceLastApply = prev != null && prev.equals(want);
        if (!(unchangedSinceLastApply && live != null) && !(live != null && live.equals(want))) {
          patch.set(k, want);
        }
      } else if (live == null || !live.equals(want)) {
        patch.set(k, want);
      }
    }
    if (previous != null && previous.isObject()) {
      for (String k : previous.propertyNames()) {
        if (!desired.has(k) && current != null && current.has(k)) {
          patch.putNull(k);
        }
      }
    }
  }
}
