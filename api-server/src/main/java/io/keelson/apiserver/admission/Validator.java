package io.keelson.apiserver.admission;

import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Per-kind validation of objects before they are stored, worded like Kubernetes: every problem is one
 * cause with the field path ({@code spec.template.spec.containers[0].image}) and the message
 * Kubernetes gives, all reported together in one 422 Invalid. On update, also the immutability rules.
 * Runs after {@link Defaulter}, so defaulted fields are present.
 */
public final class Validator {

  private static final int MAX_ANNOTATIONS_BYTES = 256 * 1024;
  private static final int MAX_CONFIG_BYTES = 1024 * 1024;
  private static final List<String> PULL_POLICIES = List.of("Always", "IfNotPresent", "Never");
  private static final List<String> RESTART_POLICIES = List.of("Always", "OnFailure", "Never");
  private static final List<String> DNS_POLICIES = List.of("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None");
  private static final List<String> PROTOCOLS = List.of("SCTP", "TCP", "UDP");
  private static final List<String> ADDRESS_TYPES = List.of("IPv4", "IPv6", "FQDN");
  private static final List<String> SERVICE_TYPES = List.of("ClusterIP", "ExternalName", "LoadBalancer", "NodePort");
  private static final List<String> TAINT_EFFECTS = List.of("NoExecute", "NoSchedule", "PreferNoSchedule");
  private static final Set<String> STANDARD_RESOURCES = Set.of("cpu", "memory", "ephemeral-storage", "storage", "pods");
  private static final Pattern IPV4 = Pattern.compile("^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}"
      + "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$");
  private static final String POD_UPDATE_FORBIDDEN = "pod updates may not change fields other than `spec.containers[*].image`,"
      + "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
      + "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

  private Validator() {}

  /**
   * Validates {@code obj} (and, on update, the change from {@code old}).
   *
   * @throws StatusException 422 Invalid with one cause per problem
   */
  public static void validate(ResourceType type, ObjectNode obj, ObjectNode old) {
    FieldErrors errs = new FieldErrors();
    metadata(type, obj, old, errs);
    switch (type.group() + "/" + type.kind()) {
      case "/Pod" -> pod(obj, old, errs);
      case "apps/Deployment" -> deployment(obj, old, errs);
      case "apps/ReplicaSet" -> replicaSet(obj, old, errs);
      case "apps/DaemonSet" -> daemonSet(obj, old, errs);
      case "apps/StatefulSet" -> statefulSet(obj, old, errs);
      case "batch/Job" -> job(obj, old, errs);
      case "batch/CronJob" -> cronJob(obj, old, errs);
      case "autoscaling/HorizontalPodAutoscaler" -> horizontalPodAutoscaler(obj, errs);
      case "policy/PodDisruptionBudget" -> podDisruptionBudget(obj, errs);
      case NetworkPolicies.GROUP + "/NetworkPolicy" -> NetworkPolicies.validate(obj, errs);
      case VirtualMachines.GROUP + "/VirtualMachine" -> VirtualMachines.validate(obj, errs);
      case "/Service" -> service(obj, old, errs);
      case "/ConfigMap" -> configMap(obj, old, errs);
      case "/Secret" -> secret(obj, old, errs);
      case "/Namespace" -> namespace(obj, errs);
      case "/Node" -> node(obj, errs);
      case "/Endpoints" -> endpoints(obj, errs);
      case "discovery.k8s.io/EndpointSlice" -> endpointSlice(obj, old, errs);
      case "/Event" -> event(obj, errs);
      case "apps/ControllerRevision" -> controllerRevision(obj, old, errs);
      case "coordination.k8s.io/Lease" -> lease(obj, errs);
      case "scheduling.k8s.io/PriorityClass" -> priorityClass(obj, old, errs);
      case "node.k8s.io/RuntimeClass" -> runtimeClass(obj, old, errs);
      case "certificates.k8s.io/CertificateSigningRequest" -> CertificateRequests.validate(obj, old, errs);
      case IngressObjects.GROUP + "/Ingress" -> IngressObjects.ingress(obj, errs);
      case IngressObjects.GROUP + "/IngressClass" -> IngressObjects.ingressClass(obj, old, errs);
      case "/PersistentVolume" -> StorageObjects.volume(obj, old, errs);
      case "/PersistentVolumeClaim" -> StorageObjects.claim(obj, old, errs);
      case "storage.k8s.io/StorageClass" -> StorageObjects.storageClass(obj, old, errs);
      case "/ResourceQuota" -> QuotaObjects.resourceQuota(obj, errs);
      case "/LimitRange" -> QuotaObjects.limitRange(obj, errs);
      case RbacObjects.GROUP + "/Role" -> RbacObjects.role(obj, true, errs);
      case RbacObjects.GROUP + "/ClusterRole" -> RbacObjects.role(obj, false, errs);
      case RbacObjects.GROUP + "/RoleBinding" -> RbacObjects.binding(obj, old, true, errs);
      case RbacObjects.GROUP + "/ClusterRoleBinding" -> RbacObjects.binding(obj, old, false, errs);
      case CustomResourceDefinitions.GROUP + "/CustomResourceDefinition" -> CustomResourceDefinitions.validate(obj, old, errs);
      case WebhookConfigurations.GROUP + "/MutatingWebhookConfiguration" -> WebhookConfigurations.validate(obj, true, errs);
      case WebhookConfigurations.GROUP + "/ValidatingWebhookConfiguration" -> WebhookConfigurations.validate(obj, false, errs);
      case AdmissionPolicyObjects.GROUP + "/ValidatingAdmissionPolicy" -> AdmissionPolicyObjects.policy(obj, errs);
      case AdmissionPolicyObjects.GROUP + "/ValidatingAdmissionPolicyBinding" -> AdmissionPolicyObjects.binding(obj, errs);
      default -> {
        if (io.keelson.apiserver.resource.CustomResource.isCustom(type)) customResource(type, obj, old, errs);
      }
    }
    if (!errs.isEmpty()) {
      String name = text(obj.path("metadata").path("name"));
      throw StatusException.invalid(type, name == null ? "" : name, errs.causes());
    }
  }

  /**
   * Validates a custom resource by its version's schema and CEL rules alone (no metadata): a write in a
   * version converted by a webhook is held to that version's schema before it is converted, as in kube.
   *
   * @throws StatusException 422 Invalid with one cause per problem
   */
  public static void validateCustomResource(ResourceType type, ObjectNode obj) {
    FieldErrors errs = new FieldErrors();
    customResource(type, obj, null, errs);
    if (!errs.isEmpty()) {
      String name = text(obj.path("metadata").path("name"));
      throw StatusException.invalid(type, name == null ? "" : name, errs.causes());
    }
  }

  private static void customResource(ResourceType type, ObjectNode obj, ObjectNode old, FieldErrors errs) {
    io.keelson.apiserver.resource.CustomResource cr = io.keelson.apiserver.resource.ResourceRegistry.customOf(type);
    if (cr == null) return;
    int before = errs.causes().size();
    StructuralSchemas.validate(cr, obj, errs);
    // CEL rules see only values of the schema's shape (kube: "some validation rules were not checked")
    if (errs.causes().size() == before) ValidationRules.validate(cr, obj, old, errs);
  }

  /**
   * The check a pod binding makes of its target (the binding writes {@code spec.nodeName} without
   * validating the whole pod again): the node name must be a DNS subdomain, as every later update of
   * the pod requires. Same 422 as validating the bound pod would give.
   */
  public static void validateBindingTarget(ResourceType podType, String podName, String nodeName) {
    FieldErrors errs = new FieldErrors();
    for (String msg : Names.dns1123Subdomain(nodeName)) errs.invalid("spec.nodeName", nodeName, msg);
    if (!errs.isEmpty()) throw StatusException.invalid(podType, podName, errs.causes());
  }

  // ================================================================== metadata

  private static void metadata(ResourceType type, ObjectNode obj, ObjectNode old, FieldErrors errs) {
    JsonNode meta = obj.path("metadata");
    String name = text(meta.path("name"));
    String generateName = text(meta.path("generateName"));
    if (name == null || name.isEmpty()) {
      if (generateName == null || generateName.isEmpty()) errs.required("metadata.name", "name or generateName is required");
    } else {
      for (String msg : nameErrors(type, name)) errs.invalid("metadata.name", name, msg);
    }
    if (generateName != null && !generateName.isEmpty()) {
      for (String msg : nameErrors(type, Names.asPrefix(generateName))) errs.invalid("metadata.generateName", generateName, msg);
    }
    String ns = text(meta.path("namespace"));
    if (!type.namespaced() && ns != null && !ns.isEmpty()) errs.forbidden("metadata.namespace", "not allowed on this type");
    if (type.namespaced() && ns != null && !ns.isEmpty()) {
      for (String msg : Names.dns1123Label(ns)) errs.invalid("metadata.namespace", ns, msg);
    }
    labels(meta.path("labels"), "metadata.labels", errs);
    annotations(meta.path("annotations"), "metadata.annotations", errs);
    int i = 0;
    for (JsonNode ref : meta.path("ownerReferences")) {
      String p = "metadata.ownerReferences[" + i++ + "]";
      if (isBlank(ref.path("apiVersion"))) errs.invalid(p + ".apiVersion", "", "version must not be empty");
      if (isBlank(ref.path("kind"))) errs.invalid(p + ".kind", "", "kind must not be empty");
      if (isBlank(ref.path("name"))) errs.invalid(p + ".name", "", "name must not be empty");
      if (isBlank(ref.path("uid"))) errs.invalid(p + ".uid", "", "uid must not be empty");
    }
    i = 0;
    for (JsonNode f : meta.path("finalizers")) {
      String p = "metadata.finalizers[" + i++ + "]";
      String v = text(f);
      if (v == null) errs.invalid(p, f, "must be a string");
      else for (String msg : Names.qualifiedName(v)) errs.invalid(p, v, msg);
    }
    if (old != null) {
      JsonNode oldMeta = old.path("metadata");
      for (String field : new String[] {"name", "namespace", "uid", "creationTimestamp"}) {
        String now = text(meta.path(field));
        String before = text(oldMeta.path(field));
        if (before != null && !before.isEmpty() && now != null && !now.isEmpty() && !now.equals(before)) {
          errs.invalid("metadata." + field, now, "field is immutable");
        }
      }
    }
  }

