package io.keelson.apiserver.rest;

import io.keelson.apiserver.registry.DeleteOptions;
import io.keelson.apiserver.registry.ListOptions;
import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.selection.FieldSelector;
import io.keelson.apiserver.selection.LabelSelector;
import io.keelson.apiserver.status.StatusException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The generic Kubernetes REST endpoint: every verb on every resource of the registry, under
 * {@code /api/v1/...} and {@code /apis/<group>/<version>/...}. Endpoints with their own semantics
 * (discovery, logs, exec) are separate controllers with more specific mappings.
 */
@RestController
public class ApiController {

  private static final Logger log = LoggerFactory.getLogger(ApiController.class);

  /** Largest request body accepted, as in Kubernetes (3 MiB). */
  static final int MAX_BODY_BYTES = 3 * 1024 * 1024;

  private final ResourceService resources;
  private final RequestHandler handler;
  private final MeterRegistry meters;
  /** Asked before a 404 for an unknown resource: it may be a custom resource defined a moment ago. */
  @org.springframework.beans.factory.annotation.Autowired(required = false)
  private io.keelson.apiserver.apiextensions.CustomResourceRegistrar customResources;

  public ApiController(ResourceService resources, MeterRegistry meters, io.keelson.apiserver.metrics.MetricsApi metrics,
      io.keelson.apiserver.auth.ServiceAccountTokens tokens, io.keelson.apiserver.health.ComponentStatuses componentStatuses,
      io.keelson.apiserver.auth.Authorizer authorizer) {
    this.resources = resources;
    this.handler = new RequestHandler(resources, metrics, new io.keelson.apiserver.auth.TokenRequests(resources, tokens),
        componentStatuses, authorizer);
    this.meters = meters;
  }

  @RequestMapping("/api/v1/**")
  public void core(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    serve("", "v1", after(req, "/api/v1"), req, resp);
  }

  @RequestMapping("/apis/{group}/{version}/**")
  public void grouped(@PathVariable String group, @PathVariable String version, HttpServletRequest req,
      HttpServletResponse resp) throws IOException {
    serve(group, version, after(req, "/apis/" + group + "/" + version), req, resp);
  }

  /**
   * Serve a plain resource request without the MVC dispatcher (see {@link ApiFastPath}); false when
   * the path is not one this controller serves generically.
   */
  boolean serveDirect(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String[] p = ApiFastPath.resourcePath(req.getRequestURI());
    if (p == null) return false;
    serve(p[0], p[1], p[2], req, resp);
    return true;
  }

  private static String after(HttpServletRequest req, String prefix) {
    String uri = req.getRequestURI();
    String rest = uri.length() > prefix.length() ? uri.substring(prefix.length()) : "";
    if (rest.startsWith("/")) rest = rest.substring(1);
    if (rest.endsWith("/")) rest = rest.substring(0, rest.length() - 1);
    return rest;
  }

