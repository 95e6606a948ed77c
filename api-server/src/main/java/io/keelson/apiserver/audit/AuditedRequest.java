package io.keelson.apiserver.audit;

import io.keelson.apiserver.auth.Authorizer;
import io.keelson.apiserver.auth.UserInfo;
import io.keelson.apiserver.rest.Bodies;
import io.keelson.apiserver.status.StatusException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.web.util.ContentCachingRequestWrapper;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One request's audit event (audit.k8s.io/v1 Event) as it goes through the stages the policy keeps:
 * what authentication, impersonation and authorization learned is added as they happen, and each
 * stage writes the event as it then is.
 */
public class AuditedRequest {

  /** A request the policy does not log (level None, or auditing off). */
  static final AuditedRequest NOT_LOGGED = new AuditedRequest();

  /** The logged request the current thread serves, for admission's annotations (admission runs on that thread). */
  private static final ThreadLocal<AuditedRequest> SERVING = new ThreadLocal<>();

  static final String DECISION = "authorization.k8s.io/decision";
  static final String REASON = "authorization.k8s.io/reason";
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final DateTimeFormatter MICRO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
      .withZone(ZoneOffset.UTC);

  private final AuditLogBackend backend;
  private final AuditPolicy.Decision policy;
  private final String auditId;
  private final Instant received;
  private final String requestURI;
  private final Authorizer.Attributes attributes;
  private final UserInfo user;
  private final HttpServletRequest req;
  private final boolean longRunning;
  private UserInfo impersonated;
  private final Map<String, String> annotations = new LinkedHashMap<>();
  private StatusException answered;
  private ContentCachingRequestWrapper body;
  private JsonNode requestObject;
  private AuditedResponse response;
  private boolean started;

  private AuditedRequest() {
    this(null, null, null, null, null, null, false, null);
  }

  AuditedRequest(AuditLogBackend backend, AuditPolicy.Decision policy, String auditId, HttpServletRequest req, UserInfo user,
      Authorizer.Attributes attributes, boolean longRunning, Instant received) {
    this.backend = backend;
    this.policy = policy;
    this.auditId = auditId;
    this.req = req;
    this.user = user;
    this.attributes = attributes;
    this.longRunning = longRunning;
    this.received = received;
    this.requestURI = req == null ? null : req.getQueryString() == null ? req.getRequestURI() : req.getRequestURI() + "?" + req.getQueryString();
  }

  private boolean logged() {
    return backend != null;
  }

  /** The request attribute by which a create's handler names the object it decoded: see {@link #creating}. */
  private static final String CREATED_NAME = AuditedRequest.class.getName() + ".createdName";

  /**
   * A create's handler tells the audit event the name in the object it decoded, as kube's handlers set
   * objectRef.name from the object: the name is not in the URL, and at level Metadata the event keeps no
   * copy of the body to read it from (parsing the body a second time for it cost creates ~15 % more CPU).
   */
  public static void creating(HttpServletRequest req, JsonNode object) {
    String name = object == null ? "" : object.path("metadata").path("name").asString("");
    if (!name.isEmpty()) req.setAttribute(CREATED_NAME, name);
  }

  /** The request to hand on: one that keeps a copy of the body read, at level Request and above. */
  public HttpServletRequest request(HttpServletRequest r) {
    if (!logged() || r.getContentLengthLong() == 0 || !policy.level().atLeast(AuditLevel.Request)) return r;
    body = new ContentCachingRequestWrapper(r, AuditedResponse.MAX_COPY);
    return body;
  }

  /** The body the handler read, as JSON; null before it is read or when it is not an object. */
  private JsonNode requestObject() {
    if (body == null) return null;
    if (requestObject == null) requestObject = requestObject(body.getContentAsByteArray(), req.getContentType());
    return requestObject;
  }

  /** The response to hand on: one that reports its start and keeps what the event needs of its body. */
  public HttpServletResponse response(HttpServletResponse r) {
    if (!logged()) return r;
    response = new AuditedResponse(r, policy.level().atLeast(AuditLevel.RequestResponse) && !longRunning, () -> {
      if (longRunning) started(r.getStatus());
    });
    return response;
  }

