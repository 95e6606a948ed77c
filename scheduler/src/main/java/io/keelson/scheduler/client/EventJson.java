package io.keelson.scheduler.client;

import java.io.ByteArrayOutputStream;
import tools.jackson.core.JsonEncoding;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/**
 * A core/v1 Event about a pod, as the scheduler posts it (one {@code Scheduled} per bound pod),
 * written straight to JSON bytes with a streaming generator: the same document fabric8's {@code
 * EventBuilder} and {@code asJson} made, without the builder's copies and the bean serializer's
 * per-property delegates for every bound pod.
 */
record EventJson(
    String name,
    String namespace,
    String podName,
    String podUid,
    String podResourceVersion,
    String type,
    String reason,
    String action,
    String message,
    String component,
    String instance,
    String timestamp) {
  private static final JsonFactory JSON = new JsonFactory();

  byte[] toJson() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(768);
    try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringProperty("apiVersion", "v1");
      g.writeStringProperty("kind", "Event");
      string(g, "action", action);
      g.writeNumberProperty("count", 1);
      string(g, "firstTimestamp", timestamp);
      g.writeName("involvedObject");
      g.writeStartObject();
      g.writeStringProperty("apiVersion", "v1");
      g.writeStringProperty("kind", "Pod");
      string(g, "name", podName);
      string(g, "namespace", namespace);
      string(g, "resourceVersion", podResourceVersion);
      string(g, "uid", podUid);
      g.writeEndObject();
      string(g, "lastTimestamp", timestamp);
      string(g, "message", message);
      g.writeName("metadata");
      g.writeStartObject();
      string(g, "name", name);
      string(g, "namespace", namespace);
      g.writeEndObject();
      string(g, "reason", reason);
      string(g, "reportingComponent", component);
      string(g, "reportingInstance", instance);
      g.writeName("source");
      g.writeStartObject();
      string(g, "component", component);
      g.writeEndObject();
      string(g, "type", type);
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  private static void string(JsonGenerator g, String field, String value) {
    if (value != null) {
      g.writeStringProperty(field, value);
    }
  }
}