  private static List<String> nameErrors(ResourceType type, String name) {
    List<String> errs = new ArrayList<>();
    if (name.equals(".") || name.equals("..")) errs.add("may not be '" + name + "'");
    if (name.contains("/")) errs.add("may not contain '/'");
    if (name.contains("%")) errs.add("may not contain '%'");
    if (!errs.isEmpty() || type.group().equals(RbacObjects.GROUP)) return errs; // RBAC names are path segments
    return switch (type.group() + "/" + type.kind()) {
      case "/Namespace" -> Names.dns1123Label(name);
      case "/Service" -> Names.dns1035Label(name);
      default -> Names.dns1123Subdomain(name);
    };
  }

  /**
   * What is wrong with labels or annotations (either may be null: not looked at), each as kube
   * prints a field error ({@code metadata.labels: Invalid value: ...}); empty when fine. For the
   * labels and annotations a conversion webhook answers, checked as kube checks them there.
   */
  public static List<String> labelsAndAnnotations(JsonNode labels, JsonNode annotations) {
    FieldErrors errs = new FieldErrors();
    if (labels != null) labels(labels, "metadata.labels", errs);
    if (annotations != null) annotations(annotations, "metadata.annotation", errs); // sic: kube's path there
    return errs.causes().stream().map(c -> c.field() + ": " + c.message()).toList();
  }

  static void labels(JsonNode labels, String path, FieldErrors errs) {
    if (labels.isMissingNode() || labels.isNull()) return;
    if (!labels.isObject()) {
      errs.invalid(path, labels, "must be a map of string keys to string values");
      return;
    }
    for (Map.Entry<String, JsonNode> e : labels.properties()) {
      for (String msg : Names.qualifiedName(e.getKey())) errs.invalid(path, e.getKey(), msg);
      String v = text(e.getValue());
      if (v == null) errs.invalid(path, e.getValue(), "label values must be strings");
      else for (String msg : Names.labelValue(v)) errs.invalid(path, v, msg);
    }
  }

  private static void annotations(JsonNode annotations, String path, FieldErrors errs) {
    if (annotations.isMissingNode() || annotations.isNull()) return;
    if (!annotations.isObject()) {
      errs.invalid(path, annotations, "must be a map of string keys to string values");
      return;
    }
    long size = 0;
    for (Map.Entry<String, JsonNode> e : annotations.properties()) {
      for (String msg : Names.qualifiedName(e.getKey().toLowerCase(java.util.Locale.ROOT))) errs.invalid(path, e.getKey(), msg);
      String v = text(e.getValue());
      if (v == null) errs.invalid(path, e.getValue(), "annotation values must be strings");
      size += e.getKey().getBytes(StandardCharsets.UTF_8).length + (v == null ? 0 : v.getBytes(StandardCharsets.UTF_8).length);
    }
    if (size > MAX_ANNOTATIONS_BYTES) errs.tooLong(path, MAX_ANNOTATIONS_BYTES);
  }

  // ================================================================== pods

  private static void pod(ObjectNode pod, ObjectNode old, FieldErrors errs) {
    JsonNode spec = pod.path("spec");
    if (!spec.isObject()) {
      errs.required("spec");
      return;
    }
    podSpec(spec, "spec", errs, RESTART_POLICIES);
    if (old != null) podUpdate(spec, old.path("spec"), errs);
    else if (spec.path("ephemeralContainers").size() > 0) errs.forbidden("spec.ephemeralContainers", "cannot be set on create");
  }

  /** Fields of a container an ephemeral one may not have: it gets no resources, ports, probes or hooks. */
  private static final List<String> NOT_FOR_EPHEMERAL = List.of(
      "ports", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "resources", "resizePolicy", "restartPolicy");

  /**
   * A pod's ephemeral containers (kubectl debug): containers in all but scheduling, so the container
   * rules apply, names unique across all of the pod's containers, and a target that exists.
   */
  private static void ephemeralContainers(JsonNode spec, String path, Set<String> names, Set<String> volumes, FieldErrors errs) {
    Set<String> targets = new HashSet<>();
    for (String list : new String[] {"initContainers", "containers"}) {
      for (JsonNode c : spec.path(list)) targets.add(c.path("name").asString(""));
    }
    int i = 0;
    for (JsonNode c : spec.path("ephemeralContainers")) {
      String p = path + ".ephemeralContainers[" + i++ + "]";
      container(c, p, names, volumes, errs);
      if (!c.isObject()) continue;
      for (String f : NOT_FOR_EPHEMERAL) {
        JsonNode v = c.path(f);
        boolean set = !v.isMissingNode() && !v.isNull() && !(v.isContainer() && v.isEmpty());
        if (set) errs.forbidden(p + "." + f, "cannot be set for an Ephemeral Container");
      }
      for (JsonNode m : c.path("volumeMounts")) {
        if (!isBlank(m.path("subPath"))) errs.forbidden(p + ".volumeMounts.subPath", "cannot be set for an Ephemeral Container");
      }
      String target = text(c.path("targetContainerName"));
      if (target != null && !target.isEmpty() && !targets.contains(target)) {
        errs.notFound(p + ".targetContainerName", target);
      }
    }
  }

  /**
   * Ephemeral containers are only ever added: each existing one must still be there, unchanged
   * (they run once and cannot be edited or restarted).
   */
  private static void ephemeralContainersUpdate(JsonNode list, JsonNode oldList, FieldErrors errs) {
    Map<String, JsonNode> byName = new HashMap<>();
    for (JsonNode c : list) byName.put(c.path("name").asString(""), c);
    for (JsonNode old : oldList) {
      String name = old.path("name").asString("");
      JsonNode now = byName.get(name);
      if (now == null) errs.forbidden("spec.ephemeralContainers", "existing ephemeral containers \"" + name + "\" may not be removed");
      else if (!now.equals(old)) {
        errs.forbidden("spec.ephemeralContainers[" + name + "]", "existing ephemeral containers \"" + name + "\" may not be changed");
      }
    }
  }

  /** The fields of a running pod's spec that may change; everything else is fixed at creation. */
  private static void podUpdate(JsonNode spec, JsonNode oldSpec, FieldErrors errs) {
    if (spec.equals(oldSpec)) return; // e.g. every status write: nothing to compare field by field
    ObjectNode a = (ObjectNode) spec.deepCopy();
    ObjectNode b = oldSpec.isObject() ? (ObjectNode) oldSpec.deepCopy() : a.objectNode();
    for (String list : new String[] {"containers", "initContainers"}) {
      JsonNode ca = a.path(list);
      JsonNode cb = b.path(list);
      if (!ca.isArray() || !cb.isArray()) continue;
      for (int i = 0; i < ca.size() && i < cb.size(); i++) {
        if (ca.get(i).isObject() && cb.get(i).isObject() && cb.get(i).has("image")) {
          ((ObjectNode) ca.get(i)).set("image", cb.get(i).get("image"));
        }
      }
    }
    a.remove("activeDeadlineSeconds");
    b.remove("activeDeadlineSeconds");
    // Binding sets nodeName once; scheduling gates may only be removed.
    if (isBlank(b.path("nodeName"))) {
      a.remove("nodeName");
      b.remove("nodeName");
    }
    a.remove("schedulingGates");
    b.remove("schedulingGates");
    // added through pods/ephemeralcontainers only (the write path keeps them as stored otherwise)
    ephemeralContainersUpdate(a.path("ephemeralContainers"), b.path("ephemeralContainers"), errs);
    a.remove("ephemeralContainers");
    b.remove("ephemeralContainers");
    JsonNode ta = a.remove("tolerations");
    JsonNode tb = b.remove("tolerations");
    if (tb != null && tb.isArray()) {
      for (JsonNode t : tb) {
        boolean kept = false;
        if (ta != null) for (JsonNode x : ta) kept |= x.equals(t);
        if (!kept) errs.forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds");
      }
    }
    JsonNode ga = a.get("terminationGracePeriodSeconds");
    JsonNode gb = b.get("terminationGracePeriodSeconds");
    if (gb != null && gb.isNumber() && gb.asLong() < 0 && ga != null && ga.isNumber() && ga.asLong() == 1) {
      a.remove("terminationGracePeriodSeconds");
      b.remove("terminationGracePeriodSeconds");
    }
    if (!a.equals(b)) errs.forbidden("spec", POD_UPDATE_FORBIDDEN);
  }

  private static void podSpec(JsonNode spec, String path, FieldErrors errs, List<String> restartPolicies) {
    Set<String> volumes = new HashSet<>();
    int i = 0;
    for (JsonNode v : spec.path("volumes")) {
      String p = path + ".volumes[" + i++ + "]";
      String name = text(v.path("name"));
      if (name == null || name.isEmpty()) errs.required(p + ".name");
      else {
        for (String msg : Names.dns1123Label(name)) errs.invalid(p + ".name", name, msg);
        if (!volumes.add(name)) errs.duplicate(p + ".name", name);
      }
      if (v.path("configMap").isObject() && isBlank(v.path("configMap").path("name"))) errs.required(p + ".configMap.name");
      if (v.path("secret").isObject() && isBlank(v.path("secret").path("secretName"))) errs.required(p + ".secret.secretName");
      if (v.path("hostPath").isObject() && isBlank(v.path("hostPath").path("path"))) errs.required(p + ".hostPath.path");
      if (v.path("persistentVolumeClaim").isObject() && isBlank(v.path("persistentVolumeClaim").path("claimName"))) {
        errs.required(p + ".persistentVolumeClaim.claimName");
      }
    }
    JsonNode containers = spec.path("containers");
    if (!containers.isArray() || containers.isEmpty()) errs.required(path + ".containers");
    Set<String> names = new HashSet<>();
    for (String list : new String[] {"initContainers", "containers"}) {
      i = 0;
      for (JsonNode c : spec.path(list)) container(c, path + "." + list + "[" + i++ + "]", names, volumes, errs);
    }
    ephemeralContainers(spec, path, names, volumes, errs);
    String restart = text(spec.path("restartPolicy"));
    if (restart != null && !restartPolicies.contains(restart)) errs.notSupported(path + ".restartPolicy", restart, restartPolicies);
    String dns = text(spec.path("dnsPolicy"));
    if (dns != null && !DNS_POLICIES.contains(dns)) errs.notSupported(path + ".dnsPolicy", dns, DNS_POLICIES);
    nonNegative(spec.path("terminationGracePeriodSeconds"), path + ".terminationGracePeriodSeconds", errs);
    JsonNode deadline = spec.path("activeDeadlineSeconds");
    if (!deadline.isMissingNode() && !deadline.isNull() && (!deadline.canConvertToLong() || deadline.asLong() < 1 || !deadline.isIntegralNumber())) {
      errs.invalid(path + ".activeDeadlineSeconds", deadline, "must be between 1 and 2147483647, inclusive");
    }
    for (String f : new String[] {"nodeName", "serviceAccountName"}) {
      String v = text(spec.path(f));
      if (v != null && !v.isEmpty()) for (String msg : Names.dns1123Subdomain(v)) errs.invalid(path + "." + f, v, msg);
    }
    labels(spec.path("nodeSelector"), path + ".nodeSelector", errs);
    i = 0;
    for (JsonNode t : spec.path("tolerations")) toleration(t, path + ".tolerations[" + i++ + "]", errs);
  }

