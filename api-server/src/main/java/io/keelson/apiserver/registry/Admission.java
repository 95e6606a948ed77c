package io.keelson.apiserver.registry;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Admission rules that need other objects, as Kubernetes' admission plugins do: RuntimeClass (pod
 * overhead and node selector from the pod's RuntimeClass), Priority (spec.priority from the
 * PriorityClass), ServiceAccount (the API credentials volume), DefaultStorageClass (a claim without
 * a class gets the default one) and StorageObjectInUseProtection (the pvc-/pv-protection
 * finalizers). Stateless rules live in the admission package.
 */
final class Admission {

  private static final Map<String, Integer> SYSTEM_PRIORITIES =
      Map.of("system-node-critical", 2000001000, "system-cluster-critical", 2000000000);

  private Admission() {}

  static void admitCreate(ResourceService svc, ResourceType type, ObjectNode obj) {
    if (type.group().isEmpty() && type.kind().equals("PersistentVolumeClaim")) {
      defaultStorageClass(svc, obj);
      protect(obj, "kubernetes.io/pvc-protection");
      io.keelson.apiserver.quota.LimitRanger.admitClaim(svc, type, obj);
    }
    if (type.group().isEmpty() && type.kind().equals("PersistentVolume")) protect(obj, "kubernetes.io/pv-protection");
    io.keelson.apiserver.resource.CustomResource custom = ResourceRegistry.customOf(type);
    if (custom != null && custom.terminating()) {
      throw StatusException.methodNotAllowed("create not allowed while custom resource definition is terminating");
    }
    if (!type.kind().equals("Pod")) return;
    ObjectNode spec = obj.has("spec") && obj.get("spec").isObject() ? (ObjectNode) obj.get("spec") : obj.putObject("spec");
    runtimeClass(svc, type, obj, spec);
    priority(svc, type, obj, spec);
    serviceAccountToken(svc, obj.path("metadata").path("namespace").asString(""), spec);
    io.keelson.apiserver.quota.LimitRanger.admitPod(svc, type, obj);
    if (obj.get("status") instanceof ObjectNode st) st.put("qosClass", Strategy.qosClass(obj)); // the LimitRanger's defaults count
  }

  static final String DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

  /**
   * Kube's DefaultStorageClass admission: a claim that leaves storageClassName out gets the default
   * class (the newest when several are marked); an explicit "" keeps meaning "no class".
   */
  private static void defaultStorageClass(ResourceService svc, ObjectNode pvc) {
    ObjectNode spec = pvc.get("spec") instanceof ObjectNode s ? s : pvc.putObject("spec");
    if (spec.has("storageClassName") && !spec.get("storageClassName").isNull()) return;
    ResourceType scType = ResourceRegistry.find("storage.k8s.io", "v1", "storageclasses").orElseThrow();
    ObjectNode chosen = null;
    for (ObjectNode sc : svc.cache(scType).snapshot(null, o -> true).objects()) {
      if (!"true".equals(sc.path("metadata").path("annotations").path(DEFAULT_CLASS_ANNOTATION).asString(""))) continue;
      String created = sc.path("metadata").path("creationTimestamp").asString("");
      if (chosen == null || created.compareTo(chosen.path("metadata").path("creationTimestamp").asString("")) > 0) chosen = sc;
    }
    if (chosen != null) spec.put("storageClassName", chosen.path("metadata").path("name").asString());
  }

  /** StorageObjectInUseProtection: the object stays until the controller-manager sees it unused. */
  private static void protect(ObjectNode obj, String finalizer) {
    ObjectNode md = ResourceService.metadata(obj);
    ArrayNode fins = md.get("finalizers") instanceof ArrayNode a ? a : md.putArray("finalizers");
    for (JsonNode f : fins) if (finalizer.equals(f.asString(""))) return;
    fins.add(finalizer);
  }

  /** Where in-cluster clients (client-go, fabric8, kubectl) look for the token, CA and namespace. */
  static final String TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

