package io.keelson.apiserver.rest;

import io.keelson.apiserver.admission.FieldValidation;
import io.keelson.apiserver.auth.Authorizer;
import io.keelson.apiserver.auth.SelfReviews;
import io.keelson.apiserver.patch.PatchApplier;
import io.keelson.apiserver.patch.ServerSideApply;
import io.keelson.apiserver.printing.TablePrinter;
import io.keelson.apiserver.printing.TablePrinter.IncludeObject;

import io.keelson.apiserver.registry.DeleteOptions;
import io.keelson.apiserver.registry.ListOptions;
import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import io.keelson.apiserver.watch.WatchEvent;
import io.keelson.apiserver.watch.Watcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** The verbs of the generic REST API, one method each, on a parsed {@link ApiPath}. */
final class RequestHandler {

  private static final long MAX_WATCH_SECONDS = 1800;
  private static final long BOOKMARK_EVERY_MS = 30_000;

  private final ResourceService svc;
  private final io.keelson.apiserver.metrics.MetricsApi metrics;
  private final SelfReviews reviews;
  private final io.keelson.apiserver.eviction.Evictions evictions;

  private final io.keelson.apiserver.auth.TokenRequests tokenRequests;

  private final io.keelson.apiserver.health.ComponentStatuses componentStatuses;

  RequestHandler(ResourceService svc, io.keelson.apiserver.metrics.MetricsApi metrics,
      io.keelson.apiserver.auth.TokenRequests tokenRequests, io.keelson.apiserver.health.ComponentStatuses componentStatuses,
      Authorizer authorizer) {
    this.svc = svc;
    this.reviews = new SelfReviews(authorizer);
    this.evictions = new io.keelson.apiserver.eviction.Evictions(svc);
    this.metrics = metrics;
    this.tokenRequests = tokenRequests;
    this.componentStatuses = componentStatuses;
  }

  /** Serve the request; returns the HTTP code written. */
  int handle(ApiPath p, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    if (io.keelson.apiserver.metrics.MetricsApi.serves(p.type())) return metrics.handle(p, req, resp); // computed, not stored
    if (SelfReviews.serves(p.type())) return reviews.handle(p, req, resp); // answered, not stored
    if (io.keelson.apiserver.health.ComponentStatuses.serves(p.type())) return componentStatuses.handle(p, req, resp); // probed, not stored
    String m = req.getMethod();
    String sub = p.subresource();
    if (p.isCollection()) {
      if ("binding".equals(sub)) {
        if (!m.equals("POST")) throw notAllowed(m, p);
        return binding(p, null, req, resp);
      }
      return switch (m) {
        case "GET" -> isWatch(req) ? watch(p, req, resp) : list(p, req, resp);
        case "POST" -> create(p, req, resp);
        case "DELETE" -> deleteCollection(p, req, resp);
        default -> throw notAllowed(m, p);
      };
    }
    // the latter: the pod (or a CSR's approval), in part writable
    if (sub == null || sub.equals("status") || sub.equals("ephemeralcontainers") || sub.equals("approval")) {
      return switch (m) {
        case "GET" -> get(p, req, resp);
        case "PUT" -> update(p, req, resp);
        case "PATCH" -> patch(p, req, resp);
        case "DELETE" -> {
          if (sub != null) throw notAllowed(m, p);
          yield delete(p, req, resp);
        }
        default -> throw notAllowed(m, p);
      };
    }
    return switch (sub) {
      case "scale" -> switch (m) {
        case "GET" -> send(resp, 200, Scale.of(p.type(), svc.get(p.type(), p.namespace(), p.name())));
        case "PUT", "PATCH" -> scale(p, req, resp);
        default -> throw notAllowed(m, p);
      };
      case "binding" -> {
        if (!m.equals("POST")) throw notAllowed(m, p);
        yield binding(p, p.name(), req, resp);
      }
      case "eviction" -> {
        if (!m.equals("POST")) throw notAllowed(m, p);
        yield eviction(p, req, resp);
      }
      case "token" -> { // serviceaccounts/NAME/token: kubectl create token
        if (!m.equals("POST")) throw notAllowed(m, p);
        JsonNode body = Bodies.parse(ApiController.readBody(req), req.getContentType());
        if (!(body instanceof ObjectNode request)) throw StatusException.badRequest("the request body must be a TokenRequest object");
        Bodies.checkKind(request, "TokenRequest", "authentication.k8s.io/v1");
        yield send(resp, 201, tokenRequests.create(p.namespace(), p.name(), request, io.keelson.apiserver.auth.UserInfo.of(req)));
      }
      case "finalize" -> {
        if (!m.equals("PUT")) throw notAllowed(m, p);
        ObjectNode body = Bodies.object(ApiController.readBody(req), req.getContentType(), p.type());
        yield send(resp, 200, svc.update(p.type(), p.namespace(), p.name(), body, ApiController.writeOptions(req, "finalize")));
      }
      default -> throw StatusException.notFound("the subresource " + sub + " is served by its own endpoint");
    };
  }

