package io.keelson.cli.cluster;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A connection to one cluster: the fabric8 client (auth, TLS, exec/WebSocket) plus a thin raw JSON
 * API over its HTTP client, so every command speaks the Kubernetes REST API as kubectl does.
 */
public final class Cluster implements AutoCloseable {
  public static final String TABLE_ACCEPT =
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
  public static final ObjectMapper JSON = JsonMapper.builder().build();

  private final KubernetesClient client;
  private final String namespace;
  private final String kubeconfigPath;
  private final String base;
  private KindResolver kinds;

  private Cluster(KubernetesClient client, String namespace, String kubeconfigPath) {
    this.client = client;
    this.namespace = namespace;
    this.kubeconfigPath = kubeconfigPath;
    String url = client.getMasterUrl().toString();
    this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /**
   * Connects with: --kubeconfig, else $KUBECONFIG (first existing entry), else
   * ~/.keelson/kubeconfig, else ~/.kube/config.
   */
  public static Cluster connect(String kubeconfig, String context, String namespaceFlag) {
    String path = resolveKubeconfig(kubeconfig);
    Config config;
    try {
      config = Config.fromKubeconfig(context, new File(path));
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot read kubeconfig " + path + ": " + e.getMessage(), e);
    }
    // Commands fail fast with the server's message rather than retrying for ~20 s.
    config.setRequestRetryBackoffLimit(0);
    config.setRequestTimeout(60_000);
    String ns = namespaceFlag != null && !namespaceFlag.isBlank() ? namespaceFlag : config.getNamespace();
    if (ns == null || ns.isBlank()) {
      ns = "default";
    }
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    return new Cluster(client, ns, path);
  }

  static String resolveKubeconfig(String flag) {
    if (flag != null && !flag.isBlank()) {
      if (!Files.isReadable(Path.of(flag))) {
        throw new IllegalStateException("kubeconfig " + flag + " not found");
      }
      return flag;
    }
    String env = System.getenv("KUBECONFIG");
    if (env != null && !env.isBlank()) {
      for (String p : env.split(File.pathSeparator)) {
        if (!p.isBlank() && Files.isReadable(Path.of(p))) {
          return p;
        }
      }
    }
    String home = System.getProperty("user.home");
    for (Path p : new Path[] {Path.of(home, ".keelson", "kubeconfig"), Path.of(home, ".kube", "config")}) {
      if (Files.isReadable(p)) {
        return p.toString();
      }
    }
    throw new IllegalStateException(
        "no kubeconfig found: set KUBECONFIG, pass --kubeconfig, or start a cluster with ./keelson up");
  }

  public KubernetesClient client() {
    return client;
  }

  public String namespace() {
    return namespace;
  }

  public String kubeconfigPath() {
    return kubeconfigPath;
  }

  public synchronized KindResolver kinds() {
    if (kinds == null) {
      kinds = new KindResolver(this);
    }
    return kinds;
  }

  // ---- raw JSON API ------------------------------------------------------------------------

  public JsonNode get(String path) {
    return send("GET", path, null, null, "application/json");
  }

  /** GET asking for a server-side Table (kubectl's Accept header); the answer may be a plain list. */
  public JsonNode getTable(String path) {
    return send("GET", path, null, null, TABLE_ACCEPT);
  }

  /**
   * Lists a collection in pages of 500 as kubectl does (limit/continue), joining the pages into one
   * answer: a list's items or a Table's rows.
   */
  public JsonNode list(String path, boolean table) {
    String accept = table ? TABLE_ACCEPT : "application/json";
    String cont = null;
    JsonNode first = null;
    while (true) {
      String url = Query.of().add("limit", "500").add("continue", cont).on(path);
      JsonNode page = send("GET", url, null, null, accept);
      String field = page.has("rows") ? "rows" : "items";
      if (first == null) {
        first = page;
      } else if (first.get(field) instanceof tools.jackson.databind.node.ArrayNode all) {
        page.path(field).forEach(all::add);
      }
      cont = page.path("metadata").path("continue").asString("");
      if (cont.isEmpty()) {
        return first;
      }
    }
  }

  /** GET returning null on 404. */
  public JsonNode find(String path) {
    try {
      return get(path);
    } catch (ApiException e) {
      if (e.notFound()) {
        return null;
      }
      throw e;
    }
  }

  public JsonNode post(String path, JsonNode body) {
    return send("POST", path, "application/json", body.toString(), "application/json");
  }

  public JsonNode put(String path, JsonNode body) {
    return send("PUT", path, "application/json", body.toString(), "application/json");
  }

  public JsonNode patch(String path, String contentType, String body) {
    return send("PATCH", path, contentType, body, "application/json");
  }

  public JsonNode mergePatch(String path, JsonNode body) {
    return patch(path, "application/merge-patch+json", body.toString());
  }

  public JsonNode delete(String path, JsonNode body) {
    return send("DELETE", path, "application/json", body == null ? "{}" : body.toString(), "application/json");
  }

  public String getText(String path) {
    HttpResponse<String> r = exchange(builder(path, "*/*").build(), String.class);
    if (!r.isSuccessful()) {
      throw toApiException(r.code(), r.body());
    }
    return r.body();
  }

  /** A streaming GET (watch, logs -f): the caller reads and closes the stream. */
  public InputStream stream(String path, String accept) {
    HttpRequest req = builder(path, accept).forStreaming().build();
    HttpResponse<InputStream> r = exchange(req, InputStream.class);
    if (!r.isSuccessful()) {
      String body;
      try (InputStream in = r.body()) {
        body = in == null ? "" : new String(in.readAllBytes());
      } catch (IOException e) {
        body = "";
      }
      throw toApiException(r.code(), body);
    }
    return r.body();
  }

  private HttpRequest.Builder builder(String path, String accept) {
    return client.getHttpClient().newHttpRequestBuilder().uri(base + path).header("Accept", accept);
  }

  private JsonNode send(String method, String path, String contentType, String body, String accept) {
    HttpRequest.Builder b = builder(path, accept);
    if (body != null) {
      b.method(method, contentType, body);
    } else if (!method.equals("GET")) {
      b.method(method, "application/json", "");
    }
    HttpResponse<String> r = exchange(b.build(), String.class);
    if (!r.isSuccessful()) {
      throw toApiException(r.code(), r.body());
    }
    String text = r.body();
    if (text == null || text.isBlank()) {
      return JSON.createObjectNode();
    }
    return JSON.readTree(text);
  }

  private <T> HttpResponse<T> exchange(HttpRequest req, Class<T> type) {
    HttpClient http = client.getHttpClient();
    try {
      return http.sendAsync(req, type).get(120, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    } catch (ExecutionException e) {
      Throwable c = e.getCause() == null ? e : e.getCause();
      String why = c.getMessage();
      for (Throwable t = c; t != null && why == null; t = t.getCause()) {
        why = t.getMessage();
      }
      if (why == null || c instanceof java.net.ConnectException) {
        why = c instanceof java.net.ConnectException ? "connection refused" : c.toString();
      }
      throw new IllegalStateException("cannot reach the api-server at " + base + ": " + why, c);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("the api-server at " + base + " did not answer in 120 s");
    }
  }

  static ApiException toApiException(int code, String body) {
    String reason = "";
    String message = "the server answered HTTP " + code;
    if (body != null && !body.isBlank()) {
      try {
        JsonNode s = JSON.readTree(body);
        if (s.hasNonNull("message")) {
          message = s.get("message").asString();
        }
        reason = s.path("reason").asString("");
      } catch (RuntimeException e) {
        String text = body.strip();
        if (!text.startsWith("<")) { // not an HTML error page from the servlet container
          message = message + ": " + (text.length() > 300 ? text.substring(0, 300) + "..." : text);
        }
      }
    }
    return new ApiException(code, reason, message);
  }

  public static ObjectNode object() {
    return JSON.createObjectNode();
  }

  @Override
  public void close() {
    client.close();
  }
}