  private static void container(JsonNode c, String p, Set<String> names, Set<String> volumes, FieldErrors errs) {
    if (!c.isObject()) {
      errs.invalid(p, c, "must be an object");
      return;
    }
    String name = text(c.path("name"));
    if (name == null || name.isEmpty()) errs.required(p + ".name");
    else {
      for (String msg : Names.dns1123Label(name)) errs.invalid(p + ".name", name, msg);
      if (!names.add(name)) errs.duplicate(p + ".name", name);
    }
    String image = text(c.path("image"));
    if (image == null || image.isBlank()) errs.required(p + ".image");
    else if (!image.equals(image.strip())) errs.invalid(p + ".image", image, "must not have leading or trailing whitespace");
    String pull = text(c.path("imagePullPolicy"));
    if (pull != null && !PULL_POLICIES.contains(pull)) errs.notSupported(p + ".imagePullPolicy", pull, PULL_POLICIES);
    Set<String> portNames = new HashSet<>();
    int i = 0;
    for (JsonNode port : c.path("ports")) {
      String pp = p + ".ports[" + i++ + "]";
      String pn = text(port.path("name"));
      if (pn != null && !pn.isEmpty()) {
        for (String msg : Names.portName(pn)) errs.invalid(pp + ".name", pn, msg);
        if (!portNames.add(pn)) errs.duplicate(pp + ".name", pn);
      }
      JsonNode cp = port.path("containerPort");
      if (cp.isMissingNode() || cp.isNull() || (cp.isNumber() && cp.asLong() == 0)) errs.required(pp + ".containerPort");
      else portNumber(cp, pp + ".containerPort", errs);
      JsonNode hp = port.path("hostPort");
      if (hp.isNumber() && hp.asLong() != 0) portNumber(hp, pp + ".hostPort", errs);
      String proto = text(port.path("protocol"));
      if (proto != null && !PROTOCOLS.contains(proto)) errs.notSupported(pp + ".protocol", proto, PROTOCOLS);
    }
    i = 0;
    for (JsonNode env : c.path("env")) {
      String ep = p + ".env[" + i++ + "]";
      String en = text(env.path("name"));
      if (en == null || en.isEmpty()) errs.required(ep + ".name");
      else for (String msg : Names.envVarName(en)) errs.invalid(ep + ".name", en, msg);
      if (env.has("valueFrom") && !isBlank(env.path("value"))) {
        errs.invalid(ep + ".valueFrom", "", "may not be specified when `value` is not empty");
      }
    }
    resources(c.path("resources"), p + ".resources", errs);
    Set<String> mountPaths = new HashSet<>();
    i = 0;
    for (JsonNode m : c.path("volumeMounts")) {
      String mp = p + ".volumeMounts[" + i++ + "]";
      String vn = text(m.path("name"));
      if (vn == null || vn.isEmpty()) errs.required(mp + ".name");
      else if (!volumes.contains(vn)) errs.notFound(mp + ".name", vn);
      String path = text(m.path("mountPath"));
      if (path == null || path.isEmpty()) errs.required(mp + ".mountPath");
      else if (!mountPaths.add(path)) errs.invalid(mp + ".mountPath", path, "must be unique");
    }
    for (String probe : new String[] {"livenessProbe", "readinessProbe", "startupProbe"}) {
      JsonNode pr = c.path(probe);
      if (!pr.isObject()) continue;
      String pp = p + "." + probe;
      int handlers = 0;
      for (String h : new String[] {"exec", "httpGet", "tcpSocket", "grpc"}) if (pr.has(h)) handlers++;
      if (handlers == 0) errs.required(pp, "must specify a handler type");
      else if (handlers > 1) errs.forbidden(pp, "may not specify more than 1 handler type");
      for (String f : new String[] {"initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"}) {
        nonNegative(pr.path(f), pp + "." + f, errs);
      }
      if ((probe.equals("livenessProbe") || probe.equals("startupProbe")) && pr.path("successThreshold").isNumber()
          && pr.path("successThreshold").asInt() != 1) {
        errs.invalid(pp + ".successThreshold", pr.path("successThreshold"), "must be 1");
      }
      JsonNode port = pr.path("httpGet").path("port");
      if (port.isMissingNode()) port = pr.path("tcpSocket").path("port");
      if (!port.isMissingNode()) intOrNamedPort(port, pp + (pr.has("httpGet") ? ".httpGet" : ".tcpSocket") + ".port", errs);
    }
  }

  private static void resources(JsonNode res, String p, FieldErrors errs) {
    Map<String, BigDecimal> limits = quantities(res.path("limits"), p + ".limits", errs);
    Map<String, BigDecimal> requests = quantities(res.path("requests"), p + ".requests", errs);
    for (Map.Entry<String, BigDecimal> r : requests.entrySet()) {
      BigDecimal limit = limits.get(r.getKey());
      if (limit != null && r.getValue().compareTo(limit) > 0) {
        errs.invalid(p + ".requests[" + r.getKey() + "]", text(res.path("requests").path(r.getKey()), res.path("requests").path(r.getKey()).toString()),
            "must be less than or equal to " + r.getKey() + " limit of " + text(res.path("limits").path(r.getKey()), limit.toPlainString()));
      }
    }
  }

  private static Map<String, BigDecimal> quantities(JsonNode list, String p, FieldErrors errs) {
    Map<String, BigDecimal> out = new HashMap<>();
    if (!list.isObject()) return out;
    for (Map.Entry<String, JsonNode> e : list.properties()) {
      String rp = p + "[" + e.getKey() + "]";
      String resource = e.getKey();
      if (!STANDARD_RESOURCES.contains(resource) && !resource.startsWith("hugepages-") && !resource.contains("/")) {
        errs.invalid(rp, resource, "must be a standard resource type or fully qualified");
        continue;
      }
      if (resource.contains("/")) for (String msg : Names.qualifiedName(resource)) errs.invalid(rp, resource, msg);
      JsonNode v = e.getValue();
      String raw = v.isString() ? v.stringValue() : v.isNumber() ? v.decimalValue().toPlainString() : null;
      if (raw == null) {
        errs.invalid(rp, v, Quantities.FORMAT_ERROR);
        continue;
      }
      try {
        BigDecimal q = Quantities.parse(raw);
        if (q.signum() < 0) errs.invalid(rp, raw, "must be greater than or equal to 0");
        else out.put(resource, q);
        if (resource.equals("cpu") && q.signum() > 0 && q.compareTo(new BigDecimal("0.001")) < 0) {
          errs.invalid(rp, raw, "must be greater than or equal to 1m");
        }
      } catch (IllegalArgumentException ex) {
        errs.invalid(rp, raw, ex.getMessage());
      }
    }
    return out;
  }

  private static void toleration(JsonNode t, String p, FieldErrors errs) {
    String key = text(t.path("key"));
    String op = text(t.path("operator"), "Equal");
    if (key != null && !key.isEmpty()) for (String msg : Names.qualifiedName(key)) errs.invalid(p + ".key", key, msg);
    if ((key == null || key.isEmpty()) && !op.equals("Exists")) {
      errs.invalid(p + ".operator", op, "operator must be Exists when `key` is empty, which means \"match all values and all keys\"");
    }
    if (op.equals("Exists") && !isBlank(t.path("value"))) {
      errs.invalid(p + ".operator", op, "value must be empty when `operator` is 'Exists'");
    } else if (!op.equals("Exists") && !op.equals("Equal")) {
      errs.notSupported(p + ".operator", op, List.of("Equal", "Exists"));
    }
    String effect = text(t.path("effect"));
    if (effect != null && !effect.isEmpty() && !TAINT_EFFECTS.contains(effect)) errs.notSupported(p + ".effect", effect, TAINT_EFFECTS);
    if (t.has("tolerationSeconds") && !t.path("tolerationSeconds").isNull() && !"NoExecute".equals(effect)) {
      errs.invalid(p + ".effect", effect == null ? "" : effect, "effect must be 'NoExecute' when `tolerationSeconds` is set");
    }
  }

  // ================================================================== workloads

  private static void deployment(ObjectNode d, ObjectNode old, FieldErrors errs) {
    JsonNode spec = d.path("spec");
    nonNegative(spec.path("replicas"), "spec.replicas", errs);
    workloadSelectorAndTemplate(spec, old, "deployment", errs);
    JsonNode strategy = spec.path("strategy");
    String type = text(strategy.path("type"));
    if (type != null && !List.of("Recreate", "RollingUpdate").contains(type)) {
      errs.notSupported("spec.strategy.type", type, List.of("Recreate", "RollingUpdate"));
    }
    if ("Recreate".equals(type) && strategy.has("rollingUpdate") && !strategy.get("rollingUpdate").isNull()) {
      errs.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
    }
    JsonNode ru = strategy.path("rollingUpdate");
    if (ru.isObject()) {
      intOrPercent(ru.path("maxSurge"), "spec.strategy.rollingUpdate.maxSurge", errs);
      intOrPercent(ru.path("maxUnavailable"), "spec.strategy.rollingUpdate.maxUnavailable", errs);
      if (isZero(ru.path("maxSurge")) && isZero(ru.path("maxUnavailable"))) {
        errs.invalid("spec.strategy.rollingUpdate.maxUnavailable", ru.path("maxUnavailable"), "may not be 0 when `maxSurge` is 0");
      }
      if (percent(ru.path("maxUnavailable")) > 100) {
        errs.invalid("spec.strategy.rollingUpdate.maxUnavailable", ru.path("maxUnavailable"), "must not be greater than 100%");
      }
    }
    nonNegative(spec.path("revisionHistoryLimit"), "spec.revisionHistoryLimit", errs);
    nonNegative(spec.path("minReadySeconds"), "spec.minReadySeconds", errs);
    JsonNode pds = spec.path("progressDeadlineSeconds");
    if (pds.isNumber()) {
      nonNegative(pds, "spec.progressDeadlineSeconds", errs);
      if (pds.asLong() <= spec.path("minReadySeconds").asLong(0)) {
        errs.invalid("spec.progressDeadlineSeconds", pds, "must be greater than minReadySeconds");
      }
    }
  }