  private static StatusException notAllowed(String method, ApiPath p) {
    return StatusException.methodNotAllowed("the server does not allow this method on the requested resource ("
        + method + " " + p.type().resource() + (p.subresource() == null ? "" : "/" + p.subresource()) + ")");
  }

  static boolean isWatch(HttpServletRequest req) {
    String w = req.getParameter("watch");
    return "true".equals(w) || "1".equals(w);
  }

  // ------------------------------------------------------------------ reads

  private int get(ApiPath p, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    ObjectNode o = svc.get(p.type(), p.namespace(), p.name(), req.getParameter("resourceVersion"));
    if (TablePrinter.wantsTable(req.getHeader("Accept"))) {
      return send(resp, 200, TablePrinter.table(p.type(), List.of(o), o.path("metadata").path("resourceVersion").asString(),
          null, includeObject(req)));
    }
    return send(resp, 200, o);
  }

  private int list(ApiPath p, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    ListOptions opts = ApiController.listOptions(req, p.type());
    ResourceService.ListResult r = svc.list(p.type(), p.namespace(), opts);
    if (TablePrinter.wantsTable(req.getHeader("Accept"))) {
      ObjectNode table = TablePrinter.table(p.type(), r.items(), Long.toString(r.resourceVersion()),
          r.continueToken(), includeObject(req));
      if (r.remaining() != null) ResourceService.metadata(table).put("remainingItemCount", r.remaining());
      return send(resp, 200, table);
    }
    ObjectNode list = ObjectCodec.JSON.createObjectNode();
    list.put("kind", p.type().listKind());
    list.put("apiVersion", p.type().apiVersion());
    ObjectNode md = list.putObject("metadata");
    md.put("resourceVersion", Long.toString(r.resourceVersion()));
    if (r.continueToken() != null) md.put("continue", r.continueToken());
    if (r.remaining() != null) md.put("remainingItemCount", r.remaining());
    ArrayNode items = list.putArray("items");
    for (ObjectNode o : r.items()) items.add(o);
    return send(resp, 200, list);
  }

  private static IncludeObject includeObject(HttpServletRequest req) {
    return IncludeObject.parse(req.getParameter("includeObject"));
  }

