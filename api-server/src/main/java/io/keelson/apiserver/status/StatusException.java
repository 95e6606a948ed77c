package io.keelson.apiserver.status;

import io.keelson.apiserver.resource.ResourceType;
import java.util.List;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A failed API request, carried to the client as a Kubernetes {@code Status} object. Everything that
 * rejects a request throws one of these; nothing else should ever reach the user.
 */
public class StatusException extends RuntimeException {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** One reason why an object is invalid, as in {@code details.causes}. */
  public record Cause(String reason, String message, String field) {
    public static Cause invalid(String field, String message) {
      return new Cause("FieldValueInvalid", message, field);
    }

    public static Cause required(String field) {
      return new Cause("FieldValueRequired", "Required value", field);
    }
  }

  private final int code;
  private final String reason;
  private final String detailsKind;
  private final String detailsGroup;
  private final String detailsName;
  private final List<Cause> causes;
  private final Integer retryAfterSeconds;

  public StatusException(int code, String reason, String message, ResourceType type, String name, List<Cause> causes) {
    this(code, reason, message, type == null ? null : type.resource(), type == null ? null : type.group(), name, causes, null);
  }

  public StatusException(int code, String reason, String message, String detailsKind, String detailsGroup,
      String detailsName, List<Cause> causes, Integer retryAfterSeconds) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.detailsKind = detailsKind;
    this.detailsGroup = detailsGroup;
    this.detailsName = detailsName;
    this.causes = causes == null ? List.of() : causes;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public int code() {
    return code;
  }

  public String reason() {
    return reason;
  }

  public List<Cause> causes() {
    return causes;
  }

  /** Several errors in one message as kube's utilerrors.NewAggregate prints them: one as itself, several as {@code [a, b]}. */
  public static String aggregate(List<String> errors) {
    return errors.size() == 1 ? errors.get(0) : "[" + String.join(", ", errors) + "]";
  }

  // ---- factories, named after the Status reasons kubectl branches on ----

  public static StatusException badRequest(String message) {
    return new StatusException(400, "BadRequest", message, null, null, List.of());
  }

  public static StatusException unauthorized() {
    return new StatusException(401, "Unauthorized", "Unauthorized", null, null, List.of());
  }

  public static StatusException forbidden(String message) {
    return new StatusException(403, "Forbidden", message, null, null, List.of());
  }

  /** kube's admission.NewForbidden: {@code pods "x" is forbidden: <why>}, the object named in details. */
  public static StatusException forbidden(ResourceType type, String name, String why) {
    return new StatusException(403, "Forbidden", type.qualifiedResource() + " \"" + name + "\" is forbidden: " + why, type, name, List.of());
  }

  public static StatusException notFound(ResourceType type, String name) {
    return new StatusException(404, "NotFound", type.qualifiedResource() + " \"" + name + "\" not found", type, name, List.of());
  }

  /**
   * A 404 naming no object (an unknown path or subresource). kube's carries an empty {@code details}
   * and kubectl reads it: {@code kubectl debug} tells a missing subresource from a missing pod by
   * {@code details.name == ""}, and dereferences {@code details} to do so.
   */
  public static StatusException notFound(String message) {
    return new StatusException(404, "NotFound", message, "", null, null, List.of(), null);
  }

  public static StatusException methodNotAllowed(String message) {
    return new StatusException(405, "MethodNotAllowed", message, null, null, List.of());
  }

  public static StatusException notAcceptable(String message) {
    return new StatusException(406, "NotAcceptable", message, null, null, List.of());
  }

  public static StatusException alreadyExists(ResourceType type, String name) {
    return new StatusException(409, "AlreadyExists", type.qualifiedResource() + " \"" + name + "\" already exists", type, name, List.of());
  }

  /** The optimistic-concurrency failure: the object changed since the client read it. */
  public static StatusException conflict(ResourceType type, String name, String why) {
    return new StatusException(409, "Conflict",
        "Operation cannot be fulfilled on " + type.qualifiedResource() + " \"" + name + "\": " + why, type, name, List.of());
  }

  /** The 409 of a write whose resourceVersion (precondition or guarded write) is no longer the object's. */
  public static StatusException modified(ResourceType type, String name) {
    return conflict(type, name, "the object has been modified; please apply your changes to the latest version and try again");
  }

  public static StatusException conflict(ResourceType type, String name, String message, List<Cause> causes) {
    return new StatusException(409, "Conflict", message, type, name, causes);
  }

  public static StatusException gone(String message) {
    return new StatusException(410, "Expired", message, null, null, List.of());
  }

  public static StatusException tooLarge(String message) {
    return new StatusException(413, "RequestEntityTooLarge", message, null, null, List.of());
  }

  /** 415 for a create or update body: the types Kubernetes lists for them. */
  public static StatusException unsupportedMediaType(String contentType) {
    return unsupportedMediaType(contentType, "application/json, application/yaml, application/vnd.kubernetes.protobuf");
  }

  /** 415 for a PATCH: the patch types (a plain application/json body is no patch). */
  public static StatusException unsupportedPatchType(String contentType, boolean applyToo) {
    return unsupportedMediaType(contentType, "application/json-patch+json, application/merge-patch+json, "
        + (applyToo ? "application/apply-patch+yaml, " : "") + "application/strategic-merge-patch+json");
  }

