package io.keelson.apiserver.certificates;

import io.keelson.apiserver.auth.UserInfo;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What the api-server itself decides about a CertificateSigningRequest (kube's
 * pkg/registry/certificates/certificates/strategy.go): who asked is recorded from the request's
 * credentials, never from the body; the spec never changes; approval (Approved / Denied conditions)
 * is written only through the {@code approval} subresource ({@code kubectl certificate approve}),
 * the issued certificate only through {@code status} (the signer).
 */
public final class SigningRequests {

  public static final String KIND = "CertificateSigningRequest";
  public static final String GROUP = "certificates.k8s.io";

  private SigningRequests() {}

  public static boolean is(String group, String kind) {
    return GROUP.equals(group) && KIND.equals(kind);
  }

  /** On create: spec.username, uid, groups from the authenticated caller; status cleared. */
  public static void recordRequester(ObjectNode csr, UserInfo user) {
    ObjectNode spec = csr.has("spec") && csr.get("spec").isObject() ? (ObjectNode) csr.get("spec") : csr.putObject("spec");
    spec.remove("extra");
    if (user == null) user = UserInfo.ADMIN;
    spec.put("username", user.username());
    if (user.uid() == null || user.uid().isEmpty()) spec.remove("uid");
    else spec.put("uid", user.uid());
    var groups = spec.putArray("groups");
    user.groups().forEach(groups::add);
    csr.remove("status");
  }

  /**
   * The object to store for a write of {@code subresource} (null: the object itself), given the
   * current one and the one the caller sent (already a copy the caller owns).
   */
  public static void keepWhatTheWriteMayNotChange(ObjectNode next, ObjectNode current, String subresource) {
    if (current.has("spec")) next.set("spec", current.get("spec").deepCopy());
    if (subresource == null) { // metadata only (labels, annotations, finalizers)
      if (current.has("status")) next.set("status", current.get("status").deepCopy());
      else next.remove("status");
      return;
    }
    if ("approval".equals(subresource)) { // the conditions only; the certificate stays as issued
      ObjectNode status = current.has("status") && current.get("status").isObject()
          ? ((ObjectNode) current.get("status")).deepCopy() : next.objectNode();
      JsonNode conditions = next.path("status").path("conditions");
      if (conditions.isArray()) status.set("conditions", conditions);
      else status.remove("conditions");
      next.set("status", status);
    }
  }
}