  private void serve(String group, String version, String rest, HttpServletRequest req, HttpServletResponse resp)
      throws IOException {
    long start = System.nanoTime();
    io.keelson.apiserver.admission.AdmissionWarnings.clear();
    String verb = req.getMethod();
    String resource = "unknown";
    int code = 500;
    try {
      ApiPath path = parse(group, version, rest);
      resource = path.type().resource() + (path.subresource() == null ? "" : "/" + path.subresource());
      verb = k8sVerb(req, path);
      code = handler.handle(path, req, resp);
    } catch (StatusException e) {
      code = e.code();
      Responses.status(resp, e);
    } catch (RuntimeException e) {
      log.error("unexpected error serving {} {}", req.getMethod(), req.getRequestURI(), e);
      code = 500;
      Responses.status(resp, StatusException.internal("an internal error occurred while serving this request; see the api-server log"));
    } finally {
      timer(verb, resource, code).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }

  private ApiPath parse(String group, String version, String rest) {
    try {
      return ApiPath.parse(group, version, rest);
    } catch (StatusException e) {
      if (e.code() != 404 || customResources == null || group.isEmpty()) throw e;
      customResources.awaitCurrent();
      return ApiPath.parse(group, version, rest);
    }
  }

  private final java.util.concurrent.ConcurrentHashMap<String, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();

  /** One timer per (verb, resource, code), built once: registering per request costs more than the request's own work. */
  private Timer timer(String verb, String resource, int code) {
    return timers.computeIfAbsent(verb + ' ' + resource + ' ' + code, k -> Timer.builder("apiserver_request_duration")
        .description("Kubernetes API requests by verb, resource and response code")
        .tag("verb", verb).tag("resource", resource).tag("code", Integer.toString(code))
        .register(meters));
  }

  private static String k8sVerb(HttpServletRequest req, ApiPath path) {
    String m = req.getMethod();
    boolean watch = "true".equals(req.getParameter("watch")) || "1".equals(req.getParameter("watch"));
    return switch (m) {
      case "GET" -> path.isCollection() ? (watch ? "WATCH" : "LIST") : "GET";
      case "POST" -> "CREATE";
      case "PUT" -> "UPDATE";
      case "PATCH" -> "PATCH";
      case "DELETE" -> path.isCollection() ? "DELETECOLLECTION" : "DELETE";
      default -> m;
    };
  }

  // ------------------------------------------------------------------ shared request parsing

  /** The list options of a request (labelSelector, fieldSelector, limit, continue, resourceVersion). */
  public static ListOptions listOptions(HttpServletRequest req, ResourceType type) {
    long limit = 0;
    String l = req.getParameter("limit");
    if (l != null && !l.isEmpty()) {
      try {
        limit = Long.parseLong(l);
      } catch (NumberFormatException e) {
        throw StatusException.badRequest("invalid limit \"" + l + "\": it must be an integer");
      }
    }
    String rv = req.getParameter("resourceVersion") == null ? "" : req.getParameter("resourceVersion");
    String match = req.getParameter("resourceVersionMatch") == null ? "" : req.getParameter("resourceVersionMatch");
    String cont = req.getParameter("continue");
    validateResourceVersionMatch(match, rv, cont, RequestHandler.isWatch(req), req.getParameter("sendInitialEvents"));
    return new ListOptions(LabelSelector.parse(req.getParameter("labelSelector")),
        FieldSelector.parse(req.getParameter("fieldSelector"), type), rv, Math.max(limit, 0), cont, match);
  }

  /**
   * kube's ListOptions rules for resourceVersionMatch and sendInitialEvents (422 ListOptions.meta.k8s.io,
   * one cause per broken rule). Watch-list streams (sendInitialEvents) are answered as by a kube-apiserver
   * without the WatchList feature, so that client-go falls back to list + watch.
   */
  private static void validateResourceVersionMatch(String match, String rv, String cont, boolean watch, String sendInitialEvents) {
    if (match.isEmpty() && sendInitialEvents == null) return;
    List<StatusException.Cause> causes = new ArrayList<>();
    if (watch) {
      if (sendInitialEvents != null) {
        causes.add(new StatusException.Cause("FieldValueForbidden",
            "Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled", "sendInitialEvents"));
      } else {
        causes.add(new StatusException.Cause("FieldValueForbidden",
            "Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided", "resourceVersionMatch"));
      }
    } else if (sendInitialEvents != null) {
      causes.add(new StatusException.Cause("FieldValueForbidden", "Forbidden: sendInitialEvents is forbidden for list", "sendInitialEvents"));
    }
    if (!watch && !match.isEmpty()) {
      if (rv.isEmpty()) {
        causes.add(new StatusException.Cause("FieldValueForbidden",
            "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided", "resourceVersionMatch"));
      }
      if (cont != null && !cont.isEmpty()) {
        causes.add(new StatusException.Cause("FieldValueForbidden",
            "Forbidden: resourceVersionMatch is forbidden when continue is provided", "resourceVersionMatch"));
      }
      if (!match.equals("Exact") && !match.equals("NotOlderThan")) {
        causes.add(new StatusException.Cause("FieldValueNotSupported",
            "Unsupported value: \"" + match + "\": supported values: \"Exact\", \"NotOlderThan\", \"\"", "resourceVersionMatch"));
      }
      if (match.equals("Exact") && rv.equals("0")) {
        causes.add(new StatusException.Cause("FieldValueForbidden",
            "Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"", "resourceVersionMatch"));
      }
    }
    if (!causes.isEmpty()) throw StatusException.invalid("ListOptions", "meta.k8s.io", "", causes);
  }

  /** The request's body as an object of {@code type} (JSON, YAML or protobuf; its kind and apiVersion checked). */
  public static ObjectNode readObject(HttpServletRequest req, ResourceType type) throws IOException {
    return Bodies.object(readBody(req), req.getContentType(), type);
  }

  static byte[] readBody(HttpServletRequest req) throws IOException {
    long length = req.getContentLengthLong();
    if (length > MAX_BODY_BYTES) throw tooLarge();
    try (InputStream in = req.getInputStream()) {
      if (length >= 0) {
        // Known length (the usual case): one array of that size, not readNBytes' 16 KiB chunks.
        byte[] b = new byte[(int) length];
        int n = in.readNBytes(b, 0, b.length);
        return n == b.length ? b : java.util.Arrays.copyOf(b, n);
      }
      byte[] b = in.readNBytes(MAX_BODY_BYTES + 1);
      if (b.length > MAX_BODY_BYTES) throw tooLarge();
      return b;
    }
  }

  private static StatusException tooLarge() {
    return StatusException.tooLarge("the request body is larger than the 3 MiB limit; split the object or move data out of it");
  }


  static DeleteOptions deleteOptions(HttpServletRequest req, JsonNode body) {
    Long grace = null;
    String g = req.getParameter("gracePeriodSeconds");
    if (g != null) {
      try {
        grace = Long.parseLong(g);
      } catch (NumberFormatException e) {
        throw StatusException.badRequest("invalid gracePeriodSeconds \"" + g + "\"");
      }
    }
    String policy = req.getParameter("propagationPolicy");
    String uid = null;
    String rv = null;
    boolean dry = "All".equals(req.getParameter("dryRun"));
    if (body != null && body.isObject()) {
      if (body.hasNonNull("gracePeriodSeconds")) grace = body.get("gracePeriodSeconds").asLong();
      if (body.hasNonNull("propagationPolicy")) policy = body.get("propagationPolicy").asString();
      if (body.path("orphanDependents").isBoolean() && policy == null) {
        policy = body.get("orphanDependents").asBoolean() ? "Orphan" : "Background";
      }
      JsonNode pre = body.path("preconditions");
      if (pre.hasNonNull("uid")) uid = pre.get("uid").asString();
      if (pre.hasNonNull("resourceVersion")) rv = pre.get("resourceVersion").asString();
      for (JsonNode d : body.path("dryRun")) dry |= "All".equals(d.asString());
    }
    if (policy != null && !List.of("Background", "Foreground", "Orphan").contains(policy)) {
      throw StatusException.badRequest("invalid propagationPolicy \"" + policy + "\": must be Background, Foreground or Orphan");
    }
    return new DeleteOptions(grace, policy, uid, rv, dry).by(io.keelson.apiserver.auth.UserInfo.of(req));
  }

  static WriteOptions writeOptions(HttpServletRequest req, String subresource) {
    String dry = req.getParameter("dryRun");
    if (dry != null && !dry.equals("All") && !dry.isEmpty()) {
      throw StatusException.badRequest("invalid dryRun \"" + dry + "\": the only supported value is All");
    }
    String manager = req.getParameter("fieldManager");
    if (manager == null || manager.isEmpty()) {
      String ua = req.getHeader("User-Agent");
      manager = ua == null ? "unknown" : ua.split("/")[0];
    }
    if (manager.length() > 128) throw StatusException.badRequest("fieldManager is longer than 128 characters");
    return new WriteOptions("All".equals(dry), manager, subresource).by(io.keelson.apiserver.auth.UserInfo.of(req));
  }
}
