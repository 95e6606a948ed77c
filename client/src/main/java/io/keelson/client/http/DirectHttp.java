package io.keelson.client.http;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.internal.SSLUtils;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;

/**
 * Plain blocking HTTP(S) calls to the api-server for the per-object traffic of the scheduler and
 * the controller-manager (informers' lists and watches, the scheduler's bindings and events):
 * {@link HttpURLConnection} over kept-alive connections, with the kubeconfig's CA, client
 * certificate and bearer token (as fabric8's {@link Config} read them).
 *
 * <p>Why not fabric8's HTTP client (the JDK's asynchronous HttpClient): each request and each
 * chunk of a watch goes through its reactive pipeline (sequential schedulers, executor hops,
 * CompletableFuture chains), and in the scheduler benchmark that pipeline — and the JIT compiling
 * and recompiling it — was over half of the scheduler's CPU per bound pod. Binder threads block
 * on their binding anyway, and a watch is one thread reading one stream.
 */
public final class DirectHttp {
  static {
    // Idle connections kept per host (default 5): fewer than the binders would mean a TLS
    // handshake for most bindings. Read once, when the first connection is made.
    if (System.getProperty("http.maxConnections") == null) {
      System.setProperty("http.maxConnections", "64");
    }
  }

  /** A response: status code and body. */
  public record Response(int code, byte[] body) {
    public boolean ok() {
      return code >= 200 && code < 300;
    }

    public String text() {
      return new String(body, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private final String base;
  private final SSLSocketFactory ssl;
  private final HostnameVerifier verifier;
  private final String authorization;

  DirectHttp(String base, SSLSocketFactory ssl, HostnameVerifier verifier, String authorization) {
    this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    this.ssl = ssl;
    this.verifier = verifier;
    this.authorization = authorization;
  }

  /** Connection settings from a fabric8 config (as the kubeconfig gave them). */
  public static DirectHttp of(Config config) {
    SSLSocketFactory ssl = null;
    if (config.getMasterUrl().startsWith("https")) {
      try {
        ssl = SSLUtils.sslContext(config).getSocketFactory();
      } catch (Exception e) {
        throw new IllegalStateException("cannot set up TLS for " + config.getMasterUrl() + ": " + e, e);
      }
    }
    HostnameVerifier verifier = config.isDisableHostnameVerification() ? (host, session) -> true : null;
    String token = config.getAutoOAuthToken() != null ? config.getAutoOAuthToken() : config.getOauthToken();
    String auth = null;
    if (token != null && !token.isEmpty()) {
      auth = "Bearer " + token;
    } else if (config.getUsername() != null && config.getPassword() != null) {
      auth = "Basic " + java.util.Base64.getEncoder().encodeToString(
          (config.getUsername() + ":" + config.getPassword()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return new DirectHttp(config.getMasterUrl(), ssl, verifier, auth);
  }

  /**
   * Opens a connection to {@code path} (with its query) on the api-server, for a caller that reads
   * the answer as a stream (a watch). Read the body to its end, or disconnect, to free it.
   */
  public HttpURLConnection open(String method, String path, int timeoutMs) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(base + path).toURL().openConnection();
    if (c instanceof HttpsURLConnection https) {
      if (ssl != null) {
        https.setSSLSocketFactory(ssl);
      }
      if (verifier != null) {
        https.setHostnameVerifier(verifier);
      }
    }
    c.setRequestMethod(method);
    c.setConnectTimeout(10_000);
    c.setReadTimeout(timeoutMs);
    c.setUseCaches(false);
    c.setRequestProperty("Accept", "application/json");
    if (authorization != null) {
      c.setRequestProperty("Authorization", authorization);
    }
    return c;
  }

  /** The api-server's base URL, without a trailing slash. */
  public String base() {
    return base;
  }

  /** Sends a request and reads the whole answer (so the connection can be reused). */
  public Response send(String method, String path, String contentType, byte[] body, int timeoutMs) throws IOException {
    HttpURLConnection c = open(method, path, timeoutMs);
    if (body != null) {
      c.setDoOutput(true);
      c.setRequestProperty("Content-Type", contentType);
      // Not setFixedLengthStreamingMode: for a streamed POST the JDK first probes a kept-alive
      // connection with a 1 ms timed read (HttpClient.available()), which times out, throws and
      // waits on every binding: 8 % of the scheduler's CPU in the benchmark. A buffered body (these
      // are small) is sent the same way, and is resent once on a fresh connection if the kept one
      // turns out closed before any answer.
      try (OutputStream out = c.getOutputStream()) {
        out.write(body);
      }
    }
    int code = c.getResponseCode();
    InputStream in = code >= 400 ? c.getErrorStream() : c.getInputStream();
    byte[] answer;
    if (in == null) {
      answer = new byte[0];
    } else {
      try (in) {
        answer = readAll(in);
      }
    }
    return new Response(code, answer);
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    in.transferTo(out);
    return out.toByteArray();
  }
}