  private static void replicaSet(ObjectNode rs, ObjectNode old, FieldErrors errs) {
    JsonNode spec = rs.path("spec");
    nonNegative(spec.path("replicas"), "spec.replicas", errs);
    nonNegative(spec.path("minReadySeconds"), "spec.minReadySeconds", errs);
    workloadSelectorAndTemplate(spec, old, "replicaset", errs);
  }

  private static void daemonSet(ObjectNode ds, ObjectNode old, FieldErrors errs) {
    JsonNode spec = ds.path("spec");
    workloadSelectorAndTemplate(spec, old, "daemonset", errs);
    JsonNode us = spec.path("updateStrategy");
    String type = text(us.path("type"));
    if (type != null && !List.of("OnDelete", "RollingUpdate").contains(type)) {
      errs.notSupported("spec.updateStrategy.type", type, List.of("OnDelete", "RollingUpdate"));
    }
    JsonNode ru = us.path("rollingUpdate");
    if (ru.isObject()) {
      intOrPercent(ru.path("maxSurge"), "spec.updateStrategy.rollingUpdate.maxSurge", errs);
      intOrPercent(ru.path("maxUnavailable"), "spec.updateStrategy.rollingUpdate.maxUnavailable", errs);
      if (isZero(ru.path("maxSurge")) && isZero(ru.path("maxUnavailable"))) {
        errs.invalid("spec.updateStrategy.rollingUpdate.maxUnavailable", ru.path("maxUnavailable"), "may not be 0 when `maxSurge` is 0");
      }
    }
    nonNegative(spec.path("revisionHistoryLimit"), "spec.revisionHistoryLimit", errs);
    nonNegative(spec.path("minReadySeconds"), "spec.minReadySeconds", errs);
  }

  /** Spec fields kube lets a StatefulSet update change (revisionHistoryLimit too, though its message leaves it out). */
  private static final List<String> STATEFULSET_MUTABLE = List.of("replicas", "ordinals", "template", "updateStrategy",
      "persistentVolumeClaimRetentionPolicy", "minReadySeconds", "revisionHistoryLimit");

  private static void statefulSet(ObjectNode sts, ObjectNode old, FieldErrors errs) {
    JsonNode spec = sts.path("spec");
    nonNegative(spec.path("replicas"), "spec.replicas", errs);
    nonNegative(spec.path("minReadySeconds"), "spec.minReadySeconds", errs);
    nonNegative(spec.path("revisionHistoryLimit"), "spec.revisionHistoryLimit", errs);
    nonNegative(spec.path("ordinals").path("start"), "spec.ordinals.start", errs);
    workloadSelectorAndTemplate(spec, old, "statefulset", errs);
    String policy = text(spec.path("podManagementPolicy"));
    if (policy != null && !List.of("OrderedReady", "Parallel").contains(policy)) {
      errs.notSupported("spec.podManagementPolicy", policy, List.of("OrderedReady", "Parallel"));
    }
    JsonNode us = spec.path("updateStrategy");
    String type = text(us.path("type"));
    if (type != null && !List.of("OnDelete", "RollingUpdate").contains(type)) {
      errs.notSupported("spec.updateStrategy.type", type, List.of("OnDelete", "RollingUpdate"));
    }
    if ("OnDelete".equals(type) && us.path("rollingUpdate").isObject()) {
      errs.invalid("spec.updateStrategy.rollingUpdate", us.path("rollingUpdate"), "only allowed for updateStrategy 'RollingUpdate'");
    }
    nonNegative(us.path("rollingUpdate").path("partition"), "spec.updateStrategy.rollingUpdate.partition", errs);
    for (String when : new String[] {"whenDeleted", "whenScaled"}) {
      String v = text(spec.path("persistentVolumeClaimRetentionPolicy").path(when));
      if (v != null && !List.of("Retain", "Delete").contains(v)) {
        errs.notSupported("spec.persistentVolumeClaimRetentionPolicy." + when, v, List.of("Retain", "Delete"));
      }
    }
    int t = 0;
    for (JsonNode claim : spec.path("volumeClaimTemplates")) {
      String p = "spec.volumeClaimTemplates[" + t++ + "]";
      String name = text(claim.path("metadata").path("name"));
      if (name == null || name.isEmpty()) errs.required(p + ".metadata.name");
      StorageObjects.claimSpec(claim.path("spec"), p + ".spec", errs);
    }
    if (old != null && spec.isObject()) {
      ObjectNode before = old.path("spec").isObject() ? ((ObjectNode) old.get("spec")).deepCopy() : sts.objectNode();
      ObjectNode now = ((ObjectNode) spec).deepCopy();
      for (String f : STATEFULSET_MUTABLE) {
        before.remove(f);
        now.remove(f);
      }
      if (!before.equals(now)) {
        errs.forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', "
            + "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
      }
    }
  }

  // ================================================================== batch

  private static final List<String> JOB_RESTART_POLICIES = List.of("OnFailure", "Never");
  private static final List<String> COMPLETION_MODES = List.of("NonIndexed", "Indexed");
  private static final List<String> POD_FAILURE_POLICY_ACTIONS = List.of("Count", "FailIndex", "FailJob", "Ignore");
  private static final int MAX_FAILED_INDEXES = 100_000;
  private static final int COMPLETIONS_SOFT_LIMIT = 100_000;
  private static final int HIGH_COMPLETIONS_LIMIT = 10_000;
  private static final List<String> POD_REPLACEMENT_POLICIES = List.of("Failed", "TerminatingOrFailed");
  /** A CronJob's Jobs are named {@code <cronjob>-<11 digits>} and a Job name must fit a label value (63). */
  private static final int MAX_CRONJOB_NAME = 52;

  private static void job(ObjectNode job, ObjectNode old, FieldErrors errs) {
    JsonNode spec = job.path("spec");
    if (!spec.isObject()) {
      errs.required("spec");
      return;
    }
    generatedSelector(job, errs);
    jobSpec(spec, "spec", errs);
    JsonNode selector = spec.path("selector");
    if (!selector.isObject()) {
      errs.required("spec.selector");
    } else {
      labelSelector(selector, "spec.selector", errs);
      JsonNode labels = spec.path("template").path("metadata").path("labels");
      if (!selectorMatches(selector, labels)) {
        errs.invalid("spec.template.metadata.labels", labels.isMissingNode() ? job.objectNode() : labels,
            "`selector` does not match template `labels`");
      }
    }
    // the pods of an Indexed Job are named <job>-<index>, and their hostname must be a DNS label
    String name = text(job.path("metadata").path("name"), "");
    JsonNode completions = spec.path("completions");
    if ("Indexed".equals(text(spec.path("completionMode"))) && completions.isIntegralNumber() && completions.asLong() > 0 && !name.isEmpty()) {
      String hostname = name + "-" + (completions.asLong() - 1);
      if (!Names.dns1123Label(hostname).isEmpty()) {
        errs.invalid("metadata.name", name, "will not able to create pod with invalid DNS label: " + hostname);
      }
    }
    if (old != null) {
      JsonNode oldSpec = old.path("spec");
      // kube lets a suspended Job's scheduling directives and an elastic Indexed Job's completions
      // change; Keelson keeps the whole template and the counts fixed, as kube does otherwise
      for (String f : new String[] {"selector", "template", "completions", "completionMode", "podFailurePolicy", "backoffLimitPerIndex"}) {
        JsonNode before = oldSpec.path(f);
        JsonNode now = spec.path(f);
        if (!before.equals(now) && !(isUnset(before) && isUnset(now))) errs.invalid("spec." + f, now.isMissingNode() ? "null" : now, "field is immutable");
      }
    }
  }

  private static boolean isUnset(JsonNode n) {
    return n.isMissingNode() || n.isNull();
  }

  /**
   * kube's validateGeneratedSelector: unless the selector is manual, the pods carry the Job's uid and
   * name as generated, and the selector picks that uid (a user's conflicting label is caught here).
   */
  private static void generatedSelector(ObjectNode job, FieldErrors errs) {
    JsonNode spec = job.path("spec");
    if (spec.path("manualSelector").asBoolean(false) || !spec.path("selector").isObject()) return;
    String uid = text(job.path("metadata").path("uid"), "");
    String name = text(job.path("metadata").path("name"), "");
    if (uid.isEmpty()) errs.required("metadata.uid");
    JsonNode labels = spec.path("template").path("metadata").path("labels");
    for (String key : Defaulter.CONTROLLER_UID_LABELS) hasLabel(labels, key, uid, errs);
    for (String key : Defaulter.JOB_NAME_LABELS) hasLabel(labels, key, name, errs);
    ObjectNode expected = job.objectNode();
    for (String key : Defaulter.CONTROLLER_UID_LABELS) expected.put(key, uid);
    for (String key : Defaulter.JOB_NAME_LABELS) expected.put(key, name);
    if (!selectorMatches(spec.path("selector"), expected)) errs.invalid("spec.selector", spec.path("selector"), "`selector` not auto-generated");
  }

  private static void hasLabel(JsonNode labels, String key, String value, FieldErrors errs) {
    String p = "spec.template.metadata.labels[" + key + "]";
    JsonNode v = labels.path(key);
    if (v.isMissingNode() || v.isNull()) errs.required(p);
    else if (!value.equals(text(v))) errs.invalid(p, v, "must be '" + value + "'");
  }

