package io.keelson.apiserver.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keelson.apiserver.auth.Authorizer;
import io.keelson.apiserver.auth.RequestAttributes;
import io.keelson.apiserver.auth.UserInfo;
import io.keelson.apiserver.status.StatusException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The audit.k8s.io/v1 Event lines an audited request writes, field by field as kube writes them. */
class AuditEventTest {

  static final JsonMapper JSON = JsonMapper.builder().build();

  final ByteArrayOutputStream log = new ByteArrayOutputStream();
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  Auditor auditor(String rules) {
    return new Auditor(AuditPolicy.parse("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n" + rules), new AuditLogBackend(log, meters));
  }

  List<JsonNode> lines(Auditor a) {
    a.close(); // writes what is queued
    List<JsonNode> out = new ArrayList<>();
    for (String l : log.toString(StandardCharsets.UTF_8).split("\n")) if (!l.isEmpty()) out.add(JSON.readTree(l));
    return out;
  }

  static MockHttpServletRequest request(String method, String uri, String query) {
    MockHttpServletRequest r = new MockHttpServletRequest(method, uri);
    r.setQueryString(query);
    r.setRemoteAddr("10.0.0.7");
    r.addHeader("User-Agent", "kubectl/v1.32.4");
    return r;
  }

  static Authorizer.Attributes attributes(MockHttpServletRequest r) {
    return RequestAttributes.of(r.getMethod(), r.getRequestURI(), r.getParameter("watch"), null);
  }

