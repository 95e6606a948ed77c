package io.keelson.apiserver.admission;

import io.keelson.apiserver.resource.ResourceType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The server-side defaults Kubernetes fills in before validation and storage (the {@code SetDefaults_*}
 * functions plus the defaulting admission plugins: DefaultTolerationSeconds, ServiceAccount, Priority,
 * the Service IP allocator). Users see these in {@code kubectl get -o yaml} and {@code describe}, so
 * they follow Kubernetes field by field. Defaults only fill what is absent; they never overwrite.
 */
public final class Defaulter {

  /** Where Service cluster IPs come from: the kube-apiserver default {@code --service-cluster-ip-range}. */
  public static final String SERVICE_CIDR = "10.96.0.0/12";
  /** The first address of {@link #SERVICE_CIDR}: the default/kubernetes Service's, never allocated to another. */
  public static final String KUBERNETES_SERVICE_IP = "10.96.0.1";

  private static final int SERVICE_BASE = (10 << 24) | (96 << 16);
  private static final int SERVICE_SIZE = 1 << 20;
  private static final int NODE_PORT_MIN = 30000;
  private static final int NODE_PORT_COUNT = 2768;

  private Defaulter() {}

  /** Fills the defaults of {@code obj} in place; cluster IPs are picked by hashing namespace/name. */
  public static void applyDefaults(ResourceType type, ObjectNode obj) {
    applyDefaults(type, obj, ip -> false);
  }

  /**
   * Fills the defaults of {@code obj} in place.
   *
   * @param clusterIpInUse tells whether a Service cluster IP is taken; the allocator probes from a
   *     hash of namespace/name to the next free address, so the result is stable for a given name
   */
  public static void applyDefaults(ResourceType type, ObjectNode obj, Predicate<String> clusterIpInUse) {
    applyDefaults(type, obj, null, clusterIpInUse);
  }

  /**
   * Fills the defaults of {@code obj} in place, for an update from {@code old}: values the server
   * allocated (a Service's cluster IPs and node ports) carry over when the new object leaves them out,
   * as Kubernetes does, so {@code kubectl replace} of a manifest without them keeps them.
   */
  public static void applyDefaults(ResourceType type, ObjectNode obj, ObjectNode old, Predicate<String> clusterIpInUse) {
    if (old != null && type.group().isEmpty() && type.kind().equals("Service")) keepAllocated(obj, old);
    Consumer<ObjectNode> defaults = switch (type.group() + "/" + type.kind()) {
      case "/Pod" -> Defaulter::pod;
      case "apps/Deployment" -> Defaulter::deployment;
      case "apps/ReplicaSet" -> Defaulter::replicaSet;
      case "apps/DaemonSet" -> Defaulter::daemonSet;
      case "apps/StatefulSet" -> Defaulter::statefulSet;
      case "batch/Job" -> Defaulter::job;
      case "batch/CronJob" -> Defaulter::cronJob;
      case "autoscaling/HorizontalPodAutoscaler" -> Defaulter::horizontalPodAutoscaler;
      case "/Service" -> o -> service(o, clusterIpInUse);
      case "/Secret" -> Defaulter::secret;
      case "/Namespace" -> Defaulter::namespace;
      case "/Node" -> Defaulter::node;
      case "/Endpoints" -> Defaulter::endpoints;
      case NetworkPolicies.GROUP + "/NetworkPolicy" -> NetworkPolicies::defaults;
      case "/PersistentVolume" -> StorageObjects::defaultVolume;
      case "/PersistentVolumeClaim" -> StorageObjects::defaultClaim;
      case "storage.k8s.io/StorageClass" -> StorageObjects::defaultClass;
      case "scheduling.k8s.io/PriorityClass" -> o -> put(o, "preemptionPolicy", "PreemptLowerPriority");
      case "networking.k8s.io/Ingress" -> o -> obj(obj(o, "status"), "loadBalancer"); // as kube serializes an empty status
      case "/LimitRange" -> QuotaObjects::defaultLimitRange;
      case VirtualMachines.GROUP + "/VirtualMachine" -> VirtualMachines::defaults;
      case RbacObjects.GROUP + "/RoleBinding", RbacObjects.GROUP + "/ClusterRoleBinding" -> RbacObjects::defaultBinding;
      case CustomResourceDefinitions.GROUP + "/CustomResourceDefinition" -> CustomResourceDefinitions::applyDefaults;
      case WebhookConfigurations.GROUP + "/MutatingWebhookConfiguration" -> o -> WebhookConfigurations.defaults(o, true);
      case WebhookConfigurations.GROUP + "/ValidatingWebhookConfiguration" -> o -> WebhookConfigurations.defaults(o, false);
      default -> io.keelson.apiserver.resource.CustomResource.isCustom(type)
          ? o -> StructuralSchemas.applyDefaults(io.keelson.apiserver.resource.ResourceRegistry.customOf(type), o) : o -> {};
    };
    defaults.accept(obj);
  }