  /** What a Job's spec and a CronJob's jobTemplate.spec share: counts, modes, a run-to-completion pod template. */
  private static void jobSpec(JsonNode spec, String path, FieldErrors errs) {
    for (String f : new String[] {"parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished",
        "backoffLimitPerIndex", "maxFailedIndexes"}) {
      nonNegative(spec.path(f), path + "." + f, errs);
    }
    String mode = text(spec.path("completionMode"));
    if (mode != null && !COMPLETION_MODES.contains(mode)) errs.notSupported(path + ".completionMode", mode, COMPLETION_MODES);
    if ("Indexed".equals(mode)) {
      if (isUnset(spec.path("completions"))) errs.required(path + ".completions", "when completion mode is Indexed");
      JsonNode parallelism = spec.path("parallelism");
      if (parallelism.isIntegralNumber() && parallelism.asLong() > 100_000) {
        errs.invalid(path + ".parallelism", parallelism, "must be less than or equal to 100000 when completion mode is Indexed");
      }
    }
    backoffLimitPerIndex(spec, path, "Indexed".equals(mode), errs);
    String replacement = text(spec.path("podReplacementPolicy"));
    if (replacement != null && !POD_REPLACEMENT_POLICIES.contains(replacement)) {
      errs.notSupported(path + ".podReplacementPolicy", replacement, POD_REPLACEMENT_POLICIES);
    }
    JsonNode template = spec.path("template");
    if (!template.isObject()) {
      errs.required(path + ".template");
      return;
    }
    // kube's ValidatePodTemplateSpec paths: a name too long for the generated job-name label shows here
    labels(template.path("metadata").path("labels"), path + ".template.labels", errs);
    annotations(template.path("metadata").path("annotations"), path + ".template.annotations", errs);
    JsonNode podSpec = template.path("spec");
    if (!podSpec.isObject()) {
      errs.required(path + ".template.spec");
      return;
    }
    // a Job's pods run to completion: Always (the pod default) is refused with kube's message
    podSpec(podSpec, path + ".template.spec", errs, JOB_RESTART_POLICIES);
    if (podSpec.path("ephemeralContainers").size() > 0) {
      errs.forbidden(path + ".template.spec.ephemeralContainers", "ephemeral containers not allowed in pod template");
    }
  }

  /** Indexed Jobs' per-index failure limits (kube's validateJobSpec and validatePodFailurePolicyRule). */
  private static void backoffLimitPerIndex(JsonNode spec, String path, boolean indexed, FieldErrors errs) {
    JsonNode perIndex = spec.path("backoffLimitPerIndex");
    JsonNode maxFailed = spec.path("maxFailedIndexes");
    JsonNode completions = spec.path("completions");
    JsonNode parallelism = spec.path("parallelism");
    if (!isUnset(maxFailed) && isUnset(perIndex)) errs.required(path + ".backoffLimitPerIndex", "when maxFailedIndexes is specified");
    if (!indexed) {
      if (!isUnset(perIndex)) errs.invalid(path + ".backoffLimitPerIndex", perIndex, "requires indexed completion mode");
      if (!isUnset(maxFailed)) errs.invalid(path + ".maxFailedIndexes", maxFailed, "requires indexed completion mode");
    } else {
      if (maxFailed.isIntegralNumber() && completions.isIntegralNumber() && maxFailed.asLong() > completions.asLong()) {
        errs.invalid(path + ".maxFailedIndexes", maxFailed, "must be less than or equal to completions");
      }
      if (maxFailed.isIntegralNumber() && maxFailed.asLong() > MAX_FAILED_INDEXES) {
        errs.invalid(path + ".maxFailedIndexes", maxFailed, "must be less than or equal to " + MAX_FAILED_INDEXES);
      }
      // past this many completions kube bounds what a Job may track per index
      if (completions.isIntegralNumber() && completions.asLong() > COMPLETIONS_SOFT_LIMIT && !isUnset(perIndex)) {
        String high = " when completions are above " + COMPLETIONS_SOFT_LIMIT + " and used with backoff limit per index";
        if (isUnset(maxFailed)) errs.required(path + ".maxFailedIndexes", "must be specified when completions is above " + COMPLETIONS_SOFT_LIMIT);
        if (parallelism.isIntegralNumber() && parallelism.asLong() > HIGH_COMPLETIONS_LIMIT) {
          errs.invalid(path + ".parallelism", parallelism, "must be less than or equal to " + HIGH_COMPLETIONS_LIMIT + high);
        }
        if (maxFailed.isIntegralNumber() && maxFailed.asLong() > HIGH_COMPLETIONS_LIMIT) {
          errs.invalid(path + ".maxFailedIndexes", maxFailed, "must be less than or equal to " + HIGH_COMPLETIONS_LIMIT + high);
        }
      }
    }
    JsonNode rules = spec.path("podFailurePolicy").path("rules");
    for (int i = 0; i < rules.size(); i++) {
      JsonNode action = rules.get(i).path("action");
      String p = path + ".podFailurePolicy.rules[" + i + "].action";
      if (isUnset(action) || text(action, "").isEmpty()) errs.required(p, "valid values: [\"Count\" \"FailIndex\" \"FailJob\" \"Ignore\"]");
      else if (!POD_FAILURE_POLICY_ACTIONS.contains(text(action, ""))) errs.notSupported(p, action, POD_FAILURE_POLICY_ACTIONS);
      else if ("FailIndex".equals(text(action)) && isUnset(perIndex)) errs.invalid(p, action, "requires the backoffLimitPerIndex to be set");
    }
  }

