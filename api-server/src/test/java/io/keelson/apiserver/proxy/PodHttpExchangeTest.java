package io.keelson.apiserver.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import io.keelson.apiserver.streaming.PodAgents;
import io.keelson.proto.node.v1.AgentServiceGrpc;
import io.keelson.proto.node.v1.ContainerRef;
import io.keelson.proto.node.v1.ForwardPodPortRequest;
import io.keelson.proto.node.v1.ForwardPodPortResponse;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/**
 * The proxy subresource's HTTP exchange against a fake agent whose ForwardPodPort connects to real
 * HTTP and HTTPS servers on loopback, as the real agent connects to a pod's port.
 */
class PodHttpExchangeTest {
  private Server agent;
  private ManagedChannel channel;
  private HttpServer http;
  private HttpsServer https;
  /** Pod port → the loopback port its server really listens on. */
  private final Map<Integer, Integer> ports = new ConcurrentHashMap<>();
  private PodAgents.Target target;

  /** Connects each forwarded connection to the mapped loopback port; refuses unmapped ports. */
  final class FakeAgent extends AgentServiceGrpc.AgentServiceImplBase {
    @Override
    public StreamObserver<ForwardPodPortRequest> forwardPodPort(StreamObserver<ForwardPodPortResponse> out) {
      return new StreamObserver<>() {
        Socket socket;

        @Override
        public void onNext(ForwardPodPortRequest r) {
          try {
            if (r.hasStart()) {
              Integer real = ports.get(r.getStart().getPort());
              if (real == null) {
                out.onNext(ForwardPodPortResponse.newBuilder().setError("dial tcp: connect: connection refused").build());
                out.onCompleted();
                return;
              }
              socket = new Socket("127.0.0.1", real);
              Thread.ofVirtual().start(this::pump);
            } else {
              socket.getOutputStream().write(r.getData().toByteArray());
            }
          } catch (IOException e) {
            out.onError(e);
          }
        }

        private void pump() {
          try (InputStream in = socket.getInputStream()) {
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
              synchronized (out) {
                out.onNext(ForwardPodPortResponse.newBuilder().setData(ByteString.copyFrom(buf, 0, n)).build());
              }
            }
            synchronized (out) {
              out.onCompleted();
            }
          } catch (IOException | IllegalStateException e) {
            // cancelled by the api-server side
          }
        }

        @Override
        public void onError(Throwable t) {
          close();
        }

        @Override
        public void onCompleted() {
          close();
        }

        private void close() {
          try {
            if (socket != null) socket.close();
          } catch (IOException ignored) {
            // gone
          }
        }
      };
    }
  }

  /** Answers with what it received: method, path and query, a header, whether credentials arrived, the body. */
  private static void echo(HttpExchange x) throws IOException {
    byte[] body = x.getRequestBody().readAllBytes();
    String text = x.getRequestMethod() + " " + x.getRequestURI() + " custom=" + x.getRequestHeaders().getFirst("X-Custom")
        + " auth=" + x.getRequestHeaders().containsKey("Authorization") + " host=" + x.getRequestHeaders().getFirst("Host")
        + " body=" + new String(body, StandardCharsets.UTF_8);
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().add("X-From-Pod", "yes");
    x.sendResponseHeaders(201, bytes.length);
    x.getResponseBody().write(bytes);
    x.close();
  }

  /** 1 MiB in chunked encoding (no Content-Length), in 1 KiB writes. */
  private static void big(HttpExchange x) throws IOException {
    x.sendResponseHeaders(200, 0);
    try (OutputStream out = x.getResponseBody()) {
      byte[] kib = new byte[1024];
      Arrays.fill(kib, (byte) 'k');
      for (int i = 0; i < 1024; i++) out.write(kib);
    }
  }

  @BeforeEach
  void start() throws Exception {
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext("/echo", PodHttpExchangeTest::echo);
    http.createContext("/big", PodHttpExchangeTest::big);
    http.start();
    ports.put(8080, http.getAddress().getPort());

    SelfSignedCertificate cert = new SelfSignedCertificate("pod.local");
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("pod", cert.key(), new char[0], new Certificate[] {cert.cert()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, new char[0]);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    https.setHttpsConfigurator(new HttpsConfigurator(tls));
    https.createContext("/echo", PodHttpExchangeTest::echo);
    https.start();
    ports.put(8443, https.getAddress().getPort());

    String name = InProcessServerBuilder.generateName();
    agent = InProcessServerBuilder.forName(name).addService(new FakeAgent()).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    var pod = ObjectCodec.JSON.createObjectNode();
    pod.putObject("status").put("podIP", "10.244.0.7");
    target = new PodAgents.Target(AgentServiceGrpc.newStub(channel),
        ContainerRef.newBuilder().setNamespace("default").setPodName("web").setPodUid("uid-1").setContainer("web").build(), pod);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    agent.shutdownNow();
    http.stop(0);
    https.stop(0);
  }

  private MockHttpServletResponse proxy(int port, boolean tls, MockHttpServletRequest req) throws IOException {
    MockHttpServletResponse resp = new MockHttpServletResponse();
    PodHttpExchange.proxy(target, port, tls, ProxyController.upstreamPath(req), req, resp);
    return resp;
  }

  private static MockHttpServletRequest request(String method, String uri) {
    MockHttpServletRequest req = new MockHttpServletRequest(method, uri);
    req.addHeader("Authorization", "Bearer the-admin-token");
    req.addHeader("X-Custom", "kept");
    return req;
  }

  @Test
  void aGetReachesThePodWithItsPathQueryAndHeadersButNotTheCallersCredentials() throws Exception {
    MockHttpServletRequest req = request("GET", "/api/v1/namespaces/default/pods/web:8080/proxy/echo/a%20b");
    req.setQueryString("x=1&y=two");
    MockHttpServletResponse resp = proxy(8080, false, req);
    assertThat(resp.getStatus()).isEqualTo(201);
    assertThat(resp.getHeader("X-From-Pod")).isEqualTo("yes");
    assertThat(resp.getContentAsString())
        .isEqualTo("GET /echo/a%20b?x=1&y=two custom=kept auth=false host=10.244.0.7:8080 body=");
  }

  @Test
  void aPostsBodyGoesThrough() throws Exception {
    MockHttpServletRequest req = request("POST", "/api/v1/namespaces/default/services/web:80/proxy/echo");
    req.setContent("{\"answer\":42}".getBytes(StandardCharsets.UTF_8));
    req.setContentType("application/json");
    MockHttpServletResponse resp = proxy(8080, false, req);
    assertThat(resp.getContentAsString()).endsWith("POST /echo custom=kept auth=false host=10.244.0.7:8080 body={\"answer\":42}");
  }

  @Test
  void aChunkedAnswerArrivesWhole() throws Exception {
    MockHttpServletResponse resp = proxy(8080, false, request("GET", "/api/v1/namespaces/default/pods/web:8080/proxy/big"));
    assertThat(resp.getStatus()).isEqualTo(200);
    assertThat(resp.getContentAsByteArray()).hasSize(1024 * 1024).containsOnly((byte) 'k');
    assertThat(resp.getHeader("Transfer-Encoding")).as("hop-by-hop, not copied").isNull();
  }

  @Test
  void anHttpsPortIsReachedOverTls() throws Exception {
    MockHttpServletResponse resp = proxy(8443, true, request("GET", "/api/v1/namespaces/default/pods/https:web:8443/proxy/echo"));
    assertThat(resp.getStatus()).isEqualTo(201);
    assertThat(resp.getContentAsString()).startsWith("GET /echo custom=kept auth=false");
  }

  @Test
  void aPortNothingListensOnIsServiceUnavailable() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> proxy(9999, false, request("GET", "/api/v1/namespaces/default/pods/web:9999/proxy/")))
        .isInstanceOfSatisfying(StatusException.class, e -> {
          assertThat(e.code()).isEqualTo(503);
          assertThat(e.getMessage()).contains("port 9999 of pod default/web").contains("connection refused");
        });
  }

  @Test
  void thePathAfterProxyIsTheUpstreamPath() {
    assertThat(ProxyController.proxyRest("/api/v1/namespaces/ns/pods/web/proxy")).isEmpty();
    assertThat(ProxyController.proxyRest("/api/v1/namespaces/ns/pods/web/proxy/")).isEqualTo("/");
    assertThat(ProxyController.proxyRest("/api/v1/namespaces/ns/services/https:web:443/proxy/a/b/")).isEqualTo("/a/b/");
  }
}
