package io.keelson.apiserver.rest;

import io.keelson.apiserver.printing.TablePrinter;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Writing API responses: JSON bodies and Status errors, never a stack trace. */
public final class Responses {

  private Responses() {}

  public static void json(HttpServletResponse resp, int code, JsonNode body) throws IOException {
    json(resp, code, ObjectCodec.JSON.writeValueAsBytes(body));
  }

  /** A JSON body already encoded. */
  public static void json(HttpServletResponse resp, int code, byte[] b) throws IOException {
    io.keelson.apiserver.admission.AdmissionWarnings.writeTo(resp); // on answers and refusals alike, as kube-apiserver
    resp.setStatus(code);
    resp.setContentType("application/json");
    resp.setContentLength(b.length);
    resp.getOutputStream().write(b);
  }

  /**
   * A resource computed on request (never stored) serves get and list only: anything else, a
   * subresource or a watch is 405 naming {@code what} and the request.
   */
  public static void requireRead(ApiPath p, HttpServletRequest req, String what) {
    if (!"GET".equals(req.getMethod()) || p.subresource() != null || "true".equals(req.getParameter("watch"))) {
      throw StatusException.methodNotAllowed(what + " only serves get and list (" + req.getMethod() + " "
          + p.type().qualifiedResource() + ")");
    }
  }

  /**
   * Writes computed objects: a Table when kubectl asks for one, else the one object ({@code list}
   * false) or a {Kind}List of them, without a resourceVersion. Returns the HTTP code written.
   */
  public static int computed(HttpServletRequest req, HttpServletResponse resp, ResourceType type, List<ObjectNode> items,
      boolean list) throws IOException {
    if (TablePrinter.wantsTable(req.getHeader("Accept"))) {
      json(resp, 200, TablePrinter.table(type, items, "", null, false));
    } else if (!list) {
      json(resp, 200, items.get(0));
    } else {
      ObjectNode l = ObjectCodec.JSON.createObjectNode();
      l.put("kind", type.kind() + "List");
      l.put("apiVersion", type.apiVersion());
      l.putObject("metadata");
      ArrayNode arr = l.putArray("items");
      items.forEach(arr::add);
      json(resp, 200, l);
    }
    return 200;
  }

  public static void status(HttpServletResponse resp, StatusException e) {
    if (resp.isCommitted()) return;
    try {
      String auditId = resp.getHeader("Audit-Id");
      resp.reset();
      if (auditId != null) resp.setHeader("Audit-Id", auditId); // every answer names its audit event, errors too
      if (e.code() == 429) resp.setHeader("Retry-After", "1");
      json(resp, e.code(), e.toStatus());
    } catch (IOException | IllegalStateException ignored) {
      // client went away
    }
  }

  /** A success Status (e.g. for binding and eviction). */
  public static ObjectNode success(int code) {
    ObjectNode s = ObjectCodec.JSON.createObjectNode();
    s.put("kind", "Status");
    s.put("apiVersion", "v1");
    s.putObject("metadata");
    s.put("status", "Success");
    s.put("code", code);
    return s;
  }
}