  private static void cronJob(ObjectNode cj, ObjectNode old, FieldErrors errs) {
    String name = text(cj.path("metadata").path("name"), "");
    if (old == null && name.length() > MAX_CRONJOB_NAME) errs.invalid("metadata.name", name, "must be no more than 52 characters");
    JsonNode spec = cj.path("spec");
    if (!spec.isObject()) {
      errs.required("spec");
      return;
    }
    JsonNode scheduleNode = spec.path("schedule");
    String schedule = text(scheduleNode, "");
    if (schedule.isEmpty()) {
      if (isUnset(scheduleNode) || scheduleNode.isString()) errs.required("spec.schedule");
      else errs.invalid("spec.schedule", scheduleNode, "must be a string");
    } else {
      String problem = CronSchedules.problem(schedule);
      if (problem != null) errs.invalid("spec.schedule", schedule, problem);
      // kube keeps TZ= in schedules stored before spec.timeZone existed, and refuses it in new ones
      boolean zoneAllowed = old != null && CronSchedules.hasZone(text(old.path("spec").path("schedule"), ""));
      if (CronSchedules.hasZone(schedule)) {
        if (!zoneAllowed) errs.invalid("spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
        else if (!isUnset(spec.path("timeZone"))) errs.invalid("spec.schedule", schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule");
      }
    }
    JsonNode zone = spec.path("timeZone");
    if (!isUnset(zone)) {
      String problem = zone.isString() ? CronSchedules.zoneProblem(zone.stringValue()) : "must be a string";
      if (problem != null) errs.invalid("spec.timeZone", zone.isString() ? zone.stringValue() : zone, problem);
    }
    nonNegative(spec.path("startingDeadlineSeconds"), "spec.startingDeadlineSeconds", errs);
    nonNegative(spec.path("successfulJobsHistoryLimit"), "spec.successfulJobsHistoryLimit", errs);
    nonNegative(spec.path("failedJobsHistoryLimit"), "spec.failedJobsHistoryLimit", errs);
    String policy = text(spec.path("concurrencyPolicy"), "");
    if (policy.isEmpty()) errs.required("spec.concurrencyPolicy");
    else if (!CronSchedules.CONCURRENCY_POLICIES.contains(policy)) {
      errs.notSupported("spec.concurrencyPolicy", policy, CronSchedules.CONCURRENCY_POLICIES);
    }
    JsonNode jobTemplate = spec.path("jobTemplate");
    if (!jobTemplate.isObject()) {
      errs.required("spec.jobTemplate");
      return;
    }
    labels(jobTemplate.path("metadata").path("labels"), "spec.jobTemplate.metadata.labels", errs);
    annotations(jobTemplate.path("metadata").path("annotations"), "spec.jobTemplate.metadata.annotations", errs);
    JsonNode jobSpec = jobTemplate.path("spec");
    if (!jobSpec.isObject()) {
      errs.required("spec.jobTemplate.spec");
      return;
    }
    jobSpec(jobSpec, "spec.jobTemplate.spec", errs);
    // each Job the CronJob creates generates its own selector
    if (!isUnset(jobSpec.path("selector"))) {
      errs.invalid("spec.jobTemplate.spec.selector", jobSpec.path("selector"), "`selector` will be auto-generated");
    }
    if (jobSpec.path("manualSelector").asBoolean(false)) {
      errs.notSupported("spec.jobTemplate.spec.manualSelector", true, List.of("nil", "false"));
    }
  }

  /** Selector present, valid, non-empty, matching the template's labels, immutable; template valid. */
  /** A StatefulSet's pod spec as its pods get it: each volumeClaimTemplate is a claim volume its containers may mount. */
  private static JsonNode withClaimVolumes(JsonNode podSpec, JsonNode claimTemplates) {
    if (claimTemplates.isEmpty() || !(podSpec instanceof ObjectNode spec)) return podSpec;
    ObjectNode copy = spec.deepCopy();
    tools.jackson.databind.node.ArrayNode volumes = copy.get("volumes") instanceof tools.jackson.databind.node.ArrayNode a ? a : copy.putArray("volumes");
    Set<String> names = new HashSet<>();
    for (JsonNode v : volumes) names.add(v.path("name").asString(""));
    for (JsonNode t : claimTemplates) {
      String name = t.path("metadata").path("name").asString("");
      if (!name.isEmpty() && names.add(name)) volumes.addObject().put("name", name).putObject("persistentVolumeClaim").put("claimName", name);
    }
    return copy;
  }

  private static void workloadSelectorAndTemplate(JsonNode spec, ObjectNode old, String what, FieldErrors errs) {
    JsonNode selector = spec.path("selector");
    if (!selector.isObject()) {
      errs.required("spec.selector");
    } else {
      labelSelector(selector, "spec.selector", errs);
      if (selector.path("matchLabels").isEmpty() && selector.path("matchExpressions").isEmpty()) {
        errs.invalid("spec.selector", selector, "empty selector is invalid for " + what);
      }
    }
    JsonNode template = spec.path("template");
    if (!template.isObject()) {
      errs.required("spec.template");
    } else {
      JsonNode labels = template.path("metadata").path("labels");
      labels(labels, "spec.template.metadata.labels", errs);
      annotations(template.path("metadata").path("annotations"), "spec.template.metadata.annotations", errs);
      if (selector.isObject() && !selectorMatches(selector, labels)) {
        errs.invalid("spec.template.metadata.labels", labels.isMissingNode() ? "{}" : labels, "`selector` does not match template `labels`");
      }
      JsonNode podSpec = template.path("spec");
      if (!podSpec.isObject()) errs.required("spec.template.spec");
      else {
        podSpec(withClaimVolumes(podSpec, spec.path("volumeClaimTemplates")), "spec.template.spec", errs, List.of("Always"));
        if (podSpec.path("ephemeralContainers").size() > 0) {
          errs.forbidden("spec.template.spec.ephemeralContainers", "ephemeral containers not allowed in pod template");
        }
      }
    }
    if (old != null) {
      JsonNode before = old.path("spec").path("selector");
      if (!before.isMissingNode() && !Objects.equals(before, selector)) errs.invalid("spec.selector", selector, "field is immutable");
    }
  }

  static void labelSelector(JsonNode selector, String p, FieldErrors errs) {
    labels(selector.path("matchLabels"), p + ".matchLabels", errs);
    int i = 0;
    for (JsonNode req : selector.path("matchExpressions")) {
      String rp = p + ".matchExpressions[" + i++ + "]";
      String key = text(req.path("key"));
      if (key == null || key.isEmpty()) errs.required(rp + ".key");
      else for (String msg : Names.qualifiedName(key)) errs.invalid(rp + ".key", key, msg);
      String op = text(req.path("operator"), "");
      JsonNode values = req.path("values");
      switch (op) {
        case "In", "NotIn" -> {
          if (!values.isArray() || values.isEmpty()) errs.required(rp + ".values", "must be specified when `operator` is 'In' or 'NotIn'");
        }
        case "Exists", "DoesNotExist" -> {
          if (values.isArray() && !values.isEmpty()) {
            errs.forbidden(rp + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
          }
        }
        default -> errs.invalid(rp + ".operator", op, "not a valid selector operator");
      }
    }
  }

  /** Whether a LabelSelector selects the given labels. */
  public static boolean selectorMatches(JsonNode selector, JsonNode labels) {
    for (Map.Entry<String, JsonNode> e : selector.path("matchLabels").properties()) {
      if (!labels.path(e.getKey()).equals(e.getValue())) return false;
    }
    for (JsonNode req : selector.path("matchExpressions")) {
      String key = text(req.path("key"), "");
      JsonNode v = labels.path(key);
      boolean has = v.isString();
      boolean in = false;
      for (JsonNode x : req.path("values")) in |= has && x.equals(v);
      boolean ok = switch (text(req.path("operator"), "")) {
        case "In" -> in;
        case "NotIn" -> !in;
        case "Exists" -> has;
        case "DoesNotExist" -> !has;
        default -> false;
      };
      if (!ok) return false;
    }
    return true;
  }

  // ================================================================== services

  private static void service(ObjectNode svc, ObjectNode old, FieldErrors errs) {
    JsonNode spec = svc.path("spec");
    String type = text(spec.path("type"), "ClusterIP");
    if (!SERVICE_TYPES.contains(type)) errs.notSupported("spec.type", type, SERVICE_TYPES);
    String clusterIp = text(spec.path("clusterIP"), "");
    boolean headless = clusterIp.equals("None");
    JsonNode ports = spec.path("ports");
    if (type.equals("ExternalName")) {
      String ext = text(spec.path("externalName"), "");
      if (ext.isEmpty()) errs.required("spec.externalName");
      else for (String msg : Names.dns1123Subdomain(ext.endsWith(".") ? ext.substring(0, ext.length() - 1) : ext)) {
        errs.invalid("spec.externalName", ext, msg);
      }
    } else if (!headless && (!ports.isArray() || ports.isEmpty())) {
      errs.required("spec.ports");
    }
    Set<String> names = new HashSet<>();
    Set<String> portKeys = new HashSet<>();
    int i = 0;
    for (JsonNode port : ports) {
      String p = "spec.ports[" + i++ + "]";
      String name = text(port.path("name"), "");
      if (name.isEmpty()) {
        if (ports.size() > 1) errs.required(p + ".name");
      } else {
        for (String msg : Names.dns1123Label(name)) errs.invalid(p + ".name", name, msg);
        if (!names.add(name)) errs.duplicate(p + ".name", name);
      }
      JsonNode pn = port.path("port");
      if (pn.isMissingNode() || pn.isNull()) errs.required(p + ".port");
      else portNumber(pn, p + ".port", errs);
      String proto = text(port.path("protocol"), "TCP");
      if (!PROTOCOLS.contains(proto)) errs.notSupported(p + ".protocol", proto, PROTOCOLS);
      if (!portKeys.add(pn.asString("") + "/" + proto)) errs.duplicate(p, port);
      if (port.has("targetPort")) intOrNamedPort(port.get("targetPort"), p + ".targetPort", errs);
      JsonNode np = port.path("nodePort");
      if (np.isNumber() && np.asLong() != 0) {
        if (type.equals("ClusterIP")) {
          errs.forbidden(p + ".nodePort", "may not be used when `type` is 'ClusterIP'");
        } else if (np.asLong() < 30000 || np.asLong() > 32767) {
          errs.invalid(p + ".nodePort", np, "provided port is not in the valid range. The range of valid ports is 30000-32767");
        }
      }
    }
    if (!clusterIp.isEmpty() && !headless) {
      if (!IPV4.matcher(clusterIp).matches()) {
        errs.invalid("spec.clusterIPs[0]", clusterIp, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
      } else if (!inServiceRange(clusterIp)) {
        errs.invalid("spec.clusterIPs[0]", clusterIp,
            "failed to allocate IP " + clusterIp + ": the provided IP (" + clusterIp + ") is not in the valid range. The range of valid IPs is "
                + Defaulter.SERVICE_CIDR);
      }
    }
    labels(spec.path("selector"), "spec.selector", errs);
    String affinity = text(spec.path("sessionAffinity"));
    if (affinity != null && !List.of("ClientIP", "None").contains(affinity)) {
      errs.notSupported("spec.sessionAffinity", affinity, List.of("ClientIP", "None"));
    }
    if (old != null) {
      String before = text(old.path("spec").path("clusterIP"), "");
      String oldType = text(old.path("spec").path("type"), "ClusterIP");
      if (!before.isEmpty() && !before.equals(clusterIp) && !oldType.equals("ExternalName") && !type.equals("ExternalName")) {
        errs.invalid("spec.clusterIPs[0]", clusterIp, "may not change once set");
      }
    }
  }

  private static boolean inServiceRange(String ip) {
    String[] o = ip.split("\\.");
    return o[0].equals("10") && Integer.parseInt(o[1]) >= 96 && Integer.parseInt(o[1]) <= 111;
  }

  private static void endpoints(ObjectNode ep, FieldErrors errs) {
    int s = 0;
    for (JsonNode subset : ep.path("subsets")) {
      String sp = "subsets[" + s++ + "]";
      int i = 0;
      for (JsonNode a : subset.path("addresses")) {
        String ip = text(a.path("ip"), "");
        if (!IPV4.matcher(ip).matches() && !ip.contains(":")) {
          errs.invalid(sp + ".addresses[" + i + "].ip", ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        }
        i++;
      }
      i = 0;
      for (JsonNode port : subset.path("ports")) portNumber(port.path("port"), sp + ".ports[" + i++ + "].port", errs);
    }
  }

  /**
   * kube's EndpointSlice rules: a known, immutable addressType; 1..100 addresses per endpoint, each of
   * that type; at most 1,000 endpoints and 100 ports with unique names. Proxies and DNS trust these.
   */
  private static void endpointSlice(ObjectNode slice, ObjectNode old, FieldErrors errs) {
    String type = text(slice.path("addressType"), "");
    if (type.isEmpty()) errs.required("addressType");
    else if (!ADDRESS_TYPES.contains(type)) errs.notSupported("addressType", type, ADDRESS_TYPES);
    if (old != null && !type.equals(text(old.path("addressType"), ""))) errs.invalid("addressType", type, "field is immutable");
    JsonNode endpoints = slice.path("endpoints");
    if (endpoints.size() > 1000) errs.tooMany("endpoints", endpoints.size(), 1000);
    int e = 0;
    for (JsonNode ep : endpoints) {
      String p = "endpoints[" + e++ + "]";
      JsonNode addresses = ep.path("addresses");
      if (addresses.isEmpty()) errs.required(p + ".addresses", "must contain at least 1 address");
      else if (addresses.size() > 100) errs.tooMany(p + ".addresses", addresses.size(), 100);
      int a = 0;
      for (JsonNode addr : addresses) {
        String ap = p + ".addresses[" + a++ + "]";
        String v = text(addr, "");
        switch (type) {
          case "IPv4" -> { if (!IPV4.matcher(v).matches()) errs.invalid(ap, v, "must be a valid IPv4 address"); }
          case "IPv6" -> { if (!isIpv6(v)) errs.invalid(ap, v, "must be a valid IPv6 address"); }
          case "FQDN" -> { for (String msg : Names.dns1123Subdomain(v)) errs.invalid(ap, v, msg); }
          default -> {}
        }
      }
      String host = text(ep.path("hostname"));
      if (host != null) for (String msg : Names.dns1123Label(host)) errs.invalid(p + ".hostname", host, msg);
      String node = text(ep.path("nodeName"));
      if (node != null) for (String msg : Names.dns1123Subdomain(node)) errs.invalid(p + ".nodeName", node, msg);
    }
    JsonNode ports = slice.path("ports");
    if (ports.size() > 100) errs.tooMany("ports", ports.size(), 100);
    Set<String> names = new HashSet<>();
    int i = 0;
    for (JsonNode port : ports) {
      String p = "ports[" + i++ + "]";
      String name = text(port.path("name"), "");
      if (!name.isEmpty()) for (String msg : Names.dns1123Label(name)) errs.invalid(p + ".name", name, msg);
      if (!names.add(name)) errs.duplicate(p + ".name", name);
      String proto = text(port.path("protocol"), "TCP");
      if (!PROTOCOLS.contains(proto)) errs.notSupported(p + ".protocol", proto, PROTOCOLS);
      JsonNode pn = port.path("port");
      if (!pn.isMissingNode() && !pn.isNull()) portNumber(pn, p + ".port", errs);
    }
  }

  /** A revision's data is the template it recorded: required, and never rewritten (its number may move). */
  private static void controllerRevision(ObjectNode rev, ObjectNode old, FieldErrors errs) {
    JsonNode data = rev.path("data");
    if (data.isMissingNode() || data.isNull()) errs.required("data", "data is mandatory");
    nonNegative(rev.path("revision"), "revision", errs);
    if (old != null && !data.equals(old.path("data"))) errs.invalid("data", data, "field is immutable");
  }

  private static boolean isIpv6(String v) {
    // a literal only: InetAddress parses text with a ':' as an IPv6 address and never resolves it
    if (!v.contains(":") || !v.matches("[0-9A-Fa-f:.]+")) return false;
    try {
      return java.net.InetAddress.getByName(v) instanceof java.net.Inet6Address;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /**
   * kube's rule for core/v1 Events: the event lives in its object's namespace (an event about a
   * cluster-scoped object in "default", or "kube-system" for a new-style event with eventTime), so
   * that `kubectl describe` and `kubectl events -n` find it next to the object.
   */
  private static void event(ObjectNode ev, FieldErrors errs) {
    String ns = text(ev.path("metadata").path("namespace"), "");
    String objNs = text(ev.path("involvedObject").path("namespace"), "");
    boolean legacy = isBlank(ev.path("eventTime"));
    boolean ok = objNs.isEmpty()
        ? ns.isEmpty() || ns.equals("default") || (!legacy && ns.equals("kube-system"))
        : !legacy || objNs.equals(ns);
    if (!ok) errs.invalid("involvedObject.namespace", objNs, "does not match event.namespace");
  }

  // ================================================================== config

  private static void configMap(ObjectNode cm, ObjectNode old, FieldErrors errs) {
    long size = dataKeys(cm, false, errs);
    if (size > MAX_CONFIG_BYTES) {
      errs.causes().add(new StatusException.Cause("FieldValueTooLong", "Too long: must have at most " + MAX_CONFIG_BYTES + " bytes", "[]"));
    }
    immutableData(cm, old, errs);
  }

  private static void secret(ObjectNode s, ObjectNode old, FieldErrors errs) {
    long size = dataKeys(s, true, errs);
    if (size > MAX_CONFIG_BYTES) errs.tooLong("data", MAX_CONFIG_BYTES);
    String type = text(s.path("type"), "Opaque");
    JsonNode data = s.path("data");
    switch (type) {
      case "kubernetes.io/tls" -> {
        if (!data.has("tls.crt")) errs.required("data[tls.crt]");
        if (!data.has("tls.key")) errs.required("data[tls.key]");
      }
      case "kubernetes.io/dockerconfigjson" -> {
        if (!data.has(".dockerconfigjson")) errs.required("data[.dockerconfigjson]");
      }
      case "kubernetes.io/basic-auth" -> {
        if (!data.has("username") && !data.has("password")) errs.required("data[username]");
      }
      case "kubernetes.io/service-account-token" -> {
        if (isBlank(s.path("metadata").path("annotations").path("kubernetes.io/service-account.name"))) {
          errs.required("metadata.annotations[kubernetes.io/service-account.name]");
        }
      }
      default -> {}
    }
    if (old != null) {
      String before = text(old.path("type"), "Opaque");
      if (!before.equals(type)) errs.invalid("type", type, "field is immutable");
    }
    immutableData(s, old, errs);
  }

  /** Valid, unique keys in data/binaryData (and base64 values in a Secret); returns the total size. */
  private static long dataKeys(ObjectNode obj, boolean base64, FieldErrors errs) {
    long size = 0;
    Set<String> keys = new HashSet<>();
    for (String field : base64 ? new String[] {"data"} : new String[] {"data", "binaryData"}) {
      JsonNode data = obj.path(field);
      if (data.isMissingNode() || data.isNull()) continue;
      if (!data.isObject()) {
        errs.invalid(field, data, "must be a map of string keys to string values");
        continue;
      }
      for (Map.Entry<String, JsonNode> e : data.properties()) {
        String p = field + "[" + e.getKey() + "]";
        for (String msg : Names.configKey(e.getKey())) errs.invalid(p, e.getKey(), msg);
        if (!keys.add(e.getKey())) errs.invalid(p, e.getKey(), "duplicate of key present in data");
        String v = text(e.getValue());
        if (v == null) {
          errs.invalid(p, e.getValue(), "must be a string");
          continue;
        }
        if (base64 || field.equals("binaryData")) {
          try {
            size += Base64.getDecoder().decode(v).length;
          } catch (IllegalArgumentException ex) {
            errs.invalid(p, "<value omitted>", "illegal base64 data: " + ex.getMessage());
          }
        } else {
          size += v.getBytes(StandardCharsets.UTF_8).length;
        }
      }
    }
    return size;
  }

  private static void immutableData(ObjectNode obj, ObjectNode old, FieldErrors errs) {
    if (old == null || !old.path("immutable").asBoolean(false)) return;
    if (!obj.path("immutable").asBoolean(false)) errs.forbidden("immutable", "field is immutable when `immutable` is set");
    for (String field : new String[] {"data", "binaryData"}) {
      if (!Objects.equals(emptyToMissing(obj.path(field)), emptyToMissing(old.path(field)))) {
        errs.forbidden(field, "field is immutable when `immutable` is set");
      }
    }
  }

  private static JsonNode emptyToMissing(JsonNode n) {
    return n.isNull() || (n.isObject() && n.isEmpty()) ? null : n.isMissingNode() ? null : n;
  }

  // ================================================================== cluster objects

  private static void namespace(ObjectNode ns, FieldErrors errs) {
    int i = 0;
    for (JsonNode f : ns.path("spec").path("finalizers")) {
      String p = "spec.finalizers[" + i++ + "]";
      String v = text(f, "");
      for (String msg : Names.qualifiedName(v)) errs.invalid(p, v, msg);
    }
  }

  private static void node(ObjectNode n, FieldErrors errs) {
    int i = 0;
    for (JsonNode t : n.path("spec").path("taints")) {
      String p = "spec.taints[" + i++ + "]";
      String key = text(t.path("key"), "");
      if (key.isEmpty()) errs.required(p + ".key");
      else for (String msg : Names.qualifiedName(key)) errs.invalid(p + ".key", key, msg);
      String value = text(t.path("value"), "");
      for (String msg : Names.labelValue(value)) errs.invalid(p + ".value", value, msg);
      String effect = text(t.path("effect"), "");
      if (effect.isEmpty()) errs.required(p + ".effect");
      else if (!TAINT_EFFECTS.contains(effect)) errs.notSupported(p + ".effect", effect, TAINT_EFFECTS);
    }
    String cidr = text(n.path("spec").path("podCIDR"), "");
    if (!cidr.isEmpty() && !cidr.matches("^[0-9.]+/[0-9]{1,2}$") && !cidr.contains(":")) {
      errs.invalid("spec.podCIDR", cidr, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
    }
  }

  private static void lease(ObjectNode l, FieldErrors errs) {
    JsonNode d = l.path("spec").path("leaseDurationSeconds");
    if (d.isNumber() && d.asLong() <= 0) errs.invalid("spec.leaseDurationSeconds", d, "must be greater than 0");
    nonNegative(l.path("spec").path("leaseTransitions"), "spec.leaseTransitions", errs);
  }

  private static void priorityClass(ObjectNode pc, ObjectNode old, FieldErrors errs) {
    String name = text(pc.path("metadata").path("name"), "");
    JsonNode value = pc.path("value");
    boolean system = name.equals("system-node-critical") || name.equals("system-cluster-critical");
    if (name.startsWith("system-") && !system) {
      errs.invalid("metadata.name", name, "priority class names with 'system-' prefix are reserved for system use only");
    }
    if (value.isNumber() && value.asLong() > 1_000_000_000L && !system) {
      errs.forbidden("value", "maximum allowed value of a user defined priority is 1000000000");
    }
    String pp = text(pc.path("preemptionPolicy"));
    if (pp != null && !List.of("Never", "PreemptLowerPriority").contains(pp)) {
      errs.notSupported("preemptionPolicy", pp, List.of("Never", "PreemptLowerPriority"));
    }
    if (old != null && !Objects.equals(old.path("value"), value)) errs.forbidden("value", "may not be changed in an update.");
  }

  private static void runtimeClass(ObjectNode rc, ObjectNode old, FieldErrors errs) {
    String handler = text(rc.path("handler"), "");
    if (handler.isEmpty()) errs.required("handler");
    else for (String msg : Names.dns1123Label(handler)) errs.invalid("handler", handler, msg);
    if (old != null && !Objects.equals(old.path("handler"), rc.path("handler"))) errs.invalid("handler", handler, "field is immutable");
  }

  // ================================================================== policy

  private static final List<String> UNHEALTHY_POD_EVICTION_POLICIES = List.of("AlwaysAllow", "IfHealthyBudget");

  /** kube's ValidatePodDisruptionBudget (policy/v1): at most one of minAvailable and maxUnavailable. */
  private static void podDisruptionBudget(ObjectNode pdb, FieldErrors errs) {
    JsonNode spec = pdb.path("spec");
    boolean hasMin = !spec.path("minAvailable").isMissingNode() && !spec.path("minAvailable").isNull();
    boolean hasMax = !spec.path("maxUnavailable").isMissingNode() && !spec.path("maxUnavailable").isNull();
    if (hasMin && hasMax) errs.invalid("spec", spec, "minAvailable and maxUnavailable cannot be both set");
    for (String f : new String[] {"minAvailable", "maxUnavailable"}) {
      JsonNode v = spec.path(f);
      intOrPercent(v, "spec." + f, errs);
      if (percent(v) > 100) errs.invalid("spec." + f, v, "must not be greater than 100%");
    }
    if (spec.path("selector").isObject()) labelSelector(spec.path("selector"), "spec.selector", errs);
    String policy = text(spec.path("unhealthyPodEvictionPolicy"));
    if (policy != null && !UNHEALTHY_POD_EVICTION_POLICIES.contains(policy)) {
      errs.notSupported("spec.unhealthyPodEvictionPolicy", policy, UNHEALTHY_POD_EVICTION_POLICIES);
    }
  }

  // ================================================================== autoscaling

  private static final List<String> METRIC_SOURCE_TYPES = List.of("ContainerResource", "External", "Object", "Pods", "Resource");
  private static final List<String> SELECT_POLICIES = List.of("Disabled", "Max", "Min");
  private static final List<String> SCALING_POLICY_TYPES = List.of("Percent", "Pods");

  /** kube's ValidateHorizontalPodAutoscaler (autoscaling/v2, the stored shape; v1 is converted first). */
  private static void horizontalPodAutoscaler(ObjectNode hpa, FieldErrors errs) {
    JsonNode spec = hpa.path("spec");
    JsonNode min = spec.path("minReplicas");
    JsonNode max = spec.path("maxReplicas");
    if (min.isNumber() && min.asLong() < 1) errs.invalid("spec.minReplicas", min, "must be greater than or equal to 1");
    if (!max.isNumber() || max.asLong() < 1) errs.invalid("spec.maxReplicas", max.isNumber() ? max : 0, "must be greater than 0");
    if (min.isNumber() && max.isNumber() && max.asLong() < min.asLong()) {
      errs.invalid("spec.maxReplicas", max, "must be greater than or equal to `minReplicas`");
    }
    crossVersionObjectReference(spec.path("scaleTargetRef"), "spec.scaleTargetRef", errs);
    int i = 0;
    for (JsonNode m : spec.path("metrics")) metricSpec(m, "spec.metrics[" + i++ + "]", errs);
    JsonNode behavior = spec.path("behavior");
    if (behavior.isObject()) {
      scalingRules(behavior.path("scaleUp"), "spec.behavior.scaleUp", errs);
      scalingRules(behavior.path("scaleDown"), "spec.behavior.scaleDown", errs);
    }
    JsonNode status = hpa.path("status");
    nonNegative(status.path("currentReplicas"), "status.currentReplicas", errs);
    nonNegative(status.path("desiredReplicas"), "status.desiredReplicas", errs);
  }

  private static void crossVersionObjectReference(JsonNode ref, String p, FieldErrors errs) {
    for (String f : new String[] {"kind", "name"}) {
      String v = text(ref.path(f), "");
      if (v.isEmpty()) errs.required(p + "." + f);
      else for (String msg : pathSegmentName(v)) errs.invalid(p + "." + f, v, msg);
    }
  }

  /** apimachinery's IsValidPathSegmentName: the value becomes one segment of a URL path. */
  private static List<String> pathSegmentName(String v) {
    if (v.equals(".") || v.equals("..")) return List.of("may not be '" + v + "'");
    List<String> out = new ArrayList<>();
    for (String bad : new String[] {"/", "%"}) {
      if (v.contains(bad)) out.add("may not contain '" + bad + "'");
    }
    return out;
  }

  private static void metricSpec(JsonNode m, String p, FieldErrors errs) {
    String type = text(m.path("type"), "");
    if (type.isEmpty()) errs.required(p + ".type", "must specify a metric source type");
    if (!METRIC_SOURCE_TYPES.contains(type)) errs.notSupported(p + ".type", type, METRIC_SOURCE_TYPES);
    String expected = type.isEmpty() ? "" : Character.toLowerCase(type.charAt(0)) + type.substring(1);
    List<String> present = new ArrayList<>();
    for (String source : new String[] {"object", "pods", "resource", "containerResource", "external"}) {
      if (!m.path(source).isObject()) continue;
      present.add(source);
      if (present.size() == 1) metricSource(source, m.path(source), p + "." + source, errs);
    }
    if (METRIC_SOURCE_TYPES.contains(type) && !m.path(expected).isObject()) {
      errs.required(p + "." + expected, "must populate information for the given metric source");
    }
    if (present.size() > 1) {
      for (String source : present) {
        if (!source.equals(expected)) errs.forbidden(p + "." + source, "must populate the given metric source only");
      }
    }
  }

  private static void metricSource(String source, JsonNode src, String p, FieldErrors errs) {
    JsonNode target = src.path("target");
    metricTarget(target, p + ".target", errs);
    switch (source) {
      case "resource", "containerResource" -> {
        if (isBlank(src.path("name"))) errs.required(p + ".name", "must specify a resource name");
        if (source.equals("containerResource") && isBlank(src.path("container"))) errs.required(p + ".container", "must specify a container");
        boolean util = target.path("averageUtilization").isNumber();
        boolean avg = present(target.path("averageValue"));
        if (!util && !avg) errs.required(p + ".target.averageUtilization", "must set either a target raw value or a target utilization");
        if (util && avg) errs.forbidden(p + ".target.averageValue", "may not set both a target raw value and a target utilization");
      }
      case "pods" -> {
        if (isBlank(src.path("metric").path("name"))) errs.required(p + ".metric.name", "must specify a metric name");
        if (!present(target.path("averageValue"))) errs.required(p + ".target.averageValue", "must specify a positive target averageValue");
      }
      case "object" -> {
        crossVersionObjectReference(src.path("describedObject"), p + ".describedObject", errs);
        if (isBlank(src.path("metric").path("name"))) errs.required(p + ".metric.name", "must specify a metric name");
        if (!present(target.path("value")) && !present(target.path("averageValue"))) {
          errs.required(p + ".target.value", "must set either a target value or averageValue");
        }
      }
      default -> { // external
        if (isBlank(src.path("metric").path("name"))) errs.required(p + ".metric.name", "must specify a metric name");
        if (!present(target.path("value")) && !present(target.path("averageValue"))) {
          errs.required(p + ".target.value", "must set either a target value for metric or a per-pod target");
        }
      }
    }
  }

  private static void metricTarget(JsonNode t, String p, FieldErrors errs) {
    String type = text(t.path("type"), "");
    if (type.isEmpty()) errs.required(p + ".type", "must specify a metric target type");
    if (!List.of("Utilization", "Value", "AverageValue").contains(type)) {
      errs.invalid(p + ".type", type, "must be either Utilization, Value, or AverageValue");
    }
    for (String f : new String[] {"value", "averageValue"}) {
      JsonNode q = t.path(f);
      if (!present(q)) continue;
      try {
        if (Quantities.parse(q.isNumber() ? q.asString() : text(q, "")).signum() != 1) errs.invalid(p + "." + f, q, "must be positive");
      } catch (IllegalArgumentException e) {
        errs.invalid(p + "." + f, q, e.getMessage());
      }
    }
    JsonNode util = t.path("averageUtilization");
    if (util.isNumber() && util.asLong() < 1) errs.invalid(p + ".averageUtilization", util, "must be greater than 0");
  }

  private static void scalingRules(JsonNode rules, String p, FieldErrors errs) {
    if (!rules.isObject()) return;
    JsonNode window = rules.path("stabilizationWindowSeconds");
    if (window.isNumber() && window.asLong() < 0) errs.invalid(p + ".stabilizationWindowSeconds", window, "must be greater than or equal to zero");
    if (window.isNumber() && window.asLong() > 3600) errs.invalid(p + ".stabilizationWindowSeconds", window, "must be less than or equal to 3600");
    JsonNode select = rules.path("selectPolicy");
    if (present(select) && !SELECT_POLICIES.contains(text(select, ""))) errs.notSupported(p + ".selectPolicy", select, SELECT_POLICIES);
    if (rules.path("policies").isEmpty()) errs.required(p + ".policies", "must specify at least one Policy");
    int i = 0;
    for (JsonNode policy : rules.path("policies")) {
      String pp = p + ".policies[" + i++ + "]";
      String type = text(policy.path("type"), "");
      if (!SCALING_POLICY_TYPES.contains(type)) errs.notSupported(pp + ".type", type, SCALING_POLICY_TYPES);
      long value = policy.path("value").asLong(0);
      if (value <= 0) errs.invalid(pp + ".value", value, "must be greater than zero");
      long period = policy.path("periodSeconds").asLong(0);
      if (period <= 0) errs.invalid(pp + ".periodSeconds", period, "must be greater than zero");
      if (period > 1800) errs.invalid(pp + ".periodSeconds", period, "must be less than or equal to 1800");
    }
  }

  private static boolean present(JsonNode n) {
    return !n.isMissingNode() && !n.isNull();
  }

  // ================================================================== small checks

  private static void nonNegative(JsonNode v, String p, FieldErrors errs) {
    if (v.isMissingNode() || v.isNull()) return;
    if (!v.isIntegralNumber()) errs.invalid(p, v, "must be an integer");
    else if (v.asLong() < 0) errs.invalid(p, v, "must be greater than or equal to 0");
  }

  static void portNumber(JsonNode v, String p, FieldErrors errs) {
    if (!v.isIntegralNumber() || v.asLong() < 1 || v.asLong() > 65535) errs.invalid(p, v, "must be between 1 and 65535, inclusive");
  }

  private static void intOrNamedPort(JsonNode v, String p, FieldErrors errs) {
    if (v.isNumber()) {
      portNumber(v, p, errs);
    } else if (v.isString()) {
      if (v.stringValue().isEmpty()) errs.required(p);
      else for (String msg : Names.portName(v.stringValue())) errs.invalid(p, v, msg);
    } else {
      errs.invalid(p, v, "must be a port number or name");
    }
  }

  private static void intOrPercent(JsonNode v, String p, FieldErrors errs) {
    if (v.isMissingNode() || v.isNull()) return;
    if (v.isNumber()) {
      nonNegative(v, p, errs);
    } else if (v.isString()) {
      if (!v.stringValue().matches("^[0-9]+%$")) errs.invalid(p, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')");
    } else {
      errs.invalid(p, v, "must be an integer or percentage (e.g '5%')");
    }
  }

  private static boolean isZero(JsonNode v) {
    return (v.isNumber() && v.asLong() == 0) || (v.isString() && v.stringValue().equals("0%"));
  }

  private static long percent(JsonNode v) {
    if (v.isString() && v.stringValue().matches("^[0-9]+%$")) {
      String digits = v.stringValue().substring(0, v.stringValue().length() - 1);
      return digits.length() > 9 ? Long.MAX_VALUE : Long.parseLong(digits);
    }
    return 0;
  }

  private static boolean isBlank(JsonNode n) {
    return !n.isString() || n.stringValue().isEmpty();
  }

  private static String text(JsonNode n) {
    return n != null && n.isString() ? n.stringValue() : null;
  }

  private static String text(JsonNode n, String fallback) {
    String s = text(n);
    return s == null ? fallback : s;
  }
}
