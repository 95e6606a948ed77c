package io.keelson.apiserver.openapi;

import io.keelson.apiserver.discovery.ApiDiscovery;
import io.keelson.apiserver.resource.ResourceType;
import java.util.List;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The OpenAPI operation objects of one resource. Their {@code x-kubernetes-group-version-kind} and
 * parameters are what kubectl reads: {@code explain} finds a kind through its paths, and {@code apply}
 * only sends {@code fieldValidation=Strict} if every patch operation of the kind lists that parameter.
 */
final class Operations {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final List<String> PATCH_TYPES = List.of("application/json-patch+json",
      "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml");

  private final ResourceType type;
  private final String kindDef;
  private final String listDef;
  private final String scope;

  Operations(ResourceType type, String kindDef, String listDef) {
    this.type = type;
    this.kindDef = kindDef;
    this.listDef = listDef;
    this.scope = type.namespaced() ? "Namespaced" : "";
  }

  ObjectNode list(boolean namespaced) {
    ObjectNode op = op("list", "list" + (namespaced ? "Namespaced" : "") + type.kind(),
        "list or watch objects of kind " + type.kind(), type.group(), type.version(), type.kind());
    listParams((ArrayNode) op.get("parameters"));
    op.set("responses", responses("200", listDef == null ? null : listDef, true));
    return op;
  }

  ObjectNode listAllNamespaces() {
    ObjectNode op = op("list", "list" + type.kind() + "ForAllNamespaces",
        "list or watch objects of kind " + type.kind(), type.group(), type.version(), type.kind());
    listParams((ArrayNode) op.get("parameters"));
    op.set("responses", responses("200", listDef, true));
    return op;
  }

  ObjectNode create() {
    ObjectNode op = op("post", "create" + scope + type.kind(), "create " + article(type.kind()),
        type.group(), type.version(), type.kind());
    writeParams((ArrayNode) op.get("parameters"), false);
    op.set("requestBody", body(kindDef));
    ObjectNode r = responses("200", kindDef, false);
    r.set("201", response(kindDef, "Created"));
    r.set("202", response(kindDef, "Accepted"));
    op.set("responses", r);
    return op;
  }

  ObjectNode read() {
    ObjectNode op = op("get", "read" + scope + type.kind(), "read the specified " + type.kind(),
        type.group(), type.version(), type.kind());
    op.set("responses", responses("200", kindDef, false));
    return op;
  }

  ObjectNode readSub(String def, ApiDiscovery.Subresource sub, String suffix) {
    ObjectNode op = op("get", "read" + scope + type.kind() + suffix, "read " + sub.name() + " of the specified "
        + type.kind(), sub.group(), sub.version(), sub.kind());
    op.set("responses", responses("200", def, false));
    return op;
  }

  ObjectNode replace(String def, String group, String version, String kind, String suffix) {
    ObjectNode op = op("put", "replace" + scope + type.kind() + suffix,
        "replace " + (suffix.isEmpty() ? "" : suffix.toLowerCase(java.util.Locale.ROOT) + " of ") + "the specified "
            + type.kind(), group, version, kind);
    writeParams((ArrayNode) op.get("parameters"), false);
    op.set("requestBody", body(def));
    ObjectNode r = responses("200", def, false);
    r.set("201", response(def, "Created"));
    op.set("responses", r);
    return op;
  }

  ObjectNode patch(String def, String group, String version, String kind, String suffix) {
    ObjectNode op = op("patch", "patch" + scope + type.kind() + suffix,
        "partially update " + (suffix.isEmpty() ? "" : suffix.toLowerCase(java.util.Locale.ROOT) + " of ")
            + "the specified " + type.kind(), group, version, kind);
    writeParams((ArrayNode) op.get("parameters"), true);
    ObjectNode rb = NODES.objectNode();
    ObjectNode content = rb.putObject("content");
    for (String mt : PATCH_TYPES) {
      // custom resources take no strategic merge patch: without it listed, kubectl's apply sends a merge patch
      if (mt.contains("strategic") && io.keelson.apiserver.resource.CustomResource.isCustom(type)) continue;
      content.putObject(mt).set("schema", ref(SchemaNames.PATCH));
    }
    rb.put("required", true);
    op.set("requestBody", rb);
    ObjectNode r = responses("200", def, false);
    r.set("201", response(def, "Created"));
    op.set("responses", r);
    return op;
  }

  ObjectNode createSub(String def, ApiDiscovery.Subresource sub, String suffix) {
    ObjectNode op = op("post", "create" + scope + type.kind() + suffix, "create " + sub.name() + " of "
        + article(type.kind()), sub.group(), sub.version(), sub.kind());
    writeParams((ArrayNode) op.get("parameters"), false);
    op.set("requestBody", body(def));
    ObjectNode r = responses("200", def, false);
    r.set("201", response(def, "Created"));
    r.set("202", response(def, "Accepted"));
    op.set("responses", r);
    return op;
  }

  ObjectNode delete() {
    ObjectNode op = op("delete", "delete" + scope + type.kind(), "delete " + article(type.kind()),
        type.group(), type.version(), type.kind());
    deleteParams((ArrayNode) op.get("parameters"));
    op.set("requestBody", body(SchemaNames.META + "DeleteOptions"));
    ObjectNode r = responses("200", kindDef, false);
    r.set("202", response(kindDef, "Accepted"));
    op.set("responses", r);
    return op;
  }

