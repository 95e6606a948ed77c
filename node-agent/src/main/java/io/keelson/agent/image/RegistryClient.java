package io.keelson.agent.image;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A client of the OCI distribution API (Docker Registry HTTP API v2): fetches manifests and blobs,
 * following the registry's auth challenge (Docker Hub style bearer tokens, or basic auth) and
 * trying the configured mirrors before the registry itself.
 */
public final class RegistryClient {

  static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  private static final String ACCEPT = String.join(", ", OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST);
  private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  private final HttpClient http;
  private final RegistryHosts hosts;
  private final JsonMapper json = JsonMapper.builder().build();
  /** Bearer tokens by realm+scope; reused until the registry rejects them. */
  private final Map<String, String> tokens = new ConcurrentHashMap<>();

  public RegistryClient(RegistryHosts hosts) {
    this.hosts = hosts;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER) // blob redirects must not carry our token
            .build();
  }

  /** A manifest as served: raw bytes (their sha256 is the digest), media type. */
  public record Manifest(byte[] bytes, String mediaType, String digest) {}

  /** GETs the manifest {@code reference} (tag or digest) of {@code ref}'s repository. */
  public Manifest manifest(ImageReference ref, String reference) throws ImagePullException {
    return withEndpoints(
        ref,
        endpoint -> {
          HttpResponse<byte[]> r =
              send(ref, endpoint + "/v2/" + ref.repository() + "/manifests/" + reference, ACCEPT, HttpResponse.BodyHandlers.ofByteArray());
          if (r.statusCode() != 200) {
            throw new RegistryError(r.statusCode(), errorText(r.body(), r.statusCode()));
          }
          String type = r.headers().firstValue("Content-Type").orElse("").split(";")[0].trim();
          if (type.isEmpty() || type.equals("application/json")) {
            type = json.readTree(r.body()).path("mediaType").asString(OCI_MANIFEST);
          }
          String digest = BlobStore.digestOf(r.body());
          if (reference.startsWith("sha256:") && !reference.equals(digest)) {
            throw new RegistryError(0, "manifest digest mismatch: got " + digest + ", want " + reference);
          }
          return new Manifest(r.body(), type, digest);
        });
  }

  /** Downloads blob {@code digest} into {@code store} (verified there). */
  public void blob(ImageReference ref, String digest, BlobStore store) throws ImagePullException {
    withEndpoints(
        ref,
        endpoint -> {
          String url = endpoint + "/v2/" + ref.repository() + "/blobs/" + digest;
          HttpResponse<InputStream> r = send(ref, url, "*/*", HttpResponse.BodyHandlers.ofInputStream());
          for (int hops = 0; r.statusCode() / 100 == 3 && hops < 5; hops++) {
            String location = r.headers().firstValue("Location").orElseThrow(() -> new RegistryError(0, "redirect without Location"));
            r.body().close();
            URI next = URI.create(url).resolve(location);
            r = http.send(HttpRequest.newBuilder(next).timeout(Duration.ofMinutes(10)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            url = next.toString();
          }
          try (InputStream body = r.body()) {
            if (r.statusCode() != 200) {
              throw new RegistryError(r.statusCode(), errorText(body.readAllBytes(), r.statusCode()));
            }
            store.put(body, digest);
          }
          return null;
        });
  }

  private interface Attempt<T> {
    T run(String endpoint) throws IOException, InterruptedException;
  }

  /** Runs {@code attempt} against each endpoint (mirrors first); the last error decides the message. */
  private <T> T withEndpoints(ImageReference ref, Attempt<T> attempt) throws ImagePullException {
    List<String> endpoints = hosts.endpoints(ref.registry());
    List<String> failures = new ArrayList<>();
    Exception last = null;
    for (String endpoint : endpoints) {
      try {
        return attempt.run(endpoint);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw ImagePullException.pull(ref.toString(), "interrupted", e);
      } catch (IOException | RuntimeException e) {
        last = e;
        failures.add(describe(endpoint, e));
      }
    }
    // the registry itself is last; its answer is the one users need ("manifest unknown"), mirrors' errors follow
    String why = failures.get(failures.size() - 1);
    if (failures.size() > 1) {
      why += " (mirrors: " + String.join("; ", failures.subList(0, failures.size() - 1)) + ")";
    }
    throw ImagePullException.pull(ref.toString(), why, last);
  }

  private <T> HttpResponse<T> send(ImageReference ref, String url, String accept, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(10)).header("Accept", accept).GET();
    String cachedKey = tokenKey(url, ref);
    String token = tokens.get(cachedKey);
    if (token != null) {
      req.setHeader("Authorization", token);
    }
    HttpResponse<T> r = http.send(req.build(), handler);
    if (r.statusCode() != 401) {
      return r;
    }
    drain(r);
    String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
    String authorization = authorize(ref, challenge);
    if (authorization == null) {
      return http.send(req.build(), handler); // let the caller report the 401
    }
    tokens.put(cachedKey, authorization);
    req.setHeader("Authorization", authorization);
    return http.send(req.build(), handler);
  }

  private static String tokenKey(String url, ImageReference ref) {
    URI u = URI.create(url);
    return u.getScheme() + "://" + u.getAuthority() + "/" + ref.repository();
  }

  /** Answers a 401 challenge: Basic with configured credentials, or a bearer token from the realm. */
  private String authorize(ImageReference ref, String challenge) throws IOException, InterruptedException {
    RegistryHosts.Settings s = hosts.settings(ref.registry());
    String basic =
        s.username() == null
            ? null
            : "Basic " + Base64.getEncoder().encodeToString((s.username() + ":" + s.password()).getBytes(StandardCharsets.UTF_8));
    if (challenge.regionMatches(true, 0, "Basic", 0, 5)) {
      return basic;
    }
    if (!challenge.regionMatches(true, 0, "Bearer", 0, 6)) {
      return null;
    }
    Map<String, String> params = new LinkedHashMap<>();
    Matcher m = CHALLENGE_PARAM.matcher(challenge);
    while (m.find()) {
      params.put(m.group(1).toLowerCase(), m.group(2));
    }
    String realm = params.get("realm");
    if (realm == null) {
      return null;
    }
    StringBuilder url = new StringBuilder(realm).append(realm.contains("?") ? "&" : "?");
    if (params.containsKey("service")) {
      url.append("service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8)).append('&');
    }
    String scope = params.getOrDefault("scope", "repository:" + ref.repository() + ":pull");
    url.append("scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url.toString())).timeout(Duration.ofSeconds(30)).GET();
    if (basic != null) {
      req.header("Authorization", basic);
    }
    HttpResponse<byte[]> r = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new RegistryError(r.statusCode(), "token request to " + realm + " failed: " + errorText(r.body(), r.statusCode()));
    }
    JsonNode body = json.readTree(r.body());
    String token = body.hasNonNull("token") ? body.get("token").asString() : body.path("access_token").asString(null);
    return token == null ? null : "Bearer " + token;
  }

  private static void drain(HttpResponse<?> r) throws IOException {
    if (r.body() instanceof InputStream in) {
      in.close();
    }
  }

  /** The registry's own words from an error body ({"errors":[{"code":..,"message":..}]}). */
  private String errorText(byte[] body, int status) {
    try {
      JsonNode errors = json.readTree(body).path("errors");
      if (errors.isArray() && !errors.isEmpty()) {
        List<String> parts = new ArrayList<>();
        for (JsonNode e : errors) {
          String code = e.path("code").asString("").toLowerCase().replace('_', ' ');
          String msg = e.path("message").asString("");
          parts.add(msg.isEmpty() || msg.equalsIgnoreCase(code) ? code : code + ": " + msg);
        }
        return String.join("; ", parts);
      }
    } catch (RuntimeException ignored) {
      // not JSON: fall through to the status line
    }
    return switch (status) {
      case 401 -> "unauthorized: authentication required";
      case 403 -> "denied: requested access to the resource is denied";
      case 404 -> "not found";
      case 429 -> "toomanyrequests: rate limited by the registry";
      default -> "unexpected status " + status;
    };
  }

  private static String describe(String endpoint, Exception e) {
    String where = URI.create(endpoint).getAuthority();
    if (e instanceof RegistryError re) {
      return re.getMessage();
    }
    if (e instanceof HttpConnectTimeoutException) {
      return "dial tcp " + where + ": i/o timeout";
    }
    if (e instanceof HttpTimeoutException) {
      return "read from " + where + ": i/o timeout";
    }
    if (e instanceof ConnectException || e.getCause() instanceof ConnectException) {
      return "dial tcp " + where + ": connect: connection refused";
    }
    if (e instanceof SSLException || e.getCause() instanceof SSLException) {
      return "tls handshake with " + where + " failed (" + e.getMessage() + "); for a plain-http registry set insecure: true";
    }
    if (e instanceof java.nio.channels.UnresolvedAddressException || e.getCause() instanceof java.nio.channels.UnresolvedAddressException) {
      return "dial tcp: lookup " + where + ": no such host";
    }
    return e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : "") + " (" + where + ")";
  }

  /** A non-success answer from a registry, with its reason. */
  static final class RegistryError extends IOException {
    final int status;

    RegistryError(int status, String message) {
      super(message);
      this.status = status;
    }
  }
}
