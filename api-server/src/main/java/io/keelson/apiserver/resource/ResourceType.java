package io.keelson.apiserver.resource;

import java.util.List;
import java.util.Set;

/**
 * One served kind: everything the generic REST, storage, discovery, OpenAPI and printing code needs
 * to know about it. Adding a resource to Keelson is adding one of these to {@link ResourceRegistry}.
 *
 * @param group API group ("" for core)
 * @param version API version, e.g. "v1"
 * @param resource plural lower-case name used in URLs and etcd keys ("deployments")
 * @param kind the Kind ("Deployment")
 * @param namespaced whether objects live in a namespace
 * @param shortNames kubectl short names ("deploy")
 * @param categories discovery categories ("all")
 * @param subresources served subresources ("status", "scale", "binding", "eviction", "log", "exec", ...)
 * @param model the fabric8 model class (schema for OpenAPI, strict field validation)
 * @param hasSpec whether {@code metadata.generation} tracks changes outside metadata/status
 */
public record ResourceType(
    String group,
    String version,
    String resource,
    String kind,
    boolean namespaced,
    List<String> shortNames,
    List<String> categories,
    Set<String> subresources,
    Class<?> model,
    boolean hasSpec) {

  public static final List<String> VERBS =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

  /**
   * Whether objects of this type live in etcd under its own keys: false for kinds computed on
   * request (metrics.k8s.io, the self reviews of authentication.k8s.io and authorization.k8s.io)
   * and for views of another resource's objects ({@link ResourceRegistry#viewOf}).
   */
  public boolean stored() {
    return !ResourceRegistry.computed(this) && ResourceRegistry.viewOf(this) == null;
  }

  /** "apps/v1" or "v1". */
  public String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  /** "deployment". */
  public String singular() {
    CustomResource c = ResourceRegistry.customOf(this);
    if (c != null) return c.singular();
    return kind.toLowerCase(java.util.Locale.ROOT);
  }

  /** "deployments.apps" or "pods": how Kubernetes names the resource in Status messages. */
  public String qualifiedResource() {
    return group.isEmpty() ? resource : resource + "." + group;
  }

  /** The etcd key prefix of all objects of this type: {@code /registry/<group>/<resource>/}. */
  public String keyPrefix() {
    return "/registry/" + (group.isEmpty() ? "core" : group) + "/" + resource + "/";
  }

  /** The etcd key of one object. */
  public String key(String namespace, String name) {
    return namespaced ? keyPrefix() + namespace + "/" + name : keyPrefix() + name;
  }

  /** The URL path of the collection (namespace may be null for all namespaces). */
  public String collectionPath(String namespace) {
    String base = group.isEmpty() ? "/api/v1" : "/apis/" + group + "/" + version;
    return namespaced && namespace != null
        ? base + "/namespaces/" + namespace + "/" + resource
        : base + "/" + resource;
  }

  public boolean hasSubresource(String sub) {
    return subresources.contains(sub);
  }

  /** The list kind, e.g. "DeploymentList". */
  public String listKind() {
    CustomResource c = ResourceRegistry.customOf(this);
    if (c != null) return c.listKind();
    return kind + "List";
  }
}
