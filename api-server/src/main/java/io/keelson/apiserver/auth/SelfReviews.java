package io.keelson.apiserver.auth;

import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.rest.ApiController;
import io.keelson.apiserver.rest.ApiPath;
import io.keelson.apiserver.rest.Responses;
import io.keelson.apiserver.status.StatusException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The self-review APIs, computed per request and never stored, as in Kubernetes:
 * {@code authorization.k8s.io/v1} SelfSubjectAccessReview ({@code kubectl auth can-i VERB RESOURCE})
 * and SelfSubjectRulesReview ({@code kubectl auth can-i --list}), and {@code authentication.k8s.io/v1}
 * SelfSubjectReview ({@code kubectl auth whoami}), each about the caller; and SubjectAccessReview and
 * LocalSubjectAccessReview (the latter confined to its namespace), about the user and groups in their
 * spec. Each is create-only.
 */
public final class SelfReviews {

  private final Authorizer authorizer;

  public SelfReviews(Authorizer authorizer) {
    this.authorizer = authorizer;
  }

  /** Whether {@code t} is one of the review kinds this class answers. */
  public static boolean serves(ResourceType t) {
    return t.group().equals("authorization.k8s.io") || t.group().equals("authentication.k8s.io");
  }

  /** Answer a request on a review resource; returns the HTTP code written. */
  public int handle(ApiPath p, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    if (!"POST".equals(req.getMethod()) || p.name() != null || p.subresource() != null) {
      throw StatusException.methodNotAllowed("the server does not allow this method on the requested resource ("
          + req.getMethod() + " " + p.type().qualifiedResource() + "): reviews are only created");
    }
    ResourceType type = p.type();
    ObjectNode review = ApiController.readObject(req, type);
    review.put("kind", type.kind());
    review.put("apiVersion", type.apiVersion());
    if (type.kind().equals("LocalSubjectAccessReview")) localNamespace(type, review, p.namespace());
    requireEmptyMetadata(type, review);
    if (p.namespace() != null) ((ObjectNode) review.get("metadata")).put("namespace", p.namespace());
    UserInfo user = UserInfo.of(req);
    ObjectNode status = switch (type.kind()) {
      case "SelfSubjectAccessReview" -> accessReview(type, review, user);
      case "SubjectAccessReview", "LocalSubjectAccessReview" -> accessReview(type, review, subject(type, review));
      case "SelfSubjectRulesReview" -> rulesReview(review, user);
      case "SelfSubjectReview" -> whoami(review, user);
      default -> throw StatusException.notFound(type.qualifiedResource() + " is not served");
    };
    review.set("status", status);
    Responses.json(resp, 201, review);
    return 201;
  }