  public void impersonating(UserInfo as) {
    if (!logged()) return;
    impersonated = as;
  }

  /**
   * Adds an annotation to the audit event of the request the current thread serves, when it is
   * logged (kube's admission.Attributes.AddAnnotation: what ValidatingAdmissionPolicies record); a
   * key already set keeps its first value, as kube refuses to overwrite one.
   */
  public static void annotate(String key, String value) {
    AuditedRequest r = SERVING.get();
    if (r != null) r.annotations.putIfAbsent(key, value);
  }

  /** {@code r} is the request this thread serves from now on (NOT_LOGGED: none). */
  static void serving(AuditedRequest r) {
    if (r.logged()) SERVING.set(r);
    else SERVING.remove();
  }

  /** Authorization's answer, as kube's authorization filter annotates it. */
  public void authorized(boolean allowed, String reason) {
    if (!logged()) return;
    annotations.put(DECISION, allowed ? "allow" : "forbid");
    annotations.put(REASON, reason == null ? "" : reason);
  }

  /** The filter itself answered with this error (401, 403, 429). */
  public void answered(StatusException e) {
    if (!logged()) return;
    answered = e;
  }

  void received() {
    if (policy.logs(AuditStage.RequestReceived)) backend.process(event(AuditStage.RequestReceived, null, Instant.now()));
  }

  private void started(int code) {
    if (started) return;
    started = true;
    if (policy.logs(AuditStage.ResponseStarted)) backend.process(event(AuditStage.ResponseStarted, status(code, null), Instant.now()));
  }

  /** The response is done: the ResponseComplete event (after ResponseStarted for a long-running one). */
  public void complete(HttpServletResponse r) {
    if (!logged()) return;
    SERVING.remove();
    if (response != null) response.finish();
    int code = r.getStatus();
    if (longRunning) started(code);
    if (!policy.logs(AuditStage.ResponseComplete)) return;
    ObjectNode status = status(code, response == null ? null : response.body());
    backend.process(event(AuditStage.ResponseComplete, status, Instant.now()));
  }

  /** Handling threw: the Panic stage, code 500, as kube records a panicking handler. */
  public void panic(Throwable t) {
    if (!logged()) return;
    SERVING.remove();
    if (!policy.logs(AuditStage.Panic)) return;
    ObjectNode status = JSON.createObjectNode();
    status.putObject("metadata");
    status.put("status", "Failure");
    status.put("message", "APIServer panic'd: " + t);
    status.put("reason", "InternalError");
    status.put("code", 500);
    backend.process(event(AuditStage.Panic, status, Instant.now()));
  }

  /** responseStatus: the code, and for an error the Status' status, message, reason and details. */
  private ObjectNode status(int code, byte[] body) {
    ObjectNode s = JSON.createObjectNode();
    s.putObject("metadata");
    JsonNode err = null;
    if (answered != null) err = answered.toStatus();
    else if (code >= 400 && body != null) err = parse(body);
    if (err != null && "Status".equals(err.path("kind").asString(""))) {
      for (String f : new String[] {"status", "message", "reason", "details"}) if (err.has(f)) s.set(f, err.get(f));
      if (err.path("code").isNumber()) code = err.path("code").asInt();
    }
    s.put("code", code);
    return s;
  }

