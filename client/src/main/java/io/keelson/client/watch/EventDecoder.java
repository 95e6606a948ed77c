package io.keelson.client.watch;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.keelson.client.json.LeanSerialization;
import io.keelson.client.json.ManagedFieldsCutter;
import java.io.ByteArrayInputStream;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectReader;

/**
 * Decodes one line of a watch stream straight into a typed event (one pass, no intermediate tree
 * or String), and recognizes the server's "resourceVersion expired" (410) error event. With a
 * {@link LeanSerialization.Readable} mapping it reads the line's bytes with one kept reader, without
 * fabric8's per-call stream wrapping (an 8 KB buffer per event) and YAML sniffing, and cuts the
 * object's managedFields (which that mapping ignores) out of the bytes before the parser sees them
 * ({@link ManagedFieldsCutter}).
 */
public final class EventDecoder<T> {
  private static final Logger log = LoggerFactory.getLogger(EventDecoder.class);

  /** One line of a watch stream: ADDED, MODIFIED, DELETED, BOOKMARK (or ERROR, with no object of type T). */
  public static final class Event<O> {
    public String type;
    public O object;
  }

  private final KubernetesSerialization json;
  private final TypeReference<Event<T>> eventType;
  /** Null unless the mapping can hand out its reader. */
  private final ObjectReader reader;
  private final String what;

  /** {@code what} names the stream in log lines (e.g. the kind's plural). */
  public EventDecoder(KubernetesSerialization json, Class<T> type, String what) {
    this.json = json;
    this.what = what;
    this.eventType = parametric(json, Event.class, type);
    this.reader = json instanceof LeanSerialization.Readable r ? r.reader(eventType.getType()) : null;
  }

  /** The Jackson type {@code raw<arg>}, e.g. a watch event or a list page of the informer's kind. */
  static <X> TypeReference<X> parametric(KubernetesSerialization json, Class<?> raw, Class<?> arg) {
    Type t = json.constructParametricType(raw, arg);
    return new TypeReference<>() {
      @Override
      public Type getType() {
        return t;
      }
    };
  }

  /**
   * The event on this line, or null if it is not an event carrying an object of the type (an
   * ERROR event, or an unreadable line): then ask {@link #isExpired}. May rewrite {@code buf[0..len)}
   * (the line's managedFields are cut out of it).
   */
  public Event<T> decode(byte[] buf, int len) {
    Event<T> e;
    try {
      e = reader != null
          ? reader.readValue(buf, 0, ManagedFieldsCutter.cut(buf, len))
          : json.unmarshal(new ByteArrayInputStream(buf, 0, len), eventType);
    } catch (RuntimeException ex) {
      return null;
    }
    if (e == null || e.type == null || e.type.equals("ERROR") || e.object == null) {
      return null;
    }
    return e;
  }

  /** Whether a line that {@link #decode} refused is the server's 410 (logged if it is something else). */
  public boolean isExpired(byte[] buf, int len) {
    String line = new String(buf, 0, len, StandardCharsets.UTF_8);
    try {
      Map<?, ?> m = json.unmarshal(line, Map.class);
      Object obj = m.get("object");
      Object code = obj instanceof Map<?, ?> o ? o.get("code") : null;
      if (code instanceof Number n && n.intValue() == 410) {
        return true;
      }
      log.warn("{} watch: unexpected event {}", what, line.length() > 300 ? line.substring(0, 300) : line);
    } catch (RuntimeException ex) {
      log.warn("{} watch: unreadable event {} ({})", what, line.length() > 200 ? line.substring(0, 200) : line, ex.toString());
    }
    return false;
  }
}