  /**
   * A LocalSubjectAccessReview is about its namespace only: its metadata may name only that one (taken
   * off here, so that the rest must be empty, and put back in the answer) and its resourceAttributes
   * the same; non-resource URLs are not a namespace's.
   */
  private static void localNamespace(ResourceType type, ObjectNode review, String namespace) {
    if (review.get("metadata") instanceof ObjectNode md && md.has("namespace")) {
      String ns = md.path("namespace").asString("");
      if (!ns.isEmpty() && !ns.equals(namespace)) {
        throw StatusException.badRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      md.remove("namespace");
    }
    JsonNode spec = review.path("spec");
    List<StatusException.Cause> causes = new java.util.ArrayList<>();
    if (spec.path("resourceAttributes").isObject() && !text(spec.path("resourceAttributes"), "namespace").equals(namespace)) {
      causes.add(new StatusException.Cause("FieldValueInvalid", "Invalid value: \"" + text(spec.path("resourceAttributes"), "namespace")
          + "\": must match metadata.namespace", "spec.resourceAttributes.namespace"));
    }
    if (spec.path("nonResourceAttributes").isObject()) {
      causes.add(new StatusException.Cause("FieldValueInvalid", "Invalid value: disallowed on this kind of request",
          "spec.nonResourceAttributes"));
    }
    if (!causes.isEmpty()) throw StatusException.invalid(type, "", causes);
  }

  /** The user a SubjectAccessReview asks about: exactly as its spec says (nothing added, as in kube). */
  private static UserInfo subject(ResourceType type, ObjectNode review) {
    JsonNode spec = review.path("spec");
    List<String> groups = new java.util.ArrayList<>();
    for (JsonNode g : spec.path("groups")) groups.add(g.asString(""));
    String user = text(spec, "user");
    if (user.isEmpty() && groups.isEmpty()) {
      throw StatusException.invalid(type, "", List.of(new StatusException.Cause("FieldValueInvalid",
          "Invalid value: \"\": at least one of user or group must be specified", "spec.user")));
    }
    return new UserInfo(user, text(spec, "uid"), List.copyOf(groups));
  }

  /** Kube's validation: a review names nobody, it is about the caller. */
  private static void requireEmptyMetadata(ResourceType type, ObjectNode review) {
    if (!(review.get("metadata") instanceof ObjectNode md)) {
      review.putObject("metadata");
      return;
    }
    for (var e : md.properties()) {
      if (!isZero(e.getValue())) {
        throw StatusException.invalid(type, md.path("name").asString(""), List.of(
            new StatusException.Cause("FieldValueInvalid", "Invalid value: must be empty", "metadata." + e.getKey())));
      }
    }
  }

  /** Go's zero value (what an empty ObjectMeta carries in protobuf): null, 0, "", false, {} or []. */
  private static boolean isZero(JsonNode v) {
    return v.isNull() || (v.isNumber() && v.asDouble() == 0) || (v.isString() && v.asString().isEmpty())
        || (v.isBoolean() && !v.asBoolean()) || ((v.isObject() || v.isArray()) && v.isEmpty());
  }

  private ObjectNode accessReview(ResourceType type, ObjectNode review, UserInfo user) {
    JsonNode spec = review.path("spec");
    JsonNode res = spec.get("resourceAttributes");
    JsonNode nonRes = spec.get("nonResourceAttributes");
    boolean hasRes = res != null && !res.isNull();
    boolean hasNonRes = nonRes != null && !nonRes.isNull();
    if (hasRes == hasNonRes) {
      throw StatusException.invalid(type, "", List.of(hasRes
          ? new StatusException.Cause("FieldValueInvalid", "Invalid value: cannot be specified in combination with resourceAttributes",
              "spec.nonResourceAttributes")
          : new StatusException.Cause("FieldValueInvalid",
              "Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified", "spec.resourceAttributes")));
    }
    Authorizer.Attributes attrs = hasRes
        ? new Authorizer.Attributes(text(res, "verb"), text(res, "group"), text(res, "resource"), text(res, "subresource"),
            text(res, "namespace"), text(res, "name"), null)
        : new Authorizer.Attributes(text(nonRes, "verb"), null, null, null, null, null, text(nonRes, "path"));
    Authorizer.Decision d = authorizer.authorize(user, attrs);
    ObjectNode status = review.objectNode();
    status.put("allowed", d.allowed());
    if (!d.reason().isEmpty()) status.put("reason", d.reason());
    return status;
  }

  private ObjectNode rulesReview(ObjectNode review, UserInfo user) {
    String namespace = text(review.path("spec"), "namespace");
    if (namespace.isEmpty()) throw StatusException.badRequest("no namespace on request: set spec.namespace");
    ObjectNode status = review.objectNode();
    ArrayNode resourceRules = status.putArray("resourceRules");
    ArrayNode nonResourceRules = status.putArray("nonResourceRules");
    for (Authorizer.Rule r : authorizer.rulesFor(user, namespace)) {
      ObjectNode rule = r.isNonResource() ? nonResourceRules.addObject() : resourceRules.addObject();
      strings(rule.putArray("verbs"), r.verbs());
      if (r.isNonResource()) {
        strings(rule.putArray("nonResourceURLs"), r.nonResourceURLs());
      } else {
        strings(rule.putArray("apiGroups"), r.apiGroups());
        strings(rule.putArray("resources"), r.resources());
        if (!r.resourceNames().isEmpty()) strings(rule.putArray("resourceNames"), r.resourceNames());
      }
    }
    status.put("incomplete", false);
    return status;
  }

  private static ObjectNode whoami(ObjectNode review, UserInfo user) {
    ObjectNode status = review.objectNode();
    ObjectNode info = status.putObject("userInfo");
    info.put("username", user.username());
    if (!user.uid().isEmpty()) info.put("uid", user.uid());
    strings(info.putArray("groups"), user.groups());
    return status;
  }

  private static void strings(ArrayNode into, List<String> values) {
    values.forEach(into::add);
  }

  private static String text(JsonNode n, String field) {
    return n.path(field).asString("");
  }
}
