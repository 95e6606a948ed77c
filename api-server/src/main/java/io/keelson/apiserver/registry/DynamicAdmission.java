package io.keelson.apiserver.registry;

import io.keelson.apiserver.auth.UserInfo;
import io.keelson.apiserver.resource.ResourceType;
import tools.jackson.databind.node.ObjectNode;

/**
 * Admission configured at run time (kube's dynamic admission: the admission webhooks), called by the
 * write path after the built-in admission: {@link #mutate} before validation, {@link #validate} after
 * it. Throws a StatusException to refuse the write.
 */
public interface DynamicAdmission {

  DynamicAdmission NONE = new DynamicAdmission() {
    @Override
    public ObjectNode mutate(Attributes a) {
      return a.object();
    }

    @Override
    public void validate(Attributes a) {}
  };

  /**
   * One write as admission sees it (kube's admission.Attributes).
   *
   * @param operation CREATE, UPDATE, DELETE or CONNECT
   * @param subresource null for the object itself
   * @param object the new object; null on delete
   * @param oldObject the stored object; null on create
   * @param user who writes; null for the api-server's own writes
   * @param options the CreateOptions, UpdateOptions or DeleteOptions of the request
   */
  record Attributes(ResourceType type, String subresource, String operation, String namespace, String name,
      ObjectNode object, ObjectNode oldObject, boolean dryRun, UserInfo user, ObjectNode options) {

    public Attributes withObject(ObjectNode o) {
      return new Attributes(type, subresource, operation, namespace, name, o, oldObject, dryRun, user, options);
    }
  }

  /** The CreateOptions, UpdateOptions or DeleteOptions a webhook is sent, as kube serializes them. */
  static ObjectNode options(String kind, boolean dryRun, String fieldManager) {
    ObjectNode o = io.keelson.apiserver.storage.ObjectCodec.JSON.createObjectNode().put("kind", kind).put("apiVersion", "meta.k8s.io/v1");
    if (dryRun) o.putArray("dryRun").add("All");
    if (fieldManager != null && !fieldManager.isBlank()) o.put("fieldManager", fieldManager);
    return o;
  }

  /** The object to go on with: {@code a.object()} itself when nothing changed it. */
  ObjectNode mutate(Attributes a);

  void validate(Attributes a);
}
