package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The audit log and the in-flight limits of a real api-server (on a real etcd), driven by the real
 * kubectl: {@code --audit-policy-file} / {@code --audit-log-path} write one audit.k8s.io/v1 Event a
 * request with the level, verb, object, user and code, and the answer's Audit-Id names it;
 * {@code --max-requests-inflight 1 --max-mutating-requests-inflight 1} turn away a second request
 * with 429 while one is in flight, except watches and system:masters.
 */
class AuditAndInFlightIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static TestCluster c;
  private static Path work;
  private static Path auditLog;

  @BeforeAll
  static void up() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/kubectl")), "no /usr/bin/kubectl on this host");
    work = Files.createTempDirectory("keelson-audit-it");
    auditLog = work.resolve("logs/audit.log");
    Path policy = work.resolve("audit-policy.yaml");
    Files.writeString(policy, """
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: [RequestReceived]
        rules:
        - level: None
          nonResourceURLs: ["/readyz*", "/healthz*", "/livez*"]
        - level: Request
          resources: [{group: "", resources: [configmaps]}]
        - level: Metadata
        """);
    c = TestCluster.start("audit", 1, List.of("--audit-policy-file", policy.toString(), "--audit-log-path", auditLog.toString(),
        "--max-requests-inflight", "1", "--max-mutating-requests-inflight", "1"));
    // nobody may read configmaps, and nothing else (no controller-manager here to fill in the aggregated "view")
    ok("create", "clusterrole", "configmap-reader", "--verb=get,list,watch", "--resource=configmaps");
    ok("create", "clusterrolebinding", "nobody-reads-configmaps", "--clusterrole=configmap-reader", "--user=nobody");
  }

  @AfterAll
  static void down() throws Exception {
    if (c != null) c.close();
    if (work != null && !Boolean.getBoolean("keelson.keepDirs")) {
      try (var s = Files.walk(work)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  record Result(int code, String out) {}

  private static Result kubectl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--request-timeout=30s", "--cache-dir=" + work.resolve("kube-cache")));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("KUBECONFIG", c.kubeconfig().toString());
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-1, "timeout: kubectl " + String.join(" ", args));
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  private static String ok(String... args) throws Exception {
    Result r = kubectl(args);
    assertThat(r.code()).as("kubectl " + String.join(" ", args) + ": " + r.out()).isZero();
    return r.out();
  }

  private static List<JsonNode> events() throws Exception {
    List<JsonNode> out = new ArrayList<>();
    if (!Files.exists(auditLog)) return out;
    for (String l : Files.readAllLines(auditLog)) if (!l.isBlank()) out.add(JSON.readTree(l));
    return out;
  }

  /** The one event the predicate picks, once the writer thread has written it. */
  private static JsonNode event(String what, Predicate<JsonNode> p) {
    List<JsonNode> found = new ArrayList<>();
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
      found.clear();
      for (JsonNode e : events()) if (p.test(e)) found.add(e);
      return !found.isEmpty();
    });
    assertThat(found).as(what).hasSize(1);
    return found.get(0);
  }

  private static boolean is(JsonNode e, String verb, String resource, String name) {
    return e.path("verb").asString().equals(verb) && e.at("/objectRef/resource").asString().equals(resource)
        && e.at("/objectRef/name").asString().equals(name);
  }

  @Test
  void kubectlsRequestsAreAuditedAsKubeAuditsThem() throws Exception {
    ok("create", "configmap", "audited", "--from-literal=colour=blue");
    assertThat(ok("get", "pods")).contains("No resources found");
    Result denied = kubectl("--as=nobody", "get", "secrets");
    assertThat(denied.out()).contains("secrets is forbidden: User \"nobody\" cannot list resource \"secrets\" in API group \"\" in the namespace \"default\"");

    JsonNode create = event("kubectl create configmap", e -> e.path("verb").asString().equals("create")
        && e.at("/requestObject/metadata/name").asString().equals("audited"));
    assertThat(create.path("kind").asString()).isEqualTo("Event");
    assertThat(create.path("apiVersion").asString()).isEqualTo("audit.k8s.io/v1");
    assertThat(create.path("level").asString()).isEqualTo("Request");
    assertThat(create.path("stage").asString()).isEqualTo("ResponseComplete");
    assertThat(create.path("objectRef").toString())
        .isEqualTo("{\"resource\":\"configmaps\",\"namespace\":\"default\",\"name\":\"audited\",\"apiVersion\":\"v1\"}");
    assertThat(create.at("/user/username").asString()).isEqualTo("keelson-admin");
    assertThat(create.at("/user/groups").toString()).contains("system:masters");
    assertThat(create.path("userAgent").asString()).startsWith("kubectl/");
    assertThat(create.at("/sourceIPs/0").asString()).isEqualTo("127.0.0.1");
    assertThat(create.at("/responseStatus/code").asInt()).isEqualTo(201);
    assertThat(create.at("/requestObject/data/colour").asString()).as("kubectl's protobuf body, as JSON").isEqualTo("blue");
    assertThat(create.has("responseObject")).as("level Request").isFalse();
    assertThat(create.at("/annotations/authorization.k8s.io~1decision").asString()).isEqualTo("allow");

    JsonNode list = event("kubectl get pods", e -> e.path("verb").asString().equals("list")
        && e.at("/objectRef/resource").asString().equals("pods") && !e.has("impersonatedUser"));
    assertThat(list.path("level").asString()).isEqualTo("Metadata");
    assertThat(list.path("requestURI").asString()).startsWith("/api/v1/namespaces/default/pods?limit=");
    assertThat(list.at("/objectRef/namespace").asString()).isEqualTo("default");
    assertThat(list.at("/responseStatus/code").asInt()).isEqualTo(200);

    JsonNode forbidden = event("kubectl --as=nobody get secrets", e -> e.at("/objectRef/resource").asString().equals("secrets"));
    assertThat(forbidden.at("/user/username").asString()).as("who asked").isEqualTo("keelson-admin");
    assertThat(forbidden.at("/impersonatedUser/username").asString()).isEqualTo("nobody");
    assertThat(forbidden.at("/responseStatus/code").asInt()).isEqualTo(403);
    assertThat(forbidden.at("/responseStatus/reason").asString()).isEqualTo("Forbidden");
    assertThat(forbidden.at("/responseStatus/message").asString()).contains("User \"nobody\" cannot list resource \"secrets\"");
    assertThat(forbidden.at("/annotations/authorization.k8s.io~1decision").asString()).isEqualTo("forbid");

    // the answer's Audit-Id header names its event
    HttpResponse<String> get = c.send(c.request(c.api(), "/api/v1/namespaces/default/configmaps/audited").build());
    assertThat(get.statusCode()).isEqualTo(200);
    String id = get.headers().firstValue("Audit-Id").orElseThrow();
    JsonNode byId = event("GET configmaps/audited", e -> e.path("auditID").asString().equals(id));
    assertThat(is(byId, "get", "configmaps", "audited")).as(byId.toString()).isTrue();

    HttpResponse<String> anonymous = c.client().send(HttpRequest.newBuilder(java.net.URI.create(c.api().url() + "/api/v1/pods")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).isEqualTo(401);
    String anonymousId = anonymous.headers().firstValue("Audit-Id").orElseThrow();
    JsonNode unauthenticated = event("the 401", e -> e.path("auditID").asString().equals(anonymousId));
    assertThat(unauthenticated.path("user").toString()).as("nobody authenticated").isEqualTo("{}");
    assertThat(unauthenticated.at("/responseStatus/code").asInt()).isEqualTo(401);
    assertThat(events()).as("the policy's None: no health probes").noneMatch(e -> e.path("requestURI").asString().startsWith("/readyz"));
  }

  /** A POST whose body is only half sent: a mutating request that stays in flight until {@link #close}. */
  static final class HeldRequest implements AutoCloseable {
    private final SSLSocket socket;
    private final byte[] rest;

    HeldRequest(String name) throws Exception {
      socket = (SSLSocket) TestCluster.sslContext(c.dir).getSocketFactory().createSocket("127.0.0.1", c.api().port);
      byte[] body = ("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\"}}").getBytes(StandardCharsets.UTF_8);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + c.token()
          + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
      out.write(body, 0, 10);
      out.flush();
      rest = java.util.Arrays.copyOfRange(body, 10, body.length);
    }

    /** Sends the rest of the body; returns the status line. */
    String finish() throws Exception {
      socket.getOutputStream().write(rest);
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      StringBuilder line = new StringBuilder();
      for (int b; (b = in.read()) != -1 && b != '\r'; ) line.append((char) b);
      return line.toString();
    }

    @Override
    public void close() throws Exception {
      socket.close();
    }
  }

  private static HttpResponse<String> asNobody(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = c.request(c.api(), path).header("Impersonate-User", "nobody").header("Content-Type", "application/json");
    return c.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
  }

  private static String metrics() throws Exception {
    return c.send(c.request(c.api(), "/metrics").build()).body();
  }

  @Test
  void aRequestBeyondTheInFlightLimitGets429ExceptWatchesAndSystemMasters() throws Exception {
    try (HeldRequest held = new HeldRequest("held")) {
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
          .until(() -> metrics().contains("apiserver_current_inflight_requests{request_kind=\"mutating\"} 1.0"));

      HttpResponse<String> refused = asNobody("POST", "/api/v1/namespaces/default/configmaps",
          "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"refused\"}}");
      assertThat(refused.statusCode()).isEqualTo(429);
      assertThat(refused.headers().firstValue("Retry-After")).contains("1");
      JsonNode status = JSON.readTree(refused.body());
      assertThat(status.path("kind").asString()).isEqualTo("Status");
      assertThat(status.path("reason").asString()).isEqualTo("TooManyRequests");
      assertThat(status.path("message").asString()).isEqualTo("Too many requests, please try again later.");

      // an administrator is answered whatever the load, as kube answers system:masters
      ok("create", "configmap", "by-admin");

      // a watch holds no place: with one open, nobody's read-only request still gets one
      HttpResponse<InputStream> watch = c.client().send(c.request(c.api(), "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=30")
          .header("Impersonate-User", "nobody").build(), HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream events = watch.body()) {
        assertThat(watch.statusCode()).isEqualTo(200);
        assertThat(asNobody("GET", "/api/v1/namespaces/default/configmaps", null).statusCode()).isEqualTo(200);
      }

      JsonNode started = event("nobody's watch", e -> e.path("verb").asString().equals("watch")
          && e.at("/impersonatedUser/username").asString().equals("nobody") && e.path("stage").asString().equals("ResponseStarted"));
      assertThat(started.at("/responseStatus/code").asInt()).isEqualTo(200);
      assertThat(held.finish()).startsWith("HTTP/1.1 201");
    }
    assertThat(metrics()).contains("apiserver_dropped_requests_total{request_kind=\"mutating\"} 1.0");
    JsonNode audited = event("the 429", e -> e.at("/responseStatus/code").asInt() == 429);
    assertThat(audited.at("/impersonatedUser/username").asString()).isEqualTo("nobody");
    assertThat(audited.at("/responseStatus/message").asString()).isEqualTo("Too many requests, please try again later.");
    assertThat(asNobody("POST", "/api/v1/namespaces/default/configmaps",
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"later\"}}").statusCode())
        .as("the place is free again").isEqualTo(403);
  }
}
