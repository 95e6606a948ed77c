package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.keelson.client.fake.SelfSignedTls;
import java.io.IOException;
import java.net.InetSocketAddress;
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
 * CustomResourceDefinitions with conversion strategy Webhook against real etcd and an api-server,
 * driven by the real kubectl: v1 (stored) has spec.host and spec.port, v2 spec.endpoint
 * "host:port", and an HTTPS conversion webhook in the test (a throwaway certificate as the
 * caBundle) converts between them. Objects written in either version are stored as v1 and read,
 * listed (one review per list) and watched in both; a webhook that is not there is kube's error;
 * a broken spec.conversion is refused with kube's messages.
 */
class ConversionWebhooksIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static TestCluster c;
  private static HttpsServer webhook;
  private static String caBundle;
  /** The ConversionReview requests the webhook received. */
  private static final List<JsonNode> reviews = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void up() throws Exception {
    c = TestCluster.start("conversion-webhooks", 1);
    // valid for 127.0.0.1 (a url) and for the Service the service-based definition names
    SelfSignedTls tls = SelfSignedTls.create(Files.createDirectories(c.dir.resolve("webhook-tls")), List.of("converter.default.svc"));
    caBundle = Base64.getEncoder().encodeToString(tls.certificatePem().getBytes(StandardCharsets.US_ASCII));
    webhook = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    webhook.setHttpsConfigurator(new HttpsConfigurator(tls.context()));
    webhook.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    webhook.createContext("/convert", ConversionWebhooksIT::convert);
    webhook.start();
  }

  @AfterAll
  static void down() throws Exception {
    if (webhook != null) webhook.stop(0);
    if (c != null) c.close();
  }

  /** The webhook: v1 {host, port} ↔ v2 {endpoint: "host:port"}, every other field as it is. */
  private static void convert(HttpExchange ex) throws IOException {
    JsonNode review = JSON.readTree(ex.getRequestBody().readAllBytes());
    JsonNode request = review.path("request");
    reviews.add(request);
    String desired = request.path("desiredAPIVersion").asString();
    ObjectNode out = JSON.createObjectNode().put("apiVersion", "apiextensions.k8s.io/v1").put("kind", "ConversionReview");
    ObjectNode resp = out.putObject("response").put("uid", request.path("uid").asString());
    resp.putObject("result").put("status", "Success");
    for (JsonNode o : request.path("objects")) {
      ObjectNode c = ((ObjectNode) o).deepCopy().put("apiVersion", desired);
      ObjectNode spec = (ObjectNode) c.path("spec");
      if (desired.endsWith("/v2") && spec.has("host")) {
        spec.put("endpoint", spec.remove("host").asString() + ":" + spec.remove("port").asInt());
      } else if (desired.endsWith("/v1") && spec.has("endpoint")) {
        String[] hp = spec.remove("endpoint").asString().split(":");
        spec.put("host", hp[0]).put("port", Integer.parseInt(hp[1]));
      }
      resp.withArray("convertedObjects").add(c);
    }
    byte[] b = JSON.writeValueAsBytes(out);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  private static String definition(String plural, String kind, String url) {
    return definitionCalling(plural, kind, "{url: \"" + url + "\", caBundle: " + caBundle + "}");
  }

  /** The Backend-like definition {@code <plural>.demo.keelson.io}, converted by the webhook at {@code clientConfig}. */
  private static String definitionCalling(String plural, String kind, String clientConfig) {
    return """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: %s.demo.keelson.io}
        spec:
          group: demo.keelson.io
          scope: Namespaced
          names: {plural: %s, kind: %s}
          conversion:
            strategy: Webhook
            webhook:
              conversionReviewVersions: [v1]
              clientConfig: %s
          versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec: {type: object, properties: {host: {type: string}, port: {type: integer}}}
          - name: v2
            served: true
            storage: false
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec: {type: object, properties: {endpoint: {type: string}}}
        """.formatted(plural, plural, kind, clientConfig);
  }

  /** An object of demo.keelson.io as YAML (kubectl reads a document starting with "{" as JSON). */
  private static String object(String version, String kind, String metadata, String spec) {
    return "apiVersion: demo.keelson.io/" + version + "\nkind: " + kind + "\nmetadata: " + metadata + "\nspec: " + spec + "\n";
  }

  private static String ok(String... args) throws Exception {
    TestCluster.Kubectl r = c.kubectl(args);
    assertThat(r.code()).as("kubectl " + String.join(" ", args) + ": " + r.out()).isZero();
    return r.out();
  }

  private static JsonNode json(String... args) throws Exception {
    return JSON.readTree(ok(args));
  }

  /** Waits until the api-server serves {@code resource} (it follows new definitions through its watch). */
  private static void served(String resource) {
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300))
        .until(() -> c.kubectl("get", resource).code() == 0);
  }

  @Test
  void objectsWrittenInEitherVersionAreStoredAsV1AndReadListedAndWatchedInBoth() throws Exception {
    String url = "https://127.0.0.1:" + webhook.getAddress().getPort() + "/convert";
    assertThat(c.apply("backends", definition("backends", "Backend", url)).code()).isZero();
    served("backends.v2.demo.keelson.io");

    TestCluster.Kubectl db = c.apply("db", object("v2", "Backend", "{name: db, labels: {tier: data}}", "{endpoint: \"db:5432\"}"));
    assertThat(db.code()).as(db.out()).isZero();
    TestCluster.Kubectl cache = c.apply("cache", object("v1", "Backend", "{name: cache}", "{host: cache, port: 6379}"));
    assertThat(cache.code()).as(cache.out()).isZero();

    // stored as v1: host and port
    JsonNode stored = JSON.readTree(c.etcdctl("get", "/registry/demo.keelson.io/backends/default/db", "--print-value-only"));
    assertThat(stored.path("apiVersion").asString()).isEqualTo("demo.keelson.io/v1");
    assertThat(stored.path("spec").toString()).isEqualTo("{\"host\":\"db\",\"port\":5432}");

    JsonNode v1 = json("get", "backends.v1.demo.keelson.io", "db", "-o", "json");
    assertThat(v1.path("spec").toString()).isEqualTo("{\"host\":\"db\",\"port\":5432}");
    JsonNode v2 = json("get", "backends.v2.demo.keelson.io", "db", "-o", "json");
    assertThat(v2.path("apiVersion").asString()).isEqualTo("demo.keelson.io/v2");
    assertThat(v2.path("spec").toString()).isEqualTo("{\"endpoint\":\"db:5432\"}");
    assertThat(v2.path("metadata").path("uid").asString()).isEqualTo(v1.path("metadata").path("uid").asString());
    assertThat(v2.path("metadata").path("labels").path("tier").asString()).isEqualTo("data");
    assertThat(ok("get", "backends.v2.demo.keelson.io", "cache", "-o", "yaml")).contains("endpoint: cache:6379");

    // a list is one review with every object in it
    reviews.clear();
    JsonNode list = json("get", "backends.v2.demo.keelson.io", "-o", "json");
    assertThat(list.path("items")).extracting(o -> o.path("spec").path("endpoint").asString()).containsExactly("cache:6379", "db:5432");
    assertThat(reviews).singleElement().satisfies(r -> {
      assertThat(r.path("objects")).hasSize(2);
      assertThat(r.path("desiredAPIVersion").asString()).isEqualTo("demo.keelson.io/v2");
    });

    // a watch in v2 sees a change made in v1 converted; a patch in v2 lands in v1's fields
    try (WatchLog watch = c.watch("/apis/demo.keelson.io/v2/namespaces/default/backends?watch=true&resourceVersion="
        + list.path("metadata").path("resourceVersion").asString(),
        ev -> ev.path("type").asString() + " " + ev.path("object").path("spec").path("endpoint").asString())) {
      ok("patch", "backends.v1.demo.keelson.io", "db", "--type=merge", "-p", "{\"spec\":{\"port\":5433}}");
      await().atMost(Duration.ofSeconds(10)).until(() -> watch.sawAll("MODIFIED db:5433"));
      ok("patch", "backends.v2.demo.keelson.io", "cache", "--type=merge", "-p", "{\"spec\":{\"endpoint\":\"cache:7000\"}}");
      await().atMost(Duration.ofSeconds(10)).until(() -> watch.sawAll("MODIFIED cache:7000"));
    }
    assertThat(json("get", "backends.v1.demo.keelson.io", "cache", "-o", "json").path("spec").toString())
        .isEqualTo("{\"host\":\"cache\",\"port\":7000}");

    // a v2 body is held to v2's schema before the webhook sees it: 422 in v2's own fields
    reviews.clear();
    TestCluster.Kubectl bad = c.apply("bad", object("v2", "Backend", "{name: bad}", "{endpoint: 5432}"));
    assertThat(bad.code()).isNotZero();
    assertThat(bad.out()).contains("The Backend \"bad\" is invalid: spec.endpoint: Invalid value: \"integer\": "
        + "spec.endpoint in body must be of type string: \"integer\"");
    assertThat(reviews).noneSatisfy(r -> assertThat(r.path("desiredAPIVersion").asString()).isEqualTo("demo.keelson.io/v1"));

    // kubectl apply again, client-side and server-side, in v2
    Path again = c.dir.resolve("db-again.yaml");
    Files.writeString(again, object("v2", "Backend", "{name: db, labels: {tier: data}}", "{endpoint: \"db:6000\"}"));
    ok("apply", "-f", again.toString());
    assertThat(json("get", "backends.v1.demo.keelson.io", "db", "-o", "json").path("spec").path("port").asInt()).isEqualTo(6000);
    Files.writeString(again, object("v2", "Backend", "{name: db}", "{endpoint: \"db2:6001\"}"));
    ok("apply", "--server-side", "--force-conflicts", "-f", again.toString());
    assertThat(json("get", "backends.v1.demo.keelson.io", "db", "-o", "json").path("spec").toString())
        .isEqualTo("{\"host\":\"db2\",\"port\":6001}");
  }

  @Test
  void aWebhookBehindAServiceIsCalledAtItsEndpointOnPort443() throws Exception {
    int port = webhook.getAddress().getPort();
    TestCluster.Kubectl svc = c.apply("converter-svc", """
        apiVersion: v1
        kind: Service
        metadata: {name: converter, namespace: default}
        spec: {ports: [{name: https, port: 443, targetPort: %d}]}
        ---
        apiVersion: v1
        kind: Endpoints
        metadata: {name: converter, namespace: default}
        subsets: [{addresses: [{ip: 127.0.0.1}], ports: [{name: https, port: %d}]}]
        """.formatted(port, port));
    assertThat(svc.code()).as(svc.out()).isZero();
    TestCluster.Kubectl crd = c.apply("widgets", definitionCalling("widgets", "Widget",
        "{service: {namespace: default, name: converter, path: /convert}, caBundle: " + caBundle + "}"));
    assertThat(crd.code()).as(crd.out()).isZero();
    served("widgets.v2.demo.keelson.io");
    TestCluster.Kubectl w = c.apply("w1", object("v2", "Widget", "{name: w1}", "{endpoint: \"api:8080\"}"));
    assertThat(w.code()).as(w.out()).isZero();
    assertThat(json("get", "widgets.v1.demo.keelson.io", "w1", "-o", "json").path("spec").toString())
        .isEqualTo("{\"host\":\"api\",\"port\":8080}");
  }

  @Test
  void aWebhookThatIsNotThereIsKubesErrorWhileTheStoredVersionStillServes() throws Exception {
    int closed = TestCluster.freePorts(1)[0];
    assertThat(c.apply("gadgets", definition("gadgets", "Gadget", "https://127.0.0.1:" + closed + "/convert")).code()).isZero();
    served("gadgets.v2.demo.keelson.io");
    c.apply("g1", object("v1", "Gadget", "{name: g1}", "{host: a, port: 1}"));
    assertThat(ok("get", "gadgets.v1.demo.keelson.io", "g1")).contains("g1");

    TestCluster.Kubectl get = c.kubectl("get", "gadgets.v2.demo.keelson.io", "g1");
    assertThat(get.code()).isNotZero();
    assertThat(get.out()).contains("Error from server: conversion webhook for demo.keelson.io/v1, Kind=Gadget failed: "
        + "Post \"https://127.0.0.1:" + closed + "/convert?timeout=30s\": dial tcp 127.0.0.1:" + closed + ": connect: connection refused");
    // a watch in v2 says why each event could not be converted
    try (WatchLog watch = c.watch("/apis/demo.keelson.io/v2/namespaces/default/gadgets?watch=true&resourceVersion=0",
        ev -> ev.path("type").asString() + " " + ev.path("object").path("code").asInt() + " " + ev.path("object").path("message").asString())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> watch.sawAll("ERROR 500 conversion webhook for demo.keelson.io/v1, Kind=Gadget failed: "
          + "Post \"https://127.0.0.1:" + closed + "/convert?timeout=30s\": dial tcp 127.0.0.1:" + closed + ": connect: connection refused"));
    }
    // kubectl get -w asks for Tables: the ERROR event is still the Status
    java.net.http.HttpResponse<java.io.InputStream> tables = c.client().send(c.request(c.api(),
        "/apis/demo.keelson.io/v2/namespaces/default/gadgets?watch=true&resourceVersion=0")
        .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").build(), java.net.http.HttpResponse.BodyHandlers.ofInputStream());
    try (WatchLog watch = new WatchLog(tables.body(), ev -> ev.path("type").asString() + " " + ev.path("object").path("kind").asString())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> watch.sawAll("ERROR Status"));
    }
    TestCluster.Kubectl create = c.apply("g2", object("v2", "Gadget", "{name: g2}", "{endpoint: \"b:2\"}"));
    assertThat(create.code()).isNotZero();
    assertThat(create.out()).contains("conversion webhook for demo.keelson.io/v2, Kind=Gadget failed");
    assertThat(c.kubectl("get", "gadgets.v1.demo.keelson.io", "g2").out()).contains("NotFound");
  }

  @Test
  void aBrokenConversionIsRefusedWithKubesMessages() throws Exception {
    TestCluster.Kubectl r = c.apply("broken", """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: brokens.demo.keelson.io}
        spec:
          group: demo.keelson.io
          scope: Namespaced
          names: {plural: brokens, kind: Broken}
          conversion:
            strategy: Webhook
            webhook:
              conversionReviewVersions: [v3]
              clientConfig: {url: "http://user@example.com/convert?x=1"}
          versions:
          - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}
        """);
    assertThat(r.code()).isNotZero();
    assertThat(r.out()).contains("spec.conversion.webhookClientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme")
        .contains("spec.conversion.webhookClientConfig.url: Invalid value: \"user\": user information is not permitted in the URL")
        .contains("spec.conversion.webhookClientConfig.url: Invalid value: \"x=1\": query parameters are not permitted in the URL")
        .contains("spec.conversion.conversionReviewVersions: Invalid value: ")
        .contains("must include at least one of v1, v1beta1");

    TestCluster.Kubectl none = c.apply("none", """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: nones.demo.keelson.io}
        spec:
          group: demo.keelson.io
          scope: Namespaced
          names: {plural: nones, kind: None}
          conversion: {strategy: None, webhook: {clientConfig: {url: "https://example.com"}}}
          versions:
          - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}
        """);
    assertThat(none.out()).contains("spec.conversion.webhookClientConfig: Forbidden: should not be set when strategy is not set to Webhook");

    TestCluster.Kubectl missing = c.apply("missing", """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: missings.demo.keelson.io}
        spec:
          group: demo.keelson.io
          scope: Namespaced
          names: {plural: missings, kind: Missing}
          conversion: {strategy: Webhook}
          versions:
          - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}
        """);
    assertThat(missing.out()).contains("spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook")
        .contains("spec.conversion.conversionReviewVersions: Required value");

    TestCluster.Kubectl bogus = c.apply("bogus", """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: boguses.demo.keelson.io}
        spec:
          group: demo.keelson.io
          scope: Namespaced
          names: {plural: boguses, kind: Bogus}
          conversion: {strategy: Bogus}
          versions:
          - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}
        """);
    assertThat(bogus.out()).contains("spec.conversion.strategy: Unsupported value: \"Bogus\": supported values: \"None\", \"Webhook\"");

    // a service's port defaults to 443, as kube's defaulting says
    TestCluster.Kubectl service = c.apply("service", """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: services.demo.keelson.io}
        spec:
          group: demo.keelson.io
          scope: Namespaced
          names: {plural: services, kind: Service}
          conversion:
            strategy: Webhook
            webhook: {conversionReviewVersions: [v1], clientConfig: {service: {namespace: default, name: converter, path: /convert}}}
          versions:
          - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}
        """);
    assertThat(service.code()).as(service.out()).isZero();
    assertThat(ok("get", "crd", "services.demo.keelson.io", "-o", "jsonpath={.spec.conversion.webhook.clientConfig.service.port}"))
        .isEqualTo("443");
  }
}
