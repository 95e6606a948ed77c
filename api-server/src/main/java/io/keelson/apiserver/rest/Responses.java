package io.keelson.apiserver.rest;

import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Writing API responses: JSON bodies and Status errors, never a stack trace. */
public final class Responses {

  private Responses() {}

  public static void json(HttpServletResponse resp, int code, JsonNode body) throws IOException {
    json(resp, code, ObjectCodec.JSON.writeValueAsBytes(body));
  }

  /** A JSON body already encoded. */
  public static void json(HttpServletResponse resp, int code, byte[] b) throws IOException {
    resp.setStatus(code);
    resp.setContentType("application/json");
    resp.setContentLength(b.length);
    resp.getOutputStream().write(b);
  }

  public static void status(HttpServletResponse resp, StatusException e) {
    if (resp.isCommitted()) return;
    try {
      resp.reset();
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
