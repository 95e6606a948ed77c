package io.keelson.apiserver.openapi;

import io.keelson.apiserver.discovery.ApiDiscovery;
import io.keelson.apiserver.resource.CustomResource;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The OpenAPI v3 documents Keelson serves: one per group/version ({@code api/v1}, {@code apis/apps/v1},
 * ...) plus the {@code /openapi/v3} index that points at each with a content hash. Generated once from
 * the {@link ResourceRegistry} and the fabric8 model classes, then served from memory (plain and
 * gzipped).
 */
public final class OpenApiDocuments {

  /** One rendered document. */
  public record Document(byte[] json, byte[] gzip, String hash) {}

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static volatile OpenApiDocuments instance;

  private final Map<String, ObjectNode> trees = new LinkedHashMap<>();
  private final Map<String, Document> documents = new LinkedHashMap<>();
  private final Document index;

  /** The documents of the custom resources served now, and the definitions they were made from. */
  private record Custom(java.util.Set<CustomResource> from, OpenApiDocuments documents) {}

  private static volatile Custom custom = new Custom(java.util.Set.of(), null);

  /** The documents of the custom resources served now, made again whenever a definition changes. */
  static OpenApiDocuments custom() {
    java.util.Set<CustomResource> now = new java.util.HashSet<>(ResourceRegistry.custom());
    Custom c = custom;
    if (c.documents() != null && c.from().equals(now)) return c.documents();
    synchronized (OpenApiDocuments.class) {
      List<ResourceType> served = now.stream().filter(CustomResource::served).map(CustomResource::type)
          .sorted(java.util.Comparator.comparing(ResourceType::apiVersion).thenComparing(ResourceType::resource)).toList();
      custom = c = new Custom(now, new OpenApiDocuments(served));
    }
    return c.documents();
  }

  /** The index of every document: the built-in group/versions', then the custom resources'. */
  public static Document currentIndex() {
    OpenApiDocuments custom = custom();
    if (custom.documents.isEmpty()) return get().index();
    ObjectNode idx = NODES.objectNode();
    ObjectNode paths = idx.putObject("paths");
    for (OpenApiDocuments d : List.of(get(), custom)) {
      d.documents.forEach((gv, doc) -> paths.putObject(gv).put("serverRelativeURL", "/openapi/v3/" + gv + "?hash=" + doc.hash()));
    }
    return render(idx);
  }

  /** The document for "api/v1", "apis/apps/v1" or a custom resource's "apis/example.com/v1". */
  public static Optional<Document> currentDocument(String gvPath) {
    Optional<Document> builtIn = get().document(gvPath);
    return builtIn.isPresent() ? builtIn : custom().document(gvPath);
  }

  /** The shared, lazily generated documents for the current registry. */
  public static OpenApiDocuments get() {
    OpenApiDocuments d = instance;
    if (d == null) {
      synchronized (OpenApiDocuments.class) {
        d = instance;
        // the built-in types, fixed for the server's life; custom resources are documented per definition
        if (d == null) instance = d = new OpenApiDocuments(ResourceRegistry.all().stream()
            .filter(t -> !io.keelson.apiserver.resource.CustomResource.isCustom(t)).toList());
      }
    }
    return d;
  }

  OpenApiDocuments(List<ResourceType> types) {
    Map<String, List<ResourceType>> byGv = new LinkedHashMap<>();
    for (ResourceType t : types) {
      byGv.computeIfAbsent(t.group().isEmpty() ? "api/" + t.version() : "apis/" + t.group() + "/" + t.version(),
          k -> new java.util.ArrayList<>()).add(t);
    }
    ObjectNode idx = NODES.objectNode();
    ObjectNode paths = idx.putObject("paths");
    byGv.forEach((gvPath, gvTypes) -> {
      ObjectNode tree = new GroupVersionDocument(gvTypes).build();
      trees.put(gvPath, tree);
      Document doc = render(tree);
      documents.put(gvPath, doc);
      paths.putObject(gvPath).put("serverRelativeURL", "/openapi/v3/" + gvPath + "?hash=" + doc.hash());
    });
    index = render(idx);
  }

  public Document index() {
    return index;
  }

  /** The document for "api/v1" or "apis/apps/v1". */
  public Optional<Document> document(String gvPath) {
    return Optional.ofNullable(documents.get(gvPath));
  }

  /** The parsed tree of a document (tests and in-process consumers; do not modify). */
  public Optional<ObjectNode> tree(String gvPath) {
    return Optional.ofNullable(trees.get(gvPath));
  }