  /** 415 for a strategic merge patch of a custom resource: kube has no patch strategies for their untyped fields. */
  public static StatusException unsupportedCustomResourcePatchType(String contentType) {
    return unsupportedMediaType(contentType, "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
  }

  private static StatusException unsupportedMediaType(String contentType, String accepted) {
    return new StatusException(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media"
        + " types include: " + accepted + " (got " + contentType + ")", null, null, List.of());
  }

  /** 422: the object is well-formed but its values are wrong; one cause per bad field. */
  public static StatusException invalid(ResourceType type, String name, List<Cause> causes) {
    return invalid(type.kind(), type.group(), name, causes);
  }

  /** 422 for a kind that is not a served resource, e.g. ListOptions of group meta.k8s.io. */
  public static StatusException invalid(String kindName, String group, String name, List<Cause> causes) {
    String kind = qualifiedKind(kindName, group);
    StringBuilder msg = new StringBuilder(kind + " \"" + (name == null ? "" : name) + "\" is invalid: ");
    for (int i = 0; i < causes.size(); i++) {
      if (i > 0) msg.append(", ");
      Cause c = causes.get(i);
      msg.append(c.field() == null ? "" : c.field() + ": ").append(c.message());
    }
    if (causes.size() > 1) msg.insert(msg.indexOf(": ") + 2, "[").append("]");
    return new StatusException(422, "Invalid", msg.toString(), kindName, group, name, causes, null);
  }

  /** "Deployment.apps", or "Pod" for the core group: how Kubernetes names a kind in Invalid messages. */
  private static String qualifiedKind(String kind, String group) {
    return group.isEmpty() ? kind : kind + "." + group;
  }

  public static StatusException tooManyRequests(String message, int retryAfterSeconds) {
    return new StatusException(429, "TooManyRequests", message, null, null, null, List.of(), retryAfterSeconds);
  }

  public static StatusException internal(String message) {
    return new StatusException(500, "InternalError", message, null, null, List.of());
  }

  public static StatusException unavailable(String message) {
    return new StatusException(503, "ServiceUnavailable", message, null, null, List.of());
  }

  /**
   * This failure as the client of {@code served} should read it, when it was raised for
   * {@code stored} (a view's storage): names and details of the stored resource become the served
   * one's ({@code events "x" not found} → {@code events.events.k8s.io "x" not found}); fields of
   * causes are renamed by {@code fields} (stored name → served name of a top-level field).
   */
  public StatusException as(ResourceType stored, ResourceType served, java.util.Map<String, String> fields) {
    String msg = getMessage() == null ? "" : getMessage();
    String storedKind = qualifiedKind(stored.kind(), stored.group());
    String servedKind = qualifiedKind(served.kind(), served.group());
    msg = msg.replace(stored.qualifiedResource() + " \"", served.qualifiedResource() + " \"")
        .replace(storedKind + " \"", servedKind + " \"");
    List<Cause> renamed = new java.util.ArrayList<>();
    for (Cause c : causes) {
      String f = c.field();
      if (f != null) {
        int dot = f.indexOf('.');
        String head = dot < 0 ? f : f.substring(0, dot);
        if (fields.containsKey(head)) {
          String to = fields.get(head) + (dot < 0 ? "" : f.substring(dot));
          msg = msg.replace(f + ": ", to + ": ");
          f = to;
        }
      }
      renamed.add(new Cause(c.reason(), c.message(), f));
    }
    boolean ours = stored.resource().equals(detailsKind) || stored.kind().equals(detailsKind);
    String kind = !ours ? detailsKind : stored.kind().equals(detailsKind) ? served.kind() : served.resource();
    String group = ours ? served.group() : detailsGroup;
    StatusException e = new StatusException(code, reason, msg, kind, group, detailsName, renamed, retryAfterSeconds);
    e.setStackTrace(getStackTrace());
    return e;
  }

  /** The {@code Status} object sent to the client. */
  public ObjectNode toStatus() {
    ObjectNode s = JSON.createObjectNode();
    s.put("kind", "Status");
    s.put("apiVersion", "v1");
    s.putObject("metadata");
    s.put("status", "Failure");
    s.put("message", getMessage());
    if (reason != null) s.put("reason", reason); // a Status a REST handler returns (e.g. the eviction's 500) may have none
    if (detailsName != null || detailsKind != null || !causes.isEmpty() || retryAfterSeconds != null) {
      ObjectNode d = s.putObject("details");
      if (detailsName != null) d.put("name", detailsName);
      if (detailsGroup != null && !detailsGroup.isEmpty()) d.put("group", detailsGroup);
      if (detailsKind != null && !detailsKind.isEmpty()) d.put("kind", detailsKind);
      if (!causes.isEmpty()) {
        ArrayNode arr = d.putArray("causes");
        for (Cause c : causes) {
          ObjectNode cn = arr.addObject();
          if (c.reason() != null) cn.put("reason", c.reason());
          if (c.message() != null) cn.put("message", c.message());
          if (c.field() != null) cn.put("field", c.field());
        }
      }
      if (retryAfterSeconds != null) d.put("retryAfterSeconds", retryAfterSeconds);
    }
    s.put("code", code);
    return s;
  }
}
