package io.keelson.agent.image;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test fixture: a registry front that demands Docker Hub style bearer tokens. Unauthenticated
 * /v2/ requests get 401 with a Bearer challenge; /token hands out a token for valid basic
 * credentials; authorised requests are forwarded to the real registry.
 */
final class TokenAuthProxy implements AutoCloseable {

  private static final String TOKEN = "tok-" + System.nanoTime();
  private final HttpServer server;
  private final AtomicInteger challenges = new AtomicInteger();
  private final AtomicInteger tokens = new AtomicInteger();

  private TokenAuthProxy(HttpServer server) {
    this.server = server;
  }

  static TokenAuthProxy start(String upstream, String user, String password) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    TokenAuthProxy proxy = new TokenAuthProxy(server);
    HttpClient http = HttpClient.newHttpClient();
    String basic = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    server.createContext("/token", ex -> {
      if (!basic.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
        reply(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad credentials\"}]}");
        return;
      }
      proxy.tokens.incrementAndGet();
      reply(ex, 200, "{\"token\":\"" + TOKEN + "\",\"expires_in\":300}");
    });
    server.createContext("/v2/", ex -> {
      if (!("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
        proxy.challenges.incrementAndGet();
        String repo = ex.getRequestURI().getPath().replaceAll("^/v2/(.*)/(manifests|blobs)/.*$", "$1");
        ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://" + proxy.address() + "/token\",service=\"keelson-test\",scope=\"repository:" + repo + ":pull\"");
        reply(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}");
        return;
      }
      try {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://" + upstream + ex.getRequestURI()));
        String accept = ex.getRequestHeaders().getFirst("Accept");
        if (accept != null) {
          req.header("Accept", accept);
        }
        HttpResponse<byte[]> r = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        r.headers().firstValue("Content-Type").ifPresent(v -> ex.getResponseHeaders().add("Content-Type", v));
        r.headers().firstValue("Docker-Content-Digest").ifPresent(v -> ex.getResponseHeaders().add("Docker-Content-Digest", v));
        ex.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
        try (OutputStream out = ex.getResponseBody()) {
          out.write(r.body());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ex.sendResponseHeaders(500, -1);
      }
    });
    server.start();
    return proxy;
  }

  private static void reply(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  String address() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  int challenges() {
    return challenges.get();
  }

  int tokensIssued() {
    return tokens.get();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