  private int watch(ApiPath p, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    if ("websocket".equalsIgnoreCase(req.getHeader("Upgrade"))) {
      // Watches are served as chunked HTTP streams; clients such as fabric8 that try a WebSocket
      // watch first fall back to HTTP on a 503 answer to the upgrade.
      throw StatusException.unavailable("watches over WebSocket are not served; use a chunked HTTP watch");
    }
    ListOptions opts = ApiController.listOptions(req, p.type());
    long timeout = MAX_WATCH_SECONDS;
    String ts = req.getParameter("timeoutSeconds");
    if (ts != null) {
      try {
        timeout = Math.min(Math.max(Long.parseLong(ts), 0), MAX_WATCH_SECONDS);
      } catch (NumberFormatException e) {
        throw StatusException.badRequest("invalid timeoutSeconds \"" + ts + "\"");
      }
    }
    boolean table = TablePrinter.wantsTable(req.getHeader("Accept"));
    boolean bookmarks = "true".equals(req.getParameter("allowWatchBookmarks"));
    Watcher w;
    try {
      w = svc.watch(p.type(), p.namespace(), opts);
    } catch (StatusException e) {
      if (e.code() != 410) throw e;
      // Kubernetes answers a too-old watch with 200 and one ERROR event.
      resp.setStatus(200);
      resp.setContentType("application/json");
      OutputStream out = resp.getOutputStream();
      writeEvent(out, "ERROR", e.toStatus());
      out.flush();
      return 200;
    }
    try (w) {
      resp.setStatus(200);
      resp.setContentType("application/json");
      OutputStream out = resp.getOutputStream();
      out.flush();
      long deadline = System.currentTimeMillis() + timeout * 1000;
      long lastSent = System.currentTimeMillis();
      while (true) {
        if (System.currentTimeMillis() >= deadline) break;
        WatchEvent ev = w.next(bookmarks ? Math.min(deadline, lastSent + BOOKMARK_EVERY_MS) : deadline);
        if (ev == null) {
          if (bookmarks && System.currentTimeMillis() - lastSent >= BOOKMARK_EVERY_MS) {
            ObjectNode bm = ObjectCodec.JSON.createObjectNode();
            bm.put("kind", p.type().kind());
            bm.put("apiVersion", p.type().apiVersion());
            bm.putObject("metadata").put("resourceVersion", Long.toString(w.cacheRevision()));
            writeEvent(out, "BOOKMARK", bm);
            out.flush();
            lastSent = System.currentTimeMillis();
          }
          continue;
        }
        // Write this event and every one already queued behind it, then flush once (kube's watch
        // handler flushes only when its channel is empty): under load one TLS record and one
        // socket write carry several events, for this server and for the client reading them.
        // Tomcat's buffer still sends by itself whenever it fills.
        boolean end = false;
        for (; ev != null; ev = w.pollNow()) {
          if (Watcher.isEnd(ev)) {
            if (w.failure() != null) writeEvent(out, "ERROR", w.failure().toStatus());
            end = true;
            break;
          }
          if (table && ev.type() != WatchEvent.Type.ERROR) { // an ERROR event carries a Status, as it is
            writeEvent(out, ev.type().name(), TablePrinter.table(p.type(), List.of(ev.object()), Long.toString(ev.revision()),
                null, includeObject(req)));
          } else {
            writeEvent(out, ev.type().name(), ev.objectJson());
          }
        }
        out.flush();
        if (end) break;
        lastSent = System.currentTimeMillis();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // the client went away
    }
    return 200;
  }

  private static void writeEvent(OutputStream out, String type, JsonNode obj) throws IOException {
    writeEvent(out, type, ObjectCodec.JSON.writeValueAsBytes(obj));
  }

  private static void writeEvent(OutputStream out, String type, byte[] objectJson) throws IOException {
    byte[] head = EVENT_HEADS.get(type); // per watcher and event: no string building for the usual types
    out.write(head != null ? head : eventHead(type));
    out.write(objectJson);
    out.write(EVENT_TAIL);
  }

  private static byte[] eventHead(String type) {
    return ("{\"type\":\"" + type + "\",\"object\":").getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static final java.util.Map<String, byte[]> EVENT_HEADS = java.util.Map.of("ADDED", eventHead("ADDED"),
      "MODIFIED", eventHead("MODIFIED"), "DELETED", eventHead("DELETED"), "BOOKMARK", eventHead("BOOKMARK"), "ERROR", eventHead("ERROR"));
  private static final byte[] EVENT_TAIL = "}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  // ------------------------------------------------------------------ writes

  private int create(ApiPath p, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    ObjectNode body = Bodies.object(ApiController.readBody(req), req.getContentType(), p.type());
    io.keelson.apiserver.audit.AuditedRequest.creating(req, body);
    validateFields(p.type(), body, req, resp);
    // The parsed body is this request's own: no defensive copy.
    ResourceService.Written created = svc.createForResponse(p.type(), p.namespace(), body, ApiController.writeOptions(req, null));
    if (created.json() == null) return send(resp, 201, created.object()); // dry run: nothing stored
    Responses.json(resp, 201, created.json());
    return 201;
  }

  private int update(ApiPath p, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    ObjectNode body = Bodies.object(ApiController.readBody(req), req.getContentType(), p.type());
    validateFields(p.type(), body, req, resp);
    ResourceService.Written updated = svc.updateWritten(p.type(), p.namespace(), p.name(), body, ApiController.writeOptions(req, p.subresource()));
    // Written: the stored bytes with resourceVersion are the response (no second serialization).
    if (updated.json() == null) return send(resp, 200, updated.object());
    Responses.json(resp, 200, updated.json());
    return 200;
  }

  private int patch(ApiPath p, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    byte[] body = ApiController.readBody(req);
    String ct = Bodies.mediaType(req.getContentType());
    WriteOptions opts = ApiController.writeOptions(req, p.subresource());
    if (ct.equals("application/apply-patch+yaml")) return apply(p, body, req, resp, opts);
    if (!List.of("application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json")
        .contains(ct)) {
      throw StatusException.unsupportedPatchType(req.getContentType(), true);
    }
    if (ct.equals("application/strategic-merge-patch+json") && io.keelson.apiserver.resource.CustomResource.isCustom(p.type())) {
      throw StatusException.unsupportedCustomResourcePatchType(req.getContentType()); // kubectl then sends a merge patch
    }
    if (body.length == 0) throw StatusException.badRequest("the patch is empty");
    ObjectNode out = svc.mutate(p.type(), p.namespace(), p.name(), opts, current -> {
      long currentRv = ObjectCodec.resourceVersion(current);
      ObjectNode patched = PatchApplier.apply(ct, current, body, p.type());
      Bodies.checkKind(patched, p.type().kind(), p.type().apiVersion());
      checkIdentity(patched, p);
      // a resourceVersion the patch sets (kubectl label/annotate --resource-version) is a precondition, as in kube
      String rv = patched.path("metadata").path("resourceVersion").asString("");
      requireResourceVersion(p, currentRv, rv.isEmpty() ? 0 : ResourceService.parseRv(rv));
      validateFields(p.type(), patched, req, resp);
      return patched;
    });
    return send(resp, 200, out);
  }

  /**
   * A resourceVersion the client sent with a change is a precondition: the object must still be at
   * it (kube's 409 otherwise); 0 or none makes the change unconditional, as kube's update does.
   */
  private static void requireResourceVersion(ApiPath p, long current, long expected) {
    if (expected != 0 && expected != current) throw StatusException.modified(p.type(), p.name());
  }

  /** A patch may not rename or move the object (Kubernetes answers 400, as for a PUT). */
  private static void checkIdentity(ObjectNode patched, ApiPath p) {
    JsonNode md = patched.path("metadata");
    String name = md.path("name").asString("");
    if (!name.equals(p.name())) {
      throw StatusException.badRequest("the name of the object (" + name + ") does not match the name on the URL (" + p.name() + ")");
    }
    String ns = md.path("namespace").asString("");
    if (p.type().namespaced() && !ns.isEmpty() && !ns.equals(p.namespace())) {
      throw StatusException.badRequest("the namespace of the provided object (" + ns
          + ") does not match the namespace sent on the request (" + p.namespace() + ")");
    }
  }

  /** Server-side apply: create when missing, otherwise merge with field ownership. */
  private int apply(ApiPath p, byte[] body, HttpServletRequest req, HttpServletResponse resp, WriteOptions opts) throws IOException {
    String manager = req.getParameter("fieldManager");
    if (manager == null || manager.isEmpty()) {
      throw StatusException.badRequest("PATCH with application/apply-patch+yaml requires the fieldManager parameter");
    }
    boolean force = "true".equals(req.getParameter("force"));
    JsonNode n = Bodies.parse(body, "application/apply-patch+yaml");
    if (!(n instanceof ObjectNode applied)) throw StatusException.badRequest("the applied configuration must be an object");
    Bodies.checkKind(applied, p.type().kind(), p.type().apiVersion());
    String bodyName = applied.path("metadata").path("name").asString("");
    if (!bodyName.isEmpty() && !bodyName.equals(p.name())) {
      throw StatusException.badRequest("the name of the object (" + bodyName + ") does not match the name on the URL (" + p.name() + ")");
    }
    validateFields(p.type(), applied, req, resp);
    try {
      ObjectNode out = svc.mutate(p.type(), p.namespace(), p.name(), opts.asApply(),
          current -> ServerSideApply.apply(p.type(), current, applied, manager, force));
      return send(resp, 200, out);
    } catch (StatusException e) {
      if (e.code() != 404 || p.subresource() != null) throw e;
    }
    ObjectNode fresh = ServerSideApply.apply(p.type(), null, applied, manager, force);
    ResourceService.metadata(fresh).put("name", p.name());
    ObjectNode created = svc.create(p.type(), p.namespace(), fresh, new WriteOptions(opts.dryRun(), manager, null, true, opts.requester()));
    return send(resp, 201, created);
  }

  /** fieldValidation=Strict rejects unknown fields (400); Warn (the default) reports them in Warning headers. */
  private static void validateFields(ResourceType type, ObjectNode obj, HttpServletRequest req, HttpServletResponse resp) {
    String mode = req.getParameter("fieldValidation");
    if (mode == null || mode.isEmpty()) mode = "Warn";
    if (!List.of("Strict", "Warn", "Ignore").contains(mode)) {
      throw StatusException.badRequest("invalid fieldValidation \"" + mode + "\": must be Strict, Warn or Ignore");
    }
    FieldValidation.checkTypes(type, obj);
    if (mode.equals("Ignore")) {
      FieldValidation.removeUnknownFields(type, obj);
      return;
    }
    List<String> unknown = FieldValidation.unknownFields(type, obj);
    if (unknown.isEmpty()) return;
    if (mode.equals("Strict")) {
      List<String> msgs = new ArrayList<>();
      for (String u : unknown) msgs.add("unknown field \"" + (u.startsWith(".") ? u.substring(1) : u) + "\"");
      throw StatusException.badRequest("strict decoding error: " + String.join(", ", msgs));
    }
    FieldValidation.removeUnknownFields(type, obj);
    for (String u : unknown) resp.addHeader("Warning", "299 - \"unknown field \\\"" + (u.startsWith(".") ? u.substring(1) : u) + "\\\"\"");
  }

  private int delete(ApiPath p, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    byte[] body = ApiController.readBody(req);
    JsonNode opts = deleteBody(body, req.getContentType());
    DeleteOptions d = ApiController.deleteOptions(req, opts);
    ResourceService.DeleteResult r = svc.delete(p.type(), p.namespace(), p.name(), d);
    return send(resp, r.gone() ? 200 : 202, r.object());
  }

  /** DeleteOptions arrive as JSON, or as protobuf from typed clients. */
  private static JsonNode deleteBody(byte[] body, String contentType) {
    if (body.length == 0) return null;
    return Bodies.parse(body, contentType);
  }

  private int deleteCollection(ApiPath p, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    JsonNode body = deleteBody(ApiController.readBody(req), req.getContentType());
    DeleteOptions d = ApiController.deleteOptions(req, body);
    ListOptions opts = ApiController.listOptions(req, p.type());
    ResourceService.ListResult r = svc.list(p.type(), p.namespace(),
        new ListOptions(opts.labels(), opts.fields(), "", 0, null));
    ObjectNode list = ObjectCodec.JSON.createObjectNode();
    list.put("kind", p.type().listKind());
    list.put("apiVersion", p.type().apiVersion());
    list.putObject("metadata");
    ArrayNode items = list.putArray("items");
    for (ObjectNode o : r.items()) {
      try {
        items.add(svc.delete(p.type(), o.path("metadata").path("namespace").asString(null),
            o.path("metadata").path("name").asString(), d).object());
      } catch (StatusException e) {
        if (e.code() != 404) throw e;
      }
    }
    return send(resp, 200, list);
  }

  private int scale(ApiPath p, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    byte[] body = ApiController.readBody(req);
    String ct = Bodies.mediaType(req.getContentType());
    WriteOptions opts = ApiController.writeOptions(req, null);
    ObjectNode out;
    if (req.getMethod().equals("PUT")) {
      ObjectNode scale = Bodies.object(body, req.getContentType(), Scale.TYPE);
      String rv = scale.path("metadata").path("resourceVersion").asString("");
      long expected = rv.isEmpty() ? 0 : Long.parseLong(rv);
      out = svc.mutate(p.type(), p.namespace(), p.name(), opts, current -> {
        requireResourceVersion(p, ObjectCodec.resourceVersion(current), expected);
        return Scale.applyTo(p.type(), current, scale);
      });
    } else {
      if (ct.equals("application/apply-patch+yaml")) throw StatusException.unsupportedPatchType(req.getContentType(), false);
      out = svc.mutate(p.type(), p.namespace(), p.name(), opts, current -> {
        ObjectNode scale = Scale.of(p.type(), current);
        ObjectNode patched = PatchApplier.apply(ct, scale, body, Scale.TYPE);
        return Scale.applyTo(p.type(), current, patched);
      });
    }
    return send(resp, 200, Scale.of(p.type(), out));
  }

  private int binding(ApiPath p, String podName, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    JsonNode b = Bodies.parse(ApiController.readBody(req), req.getContentType());
    if (!(b instanceof ObjectNode binding)) throw StatusException.badRequest("the body must be a Binding object");
    String name = podName != null ? podName : binding.path("metadata").path("name").asString("");
    if (podName != null && binding.path("metadata").hasNonNull("name") && !podName.equals(binding.path("metadata").path("name").asString())) {
      throw StatusException.badRequest("the name of the binding (" + binding.path("metadata").path("name").asString()
          + ") does not match the pod name on the URL (" + podName + ")");
    }
    String node = binding.path("target").path("name").asString("");
    if (name.isEmpty() || node.isEmpty()) {
      throw StatusException.badRequest("a Binding needs metadata.name (the pod) and target.name (the node)");
    }
    JsonNode bmd = binding.path("metadata");
    Map<String, String> annotations = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : bmd.path("annotations").properties()) annotations.put(e.getKey(), e.getValue().asString(""));
    // kube's BindingREST: a storage update of the pod (nodeName, annotations, PodScheduled), with the
    // binding's uid and resourceVersion as preconditions; the pod's field managers are not involved.
    WriteOptions bindOpts = ApiController.writeOptions(req, "binding");
    svc.admitSubresourceCreate(p.type(), "binding", p.namespace(), name, binding, bindOpts.dryRun(), bindOpts.requester());
    svc.bind(p.type(), p.namespace(), new ResourceService.PodBinding(name, node, textOrNull(bmd.get("uid")),
        textOrNull(bmd.get("resourceVersion")), annotations), bindOpts.dryRun());
    return send(resp, 201, Responses.success(201));
  }

  private static String textOrNull(JsonNode n) {
    return n == null || n.isNull() ? null : n.asString("");
  }

  private int eviction(ApiPath p, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    byte[] body = ApiController.readBody(req);
    JsonNode ev = body.length == 0 ? null : Bodies.parse(body, req.getContentType());
    String named = ev == null ? "" : ev.path("metadata").path("name").asString("");
    if (!named.isEmpty() && !named.equals(p.name())) throw StatusException.badRequest("name in URL does not match name in Eviction object");
    JsonNode opts = ev == null ? null : ev.path("deleteOptions");
    DeleteOptions d = ApiController.deleteOptions(req, opts == null || opts.isMissingNode() ? null : opts);
    ObjectNode eviction = ev instanceof ObjectNode o ? o : ObjectCodec.JSON.createObjectNode().put("apiVersion", "policy/v1").put("kind", "Eviction");
    svc.admitSubresourceCreate(p.type(), "eviction", p.namespace(), p.name(), eviction, d.dryRun(), d.requester());
    evictions.evict(p.type(), p.namespace(), p.name(), d);
    return send(resp, 201, Responses.success(201));
  }

  private static int send(HttpServletResponse resp, int code, JsonNode body) throws IOException {
    Responses.json(resp, code, body);
    return code;
  }
}
