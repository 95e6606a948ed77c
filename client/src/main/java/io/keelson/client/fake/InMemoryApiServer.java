package io.keelson.client.fake;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * An in-memory Kubernetes API in this process, for the components' AOT training runs: enough of
 * the real api-server's REST behaviour for the scheduler's and the controller-manager's clients to
 * run unchanged against it. Discovery, lists (with the collection's resourceVersion), watches (from
 * a resourceVersion, or ADDED for everything first), get, create (uid, resourceVersion,
 * creationTimestamp, generateName), update and status update (with resourceVersion conflicts),
 * merge patches (strategic merge treated as a JSON merge patch), delete, and pod bindings. Label
 * and field selectors are ignored. A {@link Change} listener lets a training play the components
 * that are not there (a kubelet that starts bound pods, for instance).
 *
 * <p>Not a test double for correctness: no validation, defaulting, admission, finalizers or
 * graceful deletion.
 */
public final class InMemoryApiServer implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final byte[] END = new byte[0];

  /** A served kind: group ("" for core), version, plural, kind, namespaced. */
  public record Kind(String group, String version, String plural, String kind, boolean namespaced) {
    String apiVersion() {
      return group.isEmpty() ? version : group + "/" + version;
    }

    /** "pods", "deployments.apps": how {@link #create} and friends name it. */
    public String resource() {
      return group.isEmpty() ? plural : plural + "." + group;
    }
  }

  /** What a write did, for {@link #onChange} listeners. */
  public record Change(String type, Kind kind, ObjectNode object) {}

  /** The kinds Keelson's controllers and scheduler watch or write. */
  public static final List<Kind> KINDS = List.of(
      new Kind("", "v1", "pods", "Pod", true),
      new Kind("", "v1", "nodes", "Node", false),
      new Kind("", "v1", "namespaces", "Namespace", false),
      new Kind("", "v1", "events", "Event", true),
      new Kind("", "v1", "configmaps", "ConfigMap", true),
      new Kind("", "v1", "secrets", "Secret", true),
      new Kind("", "v1", "services", "Service", true),
      new Kind("", "v1", "serviceaccounts", "ServiceAccount", true),
      new Kind("", "v1", "endpoints", "Endpoints", true),
      new Kind("", "v1", "resourcequotas", "ResourceQuota", true),
      new Kind("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true),
      new Kind("apps", "v1", "deployments", "Deployment", true),
      new Kind("apps", "v1", "replicasets", "ReplicaSet", true),
      new Kind("apps", "v1", "daemonsets", "DaemonSet", true),
      new Kind("apps", "v1", "statefulsets", "StatefulSet", true),
      new Kind("apps", "v1", "controllerrevisions", "ControllerRevision", true),
      new Kind("batch", "v1", "jobs", "Job", true),
      new Kind("batch", "v1", "cronjobs", "CronJob", true),
      new Kind("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true),
      new Kind("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true),
      new Kind("coordination.k8s.io", "v1", "leases", "Lease", true),
      new Kind("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false),
      new Kind("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", false),
      new Kind("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false),
      new Kind("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", false),
      new Kind("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true),
      new Kind("", "v1", "persistentvolumes", "PersistentVolume", false),
      new Kind("storage.k8s.io", "v1", "storageclasses", "StorageClass", false));

  private record Stored(ObjectNode object, String json, long rv) {}

  private record Event(long rv, String namespace, byte[] line) {}

  /** An open watch: its kind and namespace ("" = all) and the lines still to send. */
  private record Watcher(Kind kind, String namespace, BlockingQueue<byte[]> lines) {}

  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final Map<String, Kind> kinds = new LinkedHashMap<>();
  /** Objects by resource, then by namespace/name; guarded by this. */
  private final Map<String, TreeMap<String, Stored>> objects = new LinkedHashMap<>();
  /** Every change by resource, for watches that resume from a resourceVersion; guarded by this. */
  private final Map<String, List<Event>> history = new LinkedHashMap<>();
  private final List<Watcher> watchers = new CopyOnWriteArrayList<>();
  private final List<Consumer<Change>> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  private final SelfSignedTls tls;
  private long resourceVersion = 1000;
  private volatile boolean closed;

  private InMemoryApiServer(SelfSignedTls tls) throws IOException {
    InetSocketAddress addr = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    if (tls != null) {
      HttpsServer https = HttpsServer.create(addr, 256);
      https.setHttpsConfigurator(new HttpsConfigurator(tls.context()));
      server = https;
    } else {
      server = HttpServer.create(addr, 256);
    }
    this.tls = tls;
    for (Kind k : KINDS) {
      kinds.put(k.resource(), k);
      objects.put(k.resource(), new TreeMap<>());
      history.put(k.resource(), new ArrayList<>());
    }
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  /**
   * Starts a server on a free loopback port, over HTTPS with a throwaway EC key made by the JDK's
   * keytool in {@code dir} (the api-server's kind of key), or over plain HTTP if that fails.
   */
  public static InMemoryApiServer start(Path dir) throws IOException {
    SelfSignedTls tls = null;
    try {
      tls = SelfSignedTls.create(dir);
    } catch (Exception e) {
      System.err.println("in-memory api-server: no TLS (" + e.getMessage() + "); serving plain HTTP");
    }
    return start(tls);
  }

  /** Starts a server on a free loopback port with this key (null: plain HTTP). */
  public static InMemoryApiServer start(SelfSignedTls tls) throws IOException {
    InMemoryApiServer s = new InMemoryApiServer(tls);
    s.server.start();
    return s;
  }

  /** The port it listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The server's key and certificate (for a training's other servers), or null over plain HTTP. */
  public SelfSignedTls tls() {
    return tls;
  }

  public String url() {
    return (server instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Writes a kubeconfig for this server (its CA, a bearer token nobody checks) and returns its path. */
  public Path writeKubeconfig(Path file) throws IOException {
    String ca = tls == null ? ""
        : "    certificate-authority-data: " + Base64.getEncoder().encodeToString(tls.certificatePem().getBytes(StandardCharsets.UTF_8)) + "\n";
    Files.writeString(file, "apiVersion: v1\nkind: Config\nclusters:\n- name: training\n  cluster:\n    server: " + url() + "\n" + ca
        + "users:\n- name: training\n  user:\n    token: training-token\n"
        + "contexts:\n- name: training\n  context:\n    cluster: training\n    user: training\n    namespace: default\n"
        + "current-context: training\n");
    return file;
  }

  /** Called after every write (from the writing thread; a listener may write again). */
  public void onChange(Consumer<Change> listener) {
    listeners.add(listener);
  }

  /** How many requests of one shape were served, e.g. "POST pods/binding", "POST events", "PATCH pods/status". */
  public int requests(String shape) {
    AtomicInteger n = requests.get(shape);
    return n == null ? 0 : n.get();
  }

  /** How many objects of a resource ("pods", "replicasets.apps") are stored. */
  public synchronized int count(String resource) {
    return objects.get(resource).size();
  }

  /** How many stored objects of a resource match (the predicate must not change them). */
  public synchronized int count(String resource, Predicate<JsonNode> matching) {
    int n = 0;
    for (Stored s : objects.get(resource).values()) {
      if (matching.test(s.object)) {
        n++;
      }
    }
    return n;
  }

  /** Deletes an object as a client would (at once: no graceful deletion or finalizers here); false if it was gone. */
  public boolean delete(String resource, String namespace, String name) {
    Kind k = kind(resource);
    Stored s;
    synchronized (this) {
      s = objects.get(resource).get(key(k, namespace, name));
    }
    if (s == null) {
      return false;
    }
    try {
      write("DELETED", k, namespace, name, s.object.deepCopy(), null);
      return true;
    } catch (ApiError e) {
      return false;
    }
  }

  /** Stores a new object as a client's create would (namespace from its metadata); returns the stored copy. */
  public ObjectNode create(String resource, String json) {
    ObjectNode o = (ObjectNode) JSON.readTree(json);
    return write("ADDED", kind(resource), o.path("metadata").path("namespace").asString(""), null, o, null);
  }

  /** Changes a stored object in place (e.g. a kubelet's status); null if it is gone. */
  public ObjectNode update(String resource, String namespace, String name, UnaryOperator<ObjectNode> change) {
    Kind k = kind(resource);
    while (true) {
      Stored s;
      synchronized (this) {
        s = objects.get(resource).get(key(k, namespace, name));
      }
      if (s == null) {
        return null;
      }
      try {
        // outside the lock: the listeners this write calls may write too
        return write("MODIFIED", k, namespace, name, change.apply(s.object.deepCopy()), Long.toString(s.rv));
      } catch (ApiError e) {
        if (e.code != 409) {
          return null;
        }
      }
    }
  }

  private Kind kind(String resource) {
    Kind k = kinds.get(resource);
    if (k == null) {
      throw new IllegalArgumentException("not served: " + resource);
    }
    return k;
  }

  private static String key(Kind k, String namespace, String name) {
    return k.namespaced() ? namespace + "/" + name : name;
  }

  /**
   * Stores {@code o} (ADDED: a new object; MODIFIED: replaces; DELETED: removes) under the next
   * resourceVersion, queues the event for matching watches and tells the listeners.
   *
   * @param expectedRv for updates: the client's resourceVersion ("" or null = unconditional)
   */
  private ObjectNode write(String type, Kind k, String namespace, String name, ObjectNode o, String expectedRv) {
    ObjectNode stored;
    synchronized (this) {
      ObjectNode meta = o.has("metadata") ? (ObjectNode) o.get("metadata") : o.putObject("metadata");
      if (name == null) {
        name = meta.path("name").asString("");
        if (name.isEmpty() && meta.has("generateName")) {
          name = meta.get("generateName").asString() + Long.toString(resourceVersion * 7919 % 99991, 36);
        }
      }
      TreeMap<String, Stored> store = objects.get(k.resource());
      String key = key(k, namespace, name);
      Stored old = store.get(key);
      if (type.equals("ADDED") && old != null) {
        throw new ApiError(409, "AlreadyExists", k.plural() + " \"" + name + "\" already exists");
      }
      if (!type.equals("ADDED") && old == null) {
        throw new ApiError(404, "NotFound", k.plural() + " \"" + name + "\" not found");
      }
      if (expectedRv != null && !expectedRv.isEmpty() && !expectedRv.equals(Long.toString(old.rv))) {
        throw new ApiError(409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again");
      }
      long rv = ++resourceVersion;
      o.put("apiVersion", k.apiVersion());
      o.put("kind", k.kind());
      meta.put("name", name);
      if (k.namespaced()) {
        meta.put("namespace", namespace);
      }
      if (old == null) {
        meta.put("uid", UUID.randomUUID().toString());
        meta.put("creationTimestamp", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        meta.put("generation", 1);
      } else {
        meta.put("uid", old.object.path("metadata").path("uid").asString());
        meta.set("creationTimestamp", old.object.path("metadata").path("creationTimestamp"));
        long generation = old.object.path("metadata").path("generation").asLong(1);
        meta.put("generation", o.path("spec").equals(old.object.path("spec")) ? generation : generation + 1);
      }
      meta.put("resourceVersion", Long.toString(rv));
      String json = JSON.writeValueAsString(o);
      if (type.equals("DELETED")) {
        store.remove(key);
      } else {
        store.put(key, new Stored(o, json, rv));
      }
      byte[] line = ("{\"type\":\"" + type + "\",\"object\":" + json + "}\n").getBytes(StandardCharsets.UTF_8);
      history.get(k.resource()).add(new Event(rv, namespace, line));
      for (Watcher w : watchers) {
        if (w.kind.equals(k) && (w.namespace.isEmpty() || w.namespace.equals(namespace))) {
          w.lines.add(line);
        }
      }
      stored = o.deepCopy();
    }
    Change change = new Change(type, k, stored);
    for (Consumer<Change> l : listeners) {
      l.accept(change);
    }
    return stored;
  }

  /** A rejection in the shape of the api-server's Status. */
  private static final class ApiError extends RuntimeException {
    final int code;
    final String reason;

    ApiError(int code, String reason, String message) {
      super(message);
      this.code = code;
      this.reason = reason;
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String method = ex.getRequestMethod();
      String path = ex.getRequestURI().getPath();
      Map<String, String> query = query(ex.getRequestURI().getRawQuery());
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readAllBytes();
      }
      ex.getResponseHeaders().add("Content-Type", "application/json");
      try {
        serve(ex, method, path, query, body);
      } catch (ApiError e) {
        answer(ex, e.code, status(e.code, e.reason, e.getMessage()));
      } catch (RuntimeException e) {
        answer(ex, 500, status(500, "InternalError", e.toString()));
      }
    }
  }

  private void serve(HttpExchange ex, String method, String path, Map<String, String> query, byte[] body) throws IOException {
    String[] p = path.replaceAll("^/+|/+$", "").split("/");
    if (path.equals("/api")) {
      answer(ex, 200, "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1\"}]}");
      return;
    }
    if (path.equals("/apis")) {
      answer(ex, 200, groups());
      return;
    }
    if (path.equals("/version")) {
      answer(ex, 200, "{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.4-keelson\"}");
      return;
    }
    int at;
    String group;
    if (p.length >= 2 && p[0].equals("api")) {
      group = "";
      at = 2;
    } else if (p.length >= 3 && p[0].equals("apis")) {
      group = p[1];
      at = 3;
    } else {
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    }
    String version = p[at - 1];
    if (p.length == at) {
      answer(ex, 200, resources(group, version));
      return;
    }
    String namespace = "";
    if (p[at].equals("namespaces") && p.length >= at + 3) {
      namespace = p[at + 1];
      at += 2;
    }
    String resource = group.isEmpty() ? p[at] : p[at] + "." + group;
    Kind k = kinds.get(resource);
    if (k == null || !k.version().equals(version)) {
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    }
    String name = p.length > at + 1 ? p[at + 1] : null;
    String sub = p.length > at + 2 ? p[at + 2] : null;
    requests.computeIfAbsent(method + " " + k.plural() + (sub == null ? "" : "/" + sub), s -> new AtomicInteger()).incrementAndGet();
    if (name == null) {
      if (method.equals("GET") && "true".equals(query.get("watch"))) {
        watch(ex, k, namespace, query.getOrDefault("resourceVersion", ""));
      } else if (method.equals("GET")) {
        answer(ex, 200, list(k, namespace));
      } else if (method.equals("POST")) {
        ObjectNode o = (ObjectNode) JSON.readTree(body);
        answer(ex, 201, JSON.writeValueAsString(write("ADDED", k, k.namespaced() ? namespace : "", null, o, null)));
      } else {
        throw new ApiError(405, "MethodNotAllowed", method + " on a collection");
      }
      return;
    }
    String ns = k.namespaced() ? namespace : "";
    switch (method) {
      case "GET" -> answer(ex, 200, get(k, ns, name).json);
      case "PUT" -> {
        ObjectNode o = (ObjectNode) JSON.readTree(body);
        String rv = o.path("metadata").path("resourceVersion").asString("");
        ObjectNode current = get(k, ns, name).object.deepCopy();
        if ("status".equals(sub)) {
          current.set("status", o.path("status"));
        } else {
          current.set("metadata", o.path("metadata"));
          if (o.has("spec")) {
            current.set("spec", o.get("spec"));
          }
          for (String f : List.of("data", "stringData", "holderIdentity")) {
            if (o.has(f)) {
              current.set(f, o.get(f));
            }
          }
        }
        answer(ex, 200, JSON.writeValueAsString(write("MODIFIED", k, ns, name, current, rv)));
      }
      case "PATCH" -> {
        ObjectNode current = get(k, ns, name).object.deepCopy();
        JsonNode patch = JSON.readTree(body);
        if (!patch.isObject()) {
          throw new ApiError(415, "UnsupportedMediaType", "only merge patches are served here");
        }
        String rv = patch.path("metadata").path("resourceVersion").asString("");
        merge(current, (ObjectNode) patch);
        answer(ex, 200, JSON.writeValueAsString(write("MODIFIED", k, ns, name, current, rv)));
      }
      case "DELETE" -> {
        Stored s = get(k, ns, name);
        answer(ex, 200, JSON.writeValueAsString(write("DELETED", k, ns, name, s.object.deepCopy(), null)));
      }
      case "POST" -> {
        if (!"binding".equals(sub)) {
          throw new ApiError(405, "MethodNotAllowed", "POST " + path);
        }
        String node = JSON.readTree(body).path("target").path("name").asString();
        ObjectNode bound = update(resource, ns, name, o -> {
          ((ObjectNode) o.path("spec")).put("nodeName", node);
          return o;
        });
        if (bound == null) {
          throw new ApiError(404, "NotFound", "pods \"" + name + "\" not found");
        }
        answer(ex, 201, status(201, null, null));
      }
      default -> throw new ApiError(405, "MethodNotAllowed", method);
    }
  }

  private synchronized Stored get(Kind k, String namespace, String name) {
    Stored s = objects.get(k.resource()).get(key(k, namespace, name));
    if (s == null) {
      throw new ApiError(404, "NotFound", k.plural() + " \"" + name + "\" not found");
    }
    return s;
  }

  private synchronized String list(Kind k, String namespace) {
    StringBuilder b = new StringBuilder(4096);
    b.append("{\"kind\":\"").append(k.kind()).append("List\",\"apiVersion\":\"").append(k.apiVersion())
        .append("\",\"metadata\":{\"resourceVersion\":\"").append(resourceVersion).append("\"},\"items\":[");
    boolean first = true;
    for (Stored s : objects.get(k.resource()).values()) {
      if (!namespace.isEmpty() && !namespace.equals(s.object.path("metadata").path("namespace").asString())) {
        continue;
      }
      if (!first) {
        b.append(',');
      }
      first = false;
      b.append(s.json);
    }
    return b.append("]}").toString();
  }

  /** Streams events: from after {@code fromRv}, or (none / "0") ADDED for every object first. */
  private void watch(HttpExchange ex, Kind k, String namespace, String fromRv) throws IOException {
    Watcher w = new Watcher(k, namespace, new LinkedBlockingQueue<>());
    synchronized (this) {
      long from = fromRv.isEmpty() || fromRv.equals("0") ? -1 : Long.parseLong(fromRv);
      if (from < 0) {
        for (Stored s : objects.get(k.resource()).values()) {
          if (namespace.isEmpty() || namespace.equals(s.object.path("metadata").path("namespace").asString())) {
            w.lines.add(("{\"type\":\"ADDED\",\"object\":" + s.json + "}\n").getBytes(StandardCharsets.UTF_8));
          }
        }
      } else {
        for (Event e : history.get(k.resource())) {
          if (e.rv > from && (namespace.isEmpty() || namespace.equals(e.namespace))) {
            w.lines.add(e.line);
          }
        }
      }
      watchers.add(w);
    }
    ex.sendResponseHeaders(200, 0);
    try (OutputStream out = ex.getResponseBody()) {
      out.flush();
      while (!closed) {
        byte[] line;
        try {
          line = w.lines.poll(200, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          return;
        }
        if (line == END) {
          return;
        }
        if (line != null) {
          out.write(line);
        }
        // a burst goes out in one chunk, as the real server's buffered writer sends it
        if (w.lines.isEmpty()) {
          out.flush();
        }
      }
    } catch (IOException e) {
      // the client went away
    } finally {
      watchers.remove(w);
    }
  }

  /** RFC 7386 JSON merge patch. */
  private static void merge(ObjectNode target, ObjectNode patch) {
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      JsonNode v = e.getValue();
      if (v.isNull()) {
        target.remove(e.getKey());
      } else if (v.isObject() && target.path(e.getKey()).isObject()) {
        merge((ObjectNode) target.get(e.getKey()), (ObjectNode) v);
      } else {
        target.set(e.getKey(), v);
      }
    }
  }

  private String groups() {
    StringBuilder b = new StringBuilder("{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[");
    List<String> seen = new ArrayList<>();
    for (Kind k : KINDS) {
      if (k.group().isEmpty() || seen.contains(k.group())) {
        continue;
      }
      if (!seen.isEmpty()) {
        b.append(',');
      }
      seen.add(k.group());
      String gv = "{\"groupVersion\":\"" + k.apiVersion() + "\",\"version\":\"" + k.version() + "\"}";
      b.append("{\"name\":\"").append(k.group()).append("\",\"versions\":[").append(gv).append("],\"preferredVersion\":").append(gv).append('}');
    }
    return b.append("]}").toString();
  }

  private String resources(String group, String version) {
    StringBuilder b = new StringBuilder("{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"")
        .append(group.isEmpty() ? version : group + "/" + version).append("\",\"resources\":[");
    boolean first = true;
    for (Kind k : KINDS) {
      if (!k.group().equals(group) || !k.version().equals(version)) {
        continue;
      }
      if (!first) {
        b.append(',');
      }
      first = false;
      b.append("{\"name\":\"").append(k.plural()).append("\",\"singularName\":\"\",\"namespaced\":").append(k.namespaced())
          .append(",\"kind\":\"").append(k.kind()).append("\",\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]}");
      b.append(",{\"name\":\"").append(k.plural()).append("/status\",\"singularName\":\"\",\"namespaced\":").append(k.namespaced())
          .append(",\"kind\":\"").append(k.kind()).append("\",\"verbs\":[\"get\",\"patch\",\"update\"]}");
    }
    return b.append("]}").toString();
  }

  private static String status(int code, String reason, String message) {
    return code / 100 == 2
        ? "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\",\"code\":" + code + "}"
        : "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
            + JSON.writeValueAsString(message) + ",\"reason\":\"" + reason + "\",\"code\":" + code + "}";
  }

  private static void answer(HttpExchange ex, int code, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(code, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null) {
      return out;
    }
    for (String kv : raw.split("&")) {
      int i = kv.indexOf('=');
      if (i > 0) {
        out.put(kv.substring(0, i), URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  @Override
  public void close() {
    closed = true;
    for (Watcher w : watchers) {
      w.lines.add(END);
    }
    server.stop(0);
    executor.shutdownNow();
  }
}
