package io.keelson.apiserver.resource;

import io.keelson.apiserver.conversion.ApiVersionConversion;
import io.keelson.apiserver.conversion.Conversion;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One version of a CustomResourceDefinition as a served type: its {@link ResourceType} (model
 * {@link GenericKubernetesResource}: the objects are untyped), the type its objects are stored as
 * (the definition's storage version: all versions share one etcd prefix) and the definition itself,
 * for its schema, printer columns and scale paths.
 *
 * @param served false for a storage version the definition does not serve: only its storage is used
 * @param conversion how objects of the other versions convert (strategy Webhook); null: by their
 *     apiVersion alone (strategy None)
 */
public record CustomResource(ResourceType type, ResourceType storage, ObjectNode definition, boolean served, Conversion conversion) {

  public CustomResource(ResourceType type, ResourceType storage, ObjectNode definition, boolean served) {
    this(type, storage, definition, served, null);
  }

  /** The model class of every custom resource type. */
  public static final Class<?> MODEL = GenericKubernetesResource.class;

  /** Whether a type is a custom resource (cheap: no lookup). */
  public static boolean isCustom(ResourceType type) {
    return type.model() == MODEL;
  }

  /** The other versions are views of the storage version's objects, converted. */
  ResourceView view() {
    return type.equals(storage) ? null
        : new ResourceView(type, storage, conversion != null ? conversion : new ApiVersionConversion(type.apiVersion(), storage.apiVersion()));
  }

  /** This version's entry of {@code spec.versions}: schema, subresources, additionalPrinterColumns. */
  public JsonNode versionSpec() {
    for (JsonNode v : definition.path("spec").path("versions")) {
      if (type.version().equals(v.path("name").asString(""))) return v;
    }
    return definition.missingNode();
  }

  /** The version's {@code openAPIV3Schema} (a missing node when it has none). */
  public JsonNode schema() {
    return versionSpec().path("schema").path("openAPIV3Schema");
  }

  /** The CustomResourceDefinition's name ({@code <plural>.<group>}). */
  public String definitionName() {
    return definition.path("metadata").path("name").asString("");
  }

  /** Whether the definition is being deleted: its objects are going, no new ones may be made. */
  public boolean terminating() {
    return definition.path("metadata").has("deletionTimestamp");
  }

  /** {@code spec.names.singular}, lower-case kind when unset (as kube defaults it). */
  public String singular() {
    String s = definition.path("spec").path("names").path("singular").asString("");
    return s.isEmpty() ? type.kind().toLowerCase(java.util.Locale.ROOT) : s;
  }

  /** {@code spec.names.listKind}, kind + "List" when unset. */
  public String listKind() {
    String s = definition.path("spec").path("names").path("listKind").asString("");
    return s.isEmpty() ? type.kind() + "List" : s;
  }
}