  private ObjectNode event(AuditStage stage, ObjectNode responseStatus, Instant now) {
    ObjectNode e = JSON.createObjectNode();
    e.put("kind", "Event");
    e.put("apiVersion", "audit.k8s.io/v1");
    e.put("level", policy.level().name());
    e.put("auditID", auditId);
    e.put("stage", stage.name());
    e.put("requestURI", requestURI);
    e.put("verb", attributes.verb());
    e.set("user", user(user));
    if (impersonated != null) e.set("impersonatedUser", user(impersonated));
    ArrayNode ips = e.putArray("sourceIPs");
    String forwarded = req.getHeader("X-Forwarded-For");
    if (forwarded != null) for (String ip : forwarded.split(",")) if (!ip.isBlank()) ips.add(ip.trim());
    ips.add(req.getRemoteAddr());
    String agent = req.getHeader("User-Agent");
    if (agent != null) e.put("userAgent", agent);
    if (attributes.resourceRequest()) e.set("objectRef", objectRef());
    if (responseStatus != null) e.set("responseStatus", responseStatus);
    if (stage != AuditStage.RequestReceived && policy.level().atLeast(AuditLevel.Request)) {
      JsonNode o = requestObject();
      if (o != null) e.set("requestObject", withoutManagedFields(o));
    }
    if (stage == AuditStage.ResponseComplete && response != null && policy.level().atLeast(AuditLevel.RequestResponse)) {
      byte[] b = response.body();
      JsonNode o = b == null ? null : parse(b);
      if (o != null) e.set("responseObject", withoutManagedFields(o));
    }
    e.put("requestReceivedTimestamp", MICRO.format(received));
    e.put("stageTimestamp", MICRO.format(now));
    if (!annotations.isEmpty()) {
      ObjectNode a = e.putObject("annotations");
      annotations.forEach(a::put);
    }
    return e;
  }

  private ObjectNode objectRef() {
    ObjectNode o = JSON.createObjectNode();
    o.put("resource", attributes.resource());
    if (notEmpty(attributes.namespace())) o.put("namespace", attributes.namespace());
    String name = attributes.name();
    if (!notEmpty(name) && req.getAttribute(CREATED_NAME) instanceof String created) name = created;
    if (!notEmpty(name) && requestObject() != null) name = requestObject().at("/metadata/name").asString("");
    if (notEmpty(name)) o.put("name", name);
    if (notEmpty(attributes.group())) o.put("apiGroup", attributes.group());
    String version = apiVersion(req.getRequestURI());
    if (version != null) o.put("apiVersion", version);
    if (notEmpty(attributes.subresource())) o.put("subresource", attributes.subresource());
    return o;
  }

  /** The version segment of {@code /api/VERSION/...} or {@code /apis/GROUP/VERSION/...}. */
  static String apiVersion(String path) {
    String[] p = path.split("/");
    if (p.length > 2 && p[1].equals("api")) return p[2];
    if (p.length > 3 && p[1].equals("apis")) return p[3];
    return null;
  }

  private JsonNode withoutManagedFields(JsonNode o) {
    if (!policy.omitManagedFields() || !(o instanceof ObjectNode obj)) return o;
    if (obj.path("metadata") instanceof ObjectNode m) m.remove("managedFields");
    for (JsonNode item : obj.path("items")) if (item.path("metadata") instanceof ObjectNode m) m.remove("managedFields");
    return obj;
  }

  private static ObjectNode user(UserInfo u) {
    ObjectNode o = JSON.createObjectNode();
    if (notEmpty(u.username())) o.put("username", u.username()); // {} for a request that failed authentication, as kube logs it
    if (notEmpty(u.uid())) o.put("uid", u.uid());
    if (!u.groups().isEmpty()) {
      ArrayNode g = o.putArray("groups");
      u.groups().forEach(g::add);
    }
    return o;
  }

  /** The request's body as JSON, whatever it was sent as (kubectl's create sends protobuf); null if unreadable. */
  private static JsonNode requestObject(byte[] b, String contentType) {
    if (b.length == 0 || b.length >= AuditedResponse.MAX_COPY) return null;
    try {
      return Bodies.parse(b, contentType == null ? "application/json" : contentType);
    } catch (StatusException e) {
      return null;
    }
  }

  /** A JSON object, or null for other bodies (a cut-off copy, text). */
  private static JsonNode parse(byte[] b) {
    if (b == null || b.length == 0 || (b[0] != '{' && b[0] != '[')) return null;
    try {
      return JSON.readTree(b);
    } catch (JacksonException e) {
      return null;
    }
  }

  private static boolean notEmpty(String s) {
    return s != null && !s.isEmpty();
  }
}
