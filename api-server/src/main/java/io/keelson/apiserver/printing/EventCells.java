package io.keelson.apiserver.printing;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import tools.jackson.databind.JsonNode;

/**
 * Cells of an event row, for both core/v1 Events and events.k8s.io/v1 Events (which name the same
 * facts differently: involvedObject/regarding, message/note, lastTimestamp/series.lastObservedTime).
 */
final class EventCells {

  private EventCells() {}

  private static boolean isNew(JsonNode e) {
    return Fields.at(e, "regarding").isObject() || Fields.str(e, "apiVersion").startsWith("events.k8s.io/");
  }

  private static JsonNode target(JsonNode e) {
    return isNew(e) ? Fields.at(e, "regarding") : Fields.at(e, "involvedObject");
  }

  static long count(JsonNode e) {
    if (Fields.at(e, "series").isObject()) return Fields.num(e, "series.count");
    long c = isNew(e) ? Fields.num(e, "deprecatedCount") : Fields.num(e, "count");
    return c == 0 ? 1 : c;
  }

  private static Instant last(JsonNode e) {
    if (Fields.at(e, "series").isObject()) {
      Instant t = Ages.parse(Fields.str(e, "series.lastObservedTime"));
      if (t != null) return t;
    }
    Instant t = Ages.parse(Fields.str(e, isNew(e) ? "deprecatedLastTimestamp" : "lastTimestamp"));
    if (t == null) t = Ages.parse(Fields.str(e, "eventTime"));
    if (t == null) t = Ages.parse(Fields.str(e, "metadata.creationTimestamp"));
    return t;
  }

  private static Instant first(JsonNode e) {
    Instant t = Ages.parse(Fields.str(e, isNew(e) ? "deprecatedFirstTimestamp" : "firstTimestamp"));
    if (t == null) t = Ages.parse(Fields.str(e, "eventTime"));
    if (t == null) t = Ages.parse(Fields.str(e, "metadata.creationTimestamp"));
    return t;
  }

  private static String since(Instant t, Instant now) {
    return t == null ? "<unknown>" : Ages.human(Duration.between(t, now));
  }

  /** How long ago the event was last seen ("5s"); how often is the wide COUNT column, as in kubectl get. */
  static String lastSeen(JsonNode e, Instant now) {
    return since(last(e), now);
  }

  static String firstSeen(JsonNode e, Instant now) {
    return since(first(e), now);
  }

  /** "pod/web-1": the lower-cased kind and name of the object the event is about. */
  static String object(JsonNode e) {
    JsonNode t = target(e);
    String kind = Fields.str(t, "kind").toLowerCase(Locale.ROOT);
    String name = Fields.str(t, "name");
    return name.isEmpty() ? kind : kind + "/" + name;
  }

  static String subobject(JsonNode e) {
    return Fields.str(target(e), "fieldPath");
  }

  static String source(JsonNode e) {
    String component = isNew(e) ? Fields.str(e, "reportingController") : Fields.str(e, "source.component");
    String host = isNew(e) ? Fields.str(e, "reportingInstance") : Fields.str(e, "source.host");
    if (component.isEmpty() && !isNew(e)) component = Fields.str(e, "reportingComponent");
    if (host.isEmpty()) return component;
    return component + ", " + host;
  }

  static String message(JsonNode e) {
    return (isNew(e) ? Fields.str(e, "note") : Fields.str(e, "message")).strip();
  }
}
