package io.keelson.scheduler.bench;

import io.keelson.client.http.DirectHttp;
import io.keelson.client.json.ManagedFieldsCutter;
import io.keelson.client.watch.LineSplitter;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * The benchmark's view of the pods of one namespace: which of them have a node, and when each got
 * one. It lists the pods, then watches them from the list's resourceVersion, reading every answer
 * with a streaming JSON parser that keeps {@code metadata.name}, {@code metadata.resourceVersion}
 * and {@code spec.nodeName}: a watch event's {@code managedFields} are cut out of its bytes first and
 * the parser stops after the pod's spec.
 *
 * <p>Why not an informer: this observer shares the two cores with the cluster it measures. A
 * (lean) informer decoding every pod event into a typed object, caching it, and a fresh JVM
 * compiling all of that during the run cost 0.36 ms of CPU per bound pod, a tenth of what the
 * whole cluster spends per pod.
 */
final class BindingWatch implements AutoCloseable {
  /** One pod as the watch sees it. */
  record PodState(String name, String resourceVersion, String nodeName) {}

  private static final JsonFactory JSON = new JsonFactory();

  private final DirectHttp http;
  private final String path;
  private final Consumer<String> onBound;
  private final Set<String> bound = new HashSet<>();
  private volatile boolean closed;
  private volatile HttpURLConnection connection;
  private Thread thread;
  private String resourceVersion;

  /** {@code onBound} gets each pod's name once, when it is first seen with a node (on the watch thread). */
  BindingWatch(DirectHttp http, String namespace, Consumer<String> onBound) {
    this.http = http;
    this.path = "/api/v1/namespaces/" + namespace + "/pods";
    this.onBound = onBound;
  }

  /** Lists the pods and starts watching; returns how many were bound already (not reported). */
  int start() throws IOException {
    HttpURLConnection c = http.open("GET", path, 120_000);
    if (c.getResponseCode() != 200) {
      throw new IOException("list of pods answered HTTP " + c.getResponseCode());
    }
    try (InputStream in = c.getInputStream();
        JsonParser p = JSON.createParser(ObjectReadContext.empty(), in)) {
      expect(p.nextToken(), JsonToken.START_OBJECT);
      while (p.nextToken() == JsonToken.PROPERTY_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        if (field.equals("metadata") && t == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.PROPERTY_NAME) {
            String m = p.currentName();
            p.nextToken();
            if (m.equals("resourceVersion")) {
              resourceVersion = p.getString();
            } else {
              p.skipChildren();
            }
          }
        } else if (field.equals("items") && t == JsonToken.START_ARRAY) {
          while (p.nextToken() == JsonToken.START_OBJECT) {
            PodState s = pod(p, false);
            if (s.nodeName() != null) {
              bound.add(s.name());
            }
          }
        } else {
          p.skipChildren();
        }
      }
    }
    if (resourceVersion == null) {
      throw new IOException("the list of pods carried no resourceVersion");
    }
    thread = Thread.ofPlatform().name("binding-watch").daemon().start(this::watch);
    return bound.size();
  }

  private void watch() {
    while (!closed) {
      try {
        HttpURLConnection c =
            http.open("GET", path + "?watch=true&allowWatchBookmarks=true&timeoutSeconds=600&resourceVersion=" + resourceVersion, 660_000);
        connection = c;
        if (c.getResponseCode() != 200) {
          System.err.println("warning: the pod watch answered HTTP " + c.getResponseCode() + "; retrying");
          Thread.sleep(500);
          continue;
        }
        LineSplitter lines = new LineSplitter();
        byte[] chunk = new byte[64 * 1024];
        try (InputStream in = c.getInputStream()) {
          int n;
          while (!closed && (n = in.read(chunk)) >= 0) {
            lines.append(chunk, n, this::event);
          }
        }
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        if (!closed) {
          System.err.println("warning: the pod watch failed (" + e + "); watching again from " + resourceVersion);
        }
      }
    }
  }

  /** One watch event line: {"type":...,"object":{...}}. */
  void event(byte[] buf, int len) {
    len = ManagedFieldsCutter.cut(buf, len); // most of a pod's bytes, and nothing this reads
    try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), buf, 0, len)) {
      expect(p.nextToken(), JsonToken.START_OBJECT);
      String type = null;
      PodState s = null;
      while (p.nextToken() == JsonToken.PROPERTY_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        if (field.equals("type")) {
          type = p.getString();
        } else if (field.equals("object") && t == JsonToken.START_OBJECT) {
          // the type came first (as the api-server writes events): stop after the pod's spec
          s = pod(p, type != null);
          if (type != null) {
            break;
          }
        } else {
          p.skipChildren();
        }
      }
      if ("ERROR".equals(type) || s == null) {
        throw new IllegalStateException("watch error event: " + new String(buf, 0, len, java.nio.charset.StandardCharsets.UTF_8));
      }
      if (s.resourceVersion() != null) {
        resourceVersion = s.resourceVersion();
      }
      if (!"DELETED".equals(type) && s.nodeName() != null && s.name() != null && bound.add(s.name())) {
        onBound.accept(s.name());
      }
    }
  }

  /**
   * Reads a pod object (the parser at its START_OBJECT) up to its END_OBJECT or, with {@code
   * stopAfterSpec}, only until its spec has been read (the status, the bigger half, is not needed).
   */
  static PodState pod(JsonParser p, boolean stopAfterSpec) {
    String name = null;
    String rv = null;
    String node = null;
    while (p.nextToken() == JsonToken.PROPERTY_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      if (t == JsonToken.START_OBJECT && (field.equals("metadata") || field.equals("spec"))) {
        boolean meta = field.equals("metadata");
        while (p.nextToken() == JsonToken.PROPERTY_NAME) {
          String f = p.currentName();
          JsonToken v = p.nextToken();
          if (v == JsonToken.VALUE_STRING && meta && f.equals("name")) {
            name = p.getString();
          } else if (v == JsonToken.VALUE_STRING && meta && f.equals("resourceVersion")) {
            rv = p.getString();
          } else if (v == JsonToken.VALUE_STRING && !meta && f.equals("nodeName")) {
            node = p.getString().isEmpty() ? null : p.getString();
          } else {
            p.skipChildren();
          }
        }
        if (!meta && stopAfterSpec && name != null) {
          break;
        }
      } else {
        p.skipChildren();
      }
    }
    return new PodState(name, rv, node);
  }

  private static void expect(JsonToken got, JsonToken want) {
    if (got != want) {
      throw new IllegalStateException("expected " + want + ", got " + got);
    }
  }

  @Override
  public void close() {
    closed = true;
    HttpURLConnection c = connection;
    if (c != null) {
      c.disconnect();
    }
    if (thread != null) {
      thread.interrupt();
    }
  }
}
