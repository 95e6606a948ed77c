package io.keelson.apiserver.auth;

import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST serviceaccounts/NAME/token} (TokenRequest, {@code kubectl create token}): a token for the
 * service account, optionally bound to a Pod, Secret or Node, with Kubernetes' limits on its lifetime;
 * and the check that a presented token's service account and bound object still exist as issued.
 */
public final class TokenRequests {

  static final long MIN_SECONDS = 600;
  static final long DEFAULT_SECONDS = 3600;
  static final long MAX_SECONDS = 1L << 32;
  private static final Map<String, String> BOUND_KINDS = Map.of("Pod", "pods", "Secret", "secrets", "Node", "nodes");

  private final ResourceService resources;
  private final ServiceAccountTokens tokens;
  private final ResourceType serviceAccounts = ResourceRegistry.find("", "v1", "serviceaccounts").orElseThrow();

  public TokenRequests(ResourceService resources, ServiceAccountTokens tokens) {
    this.resources = resources;
    this.tokens = tokens;
  }

  /** The expiry kubelet requests for projected tokens (kube's WarnOnlyBoundTokenExpirationSeconds). */
  static final long WARN_ONLY_SECONDS = 3607;
  /** What such a token really lasts (kube's maxExtendedExpiration). */
  static final long EXTENDED_SECONDS = 365L * 24 * 3600;

  /**
   * Issues a token for service account {@code namespace/name} as {@code request} (a TokenRequest)
   * asks, and returns the request with its spec defaulted and status filled in.
   */
  public ObjectNode create(String namespace, String name, ObjectNode request) {
    return create(namespace, name, request, null);
  }

  /** As {@link #create(String, String, ObjectNode)}, for {@code requester} (a node: only for its own pods, as kube's NodeRestriction). */
  public ObjectNode create(String namespace, String name, ObjectNode request, UserInfo requester) {
    ObjectNode sa = resources.get(serviceAccounts, namespace, name); // 404 for a missing account
    ObjectNode spec = request.has("spec") && request.get("spec").isObject() ? (ObjectNode) request.get("spec") : request.putObject("spec");
    List<StatusException.Cause> causes = new ArrayList<>();
    List<String> audiences = new ArrayList<>();
    for (JsonNode a : spec.path("audiences")) audiences.add(a.asString(""));
    if (audiences.isEmpty()) audiences.add(ServiceAccountTokens.API_AUDIENCE);
    long seconds = spec.path("expirationSeconds").asLong(DEFAULT_SECONDS);
    if (!spec.has("expirationSeconds") || spec.get("expirationSeconds").isNull()) seconds = DEFAULT_SECONDS;
    if (seconds < MIN_SECONDS) {
      causes.add(StatusException.Cause.invalid("spec.expirationSeconds",
          "Invalid value: " + seconds + ": may not specify a duration less than 10 minutes"));
    } else if (seconds > MAX_SECONDS) {
      causes.add(StatusException.Cause.invalid("spec.expirationSeconds",
          "Invalid value: " + seconds + ": may not specify a duration larger than 2^32 seconds"));
    }
    ServiceAccountTokens.Bound bound = null;
    String boundNode = null;
    JsonNode ref = spec.path("boundObjectRef");
    if (ref.isObject() && !ref.isEmpty()) {
      String kind = ref.path("kind").asString("");
      String objName = ref.path("name").asString("");
      if (!BOUND_KINDS.containsKey(kind)) {
        causes.add(new StatusException.Cause("FieldValueNotSupported", "Unsupported value: \"" + kind
            + "\": supported values: \"Node\", \"Pod\", \"Secret\"", "spec.boundObjectRef.kind"));
      } else if (objName.isEmpty()) {
        causes.add(new StatusException.Cause("FieldValueRequired", "Required value", "spec.boundObjectRef.name"));
      } else if (causes.isEmpty()) {
        ResourceType t = ResourceRegistry.find("", "v1", BOUND_KINDS.get(kind)).orElseThrow();
        ObjectNode obj = resources.get(t, t.namespaced() ? namespace : null, objName); // 404 for a missing object
        String uid = obj.path("metadata").path("uid").asString("");
        String wanted = ref.path("uid").asString("");
        if (!wanted.isEmpty() && !wanted.equals(uid)) {
          throw StatusException.conflict(t, objName, "the UID in the bound object reference (" + wanted
              + ") does not match the UID in record (" + uid + "). The object might have been deleted and then recreated",
              List.of());
        }
        bound = new ServiceAccountTokens.Bound(kind, objName, uid);
        boundNode = obj.path("spec").path("nodeName").asString("");
        ((ObjectNode) ref).put("uid", uid);
      }
    }
    if (!causes.isEmpty()) throw StatusException.invalid("TokenRequest", "authentication.k8s.io", name, causes);
    if (io.keelson.apiserver.auth.node.NodeIdentity.isNode(requester)) {
      if (bound == null || !bound.kind().equals("Pod")) {
        throw StatusException.forbidden(serviceAccounts, name, "node requested token not bound to a pod");
      }
      if (!boundNode.equals(io.keelson.apiserver.auth.node.NodeIdentity.nodeName(requester))) {
        throw StatusException.forbidden(serviceAccounts, name, "node requested token bound to a pod scheduled on a different node");
      }
    }
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    // Kube's --service-account-extend-token-expiration (on by default): the 3607 s pod-bound token a
    // node asks for its pods is valid a year while the pod exists, so a pod whose node missed a
    // refresh keeps working; the response still says 3607 s, and deleting the pod ends the token.
    long lifetime = bound != null && bound.kind().equals("Pod") && seconds == WARN_ONLY_SECONDS
        && audiences.equals(List.of(ServiceAccountTokens.API_AUDIENCE)) ? EXTENDED_SECONDS : seconds;
    String token = tokens.issue(namespace, name, sa.path("metadata").path("uid").asString(""), audiences, now, lifetime, bound);
    ObjectNode out = ObjectCodec.JSON.createObjectNode();
    out.put("kind", "TokenRequest");
    out.put("apiVersion", "authentication.k8s.io/v1");
    ObjectNode md = out.putObject("metadata");
    md.put("name", name);
    md.put("namespace", namespace);
    md.put("creationTimestamp", DateTimeFormatter.ISO_INSTANT.format(now));
    ObjectNode outSpec = out.putObject("spec");
    outSpec.set("audiences", ObjectCodec.JSON.valueToTree(audiences));
    outSpec.put("expirationSeconds", seconds);
    outSpec.set("boundObjectRef", ref.isObject() && !ref.isEmpty() ? ref : null);
    ObjectNode status = out.putObject("status");
    status.put("token", token);
    status.put("expirationTimestamp", DateTimeFormatter.ISO_INSTANT.format(now.plusSeconds(seconds)));
    return out;
  }

  /** Whether a verified token's service account, and the object it is bound to, still exist with the uids it names. */
  public boolean stillValid(ServiceAccountTokens.Subject s) {
    ObjectNode sa = resources.cached(serviceAccounts, s.namespace(), s.name());
    if (sa == null || !s.uid().equals(sa.path("metadata").path("uid").asString(""))) return false;
    if (sa.path("metadata").has("deletionTimestamp")) return false;
    if (s.bound() == null) return true;
    ResourceType t = ResourceRegistry.find("", "v1", BOUND_KINDS.get(s.bound().kind())).orElseThrow();
    ObjectNode obj = resources.cached(t, t.namespaced() ? s.namespace() : null, s.bound().name());
    return obj != null && s.bound().uid().equals(obj.path("metadata").path("uid").asString(""))
        && !obj.path("metadata").has("deletionTimestamp");
  }
}