  // ---------------------------------------------------------------- workloads

  private static void pod(ObjectNode pod) {
    ObjectNode spec = obj(pod, "spec");
    podSpec(spec);
    // SetDefaults_Pod (only on pods, not on templates)
    put(spec, "enableServiceLinks", true);
    // ServiceAccount admission
    put(spec, "serviceAccountName", spec.has("serviceAccount") ? spec.get("serviceAccount").asString("default") : "default");
    put(spec, "serviceAccount", spec.get("serviceAccountName").asString("default"));
    // Priority admission: the default class has value 0 (a named class is resolved by the caller)
    put(spec, "preemptionPolicy", "PreemptLowerPriority");
    if (!spec.has("priorityClassName")) put(spec, "priority", 0);
    // DefaultTolerationSeconds admission
    ArrayNode tolerations = arr(spec, "tolerations");
    for (String key : new String[] {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
      if (!toleratesNoExecute(tolerations, key)) {
        tolerations.addObject().put("key", key).put("operator", "Exists").put("effect", "NoExecute").put("tolerationSeconds", 300);
      }
    }
    for (String list : new String[] {"containers", "initContainers"}) {
      for (JsonNode c : spec.path(list)) {
        if (c.isObject()) requestsFromLimits((ObjectNode) c);
      }
    }
    ObjectNode status = obj(pod, "status");
    put(status, "phase", "Pending");
    put(status, "qosClass", qosClass(spec));
  }

  private static void deployment(ObjectNode d) {
    ObjectNode spec = obj(d, "spec");
    put(spec, "replicas", 1);
    ObjectNode strategy = obj(spec, "strategy");
    put(strategy, "type", "RollingUpdate");
    if ("RollingUpdate".equals(strategy.get("type").asString(""))) {
      ObjectNode ru = obj(strategy, "rollingUpdate");
      put(ru, "maxUnavailable", "25%");
      put(ru, "maxSurge", "25%");
    }
    put(spec, "revisionHistoryLimit", 10);
    put(spec, "progressDeadlineSeconds", 600);
    template(spec);
  }

  private static void replicaSet(ObjectNode rs) {
    ObjectNode spec = obj(rs, "spec");
    put(spec, "replicas", 1);
    template(spec);
  }

  private static void daemonSet(ObjectNode ds) {
    ObjectNode spec = obj(ds, "spec");
    ObjectNode strategy = obj(spec, "updateStrategy");
    put(strategy, "type", "RollingUpdate");
    if ("RollingUpdate".equals(strategy.get("type").asString(""))) {
      ObjectNode ru = obj(strategy, "rollingUpdate");
      put(ru, "maxUnavailable", 1);
      put(ru, "maxSurge", 0);
    }
    put(spec, "revisionHistoryLimit", 10);
    template(spec);
  }

  /** SetDefaults_StatefulSet (kube 1.32). */
  private static void statefulSet(ObjectNode sts) {
    ObjectNode spec = obj(sts, "spec");
    put(spec, "replicas", 1);
    put(spec, "podManagementPolicy", "OrderedReady");
    ObjectNode strategy = obj(spec, "updateStrategy");
    put(strategy, "type", "RollingUpdate");
    if ("RollingUpdate".equals(strategy.get("type").asString(""))) put(obj(strategy, "rollingUpdate"), "partition", 0);
    put(spec, "revisionHistoryLimit", 10);
    // minReadySeconds: a plain omitempty int in kube, so its 0 is never shown
    ObjectNode retention = obj(spec, "persistentVolumeClaimRetentionPolicy");
    put(retention, "whenDeleted", "Retain");
    put(retention, "whenScaled", "Retain");
    for (JsonNode claim : spec.path("volumeClaimTemplates")) {
      if (claim instanceof ObjectNode c) put(obj(c, "spec"), "volumeMode", "Filesystem");
    }
    template(spec);
  }

  /** SetDefaults_Job; a Job without labels of its own takes its pods' (the generated ones included). */
  private static void job(ObjectNode job) {
    ObjectNode spec = obj(job, "spec");
    if (!spec.hasNonNull("completions") && !spec.hasNonNull("parallelism")) spec.put("completions", 1);
    put(spec, "parallelism", 1);
    // kube: MaxInt32 with backoffLimitPerIndex, where failures are counted per index instead
    put(spec, "backoffLimit", spec.hasNonNull("backoffLimitPerIndex") ? Integer.MAX_VALUE : 6);
    put(spec, "completionMode", "NonIndexed");
    put(spec, "suspend", false);
    put(spec, "manualSelector", false);
    put(spec, "podReplacementPolicy", spec.hasNonNull("podFailurePolicy") ? "Failed" : "TerminatingOrFailed");
    for (JsonNode rule : spec.path("podFailurePolicy").path("rules")) {
      for (JsonNode pattern : rule.path("onPodConditions")) {
        if (pattern.isObject()) put((ObjectNode) pattern, "status", "True");
      }
    }
    JsonNode templateLabels = spec.path("template").path("metadata").path("labels");
    JsonNode labels = job.path("metadata").path("labels");
    // (labels the template may not have are reported there, once, and nothing is stored anyway)
    FieldErrors invalid = new FieldErrors();
    Validator.labels(templateLabels, "", invalid);
    if (templateLabels.isObject() && invalid.isEmpty() && (labels.isMissingNode() || labels.isNull() || labels.isEmpty())) {
      obj(job, "metadata").set("labels", templateLabels.deepCopy());
    }
    template(spec);
  }

  /** SetDefaults_CronJob, and pod defaults in its job template (kube leaves the Job fields to the Jobs it creates). */
  private static void cronJob(ObjectNode cj) {
    ObjectNode spec = obj(cj, "spec");
    put(spec, "concurrencyPolicy", "Allow");
    put(spec, "suspend", false);
    put(spec, "successfulJobsHistoryLimit", 3);
    put(spec, "failedJobsHistoryLimit", 1);
    JsonNode jobTemplate = spec.get("jobTemplate");
    if (jobTemplate != null && jobTemplate.isObject()) template(obj((ObjectNode) jobTemplate, "spec"));
  }

  /**
   * SetDefaults_HorizontalPodAutoscaler (autoscaling/v2): minReplicas 1, an 80% CPU utilization target
   * when no metric is given, and — only when behavior is given — its unset rules filled with kube's
   * (scale up: no window, the larger of +100% and +4 pods per 15 s; scale down: 300 s window, -100% per 15 s).
   */
  private static void horizontalPodAutoscaler(ObjectNode hpa) {
    if (hpa.get("spec") != null && !hpa.get("spec").isObject()) return; // the validator reports it
    ObjectNode spec = obj(hpa, "spec");
    put(spec, "minReplicas", 1);
    if (!spec.path("metrics").isArray() || spec.path("metrics").isEmpty()) {
      ObjectNode resource = spec.putArray("metrics").addObject().put("type", "Resource").putObject("resource");
      resource.put("name", "cpu");
      resource.putObject("target").put("type", "Utilization").put("averageUtilization", 80);
    }
    if (!(spec.get("behavior") instanceof ObjectNode behavior)) return;
    scalingRules(obj(behavior, "scaleUp"), 0, List.of(new int[] {100, 15}, new int[] {4, 15}));
    scalingRules(obj(behavior, "scaleDown"), 300, List.<int[]>of(new int[] {100, 15}));
  }

  private static void scalingRules(ObjectNode rules, int window, List<int[]> policies) {
    put(rules, "stabilizationWindowSeconds", window);
    put(rules, "selectPolicy", "Max");
    if (rules.path("policies").isArray() && !rules.path("policies").isEmpty()) return;
    ArrayNode list = rules.putArray("policies");
    for (int i = 0; i < policies.size(); i++) {
      list.addObject().put("type", i == 0 ? "Percent" : "Pods").put("value", policies.get(i)[0]).put("periodSeconds", policies.get(i)[1]);
    }
  }

  /**
   * kube's generateSelector, on create of a Job without {@code manualSelector: true}: its pods get the
   * job's name and uid as labels and the selector picks them by uid, so no two Jobs ever share pods.
   * Labels the user set are kept (validation then rejects a conflicting one); needs the stored uid.
   */
  public static void generateJobSelector(ObjectNode job) {
    JsonNode specNode = job.get("spec");
    if (specNode != null && !specNode.isObject()) return; // the validator reports it
    ObjectNode spec = obj(job, "spec");
    if (spec.path("manualSelector").asBoolean(false)) return;
    String name = job.path("metadata").path("name").asString("");
    String uid = job.path("metadata").path("uid").asString("");
    ObjectNode template = obj(spec, "template");
    ObjectNode labels = obj(obj(template, "metadata"), "labels");
    for (String key : JOB_NAME_LABELS) put(labels, key, name);
    for (String key : CONTROLLER_UID_LABELS) put(labels, key, uid);
    ObjectNode matchLabels = obj(obj(spec, "selector"), "matchLabels");
    put(matchLabels, "batch.kubernetes.io/controller-uid", uid);
  }

  /** The labels generateSelector puts on a Job's pods: its name, its uid (each in the legacy and the prefixed form). */
  public static final List<String> JOB_NAME_LABELS = List.of("job-name", "batch.kubernetes.io/job-name");
  public static final List<String> CONTROLLER_UID_LABELS = List.of("controller-uid", "batch.kubernetes.io/controller-uid");

  private static void template(ObjectNode workloadSpec) {
    JsonNode template = workloadSpec.get("template");
    if (template != null && template.isObject()) podSpec(obj((ObjectNode) template, "spec"));
  }

  /** SetDefaults_PodSpec and everything under it: containers, probes, ports, volumes. */
  private static void podSpec(ObjectNode spec) {
    put(spec, "restartPolicy", "Always");
    put(spec, "dnsPolicy", "ClusterFirst");
    put(spec, "schedulerName", "default-scheduler");
    put(spec, "terminationGracePeriodSeconds", 30);
    obj(spec, "securityContext");
    boolean hostNetwork = spec.path("hostNetwork").asBoolean(false);
    for (String list : new String[] {"containers", "initContainers", "ephemeralContainers"}) {
      for (JsonNode c : spec.path(list)) {
        if (c.isObject()) container((ObjectNode) c, hostNetwork);
      }
    }
    for (JsonNode v : spec.path("volumes")) {
      if (v.isObject()) volume((ObjectNode) v);
    }
  }

  private static void container(ObjectNode c, boolean hostNetwork) {
    put(c, "terminationMessagePath", "/dev/termination-log");
    put(c, "terminationMessagePolicy", "File");
    put(c, "imagePullPolicy", pullPolicy(c.path("image").asString("")));
    obj(c, "resources");
    for (JsonNode p : c.path("ports")) {
      if (!p.isObject()) continue;
      ObjectNode port = (ObjectNode) p;
      put(port, "protocol", "TCP");
      if (hostNetwork && port.has("containerPort")) put(port, "hostPort", port.get("containerPort").asInt(0));
    }
    for (String probe : new String[] {"livenessProbe", "readinessProbe", "startupProbe"}) {
      JsonNode p = c.get(probe);
      if (p != null && p.isObject()) probe((ObjectNode) p);
    }
    for (JsonNode e : c.path("env")) {
      JsonNode fieldRef = e.path("valueFrom").path("fieldRef");
      if (fieldRef.isObject()) put((ObjectNode) fieldRef, "apiVersion", "v1");
    }
    JsonNode lifecycle = c.get("lifecycle");
    if (lifecycle != null && lifecycle.isObject()) {
      for (JsonNode h : lifecycle) if (h.isObject()) handler((ObjectNode) h);
    }
  }

  /** IfNotPresent for a pinned tag or digest, Always for :latest or no tag (SetDefaults_Container). */
  static String pullPolicy(String image) {
    if (image.contains("@")) return "IfNotPresent";
    int slash = image.lastIndexOf('/');
    int colon = image.lastIndexOf(':');
    if (colon <= slash) return "Always";
    return image.substring(colon + 1).equals("latest") ? "Always" : "IfNotPresent";
  }

  private static void probe(ObjectNode p) {
    put(p, "timeoutSeconds", 1);
    put(p, "periodSeconds", 10);
    put(p, "successThreshold", 1);
    put(p, "failureThreshold", 3);
    handler(p);
  }

  private static void handler(ObjectNode h) {
    JsonNode http = h.get("httpGet");
    if (http != null && http.isObject()) {
      put((ObjectNode) http, "path", "/");
      put((ObjectNode) http, "scheme", "HTTP");
    }
  }

  private static void volume(ObjectNode v) {
    for (String source : new String[] {"secret", "configMap", "downwardAPI", "projected"}) {
      JsonNode s = v.get(source);
      if (s != null && s.isObject()) put((ObjectNode) s, "defaultMode", 420);
    }
    JsonNode hostPath = v.get("hostPath");
    if (hostPath != null && hostPath.isObject()) put((ObjectNode) hostPath, "type", "");
    if (!v.has("secret") && !v.has("configMap") && !v.has("hostPath") && !v.has("emptyDir") && !v.has("downwardAPI")
        && !v.has("projected") && !v.has("persistentVolumeClaim") && !v.has("nfs") && !v.has("csi") && !v.has("ephemeral")
        && !v.has("image")) {
      v.putObject("emptyDir");
    }
  }

  /** SetDefaults_Pod: a container with limits but no requests requests what it is limited to. */
  private static void requestsFromLimits(ObjectNode c) {
    JsonNode limits = c.path("resources").path("limits");
    if (!limits.isObject() || limits.isEmpty()) return;
    ObjectNode requests = obj((ObjectNode) c.get("resources"), "requests");
    for (Map.Entry<String, JsonNode> e : limits.properties()) {
      if (!requests.has(e.getKey())) requests.set(e.getKey(), e.getValue().deepCopy());
    }
  }

  /** The QoS class as kubectl describe shows it (cpu and memory only, like Kubernetes). */
  static String qosClass(JsonNode spec) {
    boolean any = false;
    boolean guaranteed = true;
    for (String list : new String[] {"containers", "initContainers"}) {
      for (JsonNode c : spec.path(list)) {
        JsonNode req = c.path("resources").path("requests");
        JsonNode lim = c.path("resources").path("limits");
        for (String r : new String[] {"cpu", "memory"}) {
          if (req.has(r) || lim.has(r)) any = true;
          if (!lim.has(r) || (req.has(r) && !req.get(r).asString("").equals(lim.get(r).asString("")))) guaranteed = false;
        }
      }
    }
    return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
  }

  private static boolean toleratesNoExecute(ArrayNode tolerations, String key) {
    for (JsonNode t : tolerations) {
      String effect = t.path("effect").asString("");
      String k = t.path("key").asString("");
      boolean keyMatches = k.equals(key) || (k.isEmpty() && "Exists".equals(t.path("operator").asString("")));
      if (keyMatches && (effect.isEmpty() || effect.equals("NoExecute"))) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- services and config

  private static void service(ObjectNode svc, Predicate<String> inUse) {
    ObjectNode spec = obj(svc, "spec");
    put(spec, "type", "ClusterIP");
    String type = spec.get("type").asString("ClusterIP");
    put(spec, "sessionAffinity", "None");
    for (JsonNode p : spec.path("ports")) {
      if (!p.isObject()) continue;
      ObjectNode port = (ObjectNode) p;
      put(port, "protocol", "TCP");
      if (port.has("port") && !type.equals("ExternalName") && !port.hasNonNull("targetPort")) {
        port.set("targetPort", port.get("port").deepCopy());
      }
      if ((type.equals("NodePort") || type.equals("LoadBalancer")) && !port.has("nodePort")) {
        port.put("nodePort", NODE_PORT_MIN + Math.floorMod(key(svc).hashCode() * 31 + port.path("port").asInt(0), NODE_PORT_COUNT));
      }
    }
    if (type.equals("ExternalName")) return;
    if (!spec.hasNonNull("clusterIP") || spec.get("clusterIP").asString("").isEmpty()) {
      JsonNode first = spec.path("clusterIPs").path(0);
      spec.put("clusterIP", first.isString() && !first.stringValue().isEmpty() ? first.stringValue() : allocateClusterIp(key(svc), inUse));
    }
    if (!spec.has("clusterIPs")) spec.putArray("clusterIPs").add(spec.get("clusterIP").asString(""));
    if (!spec.has("ipFamilies")) spec.putArray("ipFamilies").add("IPv4");
    put(spec, "ipFamilyPolicy", "SingleStack");
    put(spec, "internalTrafficPolicy", "Cluster");
    if (type.equals("NodePort") || type.equals("LoadBalancer")) put(spec, "externalTrafficPolicy", "Cluster");
    if (type.equals("LoadBalancer")) put(spec, "allocateLoadBalancerNodePorts", true);
    if ("ClientIP".equals(spec.get("sessionAffinity").asString(""))) {
      put(obj(obj(spec, "sessionAffinityConfig"), "clientIP"), "timeoutSeconds", 10800);
    }
    obj(obj(svc, "status"), "loadBalancer");
  }

  /** Kubernetes' patchAllocatedValues: an update that omits allocated values keeps the old ones. */
  private static void keepAllocated(ObjectNode svc, ObjectNode old) {
    JsonNode oldSpec = old.path("spec");
    ObjectNode spec = obj(svc, "spec");
    String type = spec.path("type").asString("ClusterIP");
    String oldType = oldSpec.path("type").asString("ClusterIP");
    if (!type.equals(oldType)) dropTypeDependentFields(spec, oldSpec, type, oldType);
    if (type.equals("ExternalName") || oldType.equals("ExternalName")) return;
    if (spec.path("clusterIP").asString("").isEmpty() && oldSpec.path("clusterIP").isString()) {
      spec.set("clusterIP", oldSpec.get("clusterIP").deepCopy());
      if (oldSpec.has("clusterIPs") && !spec.has("clusterIPs")) spec.set("clusterIPs", oldSpec.get("clusterIPs").deepCopy());
    }
    if (!type.equals("NodePort") && !type.equals("LoadBalancer")) return;
    for (JsonNode p : spec.path("ports")) {
      if (!p.isObject() || p.hasNonNull("nodePort")) continue;
      for (JsonNode o : oldSpec.path("ports")) {
        boolean samePort = o.path("port").equals(p.path("port"))
            && o.path("protocol").asString("TCP").equals(p.path("protocol").asString("TCP"));
        if (samePort && o.path("nodePort").isIntegralNumber()) ((ObjectNode) p).set("nodePort", o.get("nodePort").deepCopy());
      }
    }
  }

  /**
   * Kubernetes' dropTypeDependentFields: a Service leaving NodePort or LoadBalancer loses the node
   * ports (and the LoadBalancer-only fields) it kept from before, unless the update changed them,
   * so {@code kubectl patch -p '{"spec":{"type":"ClusterIP"}}'} works.
   */
  private static void dropTypeDependentFields(ObjectNode spec, JsonNode oldSpec, String type, String oldType) {
    boolean external = type.equals("NodePort") || type.equals("LoadBalancer");
    boolean wasExternal = oldType.equals("NodePort") || oldType.equals("LoadBalancer");
    if (wasExternal && !external && nodePorts(spec).equals(nodePorts(oldSpec))) {
      for (JsonNode p : spec.path("ports")) if (p instanceof ObjectNode port) port.remove("nodePort");
    }
    if (wasExternal && !external && spec.path("externalTrafficPolicy").equals(oldSpec.path("externalTrafficPolicy"))) {
      spec.remove("externalTrafficPolicy");
    }
    if (oldType.equals("LoadBalancer") && !type.equals("LoadBalancer")
        && spec.path("healthCheckNodePort").equals(oldSpec.path("healthCheckNodePort"))) {
      spec.remove("healthCheckNodePort");
    }
    if (!type.equals("LoadBalancer")) {
      spec.remove("allocateLoadBalancerNodePorts");
      spec.remove("loadBalancerClass");
    }
  }

  private static List<JsonNode> nodePorts(JsonNode spec) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode p : spec.path("ports")) out.add(p.path("nodePort"));
    return out;
  }

  /** A free address of {@link #SERVICE_CIDR}, skipping the network address and .1 (kept for "kubernetes"). */
  static String allocateClusterIp(String key, Predicate<String> inUse) {
    int start = Math.floorMod(key.hashCode() * 0x9E3779B1, SERVICE_SIZE - 3) + 2;
    for (int i = 0; i < SERVICE_SIZE - 3; i++) {
      int offset = 2 + Math.floorMod(start - 2 + i, SERVICE_SIZE - 3);
      int ip = SERVICE_BASE + offset;
      String s = ((ip >>> 24) & 255) + "." + ((ip >>> 16) & 255) + "." + ((ip >>> 8) & 255) + "." + (ip & 255);
      if (!inUse.test(s)) return s;
    }
    throw io.keelson.apiserver.status.StatusException.internal("failed to allocate a serviceIP: range is full");
  }

  private static String key(ObjectNode o) {
    return o.path("metadata").path("namespace").asString("") + "/" + o.path("metadata").path("name").asString("");
  }

  private static void endpoints(ObjectNode ep) {
    for (JsonNode subset : ep.path("subsets")) {
      for (JsonNode p : subset.path("ports")) {
        if (p.isObject()) put((ObjectNode) p, "protocol", "TCP");
      }
    }
  }

  /** Secret type Opaque; stringData is write-only: folded into base64 data and dropped. */
  private static void secret(ObjectNode s) {
    put(s, "type", "Opaque");
    JsonNode stringData = s.remove("stringData");
    if (stringData != null && stringData.isObject()) {
      ObjectNode data = obj(s, "data");
      for (Map.Entry<String, JsonNode> e : stringData.properties()) {
        data.put(e.getKey(), Base64.getEncoder().encodeToString(e.getValue().asString("").getBytes(StandardCharsets.UTF_8)));
      }
    }
  }

  private static void namespace(ObjectNode ns) {
    String name = ns.path("metadata").path("name").asString("");
    if (!name.isEmpty()) put(obj(obj(ns, "metadata"), "labels"), "kubernetes.io/metadata.name", name);
    ObjectNode spec = obj(ns, "spec");
    if (!spec.has("finalizers")) spec.putArray("finalizers").add("kubernetes");
    put(obj(ns, "status"), "phase", "Active");
  }

  /** SetDefaults_NodeStatus: allocatable defaults to capacity. */
  private static void node(ObjectNode n) {
    JsonNode status = n.get("status");
    if (status == null || !status.isObject()) return;
    JsonNode capacity = status.get("capacity");
    if (capacity != null && capacity.isObject() && !status.has("allocatable")) {
      ((ObjectNode) status).set("allocatable", capacity.deepCopy());
    }
  }

  // ---------------------------------------------------------------- tree helpers

  private static ObjectNode obj(ObjectNode parent, String field) {
    JsonNode n = parent.get(field);
    if (n != null && n.isObject()) return (ObjectNode) n;
    if (n != null && !n.isNull()) return parent.objectNode(); // wrong type: leave it for the validator
    return parent.putObject(field);
  }

  private static ArrayNode arr(ObjectNode parent, String field) {
    JsonNode n = parent.get(field);
    if (n != null && n.isArray()) return (ArrayNode) n;
    if (n != null && !n.isNull()) return parent.arrayNode();
    return parent.putArray(field);
  }

  private static void put(ObjectNode o, String field, String value) {
    if (!o.hasNonNull(field)) o.put(field, value);
  }

  private static void put(ObjectNode o, String field, int value) {
    if (!o.hasNonNull(field)) o.put(field, value);
  }

  private static void put(ObjectNode o, String field, boolean value) {
    if (!o.hasNonNull(field)) o.put(field, value);
  }
}