  private static Document render(ObjectNode tree) {
    byte[] json = JSON.writeValueAsString(tree).getBytes(StandardCharsets.UTF_8);
    try {
      ByteArrayOutputStream bos = new ByteArrayOutputStream(json.length / 4);
      try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
        gz.write(json);
      }
      byte[] sha = MessageDigest.getInstance("SHA-512").digest(json);
      return new Document(json, bos.toByteArray(), HexFormat.of().withUpperCase().formatHex(sha));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Builds the paths and component schemas of one group/version. */
  private static final class GroupVersionDocument {
    private final List<ResourceType> types;
    private final SchemaGenerator schemas = new SchemaGenerator();

    GroupVersionDocument(List<ResourceType> types) {
      this.types = types;
    }

    ObjectNode build() {
      ObjectNode doc = NODES.objectNode();
      doc.put("openapi", "3.0.0");
      ObjectNode info = doc.putObject("info");
      info.put("title", "Kubernetes");
      info.put("version", "v1.32.4-keelson");
      ObjectNode paths = doc.putObject("paths");
      addCommonSchemas();
      for (ResourceType t : types) addResource(paths, t);
      ObjectNode components = doc.putObject("components");
      ObjectNode schemaNode = components.putObject("schemas");
      schemas.schemas().forEach(schemaNode::set);
      ObjectNode bearer = components.putObject("securitySchemes").putObject("BearerToken");
      bearer.put("type", "apiKey");
      bearer.put("description", "Bearer Token authentication");
      bearer.put("name", "authorization");
      bearer.put("in", "header");
      doc.putArray("security").addObject().putArray("BearerToken");
      return doc;
    }

    private void addCommonSchemas() {
      ObjectNode time = NODES.objectNode();
      time.put("description", FieldDocs.typeByName("Time"));
      time.put("type", "string");
      time.put("format", "date-time");
      schemas.addRaw(SchemaNames.TIME, time);
      ObjectNode micro = time.deepCopy();
      micro.put("description", FieldDocs.typeByName("MicroTime"));
      schemas.addRaw(SchemaNames.MICRO_TIME, micro);
      ObjectNode patch = NODES.objectNode();
      patch.put("description", FieldDocs.typeByName("Patch"));
      patch.put("type", "object");
      schemas.addRaw(SchemaNames.PATCH, patch);
      schemas.add(io.fabric8.kubernetes.api.model.DeleteOptions.class);
      schemas.add(io.fabric8.kubernetes.api.model.Status.class);
    }

    private void addResource(ObjectNode paths, ResourceType t) {
      boolean custom = CustomResource.isCustom(t);
      String kindDef = custom ? customKind(t) : schemas.add(t.model());
      schemas.markKind(kindDef, t.group(), t.version(), t.kind());
      String listDef = custom ? customList(t, kindDef) : listClass(t).map(schemas::add).orElse(null);
      if (listDef != null) schemas.markKind(listDef, t.group(), t.version(), t.listKind());

      String base = t.group().isEmpty() ? "/api/" + t.version() : "/apis/" + t.group() + "/" + t.version();
      String coll = t.namespaced() ? base + "/namespaces/{namespace}/" + t.resource() : base + "/" + t.resource();
      String item = coll + "/{name}";
      List<String> verbs = ApiDiscovery.verbs(t);
      Operations ops = new Operations(t, kindDef, listDef);

      ObjectNode collPath = pathItem(t.namespaced(), false);
      if (verbs.contains("list")) collPath.set("get", ops.list(t.namespaced()));
      if (verbs.contains("create")) collPath.set("post", ops.create());
      if (verbs.contains("deletecollection")) collPath.set("delete", ops.deleteCollection());
      paths.set(coll, collPath);

      if (verbs.contains("get")) {
        ObjectNode itemPath = pathItem(t.namespaced(), true);
        itemPath.set("get", ops.read());
        if (verbs.contains("update")) itemPath.set("put", ops.replace(kindDef, t.group(), t.version(), t.kind(), ""));
        if (verbs.contains("patch")) itemPath.set("patch", ops.patch(kindDef, t.group(), t.version(), t.kind(), ""));
        if (verbs.contains("delete")) itemPath.set("delete", ops.delete());
        paths.set(item, itemPath);
      }

      if (t.namespaced() && verbs.contains("list")) {
        ObjectNode all = pathItem(false, false);
        all.set("get", ops.listAllNamespaces());
        paths.set(base + "/" + t.resource(), all);
      }

      for (ApiDiscovery.Subresource sub : ApiDiscovery.subresources(t)) {
        ObjectNode subPath = pathItem(t.namespaced(), true);
        String suffix = Character.toUpperCase(sub.name().charAt(0)) + sub.name().substring(1);
        switch (sub.name()) {
          case "status", "scale", "ephemeralcontainers" -> {
            String def = sub.name().equals("scale")
                ? schemas.add(io.fabric8.kubernetes.api.model.autoscaling.v1.Scale.class)
                : kindDef;
            if (sub.name().equals("scale")) schemas.markKind(def, "autoscaling", "v1", "Scale");
            subPath.set("get", ops.readSub(def, sub, suffix));
            subPath.set("put", ops.replace(def, sub.group(), sub.version(), sub.kind(), suffix));
            subPath.set("patch", ops.patch(def, sub.group(), sub.version(), sub.kind(), suffix));
          }
          case "eviction", "binding", "token" -> {
            Class<?> model = switch (sub.name()) {
              case "eviction" -> io.fabric8.kubernetes.api.model.policy.v1.Eviction.class;
              case "token" -> io.fabric8.kubernetes.api.model.authentication.TokenRequest.class;
              default -> io.fabric8.kubernetes.api.model.Binding.class;
            };
            String def = schemas.add(model);
            schemas.markKind(def, sub.group(), sub.version(), sub.kind());
            subPath.set("post", ops.createSub(def, sub, suffix));
          }
          default -> {
            continue; // connect subresources (log, exec, ...) are not described
          }
        }
        paths.set(item + "/" + sub.name(), subPath);
      }
    }

    /** A custom resource's schema: its definition's openAPIV3Schema with the fields every object has. */
    private String customKind(ResourceType t) {
      CustomResource cr = ResourceRegistry.customOf(t);
      String name = reversedGroup(t.group()) + "." + t.version() + "." + t.kind();
      ObjectNode schema = cr != null && cr.schema().isObject() ? ((ObjectNode) cr.schema()).deepCopy()
          : NODES.objectNode().put("type", "object").put("x-kubernetes-preserve-unknown-fields", true);
      ObjectNode props = schema.get("properties") instanceof ObjectNode p ? p : schema.putObject("properties");
      props.set("apiVersion", NODES.objectNode().put("type", "string").put("description",
          "APIVersion defines the versioned schema of this representation of an object."));
      props.set("kind", NODES.objectNode().put("type", "string").put("description",
          "Kind is a string value representing the REST resource this object represents."));
      props.set("metadata", refTo(schemas.add(io.fabric8.kubernetes.api.model.ObjectMeta.class),
          "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"));
      schemas.addRaw(name, schema);
      return name;
    }

    private String customList(ResourceType t, String kindDef) {
      ObjectNode list = NODES.objectNode();
      list.put("description", t.listKind() + " is a list of " + t.kind());
      list.put("type", "object");
      list.putArray("required").add("items");
      ObjectNode props = list.putObject("properties");
      props.set("apiVersion", NODES.objectNode().put("type", "string"));
      props.set("kind", NODES.objectNode().put("type", "string"));
      props.set("metadata", refTo(schemas.add(io.fabric8.kubernetes.api.model.ListMeta.class), "Standard list metadata."));
      ObjectNode items = props.putObject("items");
      items.put("type", "array");
      items.putObject("items").put("$ref", "#/components/schemas/" + kindDef);
      schemas.addRaw(kindDef + "List", list);
      return kindDef + "List";
    }

    private static ObjectNode refTo(String def, String description) {
      ObjectNode n = NODES.objectNode();
      n.put("description", description);
      n.putArray("allOf").addObject().put("$ref", "#/components/schemas/" + def);
      return n;
    }

    /** "example.com" → "com.example", as kube names custom resources' definitions. */
    private static String reversedGroup(String group) {
      List<String> parts = new java.util.ArrayList<>(List.of(group.split("\\.")));
      java.util.Collections.reverse(parts);
      return String.join(".", parts);
    }

    private static Optional<Class<?>> listClass(ResourceType t) {
      try {
        return Optional.of(Class.forName(t.model().getName() + "List", false, t.model().getClassLoader()));
      } catch (ClassNotFoundException e) {
        return Optional.empty();
      }
    }

    private static ObjectNode pathItem(boolean namespaced, boolean named) {
      ObjectNode p = NODES.objectNode();
      ArrayNode params = p.putArray("parameters");
      if (named) params.add(Operations.pathParam("name", "name of the object"));
      if (namespaced) params.add(Operations.pathParam("namespace", "object name and auth scope, such as for teams and projects"));
      params.add(Operations.queryParam("pretty", "If 'true', then the output is pretty printed.", "string"));
      return p;
    }
  }
}
