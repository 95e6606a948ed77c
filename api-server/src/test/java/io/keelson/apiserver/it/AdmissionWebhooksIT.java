package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.keelson.client.fake.SelfSignedTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Admission webhooks against real etcd and an api-server, driven by the real kubectl: an HTTPS
 * webhook server in the test (a throwaway self-signed certificate, given as the caBundle) denies
 * labelled ConfigMaps, labels pods through a JSONPatch, answers slowly, or is not there at all; the
 * configurations' namespaceSelectors keep each test to its own namespace.
 */
class AdmissionWebhooksIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static TestCluster c;
  private static HttpsServer webhooks;
  private static String caBundle;
  /** The AdmissionReview requests the webhook server received. */
  private static final List<JsonNode> received = new CopyOnWriteArrayList<>();

  private static Path auditDir;

  @BeforeAll
  static void up() throws Exception {
    auditDir = Files.createTempDirectory("keelson-webhooks-audit");
    Path auditPolicy = auditDir.resolve("audit-policy.yaml");
    Files.writeString(auditPolicy, """
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: [RequestReceived]
        rules:
        - level: Metadata
          resources: [{group: "", resources: [configmaps]}]
        - level: None
        """);
    c = TestCluster.start("webhooks", 1, List.of("--audit-policy-file", auditPolicy.toString(), "--audit-log-path",
        auditDir.resolve("audit.log").toString()));
    Path tlsDir = Files.createDirectories(c.dir.resolve("webhook-tls"));
    SelfSignedTls tls = SelfSignedTls.create(tlsDir);
    caBundle = Base64.getEncoder().encodeToString(tls.certificatePem().getBytes(StandardCharsets.US_ASCII));
    webhooks = server(tls);
    webhooks.createContext("/label-pods", ex -> review(ex, (req, resp) -> {
      String patch = req.path("object").path("metadata").has("labels")
          ? "[{\"op\":\"add\",\"path\":\"/metadata/labels/mutated-by\",\"value\":\"webhook\"}]"
          : "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"mutated-by\":\"webhook\"}}]";
      jsonPatch(resp, patch);
    }));
    // /first records what /second added, if it ran before: only a reinvocation sees it
    webhooks.createContext("/first", ex -> review(ex, (req, resp) -> jsonPatch(resp, "[{\"op\":\"add\",\"path\":\"/metadata/labels/first\","
        + "\"value\":\"" + req.path("object").path("metadata").path("labels").path("second").asString("none") + "\"}]")));
    webhooks.createContext("/second", ex -> review(ex, (req, resp) ->
        jsonPatch(resp, "[{\"op\":\"add\",\"path\":\"/metadata/labels/second\",\"value\":\"yes\"}]")));
    webhooks.createContext("/deny-all", ex -> review(ex, (req, resp) -> resp.put("allowed", false)
        .putObject("status").put("message", "not while the test runs")));
    webhooks.createContext("/slow", ex -> review(ex, (req, resp) -> {
      try {
        Thread.sleep(4000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    webhooks.start();
  }

  /** An HTTPS webhook server with {@code tls}'s certificate, serving /deny-labelled. */
  private static HttpsServer server(SelfSignedTls tls) throws IOException {
    HttpsServer s = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s.setHttpsConfigurator(new HttpsConfigurator(tls.context()));
    s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    s.createContext("/deny-labelled", ex -> review(ex, (req, resp) -> {
      resp.putArray("warnings").add("checked by the test webhook");
      resp.putObject("auditAnnotations").put("checked", "labels");
      if ("true".equals(req.path("object").path("metadata").path("labels").path("deny").asString(""))) {
        resp.put("allowed", false).putObject("status").put("code", 403).put("message", "configmaps labelled deny=true are refused");
      }
    }));
    return s;
  }

  @AfterAll
  static void down() throws Exception {
    if (webhooks != null) webhooks.stop(0);
    if (c != null) c.close();
    if (auditDir != null) {
      try (var s = Files.walk(auditDir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  /** The annotations of the audit event of the create of configmap {@code name} in {@code namespace} (awaited: the log is written behind). */
  private static JsonNode createAnnotations(String namespace, String name) throws Exception {
    JsonNode[] found = {null};
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
      for (String l : Files.readAllLines(auditDir.resolve("audit.log"))) {
        JsonNode e = JSON.readTree(l);
        JsonNode ref = e.path("objectRef");
        if (e.path("verb").asString("").equals("create") && ref.path("namespace").asString("").equals(namespace)
            && ref.path("name").asString("").equals(name)) {
          found[0] = e.path("annotations");
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  private static void jsonPatch(ObjectNode resp, String patch) {
    resp.put("patchType", "JSONPatch").put("patch", Base64.getEncoder().encodeToString(patch.getBytes(StandardCharsets.UTF_8)));
  }

  interface Reviewer {
    void review(JsonNode request, ObjectNode response);
  }

  /** Answers an AdmissionReview: allowed, unless the reviewer says otherwise. */
  private static void review(HttpExchange ex, Reviewer reviewer) throws IOException {
    JsonNode review = JSON.readTree(ex.getRequestBody().readAllBytes());
    received.add(review.path("request"));
    ObjectNode out = JSON.createObjectNode().put("apiVersion", "admission.k8s.io/v1").put("kind", "AdmissionReview");
    ObjectNode resp = out.putObject("response").put("uid", review.path("request").path("uid").asString()).put("allowed", true);
    reviewer.review(review.path("request"), resp);
    byte[] b = JSON.writeValueAsBytes(out);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  private static String url(String path) {
    return "https://127.0.0.1:" + webhooks.getAddress().getPort() + path;
  }

  private static String ok(String... args) throws Exception {
    TestCluster.Kubectl r = c.kubectl(args);
    assertThat(r.code()).as("kubectl " + String.join(" ", args) + ": " + r.out()).isZero();
    return r.out();
  }

  private static String apply(String name, String yaml) throws Exception {
    Path f = c.dir.resolve(name + ".yaml");
    Files.writeString(f, yaml);
    return ok("apply", "-f", f.toString());
  }

  /** A namespace whose label {@code hooks=<name>} the test's webhooks select. */
  private static void namespace(String name) throws Exception {
    ok("create", "namespace", name);
    ok("label", "namespace", name, "hooks=" + name);
  }

  private static String webhookConfig(String kind, String name, String namespace, String resource, String clientConfig, String extra) {
    return """
        apiVersion: admissionregistration.k8s.io/v1
        kind: %s
        metadata: {name: %s}
        webhooks:
        - name: %s.hooks.keelson.io
          admissionReviewVersions: [v1]
          sideEffects: None
          clientConfig: %s
          rules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [%s]}]
          namespaceSelector: {matchLabels: {hooks: %s}}
        %s""".formatted(kind, name, name, clientConfig, resource, namespace, extra.isEmpty() ? "" : "  " + extra + "\n");
  }

  private String urlConfig(String path) {
    return "{url: \"" + url(path) + "\", caBundle: " + caBundle + "}";
  }

  @Test
  void aValidatingWebhookDeniesLabelledConfigMapsInTheNamespacesItSelects() throws Exception {
    namespace("wh-deny");
    ok("create", "namespace", "wh-other");
    apply("deny", webhookConfig("ValidatingWebhookConfiguration", "deny", "wh-deny", "configmaps", urlConfig("/deny-labelled"), ""));
    assertThat(ok("get", "validatingwebhookconfigurations"))
        .containsPattern("NAME\\s+WEBHOOKS\\s+AGE").containsPattern("deny\\s+1\\s+");
    JsonNode stored = JSON.readTree(ok("get", "validatingwebhookconfiguration", "deny", "-o", "json")).path("webhooks").get(0);
    assertThat(stored.path("failurePolicy").asString()).isEqualTo("Fail");
    assertThat(stored.path("matchPolicy").asString()).isEqualTo("Equivalent");
    assertThat(stored.path("timeoutSeconds").asInt()).isEqualTo(10);
    assertThat(stored.path("objectSelector").isObject()).isTrue();
    assertThat(stored.path("rules").get(0).path("scope").asString()).isEqualTo("*");

    // the api-server sees new configurations through its watch: the first refusals may take a moment
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      c.kubectl("delete", "configmap", "bad", "-n", "wh-deny", "--ignore-not-found");
      TestCluster.Kubectl r = c.kubectl("create", "configmap", "bad", "-n", "wh-deny");
      assertThat(r.code()).as(r.out()).isZero();
      TestCluster.Kubectl denied = c.kubectl("label", "configmap", "bad", "-n", "wh-deny", "deny=true");
      assertThat(denied.code()).as(denied.out()).isNotZero();
      assertThat(denied.out()).contains("admission webhook \"deny.hooks.keelson.io\" denied the request: "
          + "configmaps labelled deny=true are refused");
    });
    TestCluster.Kubectl allowed = c.kubectl("create", "configmap", "fine", "-n", "wh-deny", "--from-literal=a=b");
    assertThat(allowed.code()).as(allowed.out()).isZero();
    assertThat(allowed.out()).contains("Warning: checked by the test webhook");
    JsonNode request = received.stream().filter(r -> r.path("name").asString("").equals("fine")).findFirst().orElseThrow();
    assertThat(request.path("operation").asString()).isEqualTo("CREATE");
    assertThat(request.path("namespace").asString()).isEqualTo("wh-deny");
    assertThat(request.path("kind").path("kind").asString()).isEqualTo("ConfigMap");
    assertThat(request.path("resource").path("resource").asString()).isEqualTo("configmaps");
    assertThat(request.path("userInfo").path("username").asString()).isEqualTo("keelson-admin");
    assertThat(request.path("object").path("data").path("a").asString()).isEqualTo("b");
    assertThat(request.path("options").path("kind").asString()).isEqualTo("CreateOptions");
    // the webhook's auditAnnotations reach the request's audit event, named after the webhook
    assertThat(createAnnotations("wh-deny", "fine").path("deny.hooks.keelson.io/checked").asString()).isEqualTo("labels");

    // outside the selected namespace the webhook is not asked
    Path labelled = c.dir.resolve("labelled.yaml");
    Files.writeString(labelled, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad, labels: {deny: \"true\"}}\n");
    ok("create", "-n", "wh-other", "-f", labelled.toString());
    TestCluster.Kubectl refused = c.kubectl("create", "-n", "wh-deny", "-f", labelled.toString(), "--dry-run=server");
    assertThat(refused.out()).contains("denied the request: configmaps labelled deny=true are refused");
  }

  @Test
  void aMutatingWebhookLabelsPodsThroughAJsonPatch() throws Exception {
    namespace("wh-mutate");
    apply("mutate", webhookConfig("MutatingWebhookConfiguration", "mutate", "wh-mutate", "pods", urlConfig("/label-pods"), ""));
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      c.kubectl("delete", "pod", "web", "-n", "wh-mutate", "--ignore-not-found", "--grace-period=0", "--force");
      ok("run", "web", "-n", "wh-mutate", "--image=keelson.local/busybox:latest", "--labels=app=web", "--", "sleep", "3600");
      assertThat(ok("get", "pod", "web", "-n", "wh-mutate", "-o", "jsonpath={.metadata.labels}"))
          .contains("\"mutated-by\":\"webhook\"").contains("\"app\":\"web\"");
    });
    assertThat(ok("get", "mutatingwebhookconfigurations")).containsPattern("mutate\\s+1\\s+");
  }

  @Test
  void aMutatingWebhookWithReinvocationIfNeededSeesWhatALaterOneChanged() throws Exception {
    namespace("wh-again");
    apply("again-a", webhookConfig("MutatingWebhookConfiguration", "again-a", "wh-again", "pods", urlConfig("/first"),
        "reinvocationPolicy: IfNeeded"));
    apply("again-b", webhookConfig("MutatingWebhookConfiguration", "again-b", "wh-again", "pods", urlConfig("/second"), ""));
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      c.kubectl("delete", "pod", "web", "-n", "wh-again", "--ignore-not-found", "--grace-period=0", "--force");
      ok("run", "web", "-n", "wh-again", "--image=keelson.local/busybox:latest", "--labels=app=web", "--", "sleep", "3600");
      assertThat(ok("get", "pod", "web", "-n", "wh-again", "-o", "jsonpath={.metadata.labels}"))
          .contains("\"second\":\"yes\"").contains("\"first\":\"yes\"");
    });
  }

  @Test
  void anEvictionIsSentToWebhooksOfPodsEvictionAsAnEviction() throws Exception {
    namespace("wh-evict");
    ok("run", "web", "-n", "wh-evict", "--image=keelson.local/busybox:latest", "--", "sleep", "3600");
    apply("evict", webhookConfig("ValidatingWebhookConfiguration", "evict", "wh-evict", "pods/eviction", urlConfig("/deny-all"), ""));
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      var r = c.send(c.request(c.api(), "/api/v1/namespaces/wh-evict/pods/web/eviction").header("Content-Type", "application/json")
          .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
              "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"web\"}}")).build());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
      assertThat(JSON.readTree(r.body()).path("message").asString())
          .isEqualTo("admission webhook \"evict.hooks.keelson.io\" denied the request: not while the test runs");
    });
    JsonNode request = received.stream().filter(r -> r.path("subResource").asString("").equals("eviction")).findFirst().orElseThrow();
    assertThat(request.path("kind").path("kind").asString()).isEqualTo("Eviction");
    assertThat(request.path("resource").path("resource").asString()).isEqualTo("pods");
    assertThat(request.path("operation").asString()).isEqualTo("CREATE");
    ok("get", "pod", "web", "-n", "wh-evict"); // still there
  }

  /** The AdmissionReviews the test's webhook server received for {@code name} in {@code namespace}. */
  private static long calls(String namespace, String name) {
    return received.stream().filter(r -> r.path("namespace").asString("").equals(namespace) && r.path("name").asString("").equals(name)).count();
  }

  @Test
  void matchConditionsDecideWhetherAWebhookIsCalled() throws Exception {
    namespace("wh-cond");
    namespace("wh-cond-fail");
    namespace("wh-cond-ignore");
    apply("cond", webhookConfig("ValidatingWebhookConfiguration", "cond", "wh-cond", "configmaps", urlConfig("/deny-all"),
        "matchConditions: [{name: only-checked, expression: \"object.metadata.name == 'checked'\"}, "
            + "{name: not-dry, expression: '!request.dryRun'}]"));
    // a condition that cannot be evaluated on a ConfigMap without data: failurePolicy decides
    String broken = "matchConditions: [{name: data, expression: \"object.data.wanted == 'yes'\"}]";
    apply("cond-fail", webhookConfig("ValidatingWebhookConfiguration", "cond-fail", "wh-cond-fail", "configmaps", urlConfig("/deny-all"),
        broken));
    apply("cond-ignore", webhookConfig("ValidatingWebhookConfiguration", "cond-ignore", "wh-cond-ignore", "configmaps",
        urlConfig("/deny-all"), "failurePolicy: Ignore\n  " + broken));
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      TestCluster.Kubectl denied = c.kubectl("create", "configmap", "checked", "-n", "wh-cond");
      assertThat(denied.code()).as(denied.out()).isNotZero();
      assertThat(denied.out()).contains("admission webhook \"cond.hooks.keelson.io\" denied the request: not while the test runs");
    });
    // a false condition skips the webhook: its server never hears of the request
    ok("create", "configmap", "other", "-n", "wh-cond");
    ok("create", "configmap", "checked", "-n", "wh-cond", "--dry-run=server");
    assertThat(calls("wh-cond", "other")).isZero();
    assertThat(received.stream().filter(r -> r.path("namespace").asString("").equals("wh-cond") && r.path("dryRun").asBoolean(false)))
        .isEmpty();

    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      TestCluster.Kubectl failed = c.kubectl("create", "configmap", "x", "-n", "wh-cond-fail");
      assertThat(failed.code()).as(failed.out()).isNotZero();
      assertThat(failed.out()).contains("configmaps \"x\" is forbidden: expression 'object.data.wanted == 'yes'' resulted in error: ");
    });
    assertThat(calls("wh-cond-fail", "x")).isZero();
    ok("create", "configmap", "x", "-n", "wh-cond-ignore");
    assertThat(calls("wh-cond-ignore", "x")).isZero();
    // where the condition evaluates, the webhook is called as usual
    TestCluster.Kubectl called = c.kubectl("create", "configmap", "y", "-n", "wh-cond-ignore", "--from-literal=wanted=yes");
    assertThat(called.out()).contains("denied the request: not while the test runs");
  }

  /** kube's EvictionREST deletes the pod without admitting the delete again: a webhook on pod deletes does not stop an eviction. */
  @Test
  void anEvictionsDeleteOfThePodIsNotSentToWebhooksAgain() throws Exception {
    namespace("wh-evict-del");
    ok("run", "web", "-n", "wh-evict-del", "--image=keelson.local/busybox:latest", "--", "sleep", "3600");
    apply("evict-del", webhookConfig("ValidatingWebhookConfiguration", "evict-del", "wh-evict-del", "pods", urlConfig("/deny-all"), "")
        .replace("operations: [CREATE, UPDATE]", "operations: [DELETE]"));
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      TestCluster.Kubectl denied = c.kubectl("delete", "pod", "web", "-n", "wh-evict-del", "--wait=false");
      assertThat(denied.code()).as(denied.out()).isNotZero();
      assertThat(denied.out()).contains("admission webhook \"evict-del.hooks.keelson.io\" denied the request: not while the test runs");
    });
    long deletesSeen = calls("wh-evict-del", "web");
    var r = c.send(c.request(c.api(), "/api/v1/namespaces/wh-evict-del/pods/web/eviction").header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
            "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"web\"}}")).build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    assertThat(c.kubectl("get", "pod", "web", "-n", "wh-evict-del").out()).contains("pods \"web\" not found");
    assertThat(calls("wh-evict-del", "web")).as("no DELETE review for the evicted pod").isEqualTo(deletesSeen);
  }

  @Test
  void anUnreachableWebhookFailsTheRequestUnlessItsFailurePolicyIsIgnore() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    String down = "{url: \"https://127.0.0.1:" + closedPort + "/gone\", caBundle: " + caBundle + "}";
    namespace("wh-fail");
    namespace("wh-ignore");
    apply("fail", webhookConfig("ValidatingWebhookConfiguration", "fail", "wh-fail", "configmaps", down, ""));
    apply("ignore", webhookConfig("ValidatingWebhookConfiguration", "ignore", "wh-ignore", "configmaps", down, "failurePolicy: Ignore"));
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      TestCluster.Kubectl r = c.kubectl("create", "configmap", "x", "-n", "wh-fail");
      assertThat(r.code()).as(r.out()).isNotZero();
      assertThat(r.out()).contains("Internal error occurred: failed calling webhook \"fail.hooks.keelson.io\": failed to call webhook: "
          + "Post \"https://127.0.0.1:" + closedPort + "/gone?timeout=10s\": dial tcp 127.0.0.1:" + closedPort + ": connect: connection refused");
    });
    ok("create", "configmap", "x", "-n", "wh-ignore");
    assertThat(createAnnotations("wh-ignore", "x").path("failed-open.validating.webhook.admission.k8s.io/round_0_index_0").asString())
        .isEqualTo("ignore.hooks.keelson.io");
  }

  @Test
  void aWebhookSlowerThanItsTimeoutFailsTheRequest() throws Exception {
    namespace("wh-slow");
    apply("slow", webhookConfig("ValidatingWebhookConfiguration", "slow", "wh-slow", "configmaps", urlConfig("/slow"), "timeoutSeconds: 1"));
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      long start = System.nanoTime();
      TestCluster.Kubectl r = c.kubectl("create", "configmap", "x", "-n", "wh-slow");
      assertThat(r.code()).as(r.out()).isNotZero();
      assertThat(r.out()).contains("failed calling webhook \"slow.hooks.keelson.io\"").contains("?timeout=1s\": context deadline exceeded");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    });
  }

  /**
   * A Service with manual Endpoints to 127.0.0.1 in front of two webhook servers: one whose
   * certificate names the Service ({@code hook.wh-svc.svc}) is called; one valid only for
   * 127.0.0.1 fails verification as the Service's name.
   */
  @Test
  void aWebhookNamedByAServiceIsCalledAtItsEndpointAndVerifiedAsTheService() throws Exception {
    SelfSignedTls named = SelfSignedTls.create(Files.createDirectories(c.dir.resolve("svc-tls")), List.of("hook.wh-svc.svc"));
    HttpsServer behindService = server(named);
    behindService.start();
    try {
      namespace("wh-svc");
      namespace("wh-svc-wrong");
      apply("svc", """
          apiVersion: v1
          kind: Service
          metadata: {name: hook, namespace: wh-svc}
          spec: {ports: [{name: https, port: 443, targetPort: %d}]}
          ---
          apiVersion: v1
          kind: Endpoints
          metadata: {name: hook, namespace: wh-svc}
          subsets: [{addresses: [{ip: 127.0.0.1}], ports: [{name: https, port: %d}]}]
          ---
          apiVersion: v1
          kind: Service
          metadata: {name: hook, namespace: wh-svc-wrong}
          spec: {ports: [{name: https, port: 8443, targetPort: %d}]}
          ---
          apiVersion: v1
          kind: Endpoints
          metadata: {name: hook, namespace: wh-svc-wrong}
          subsets: [{addresses: [{ip: 127.0.0.1}], ports: [{name: https, port: %d}]}]
          """.formatted(behindService.getAddress().getPort(), behindService.getAddress().getPort(),
          webhooks.getAddress().getPort(), webhooks.getAddress().getPort()));
      String namedCa = Base64.getEncoder().encodeToString(named.certificatePem().getBytes(StandardCharsets.US_ASCII));
      apply("svc-hook", webhookConfig("ValidatingWebhookConfiguration", "svc", "wh-svc", "configmaps",
          "{service: {namespace: wh-svc, name: hook, path: /deny-labelled}, caBundle: " + namedCa + "}", ""));
      apply("svc-wrong", webhookConfig("ValidatingWebhookConfiguration", "svc-wrong", "wh-svc-wrong", "configmaps",
          "{service: {namespace: wh-svc-wrong, name: hook, port: 8443, path: /deny-labelled}, caBundle: " + caBundle + "}", ""));
      Path labelled = c.dir.resolve("svc-labelled.yaml");
      Files.writeString(labelled, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad, labels: {deny: \"true\"}}\n");
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
        TestCluster.Kubectl r = c.kubectl("create", "-n", "wh-svc", "-f", labelled.toString());
        assertThat(r.out()).contains("admission webhook \"svc.hooks.keelson.io\" denied the request: configmaps labelled deny=true are refused");
        TestCluster.Kubectl wrong = c.kubectl("create", "configmap", "x", "-n", "wh-svc-wrong");
        assertThat(wrong.out()).contains("failed calling webhook \"svc-wrong.hooks.keelson.io\": failed to call webhook: "
            + "Post \"https://hook.wh-svc-wrong.svc:8443/deny-labelled?timeout=10s\": tls: failed to verify certificate");
      });
      ok("create", "configmap", "fine", "-n", "wh-svc");
    } finally {
      behindService.stop(0);
    }
  }

  @Test
  void badConfigurationsAreRefusedWithKubesMessages() throws Exception {
    Path f = c.dir.resolve("bad-webhook.yaml");
    Files.writeString(f, """
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingWebhookConfiguration
        metadata: {name: bad}
        webhooks:
        - name: two.segments
          admissionReviewVersions: [v1beta2]
          sideEffects: Some
          timeoutSeconds: 31
          clientConfig: {url: "http://user@127.0.0.1/x?a=b"}
          rules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
          matchConditions: [{name: c, expression: "object.x <"}]
        - name: two.segments
          admissionReviewVersions: [v1]
          sideEffects: None
          clientConfig: {url: "https://example.com/", service: {namespace: default, name: hook}}
        """);
    TestCluster.Kubectl r = c.kubectl("apply", "-f", f.toString());
    assertThat(r.code()).isNotZero();
    assertThat(r.out()).contains("The ValidatingWebhookConfiguration \"bad\" is invalid")
        .contains("webhooks[0].name: Invalid value: \"two.segments\": should be a domain with at least three segments separated by dots")
        .contains("webhooks[0].admissionReviewVersions: Invalid value")
        .contains("must include at least one of v1, v1beta1")
        .contains("webhooks[0].sideEffects: Unsupported value: \"Some\": supported values: \"None\", \"NoneOnDryRun\"")
        .contains("webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds")
        .contains("webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme")
        .contains("user information is not permitted in the URL")
        .contains("query parameters are not permitted in the URL")
        .contains("webhooks[0].matchConditions[0].expression: Invalid value: \"object.x <\": compilation failed: ERROR: <input>:1:")
        .contains("webhooks[1].name: Duplicate value: \"two.segments\"")
        .contains("webhooks[1].clientConfig: Required value: exactly one of url or service is required");
  }
}