  ObjectNode deleteCollection() {
    ObjectNode op = op("deletecollection", "deleteCollection" + scope + type.kind(),
        "delete collection of " + type.kind(), type.group(), type.version(), type.kind());
    ArrayNode params = (ArrayNode) op.get("parameters");
    deleteParams(params);
    listParams(params);
    op.set("requestBody", body(SchemaNames.META + "DeleteOptions"));
    op.set("responses", responses("200", SchemaNames.META + "Status", false));
    return op;
  }

  // ---- building blocks ----

  private ObjectNode op(String action, String operationId, String description, String group, String version,
      String kind) {
    ObjectNode op = NODES.objectNode();
    op.putArray("tags").add(tag());
    op.put("description", description);
    // Kubernetes style: verb + group/version + rest, e.g. "patchAppsV1NamespacedDeployment".
    int split = 0;
    while (split < operationId.length() && Character.isLowerCase(operationId.charAt(split))) split++;
    op.put("operationId", operationId.substring(0, split) + tagCamel() + operationId.substring(split));
    op.putArray("parameters");
    op.put("x-kubernetes-action", action);
    ObjectNode gvk = op.putObject("x-kubernetes-group-version-kind");
    gvk.put("group", group);
    gvk.put("kind", kind);
    gvk.put("version", version);
    return op;
  }

  private String tag() {
    String g = type.group().isEmpty() ? "core" : type.group().replace(".k8s.io", "").replace(".", "_");
    return g + "_" + type.version();
  }

  private String tagCamel() {
    StringBuilder sb = new StringBuilder();
    for (String part : tag().split("_")) {
      if (!part.isEmpty()) sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
    }
    return sb.toString();
  }

  private static void listParams(ArrayNode p) {
    p.add(queryParam("allowWatchBookmarks", "Request watch events with type \"BOOKMARK\".", "boolean"));
    p.add(queryParam("continue", "The continue token of a previous list response, to fetch the next chunk.", "string"));
    p.add(queryParam("fieldSelector", "Restrict the returned objects by their fields.", "string"));
    p.add(queryParam("labelSelector", "Restrict the returned objects by their labels.", "string"));
    p.add(queryParam("limit", "The maximum number of objects to return in one chunk.", "integer"));
    p.add(queryParam("resourceVersion", "The resource version the list or watch starts from.", "string"));
    p.add(queryParam("resourceVersionMatch", "How resourceVersion applies to list calls.", "string"));
    p.add(queryParam("sendInitialEvents", "Start a watch with synthetic events for the current state.", "boolean"));
    p.add(queryParam("timeoutSeconds", "Timeout for the list/watch call.", "integer"));
    p.add(queryParam("watch", "Watch for changes and return them as a stream of events.", "boolean"));
  }

  private static void writeParams(ArrayNode p, boolean patch) {
    p.add(queryParam("dryRun", "When present (\"All\"), the change is validated and admitted but not persisted.",
        "string"));
    p.add(queryParam("fieldManager", "The name of the actor making the change (server-side apply ownership).",
        "string"));
    p.add(queryParam("fieldValidation", "How the server treats unknown or duplicate fields: Ignore, Warn "
        + "(default) or Strict (reject the request).", "string"));
    if (patch) {
      p.add(queryParam("force", "Force apply requests to take over fields owned by other managers. "
          + "Only for apply patches.", "boolean"));
    }
  }

  private static void deleteParams(ArrayNode p) {
    p.add(queryParam("dryRun", "When present (\"All\"), the deletion is validated but not persisted.", "string"));
    p.add(queryParam("gracePeriodSeconds", "Seconds before the object is deleted; 0 deletes immediately.",
        "integer"));
    p.add(queryParam("propagationPolicy", "Whether and how dependents are garbage collected: Orphan, Background "
        + "or Foreground.", "string"));
  }

  static ObjectNode pathParam(String name, String description) {
    ObjectNode p = NODES.objectNode();
    p.put("name", name);
    p.put("in", "path");
    p.put("description", description);
    p.put("required", true);
    p.putObject("schema").put("type", "string").put("uniqueItems", true);
    return p;
  }

  static ObjectNode queryParam(String name, String description, String type) {
    ObjectNode p = NODES.objectNode();
    p.put("name", name);
    p.put("in", "query");
    p.put("description", description);
    p.putObject("schema").put("type", type).put("uniqueItems", true);
    return p;
  }

  private static ObjectNode body(String def) {
    ObjectNode rb = NODES.objectNode();
    rb.putObject("content").putObject("*/*").set("schema", ref(def));
    rb.put("required", true);
    return rb;
  }

  private static ObjectNode responses(String code, String def, boolean streaming) {
    ObjectNode r = NODES.objectNode();
    r.set(code, response(def, "OK"));
    if (streaming && def != null) {
      ObjectNode content = (ObjectNode) r.get(code).get("content");
      content.putObject("application/json;stream=watch").set("schema", ref(def));
    }
    r.putObject("401").put("description", "Unauthorized");
    return r;
  }

  private static ObjectNode response(String def, String description) {
    ObjectNode r = NODES.objectNode();
    r.put("description", description);
    if (def != null) {
      ObjectNode content = r.putObject("content");
      content.putObject("application/json").set("schema", ref(def));
      content.putObject("application/yaml").set("schema", ref(def));
    }
    return r;
  }

  private static ObjectNode ref(String def) {
    ObjectNode s = NODES.objectNode();
    s.put("$ref", "#/components/schemas/" + def);
    return s;
  }

  private static String article(String kind) {
    return ("AEIOU".indexOf(kind.charAt(0)) >= 0 ? "an " : "a ") + kind;
  }
}