  /**
   * Kube's ServiceAccount admission: unless the pod or its ServiceAccount opts out with
   * automountServiceAccountToken: false, the pod gets a projected volume {@code kube-api-access-XXXXX}
   * (a bound token the node requests for the pod, the cluster CA from the kube-root-ca.crt ConfigMap,
   * the namespace) mounted read-only at {@link #TOKEN_MOUNT_PATH} in every container and init
   * container that does not mount something there already. A ServiceAccount that does not exist yet
   * (the controller-manager creates {@code default} just after its namespace) does not block the pod:
   * the node retries the token until it does.
   */
  private static void serviceAccountToken(ResourceService svc, String namespace, ObjectNode spec) {
    JsonNode podOptOut = spec.get("automountServiceAccountToken");
    if (podOptOut != null && podOptOut.isBoolean() && !podOptOut.booleanValue()) return;
    if (podOptOut == null || podOptOut.isNull()) {
      ResourceType saType = ResourceRegistry.find("", "v1", "serviceaccounts").orElseThrow();
      ObjectNode sa = namespace.isEmpty() ? null : svc.cached(saType, namespace, spec.path("serviceAccountName").asString("default"));
      if (sa != null && sa.path("automountServiceAccountToken").isBoolean() && !sa.get("automountServiceAccountToken").booleanValue()) return;
    }
    String volumeName = null;
    for (JsonNode v : spec.path("volumes")) {
      if (v.path("name").asString("").startsWith("kube-api-access-")) volumeName = v.path("name").asString();
    }
    if (volumeName == null) {
      volumeName = "kube-api-access-" + ResourceService.randomSuffix();
      ArrayNode volumes = spec.has("volumes") && spec.get("volumes").isArray() ? (ArrayNode) spec.get("volumes") : spec.putArray("volumes");
      ObjectNode projected = volumes.addObject().put("name", volumeName).putObject("projected");
      projected.put("defaultMode", 420);
      ArrayNode sources = projected.putArray("sources");
      sources.addObject().putObject("serviceAccountToken").put("expirationSeconds", 3607).put("path", "token");
      ObjectNode ca = sources.addObject().putObject("configMap").put("name", "kube-root-ca.crt");
      ca.putArray("items").addObject().put("key", "ca.crt").put("path", "ca.crt");
      sources.addObject().putObject("downwardAPI").putArray("items").addObject().put("path", "namespace")
          .putObject("fieldRef").put("apiVersion", "v1").put("fieldPath", "metadata.namespace");
    }
    for (String list : new String[] {"initContainers", "containers"}) {
      for (JsonNode c : spec.path(list)) {
        if (!(c instanceof ObjectNode container)) continue;
        boolean mounted = false;
        for (JsonNode m : container.path("volumeMounts")) mounted |= TOKEN_MOUNT_PATH.equals(m.path("mountPath").asString(""));
        if (mounted) continue;
        ArrayNode mounts = container.has("volumeMounts") && container.get("volumeMounts").isArray()
            ? (ArrayNode) container.get("volumeMounts") : container.putArray("volumeMounts");
        mounts.addObject().put("name", volumeName).put("readOnly", true).put("mountPath", TOKEN_MOUNT_PATH);
      }
    }
  }

  static void admitUpdate(ResourceService svc, ResourceType type, ObjectNode obj, ObjectNode old, String subresource) {
    // Nothing yet: RBAC and node authorization will hook in here.
  }

  private static void runtimeClass(ResourceService svc, ResourceType podType, ObjectNode pod, ObjectNode spec) {
    String rc = spec.path("runtimeClassName").asString("");
    if (rc.isEmpty()) return;
    ResourceType rcType = ResourceRegistry.find("node.k8s.io", "v1", "runtimeclasses").orElseThrow();
    ObjectNode runtimeClass = svc.cached(rcType, null, rc);
    if (runtimeClass == null) {
      throw StatusException.forbidden("pod rejected: RuntimeClass \"" + rc + "\" not found");
    }
    JsonNode fixed = runtimeClass.path("overhead").path("podFixed");
    if (fixed.isObject() && fixed.size() > 0) {
      if (spec.has("overhead") && !spec.get("overhead").equals(fixed)) {
        throw StatusException.forbidden("pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
      }
      spec.putObject("overhead").setAll((ObjectNode) fixed);
    }
    JsonNode sel = runtimeClass.path("scheduling").path("nodeSelector");
    if (sel.isObject()) {
      ObjectNode ns = spec.has("nodeSelector") && spec.get("nodeSelector").isObject()
          ? (ObjectNode) spec.get("nodeSelector") : spec.putObject("nodeSelector");
      for (Map.Entry<String, JsonNode> e : sel.properties()) {
        JsonNode mine = ns.get(e.getKey());
        if (mine != null && !mine.equals(e.getValue())) {
          throw StatusException.forbidden("pod rejected: conflicting nodeSelector " + e.getKey()
              + " between the pod and RuntimeClass \"" + rc + "\"");
        }
        ns.set(e.getKey(), e.getValue());
      }
    }
    JsonNode tol = runtimeClass.path("scheduling").path("tolerations");
    if (tol.isArray() && tol.size() > 0) {
      ArrayNode pt = spec.has("tolerations") && spec.get("tolerations").isArray() ? (ArrayNode) spec.get("tolerations") : spec.putArray("tolerations");
      for (JsonNode t : tol) {
        boolean present = false;
        for (JsonNode p : pt) present |= p.equals(t);
        if (!present) pt.add(t);
      }
    }
  }

  private static void priority(ResourceService svc, ResourceType podType, ObjectNode pod, ObjectNode spec) {
    String pc = spec.path("priorityClassName").asString("");
    if (pc.isEmpty()) {
      if (!spec.has("priority")) spec.put("priority", 0);
      return;
    }
    Integer value = SYSTEM_PRIORITIES.get(pc);
    String preemption = "PreemptLowerPriority";
    if (value == null) {
      ResourceType pcType = ResourceRegistry.find("scheduling.k8s.io", "v1", "priorityclasses").orElseThrow();
      ObjectNode cls = svc.cached(pcType, null, pc);
      if (cls == null) throw StatusException.forbidden("pods \"" + pod.path("metadata").path("name").asString("")
          + "\" is forbidden: no PriorityClass with name " + pc + " was found");
      value = cls.path("value").asInt(0);
      preemption = cls.path("preemptionPolicy").asString(preemption);
    }
    spec.put("priority", value);
    if (!spec.has("preemptionPolicy")) spec.put("preemptionPolicy", preemption);
  }
}