  @Test
  void aCreateAtRequestResponseLevel() throws Exception {
    Auditor a = auditor("- level: RequestResponse\n");
    MockHttpServletRequest req = request("POST", "/api/v1/namespaces/default/configmaps", "fieldManager=kubectl-create");
    req.setContentType("application/json");
    req.setContent("{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"c\"}}".getBytes(StandardCharsets.UTF_8));
    MockHttpServletResponse resp = new MockHttpServletResponse();
    AuditedRequest ev = a.begin(req, resp, UserInfo.ADMIN, attributes(req), false);
    ev.authorized(true, "");
    var handlerReq = ev.request(req);
    HttpServletResponse handlerResp = ev.response(resp);
    handlerReq.getInputStream().readAllBytes(); // the handler reads the body
    handlerResp.setStatus(201);
    handlerResp.getOutputStream().write("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"managedFields\":[]}}".getBytes(StandardCharsets.UTF_8));
    ev.complete(resp);

    List<JsonNode> events = lines(a);
    assertThat(events).extracting(e -> e.get("stage").asString()).containsExactly("RequestReceived", "ResponseComplete");
    JsonNode e = events.get(1);
    assertThat(JSON.writeValueAsString(e)).startsWith("{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"RequestResponse\",\"auditID\":");
    assertThat(e.get("auditID").asString()).isEqualTo(resp.getHeader("Audit-Id")).hasSize(36);
    assertThat(e.get("requestURI").asString()).isEqualTo("/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create");
    assertThat(e.get("verb").asString()).isEqualTo("create");
    assertThat(e.get("user").toString()).isEqualTo("{\"username\":\"keelson-admin\",\"groups\":[\"system:masters\",\"system:authenticated\"]}");
    assertThat(e.get("sourceIPs").toString()).isEqualTo("[\"10.0.0.7\"]");
    assertThat(e.get("userAgent").asString()).isEqualTo("kubectl/v1.32.4");
    assertThat(e.get("objectRef").toString()).as("the created object's name, from the body")
        .isEqualTo("{\"resource\":\"configmaps\",\"namespace\":\"default\",\"name\":\"c\",\"apiVersion\":\"v1\"}");
    assertThat(e.get("responseStatus").toString()).isEqualTo("{\"metadata\":{},\"code\":201}");
    assertThat(e.at("/requestObject/metadata/name").asString()).isEqualTo("c");
    assertThat(e.at("/responseObject/metadata").has("managedFields")).isTrue();
    assertThat(e.get("requestReceivedTimestamp").asString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z");
    assertThat(e.get("annotations").toString())
        .isEqualTo("{\"authorization.k8s.io/decision\":\"allow\",\"authorization.k8s.io/reason\":\"\"}");
    assertThat(events.get(0).has("responseStatus")).as("nothing answered yet").isFalse();
  }

  @Test
  void aForbiddenImpersonatedListAtMetadataLevel() throws Exception {
    Auditor a = auditor("- level: Metadata\n  omitStages: [RequestReceived]\n  omitManagedFields: true\n");
    MockHttpServletRequest req = request("GET", "/apis/apps/v1/namespaces/d/deployments", null);
    req.addHeader("Audit-ID", "my-own-id");
    req.addHeader("X-Forwarded-For", "192.0.2.1, 192.0.2.2");
    MockHttpServletResponse resp = new MockHttpServletResponse();
    AuditedRequest ev = a.begin(req, resp, UserInfo.ADMIN, attributes(req), false);
    ev.impersonating(new UserInfo("nobody", "u-1", List.of("system:authenticated")));
    ev.authorized(false, "");
    ev.answered(StatusException.forbidden("deployments.apps is forbidden: User \"nobody\" cannot list"));
    resp.setStatus(403);
    ev.complete(resp);

    List<JsonNode> events = lines(a);
    assertThat(events).hasSize(1);
    JsonNode e = events.get(0);
    assertThat(e.get("auditID").asString()).as("the client's Audit-ID").isEqualTo("my-own-id");
    assertThat(resp.getHeader("Audit-Id")).isEqualTo("my-own-id");
    assertThat(e.get("impersonatedUser").toString()).isEqualTo("{\"username\":\"nobody\",\"uid\":\"u-1\",\"groups\":[\"system:authenticated\"]}");
    assertThat(e.get("sourceIPs").toString()).isEqualTo("[\"192.0.2.1\",\"192.0.2.2\",\"10.0.0.7\"]");
    assertThat(e.get("objectRef").toString()).isEqualTo("{\"resource\":\"deployments\",\"namespace\":\"d\",\"apiGroup\":\"apps\",\"apiVersion\":\"v1\"}");
    assertThat(e.get("responseStatus").toString()).isEqualTo("{\"metadata\":{},\"status\":\"Failure\","
        + "\"message\":\"deployments.apps is forbidden: User \\\"nobody\\\" cannot list\",\"reason\":\"Forbidden\",\"code\":403}");
    assertThat(e.at("/annotations/authorization.k8s.io~1decision").asString()).isEqualTo("forbid");
    assertThat(e.has("requestObject") || e.has("responseObject")).as("Metadata level: no bodies").isFalse();
  }

  @Test
  void aCreateAtMetadataLevelNamesItsObjectButKeepsNoBody() throws Exception {
    Auditor a = auditor("- level: Metadata\n  omitStages: [RequestReceived]\n");
    MockHttpServletRequest req = request("POST", "/api/v1/namespaces/default/configmaps", null);
    req.setContentType("application/json");
    req.setContent("{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"m\"}}".getBytes(StandardCharsets.UTF_8));
    MockHttpServletResponse resp = new MockHttpServletResponse();
    AuditedRequest ev = a.begin(req, resp, UserInfo.ADMIN, attributes(req), false);
    assertThat(ev.request(req)).as("no copy of the body at Metadata level").isSameAs(req);
    // the create handler names the object it decoded
    AuditedRequest.creating(req, JSON.readTree(req.getContentAsByteArray()));
    resp.setStatus(201);
    ev.complete(resp);
    JsonNode e = lines(a).get(0);
    assertThat(e.at("/objectRef/name").asString()).isEqualTo("m");
    assertThat(e.has("requestObject")).isFalse();
  }

  @Test
  void aHandlersErrorStatusIsReadFromItsBody() throws Exception {
    Auditor a = auditor("- level: Metadata\n  omitStages: [RequestReceived]\n");
    MockHttpServletRequest req = request("GET", "/api/v1/namespaces/d/pods/gone", null);
    MockHttpServletResponse resp = new MockHttpServletResponse();
    AuditedRequest ev = a.begin(req, resp, UserInfo.ADMIN, attributes(req), false);
    HttpServletResponse r = ev.response(resp);
    r.setStatus(404);
    r.getOutputStream().write(StatusException.notFound("pods \"gone\" not found").toStatus().toString().getBytes(StandardCharsets.UTF_8));
    ev.complete(resp);
    JsonNode e = lines(a).get(0);
    assertThat(e.at("/responseStatus/message").asString()).isEqualTo("pods \"gone\" not found");
    assertThat(e.at("/responseStatus/code").asInt()).isEqualTo(404);
    assertThat(e.at("/objectRef/name").asString()).isEqualTo("gone");
  }

  @Test
  void aWatchLogsResponseStartedWhenItsFirstBytesGoOut() throws Exception {
    Auditor a = auditor("- level: Request\n  omitStages: [RequestReceived]\n");
    MockHttpServletRequest req = request("GET", "/api/v1/pods", "watch=true");
    req.addParameter("watch", "true");
    MockHttpServletResponse resp = new MockHttpServletResponse();
    AuditedRequest ev = a.begin(req, resp, UserInfo.ADMIN, attributes(req), true);
    HttpServletResponse r = ev.response(resp);
    r.setStatus(200);
    r.flushBuffer();
    r.getOutputStream().write("{\"type\":\"ADDED\"}\n".getBytes(StandardCharsets.UTF_8));
    ev.complete(resp);
    List<JsonNode> events = lines(a);
    assertThat(events).extracting(e -> e.get("stage").asString()).containsExactly("ResponseStarted", "ResponseComplete");
    assertThat(events).extracting(e -> e.get("verb").asString()).containsOnly("watch");
    assertThat(events.get(0).get("responseStatus").toString()).isEqualTo("{\"metadata\":{},\"code\":200}");
  }

  @Test
  void levelNoneLogsNothingButTheAuditIdIsSet() {
    Auditor a = auditor("- level: None\n");
    MockHttpServletRequest req = request("GET", "/api/v1/pods", null);
    MockHttpServletResponse resp = new MockHttpServletResponse();
    AuditedRequest ev = a.begin(req, resp, UserInfo.ADMIN, attributes(req), false);
    assertThat(ev.response(resp)).isSameAs(resp);
    ev.complete(resp);
    assertThat(lines(a)).isEmpty();
    assertThat(resp.getHeader("Audit-Id")).isNotBlank();
  }

  @Test
  void aFullQueueDropsAndCounts() {
    // a writer that never finishes its first write: the queue fills behind it
    var blocked = new java.util.concurrent.CountDownLatch(1);
    var writing = new java.util.concurrent.CountDownLatch(1);
    AuditLogBackend backend = new AuditLogBackend(new java.io.OutputStream() {
      @Override
      public void write(int b) {
        writing.countDown();
        try {
          blocked.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }, meters);
    var event = JSON.createObjectNode().put("kind", "Event");
    backend.process(event);
    await().atMost(java.time.Duration.ofSeconds(10)).until(() -> writing.getCount() == 0);
    for (int i = 0; i < AuditLogBackend.QUEUE + 10; i++) backend.process(event);
    assertThat(meters.get("apiserver_audit_error").tag("plugin", "log").counter().count()).isGreaterThanOrEqualTo(10);
    blocked.countDown();
    backend.close();
    assertThat(meters.get("apiserver_audit_event").counter().count()).isGreaterThanOrEqualTo(AuditLogBackend.QUEUE);
  }

  @Test
  void admissionAnnotatesTheEventOfTheRequestItsThreadServes() {
    Auditor a = auditor("- level: Metadata\n");
    MockHttpServletRequest req = request("DELETE", "/api/v1/namespaces/default/configmaps/c", null);
    MockHttpServletResponse resp = new MockHttpServletResponse();
    AuditedRequest ev = a.begin(req, resp, UserInfo.ADMIN, attributes(req), false);
    ev.authorized(true, "");
    AuditedRequest.annotate("validation.policy.admission.k8s.io/validation_failure", "[{\"message\":\"first\"}]");
    AuditedRequest.annotate("validation.policy.admission.k8s.io/validation_failure", "[{\"message\":\"second\"}]");
    resp.setStatus(200);
    ev.complete(resp);
    AuditedRequest.annotate("late/key", "after the request: no event to add it to");

    JsonNode e = lines(a).get(1);
    assertThat(e.get("annotations").toString()).isEqualTo("{\"authorization.k8s.io/decision\":\"allow\",\"authorization.k8s.io/reason\":\"\","
        + "\"validation.policy.admission.k8s.io/validation_failure\":\"[{\\\"message\\\":\\\"first\\\"}]\"}");
  }
}
