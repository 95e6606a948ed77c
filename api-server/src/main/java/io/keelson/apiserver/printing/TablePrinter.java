package io.keelson.apiserver.printing;

import io.keelson.apiserver.discovery.MediaRanges;
import io.keelson.apiserver.resource.ResourceType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeSet;
import java.util.function.BiFunction;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Server-side printing: turns objects into the {@code meta.k8s.io/v1 Table} that {@code kubectl get}
 * asks for, with the columns kubectl users know for every served kind (priority 1 columns appear
 * only with {@code -o wide}). Also builds {@code PartialObjectMetadata(List)} responses.
 *
 * <p>Called by the generic REST controller for lists, single GETs and watch events.
 */
public final class TablePrinter {

  /** What each row's {@code object} holds ({@code ?includeObject=None|Metadata|Object}). */
  public enum IncludeObject {
    NONE, METADATA, OBJECT;

    /** Parses the includeObject query parameter; Metadata when absent or unknown. */
    public static IncludeObject parse(String value) {
      if (value == null) return METADATA;
      return switch (value) {
        case "None" -> NONE;
        case "Object" -> OBJECT;
        default -> METADATA;
      };
    }
  }

  /** One column: header, type (string/integer/date), format, description, priority and its cell. */
  record Column(String name, String type, String format, String description, int priority,
      BiFunction<JsonNode, Instant, Object> cell) {}

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String NONE = "<none>";
  private static final Map<String, List<Column>> COLUMNS = new HashMap<>();

  private TablePrinter() {}

  // ---- public entry points ----

  /**
   * A Table of {@code objects}.
   *
   * @param includeObject true: each row carries the full object; false: its PartialObjectMetadata
   *     (the default kubectl uses)
   */
  public static ObjectNode table(ResourceType type, List<ObjectNode> objects, String resourceVersion,
      String continueToken, boolean includeObject) {
    return table(type, objects, resourceVersion, continueToken,
        includeObject ? IncludeObject.OBJECT : IncludeObject.METADATA, Instant.now());
  }

  public static ObjectNode table(ResourceType type, List<ObjectNode> objects, String resourceVersion,
      String continueToken, IncludeObject include) {
    return table(type, objects, resourceVersion, continueToken, include, Instant.now());
  }

  static ObjectNode table(ResourceType type, List<ObjectNode> objects, String resourceVersion,
      String continueToken, IncludeObject include, Instant now) {
    List<Column> columns = columns(type);
    ObjectNode t = NODES.objectNode();
    t.put("kind", "Table");
    t.put("apiVersion", "meta.k8s.io/v1");
    ObjectNode meta = t.putObject("metadata");
    if (resourceVersion != null && !resourceVersion.isEmpty()) meta.put("resourceVersion", resourceVersion);
    if (continueToken != null && !continueToken.isEmpty()) meta.put("continue", continueToken);
    ArrayNode defs = t.putArray("columnDefinitions");
    for (Column c : columns) {
      ObjectNode d = defs.addObject();
      d.put("name", c.name());
      d.put("type", c.type());
      d.put("format", c.format());
      d.put("description", c.description());
      d.put("priority", c.priority());
    }
    ArrayNode rows = t.putArray("rows");
    for (ObjectNode o : objects) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      for (Column c : columns) {
        Object v;
        try {
          v = c.cell().apply(o, now);
        } catch (RuntimeException e) {
          v = "<error>"; // a malformed stored object must not break `kubectl get` of the whole list
        }
        if (v instanceof Number n) cells.add(n.longValue());
        else if (v instanceof Boolean b) cells.add(b);
        else cells.add(v == null ? "" : v.toString());
      }
      switch (include) {
        case OBJECT -> row.set("object", o);
        case METADATA -> row.set("object", partialObjectMetadata(o));
        case NONE -> { }
      }
    }
    return t;
  }

  /**
   * Whether the Accept header asks for a Table ({@code application/json;as=Table;v=v1;g=meta.k8s.io},
   * v1beta1 too) before any plain representation.
   */
  public static boolean wantsTable(String acceptHeader) {
    return wants(acceptHeader, "Table");
  }

  /** Whether the Accept header asks for {@code as=PartialObjectMetadata} or {@code PartialObjectMetadataList}. */
  public static boolean wantsPartialObjectMetadata(String acceptHeader) {
    return wants(acceptHeader, "PartialObjectMetadata") || wants(acceptHeader, "PartialObjectMetadataList");
  }

  private static boolean wants(String accept, String as) {
    for (MediaRanges.Range r : MediaRanges.parse(accept)) {
      if (as.equals(r.param("as")) && "meta.k8s.io".equals(r.param("g"))
          && ("v1".equals(r.param("v")) || "v1beta1".equals(r.param("v")))
          && (r.type().equals("application/json") || r.type().equals("application/yaml")
          || r.type().equals("application/vnd.kubernetes.protobuf"))) {
        return true;
      }
      if (r.param("as") == null && (r.isJsonCompatible() || r.type().equals("application/yaml"))) return false;
    }
    return false;
  }

  /** {@code {kind: PartialObjectMetadata, apiVersion: meta.k8s.io/v1, metadata}} of an object. */
  public static ObjectNode partialObjectMetadata(JsonNode object) {
    ObjectNode p = NODES.objectNode();
    p.put("kind", "PartialObjectMetadata");
    p.put("apiVersion", "meta.k8s.io/v1");
    JsonNode m = object.get("metadata");
    p.set("metadata", m != null && m.isObject() ? m.deepCopy() : NODES.objectNode());
    return p;
  }

  /** A {@code PartialObjectMetadataList} (for {@code as=PartialObjectMetadataList} accepts). */
  public static ObjectNode partialObjectMetadataList(List<ObjectNode> objects, String resourceVersion,
      String continueToken) {
    ObjectNode l = NODES.objectNode();
    l.put("kind", "PartialObjectMetadataList");
    l.put("apiVersion", "meta.k8s.io/v1");
    ObjectNode meta = l.putObject("metadata");
    if (resourceVersion != null && !resourceVersion.isEmpty()) meta.put("resourceVersion", resourceVersion);
    if (continueToken != null && !continueToken.isEmpty()) meta.put("continue", continueToken);
    ArrayNode items = l.putArray("items");
    for (ObjectNode o : objects) items.add(partialObjectMetadata(o));
    return l;
  }

  /** A PodMetrics' containers' usage summed: cpu in nanocores ("123n"), memory in kibibytes ("456Ki"). */
  static String podMetricsSum(tools.jackson.databind.JsonNode o, String resource) {
    long sum = 0;
    String unit = resource.equals("cpu") ? "n" : "Ki";
    for (tools.jackson.databind.JsonNode c : o.path("containers")) {
      String q = c.path("usage").path(resource).asString("");
      if (!q.endsWith(unit)) continue;
      try {
        sum += Long.parseLong(q.substring(0, q.length() - unit.length()));
      } catch (NumberFormatException ignored) {
        // not a quantity we wrote
      }
    }
    return sum + unit;
  }

  /** The columns of a kind; kinds without printers get NAME and AGE. */
  static List<Column> columns(ResourceType type) {
    if (io.keelson.apiserver.resource.CustomResource.isCustom(type)) {
      return CustomColumns.of(io.keelson.apiserver.resource.ResourceRegistry.customOf(type));
    }
    List<Column> c = COLUMNS.get(type.group() + "/" + type.kind());
    return c != null ? c : List.of(name(), age());
  }

  // ---- column sets ----

  static {
    put("", "Pod", name(),
        str("Ready", "The number of ready containers out of all containers.", 0,
            (o, now) -> PodCells.of(o, now).ready()),
        str("Status", "The aggregate status of the containers in this pod.", 0,
            (o, now) -> PodCells.of(o, now).status()),
        str("Restarts", "The number of times the containers in this pod have been restarted and when the last "
            + "container in this pod has restarted.", 0, (o, now) -> PodCells.of(o, now).restarts()),
        age(),
        str("IP", "IP address allocated to the pod.", 1, (o, now) -> Fields.strOr(o, "status.podIP", NONE)),
        str("Node", "Name of the node the pod is assigned to.", 1, (o, now) -> Fields.strOr(o, "spec.nodeName", NONE)),
        str("Nominated Node", "Node on which the pod is nominated to run after preemption.", 1,
            (o, now) -> Fields.strOr(o, "status.nominatedNodeName", NONE)),
        str("Readiness Gates", "Readiness gates that have passed.", 1, (o, now) -> PodCells.readinessGates(o)));

    put("", "Node", name(),
        str("Status", "The status of the node.", 0, (o, now) -> nodeStatus(o)),
        str("Roles", "The roles of the node.", 0, (o, now) -> nodeRoles(o)),
        age(),
        str("Version", "Kubelet version reported by the node.", 0, (o, now) -> Fields.str(o, "status.nodeInfo.kubeletVersion")),
        str("Internal-IP", "The node's internal IP address.", 1, (o, now) -> nodeAddress(o, "InternalIP")),
        str("External-IP", "The node's external IP address.", 1, (o, now) -> nodeAddress(o, "ExternalIP")),
        str("OS-Image", "The operating system image of the node.", 1,
            (o, now) -> Fields.strOr(o, "status.nodeInfo.osImage", "<unknown>")),
        str("Kernel-Version", "The kernel version of the node.", 1,
            (o, now) -> Fields.strOr(o, "status.nodeInfo.kernelVersion", "<unknown>")),
        str("Container-Runtime", "The container runtime and its version on the node.", 1,
            (o, now) -> Fields.strOr(o, "status.nodeInfo.containerRuntimeVersion", "<unknown>")));

    put("apps", "Deployment", name(),
        str("Ready", "Number of ready replicas out of desired replicas.", 0,
            (o, now) -> Fields.num(o, "status.readyReplicas") + "/" + replicas(o)),
        num("Up-to-date", "Total number of non-terminated pods with the desired template.", 0,
            (o, now) -> Fields.num(o, "status.updatedReplicas")),
        num("Available", "Total number of available pods (ready for at least minReadySeconds).", 0,
            (o, now) -> Fields.num(o, "status.availableReplicas")),
        age(), containers(), images(), selector());

    put("apps", "ReplicaSet", name(),
        num("Desired", "Number of desired pods.", 0, (o, now) -> replicas(o)),
        num("Current", "Number of pods currently running.", 0, (o, now) -> Fields.num(o, "status.replicas")),
        num("Ready", "Number of ready pods.", 0, (o, now) -> Fields.num(o, "status.readyReplicas")),
        age(), containers(), images(), selector());

    put("apps", "DaemonSet", name(),
        num("Desired", "The number of nodes that should be running the daemon pod.", 0,
            (o, now) -> Fields.num(o, "status.desiredNumberScheduled")),
        num("Current", "The number of nodes running at least one daemon pod.", 0,
            (o, now) -> Fields.num(o, "status.currentNumberScheduled")),
        num("Ready", "The number of nodes with the daemon pod running and ready.", 0,
            (o, now) -> Fields.num(o, "status.numberReady")),
        num("Up-to-date", "The number of nodes running the updated daemon pod.", 0,
            (o, now) -> Fields.num(o, "status.updatedNumberScheduled")),
        num("Available", "The number of nodes with the daemon pod available.", 0,
            (o, now) -> Fields.num(o, "status.numberAvailable")),
        str("Node Selector", "The node selector of the daemon pods.", 0,
            (o, now) -> labels(Fields.map(o, "spec.template.spec.nodeSelector"))),
        age(), containers(), images(), selector());

    // kube's printStatefulSet: no selector column
    put("apps", "StatefulSet", name(),
        str("Ready", "Number of the pod with ready state.", 0,
            (o, now) -> Fields.num(o, "status.readyReplicas") + "/" + replicas(o)),
        age(), containers(), images());

    put("apps", "ControllerRevision", name(),
        str("Controller", "Controller of the object.", 0, (o, now) -> controllerName(o)),
        num("Revision", "Revision of the ControllerRevision.", 0, (o, now) -> Fields.num(o, "revision")),
        age());

    // kube 1.32's printJob / printCronJob
    put("batch", "Job", name(),
        str("Status", "Status of the job.", 0, (o, now) -> jobStatus(o)),
        str("Completions", "The number of pods which reached phase Succeeded.", 0, (o, now) -> jobCompletions(o)),
        str("Duration", "Time required to complete the job.", 0, (o, now) -> jobDuration(o, now)),
        age(), containers(), images(), selector());

    put("batch", "CronJob", name(),
        str("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.", 0,
            (o, now) -> Fields.str(o, "spec.schedule")),
        str("Timezone", "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.", 0,
            (o, now) -> Fields.strOr(o, "spec.timeZone", NONE)),
        new Column("Suspend", "boolean", "", "This flag tells the controller to suspend subsequent executions.", 0,
            (o, now) -> boolPtr(Fields.at(o, "spec.suspend"))),
        num("Active", "A list of pointers to currently running jobs.", 0, (o, now) -> (long) Fields.list(o, "status.active").size()),
        str("Last Schedule", "Information when was the last time the job was successfully scheduled.", 0,
            (o, now) -> Fields.str(o, "status.lastScheduleTime").isEmpty() ? NONE : Ages.since(Fields.str(o, "status.lastScheduleTime"), now)),
        age(),
        str("Containers", "Names of each container in the template.", 1,
            (o, now) -> joinContainers(Fields.at(o, "spec.jobTemplate"), "name")),
        str("Images", "Images referenced by each container in the template.", 1,
            (o, now) -> joinContainers(Fields.at(o, "spec.jobTemplate"), "image")),
        str("Selector", "A label query over pods that should match the pod count.", 1,
            (o, now) -> labelSelector(Fields.at(o, "spec.jobTemplate.spec.selector"))));

    // kube 1.32's printHorizontalPodAutoscaler; the cells read the v2 shape and v1's (served from the same objects)
    put("autoscaling", "HorizontalPodAutoscaler", name(),
        str("Reference", "reference to target object", 0,
            (o, now) -> Fields.str(o, "spec.scaleTargetRef.kind") + "/" + Fields.str(o, "spec.scaleTargetRef.name")),
        str("Targets", "the target metrics, with their current values", 0, (o, now) -> hpaTargets(o)),
        str("MinPods", "minimum number of pods", 0,
            (o, now) -> Fields.at(o, "spec.minReplicas").isNumber() ? String.valueOf(Fields.num(o, "spec.minReplicas")) : "<unset>"),
        num("MaxPods", "maximum number of pods", 0, (o, now) -> Fields.num(o, "spec.maxReplicas")),
        num("Replicas", "current replicas", 0, (o, now) -> Fields.num(o, "status.currentReplicas")),
        age());

    // kube 1.32's printCertificateSigningRequest
    put("certificates.k8s.io", "CertificateSigningRequest", name(), age(),
        str("SignerName", "Only requests with this signer name are issued by that signer.", 0, (o, now) -> Fields.strOr(o, "spec.signerName", NONE)),
        str("Requestor", "Name of the user who requested the certificate.", 0, (o, now) -> Fields.str(o, "spec.username")),
        str("RequestedDuration", "The validity period the request asked for.", 0, (o, now) -> Fields.at(o, "spec.expirationSeconds").isNumber()
            ? Ages.human(java.time.Duration.ofSeconds(Fields.at(o, "spec.expirationSeconds").asLong())) : NONE),
        str("Condition", "Approval state of the request, and Issued once signed.", 0, (o, now) -> csrCondition(o)));

    // kube 1.32's printPodDisruptionBudget
    put("policy", "PodDisruptionBudget", name(),
        str("Min Available", "The minimum number of pods that must be available.", 0,
            (o, now) -> Fields.strOr(o, "spec.minAvailable", "N/A")),
        str("Max Unavailable", "The maximum number of pods that may be unavailable.", 0,
            (o, now) -> Fields.strOr(o, "spec.maxUnavailable", "N/A")),
        num("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time.", 0,
            (o, now) -> Fields.num(o, "status.disruptionsAllowed")),
        age());

    // kube 1.32's printNetworkPolicy
    put("networking.k8s.io", "NetworkPolicy", name(),
        str("Pod-Selector", "The pods the policy applies to.", 0, (o, now) -> labelSelector(Fields.at(o, "spec.podSelector"))),
        age());
    // KubeVirt's VirtualMachine columns, with where it runs
    put("vm.keelson.io", "VirtualMachine", name(), age(),
        str("Status", "The VM's state: Stopped, Starting, Running, Stopping, or why it cannot run.", 0,
            (o, now) -> Fields.strOr(o, "status.printableStatus", NONE)),
        str("Ready", "Whether the VM runs and its pod is Ready.", 0, (o, now) -> Fields.strOr(o, "status.ready", "false")),
        str("Node", "The node the VM runs on.", 0, (o, now) -> Fields.strOr(o, "status.nodeName", NONE)),
        str("IP", "The VM's pod IP (the guest configures it itself).", 0, (o, now) -> Fields.strOr(o, "status.ipAddress", NONE)));

    // kube 1.32's printResourceQuota / printLimitRange
    put("", "ResourceQuota", name(), age(),
        str("Request", "Request represents a minimum amount of cpu/memory that a container may consume.", 0,
            (o, now) -> quotaUsage(o, false)),
        str("Limit", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.", 0,
            (o, now) -> quotaUsage(o, true)));

    put("", "LimitRange", name(),
        str("Created At", "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.", 0,
            (o, now) -> Fields.str(o, "metadata.creationTimestamp")));

    put("", "Service", name(),
        str("Type", "The type of the service.", 0, (o, now) -> Fields.strOr(o, "spec.type", "ClusterIP")),
        str("Cluster-IP", "The virtual IP of the service.", 0, (o, now) -> Fields.strOr(o, "spec.clusterIP", NONE)),
        str("External-IP", "The external IPs of the service.", 0, (o, now) -> serviceExternalIp(o)),
        str("Port(s)", "The ports the service exposes.", 0, (o, now) -> servicePorts(o)),
        age(),
        str("Selector", "The label selector of the service.", 1, (o, now) -> labels(Fields.map(o, "spec.selector"))));

    put("", "Endpoints", name(),
        str("Endpoints", "The addresses and ports of the endpoints.", 0, (o, now) -> endpoints(o)),
        age());

    put("discovery.k8s.io", "EndpointSlice", name(),
        str("AddressType", "The type of addresses of the endpoints.", 0, (o, now) -> Fields.str(o, "addressType")),
        str("Ports", "The ports of the endpoints.", 0, (o, now) -> discoveryPorts(o)),
        str("Endpoints", "The addresses of the endpoints.", 0, (o, now) -> discoveryEndpoints(o)),
        age());

    put("", "ConfigMap", name(),
        num("Data", "The number of entries.", 0,
            (o, now) -> Fields.size(o, "data") + Fields.size(o, "binaryData")),
        age());

    put("", "Secret", name(),
        str("Type", "The type of the secret.", 0, (o, now) -> Fields.strOr(o, "type", "Opaque")),
        num("Data", "The number of entries.", 0, (o, now) -> Fields.size(o, "data")),
        age());

    put("", "Namespace", name(),
        str("Status", "The status of the namespace.", 0, (o, now) -> Fields.strOr(o, "status.phase", "Active")),
        age());

    put("", "ServiceAccount", name(),
        num("Secrets", "The number of secrets of the service account.", 0, (o, now) -> Fields.size(o, "secrets")),
        age());

    put("coordination.k8s.io", "Lease", name(),
        str("Holder", "The holder of the lease.", 0, (o, now) -> Fields.str(o, "spec.holderIdentity")),
        age());

    // metrics.k8s.io: the columns metrics-server prints (usage summed over a pod's containers)
    put("", "ComponentStatus", name(),
        str("Status", "Status of the component conditions", 0, (o, now) -> componentCondition(o, "status")),
        str("Message", "Message of the component conditions", 0, (o, now) -> componentCondition(o, "message")),
        str("Error", "Error of the component conditions", 0, (o, now) -> componentCondition(o, "error")));

    put("metrics.k8s.io", "NodeMetrics", name(),
        str("CPU", "CPU usage.", 0, (o, now) -> Fields.str(o, "usage.cpu")),
        str("Memory", "Memory usage (working set).", 0, (o, now) -> Fields.str(o, "usage.memory")),
        str("Window", "The time window the usage was measured over.", 0, (o, now) -> Fields.str(o, "window")));
    put("metrics.k8s.io", "PodMetrics", name(),
        str("CPU", "CPU usage of all containers.", 0, (o, now) -> podMetricsSum(o, "cpu")),
        str("Memory", "Memory usage (working set) of all containers.", 0, (o, now) -> podMetricsSum(o, "memory")),
        str("Window", "The time window the usage was measured over.", 0, (o, now) -> Fields.str(o, "window")));

    // kube's printPersistentVolume(Claim) / printStorageClass
    put("", "PersistentVolume", name(),
        str("Capacity", "The capacity of the volume.", 0, (o, now) -> Fields.str(o, "spec.capacity.storage")),
        str("Access Modes", "How the volume may be mounted.", 0, (o, now) -> accessModes(Fields.at(o, "spec.accessModes"))),
        str("Reclaim Policy", "What happens to the volume when its claim is deleted.", 0,
            (o, now) -> Fields.str(o, "spec.persistentVolumeReclaimPolicy")),
        str("Status", "The phase of the volume.", 0, (o, now) -> Fields.str(o, "status.phase")),
        str("Claim", "The claim bound to the volume, as namespace/name.", 0, (o, now) -> Fields.str(o, "spec.claimRef.name").isEmpty()
            ? "" : Fields.str(o, "spec.claimRef.namespace") + "/" + Fields.str(o, "spec.claimRef.name")),
        str("StorageClass", "The class of the volume.", 0, (o, now) -> Fields.str(o, "spec.storageClassName")),
        str("VolumeAttributesClass", "The attributes class of the volume.", 0,
            (o, now) -> Fields.strOr(o, "spec.volumeAttributesClassName", "<unset>")),
        str("Reason", "Why the volume is in its phase.", 0, (o, now) -> Fields.str(o, "status.reason")),
        age(),
        str("VolumeMode", "Filesystem or Block.", 1, (o, now) -> Fields.str(o, "spec.volumeMode")));

    put("", "PersistentVolumeClaim", name(),
        str("Status", "The phase of the claim.", 0, (o, now) -> Fields.str(o, "status.phase")),
        str("Volume", "The volume bound to the claim.", 0, (o, now) -> Fields.str(o, "spec.volumeName")),
        str("Capacity", "The capacity of the bound volume.", 0, (o, now) -> Fields.str(o, "status.capacity.storage")),
        str("Access Modes", "How the bound volume may be mounted.", 0, (o, now) -> accessModes(Fields.at(o, "status.accessModes"))),
        str("StorageClass", "The class of the claim.", 0, (o, now) -> Fields.str(o, "spec.storageClassName")),
        str("VolumeAttributesClass", "The attributes class of the claim.", 0,
            (o, now) -> Fields.strOr(o, "spec.volumeAttributesClassName", "<unset>")),
        age(),
        str("VolumeMode", "Filesystem or Block.", 1, (o, now) -> Fields.str(o, "spec.volumeMode")));

    put("storage.k8s.io", "StorageClass",
        new Column("Name", "string", "name", "Name must be unique within a namespace.", 0, (o, now) -> Fields.str(o, "metadata.name")
            + ("true".equals(o.path("metadata").path("annotations").path("storageclass.kubernetes.io/is-default-class").asString(""))
            ? " (default)" : "")),
        str("Provisioner", "The provisioner of the class's volumes.", 0, (o, now) -> Fields.str(o, "provisioner")),
        str("ReclaimPolicy", "What happens to a provisioned volume when its claim is deleted.", 0,
            (o, now) -> Fields.strOr(o, "reclaimPolicy", "Delete")),
        str("VolumeBindingMode", "When volumes are bound and provisioned.", 0,
            (o, now) -> Fields.strOr(o, "volumeBindingMode", "Immediate")),
        new Column("AllowVolumeExpansion", "boolean", "", "Whether claims of this class may grow.", 0,
            (o, now) -> Fields.bool(o, "allowVolumeExpansion")),
        age());

    // kube's CRD printer: the creation time itself, not an age
    put("apiextensions.k8s.io", "CustomResourceDefinition", name(),
        new Column("Created At", "date", "", "Time when the custom resource definition was created.", 0,
            (o, now) -> Fields.str(o, "metadata.creationTimestamp")));

    // kube 1.32's printMutatingWebhook and printValidatingWebhook
    for (String kind : List.of("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")) {
      put("admissionregistration.k8s.io", kind, name(),
          num("Webhooks", "Webhooks indicates the number of webhooks in the configuration.", 0, (o, now) -> Fields.size(o, "webhooks")),
          age());
    }

    put("node.k8s.io", "RuntimeClass", name(),
        str("Handler", "The runtime that runs pods of this class.", 0, (o, now) -> Fields.str(o, "handler")),
        age());

    // kube 1.32's printIngress and printIngressClass
    put("networking.k8s.io", "Ingress", name(),
        str("Class", "The name of the IngressClass resource that should be used for ingress.", 0,
            (o, now) -> Fields.strOr(o, "spec.ingressClassName", NONE)),
        str("Hosts", "Hosts that incoming requests are matched against before the ingress rule", 0, (o, now) -> ingressHosts(o)),
        str("Address", "Address is a list containing ingress points for the load-balancer", 0, (o, now) -> ingressAddress(o)),
        str("Ports", "Ports of TLS configurations that open", 0, (o, now) -> Fields.size(o, "spec.tls") > 0 ? "80, 443" : "80"),
        age());
    put("networking.k8s.io", "IngressClass", name(),
        str("Controller", "Controller that is responsible for handling this class", 0, (o, now) -> Fields.str(o, "spec.controller")),
        str("Parameters", "A reference to a resource with additional parameters", 0, (o, now) -> ingressClassParameters(o)),
        age());

    // kube 1.32's printValidatingAdmissionPolicy and printValidatingAdmissionPolicyBinding
    put("admissionregistration.k8s.io", "ValidatingAdmissionPolicy", name(),
        num("Validations", "Validations indicates the number of validation rules defined in this configuration", 0,
            (o, now) -> Fields.size(o, "spec.validations")),
        str("ParamKind", "ParamKind specifies the kind of resources used to parameterize this policy", 0,
            (o, now) -> o.path("spec").path("paramKind").isObject()
                ? Fields.str(o, "spec.paramKind.apiVersion") + "/" + Fields.str(o, "spec.paramKind.kind") : "<unset>"),
        age());
    put("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding", name(),
        str("PolicyName", "PolicyName indicates the policy definition which the policy binding binded to", 0,
            (o, now) -> Fields.str(o, "spec.policyName")),
        str("ParamRef", "ParamRef indicates the param resource which sets the configration param", 0, (o, now) -> {
          JsonNode ref = o.path("spec").path("paramRef");
          String name = ref.path("name").asString("");
          if (!name.isEmpty()) return (ref.path("namespace").asString("").isEmpty() ? "*" : ref.path("namespace").asString()) + "/" + name;
          return ref.path("selector").isObject() ? labelSelector(ref.path("selector")) : "<unset>";
        }),
        age());

    put("scheduling.k8s.io", "PriorityClass", name(),
        num("Value", "The priority value of pods in this class.", 0, (o, now) -> Fields.num(o, "value")),
        new Column("Global-Default", "boolean", "", "Whether this is the default priority class.", 0,
            (o, now) -> Fields.bool(o, "globalDefault")),
        age(),
        str("PreemptionPolicy", "Whether pods of this class may preempt lower-priority pods.", 0,
            (o, now) -> Fields.strOr(o, "preemptionPolicy", "PreemptLowerPriority")));

    // rbac.authorization.k8s.io: kube's role printer shows when, its binding printer what and to whom
    for (String kind : List.of("Role", "ClusterRole")) {
      put("rbac.authorization.k8s.io", kind, name(),
          new Column("Created At", "date", "", "Time at which the object was created.", 0,
              (o, now) -> Fields.str(o, "metadata.creationTimestamp")));
    }
    for (String kind : List.of("RoleBinding", "ClusterRoleBinding")) {
      put("rbac.authorization.k8s.io", kind, name(),
          str("Role", "The role the subjects are bound to.", 0,
              (o, now) -> Fields.str(o, "roleRef.kind") + "/" + Fields.str(o, "roleRef.name")),
          age(),
          str("Users", "The users bound.", 1, (o, now) -> subjects(o, "User")),
          str("Groups", "The groups bound.", 1, (o, now) -> subjects(o, "Group")),
          str("ServiceAccounts", "The service accounts bound, as namespace/name.", 1, (o, now) -> subjects(o, "ServiceAccount")));
    }

    List<Column> events = List.of(
        str("Last Seen", "When the event was last seen.", 0, (o, now) -> EventCells.lastSeen(o, now)),
        str("Type", "Normal or Warning.", 0, (o, now) -> Fields.str(o, "type")),
        str("Reason", "Why the event happened.", 0, (o, now) -> Fields.str(o, "reason")),
        str("Object", "The object the event is about.", 0, (o, now) -> EventCells.object(o)),
        str("Subobject", "The part of the object the event is about.", 1, (o, now) -> EventCells.subobject(o)),
        str("Source", "The component that reported the event.", 1, (o, now) -> EventCells.source(o)),
        str("Message", "A human-readable description of the event.", 0, (o, now) -> EventCells.message(o)),
        str("First Seen", "When the event was first seen.", 1, (o, now) -> EventCells.firstSeen(o, now)),
        num("Count", "How often the event was seen.", 1, (o, now) -> EventCells.count(o)),
        new Column("Name", "string", "name", "The name of the event.", 1,
            (o, now) -> Fields.str(o, "metadata.name")));
    COLUMNS.put("/Event", events);
    COLUMNS.put("events.k8s.io/Event", events);
  }

  /** "pods: 1/10, requests.cpu: 100m/1": status.used over status.hard, limits.* in the Limit column. */
  private static String quotaUsage(JsonNode quota, boolean limits) {
    List<String> cells = new ArrayList<>();
    Map<String, String> used = Fields.map(quota, "status.used"); // keys have dots: not paths
    Fields.map(quota, "status.hard").forEach((r, hard) -> {
      if (r.startsWith("limits.") == limits) cells.add(r + ": " + used.getOrDefault(r, "0") + "/" + hard);
    });
    return String.join(", ", cells);
  }

  private static void put(String group, String kind, Column... columns) {
    COLUMNS.put(group + "/" + kind, List.of(columns));
  }

  /** "Approved,Issued", "Denied", "Pending", ...: kube's extractCSRStatus. */
  private static String csrCondition(JsonNode o) {
    java.util.List<String> states = new java.util.ArrayList<>();
    for (JsonNode c : Fields.at(o, "status.conditions")) {
      String type = c.path("type").asString("");
      if (type.equals("Approved") || type.equals("Denied") || type.equals("Failed")) states.add(type);
    }
    if (states.isEmpty()) states.add("Pending");
    if (!Fields.str(o, "status.certificate").isEmpty()) states.add("Issued");
    return String.join(",", states);
  }

  private static Column name() {
    return new Column("Name", "string", "name", "Name must be unique within a namespace.", 0,
        (o, now) -> Fields.str(o, "metadata.name"));
  }

  private static Column age() {
    return str("Age", "Time since the object was created.", 0,
        (o, now) -> Ages.since(Fields.str(o, "metadata.creationTimestamp"), now));
  }

  private static Column str(String name, String description, int priority, BiFunction<JsonNode, Instant, Object> f) {
    return new Column(name, "string", "", description, priority, f);
  }

  private static Column num(String name, String description, int priority, BiFunction<JsonNode, Instant, Object> f) {
    return new Column(name, "integer", "", description, priority, f);
  }

  private static Column containers() {
    return str("Containers", "Names of each container in the template.", 1, (o, now) -> joinContainers(o, "name"));
  }

  private static Column images() {
    return str("Images", "Images referenced by each container in the template.", 1,
        (o, now) -> joinContainers(o, "image"));
  }

  private static Column selector() {
    return str("Selector", "Label selector of the pods managed.", 1, (o, now) -> labelSelector(Fields.at(o, "spec.selector")));
  }

  // ---- cell computations ----

  /** kube's rbac.SubjectsStrings: the names of a binding's subjects of one kind, service accounts as namespace/name. */
  /** kube's GetAccessModesAsString: RWO,ROX,RWX,RWOP in that order. */
  static String accessModes(JsonNode modes) {
    StringJoiner j = new StringJoiner(",");
    for (String[] m : new String[][] {{"ReadWriteOnce", "RWO"}, {"ReadOnlyMany", "ROX"}, {"ReadWriteMany", "RWX"}, {"ReadWriteOncePod", "RWOP"}}) {
      for (JsonNode n : modes == null ? NODES.arrayNode() : modes) {
        if (m[0].equals(n.asString(""))) {
          j.add(m[1]);
          break;
        }
      }
    }
    return j.toString();
  }

  private static String subjects(JsonNode binding, String kind) {
    StringJoiner names = new StringJoiner(", ");
    for (JsonNode s : binding.path("subjects")) {
      if (!s.path("kind").asString("").equals(kind)) continue;
      String ns = s.path("namespace").asString("");
      names.add(kind.equals("ServiceAccount") && !ns.isEmpty() ? ns + "/" + s.path("name").asString("") : s.path("name").asString(""));
    }
    return names.toString();
  }

  /** kube's printer: Healthy / Unhealthy / Unknown from the Healthy condition, and its message or error. */
  private static String componentCondition(JsonNode o, String field) {
    for (JsonNode c : o.path("conditions")) {
      if (!c.path("type").asString("").equals("Healthy")) continue;
      if (!field.equals("status")) return c.path(field).asString("");
      return switch (c.path("status").asString("")) {
        case "True" -> "Healthy";
        case "False" -> "Unhealthy";
        default -> "Unknown";
      };
    }
    return field.equals("status") ? "Unknown" : "";
  }

  /** As kubectl prints an owner: "daemonset.apps/name", or &lt;none&gt;. */
  private static String controllerName(JsonNode o) {
    for (JsonNode ref : o.path("metadata").path("ownerReferences")) {
      if (!ref.path("controller").asBoolean(false)) continue;
      String apiVersion = ref.path("apiVersion").asString("");
      String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
      String kind = ref.path("kind").asString("").toLowerCase(java.util.Locale.ROOT);
      return kind + (group.isEmpty() ? "" : "." + group) + "/" + ref.path("name").asString("");
    }
    return NONE;
  }

  /**
   * kube's formatHPAMetrics: "cpu: 12%/50%" per metric (current/target, {@code <unknown>} before the
   * controller has measured, {@code <auto>} for a utilization metric without target), at most two and
   * then "+ N more...", {@code <none>} without metrics. A v1 object shows its CPU target the same way.
   */
  static String hpaTargets(JsonNode hpa) {
    JsonNode v1Target = Fields.at(hpa, "spec.targetCPUUtilizationPercentage");
    if (Fields.at(hpa, "spec.metrics").isMissingNode() && v1Target.isNumber()) {
      JsonNode cur = Fields.at(hpa, "status.currentCPUUtilizationPercentage");
      return "cpu: " + (cur.isNumber() ? cur.asLong() + "%" : "<unknown>") + "/" + v1Target.asLong() + "%";
    }
    List<JsonNode> specs = Fields.list(hpa, "spec.metrics");
    List<JsonNode> statuses = Fields.list(hpa, "status.currentMetrics");
    if (specs.isEmpty()) return NONE;
    List<String> list = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      JsonNode spec = specs.get(i);
      JsonNode status = i < statuses.size() ? statuses.get(i) : NODES.missingNode();
      String type = Fields.str(spec, "type");
      switch (type) {
        case "Resource", "ContainerResource" -> {
          String src = type.equals("Resource") ? "resource" : "containerResource";
          JsonNode target = spec.path(src).path("target");
          JsonNode current = status.path(src).path("current");
          String name = spec.path(src).path("name").asString("");
          if (type.equals("ContainerResource")) name = name + " of container \"" + spec.path(src).path("container").asString("") + "\"";
          if (target.has("averageValue")) {
            list.add(name + ": " + quantityOr(current.path("averageValue"), "<unknown>") + "/" + target.path("averageValue").asString());
          } else {
            JsonNode util = current.path("averageUtilization");
            JsonNode want = target.path("averageUtilization");
            list.add(name + ": " + (util.isNumber() ? util.asLong() + "%" : "<unknown>") + "/"
                + (want.isNumber() ? want.asLong() + "%" : "<auto>"));
          }
        }
        case "Pods" -> list.add(Fields.str(spec, "pods.metric.name") + ": "
            + quantityOr(status.path("pods").path("current").path("averageValue"), "<unknown>") + "/"
            + spec.path("pods").path("target").path("averageValue").asString());
        case "Object", "External" -> {
          String src = type.equals("Object") ? "object" : "external";
          JsonNode target = spec.path(src).path("target");
          JsonNode current = status.path(src).path("current");
          String metric = spec.path(src).path("metric").path("name").asString("");
          if (target.has("averageValue")) {
            list.add(metric + ": " + quantityOr(current.path("averageValue"), "<unknown>") + "/" + target.path("averageValue").asString() + " (avg)");
          } else {
            list.add(metric + ": " + quantityOr(current.path("value"), "<unknown>") + "/" + target.path("value").asString());
          }
        }
        default -> list.add("<unknown type>");
      }
    }
    if (list.size() > 2) return String.join(", ", list.subList(0, 2)) + " + " + (list.size() - 2) + " more...";
    return String.join(", ", list);
  }

  private static String quantityOr(JsonNode q, String fallback) {
    return q.isMissingNode() || q.isNull() ? fallback : q.asString();
  }

  /** kube's order: a finished Job is Complete or Failed, then Terminating, Suspended, FailureTarget, else Running. */
  static String jobStatus(JsonNode job) {
    if (jobCondition(job, "Complete")) return "Complete";
    if (jobCondition(job, "Failed")) return "Failed";
    if (!Fields.str(job, "metadata.deletionTimestamp").isEmpty()) return "Terminating";
    if (jobCondition(job, "Suspended")) return "Suspended";
    if (jobCondition(job, "FailureTarget")) return "FailureTarget";
    return "Running";
  }

  private static boolean jobCondition(JsonNode job, String type) {
    for (JsonNode c : Fields.list(job, "status.conditions")) {
      if (Fields.str(c, "type").equals(type) && Fields.str(c, "status").equals("True")) return true;
    }
    return false;
  }

  /** "succeeded/completions"; without completions "n/1", or "n/1 of p" when more than one pod runs at a time. */
  static String jobCompletions(JsonNode job) {
    long succeeded = Fields.num(job, "status.succeeded");
    JsonNode completions = Fields.at(job, "spec.completions");
    if (completions.isNumber()) return succeeded + "/" + completions.asLong();
    long parallelism = Fields.num(job, "spec.parallelism");
    return parallelism > 1 ? succeeded + "/1 of " + parallelism : succeeded + "/1";
  }

  /** From startTime to completionTime (or now while it runs); empty before it starts. */
  static String jobDuration(JsonNode job, Instant now) {
    Instant start = Ages.parse(Fields.str(job, "status.startTime"));
    if (start == null) return "";
    Instant end = Ages.parse(Fields.str(job, "status.completionTime"));
    return Ages.human(java.time.Duration.between(start, end == null ? now : end));
  }

  private static String boolPtr(JsonNode b) {
    if (!b.isBoolean()) return "<unset>";
    return b.asBoolean() ? "True" : "False";
  }

  private static long replicas(JsonNode o) {
    JsonNode r = Fields.at(o, "spec.replicas");
    return r.isNumber() ? r.longValue() : 1; // the API default
  }

  private static String joinContainers(JsonNode o, String field) {
    StringJoiner j = new StringJoiner(",");
    for (JsonNode c : Fields.list(o, "spec.template.spec.containers")) j.add(Fields.str(c, field));
    return j.toString();
  }

  static String nodeStatus(JsonNode node) {
    List<String> parts = new ArrayList<>();
    for (JsonNode c : Fields.list(node, "status.conditions")) {
      if (!Fields.str(c, "type").equals("Ready")) continue;
      String s = Fields.str(c, "status");
      parts.add(s.equals("True") ? "Ready" : "NotReady"); // kubectl prints NotReady for False and Unknown alike
    }
    if (parts.isEmpty()) parts.add("Unknown");
    if (Fields.bool(node, "spec.unschedulable")) parts.add("SchedulingDisabled");
    return String.join(",", parts);
  }

  static String nodeRoles(JsonNode node) {
    TreeSet<String> roles = new TreeSet<>();
    Fields.map(node, "metadata.labels").forEach((k, v) -> {
      if (k.startsWith("node-role.kubernetes.io/")) {
        String role = k.substring("node-role.kubernetes.io/".length());
        if (!role.isEmpty()) roles.add(role);
      } else if (k.equals("kubernetes.io/role") && !v.isEmpty()) {
        roles.add(v);
      }
    });
    return roles.isEmpty() ? NONE : String.join(",", roles);
  }

  private static String nodeAddress(JsonNode node, String type) {
    for (JsonNode a : Fields.list(node, "status.addresses")) {
      if (Fields.str(a, "type").equals(type)) return Fields.str(a, "address");
    }
    return NONE;
  }

  private static String serviceExternalIp(JsonNode svc) {
    String type = Fields.strOr(svc, "spec.type", "ClusterIP");
    List<String> external = new ArrayList<>();
    Fields.list(svc, "spec.externalIPs").forEach(n -> external.add(n.asString()));
    switch (type) {
      case "ExternalName":
        return Fields.strOr(svc, "spec.externalName", NONE);
      case "LoadBalancer": {
        List<String> ips = new ArrayList<>();
        for (JsonNode ing : Fields.list(svc, "status.loadBalancer.ingress")) {
          String ip = Fields.str(ing, "ip");
          ips.add(ip.isEmpty() ? Fields.str(ing, "hostname") : ip);
        }
        ips.addAll(external);
        return ips.isEmpty() ? "<pending>" : String.join(",", ips);
      }
      default:
        return external.isEmpty() ? NONE : String.join(",", external);
    }
  }

  /** The rules' hosts, the first three named ("a,b,c + 2 more...", counted over all rules); "*" when no rule names one. */
  private static String ingressHosts(JsonNode ingress) {
    List<JsonNode> rules = Fields.list(ingress, "spec.rules");
    List<String> hosts = new ArrayList<>();
    boolean more = false;
    for (JsonNode rule : rules) {
      if (hosts.size() == 3) more = true;
      if (!more && !Fields.str(rule, "host").isEmpty()) hosts.add(Fields.str(rule, "host"));
    }
    if (hosts.isEmpty()) return "*";
    return String.join(",", hosts) + (more ? " + " + (rules.size() - 3) + " more..." : "");
  }

  /** The load balancer's IPs or host names, cut at 16 characters as kubectl's narrow output does. */
  private static String ingressAddress(JsonNode ingress) {
    List<String> points = new ArrayList<>();
    for (JsonNode point : Fields.list(ingress, "status.loadBalancer.ingress")) {
      points.add(Fields.str(point, "ip").isEmpty() ? Fields.str(point, "hostname") : Fields.str(point, "ip"));
    }
    String s = String.join(",", points);
    return s.length() > 16 ? s.substring(0, 13) + "..." : s;
  }

  /** "Kind.group/name" of the class's parameters, or {@code <none>}. */
  private static String ingressClassParameters(JsonNode ingressClass) {
    JsonNode p = Fields.at(ingressClass, "spec.parameters");
    if (!p.isObject()) return NONE;
    String group = Fields.str(p, "apiGroup");
    return Fields.str(p, "kind") + (group.isEmpty() ? "" : "." + group) + "/" + Fields.str(p, "name");
  }

  private static String servicePorts(JsonNode svc) {
    StringJoiner j = new StringJoiner(",");
    for (JsonNode p : Fields.list(svc, "spec.ports")) {
      String proto = Fields.strOr(p, "protocol", "TCP");
      long nodePort = Fields.num(p, "nodePort");
      j.add(Fields.num(p, "port") + (nodePort > 0 ? ":" + nodePort : "") + "/" + proto);
    }
    String s = j.toString();
    return s.isEmpty() ? NONE : s;
  }

  /**
   * "10.0.0.1:80,10.0.0.2:80 + 3 more..." like kubectl: port by port, the ready addresses (at most
   * three shown); {@code <none>} without subsets, empty when no address is ready.
   */
  static String endpoints(JsonNode ep) {
    List<JsonNode> subsets = Fields.list(ep, "subsets");
    if (subsets.isEmpty()) return NONE;
    List<String> shown = new ArrayList<>();
    int count = 0;
    for (JsonNode subset : subsets) {
      List<JsonNode> addresses = Fields.list(subset, "addresses");
      List<JsonNode> ports = Fields.list(subset, "ports");
      if (ports.isEmpty()) { // a headless service without ports
        count += addresses.size();
        for (JsonNode a : addresses) if (shown.size() < 3) shown.add(Fields.str(a, "ip"));
        continue;
      }
      for (JsonNode p : ports) {
        count += addresses.size();
        for (JsonNode a : addresses) if (shown.size() < 3) shown.add(hostPort(Fields.str(a, "ip"), Fields.num(p, "port")));
      }
    }
    String s = String.join(",", shown);
    return count > 3 ? s + " + " + (count - 3) + " more..." : s;
  }

  private static String hostPort(String ip, long port) {
    return (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port;
  }

  /** An EndpointSlice's ports ("80,443", a name when it has no number, "*" for all ports), or {@code <unset>}. */
  static String discoveryPorts(JsonNode slice) {
    List<String> all = new ArrayList<>();
    for (JsonNode p : Fields.list(slice, "ports")) {
      JsonNode port = p.get("port");
      JsonNode name = p.get("name");
      all.add(port != null && port.isNumber() ? Long.toString(port.asLong())
          : name != null && name.isString() ? name.asString() : "*");
    }
    return listWithMore(all);
  }

  /** An EndpointSlice's addresses, at most three shown, or {@code <unset>}. */
  static String discoveryEndpoints(JsonNode slice) {
    List<String> all = new ArrayList<>();
    for (JsonNode e : Fields.list(slice, "endpoints")) Fields.list(e, "addresses").forEach(a -> all.add(a.asString()));
    return listWithMore(all);
  }

  private static String listWithMore(List<String> all) {
    if (all.isEmpty()) return "<unset>";
    String shown = String.join(",", all.subList(0, Math.min(3, all.size())));
    return all.size() > 3 ? shown + " + " + (all.size() - 3) + " more..." : shown;
  }

  static String labels(Map<String, String> m) {
    if (m.isEmpty()) return NONE;
    StringJoiner j = new StringJoiner(",");
    m.forEach((k, v) -> j.add(k + "=" + v));
    return j.toString();
  }

  /** A metav1.LabelSelector in selector syntax ("app=web,tier in (a,b),!canary"), sorted by key. */
  static String labelSelector(JsonNode sel) {
    if (!sel.isObject()) return NONE;
    java.util.TreeMap<String, List<String>> byKey = new java.util.TreeMap<>();
    Fields.map(sel, "matchLabels").forEach((k, v) -> byKey.computeIfAbsent(k, x -> new ArrayList<>()).add(k + "=" + v));
    for (JsonNode req : Fields.list(sel, "matchExpressions")) {
      String key = Fields.str(req, "key");
      TreeSet<String> values = new TreeSet<>();
      Fields.list(req, "values").forEach(v -> values.add(v.asString()));
      String op = Fields.str(req, "operator");
      String s = switch (op) {
        case "In" -> key + " in (" + String.join(",", values) + ")";
        case "NotIn" -> key + " notin (" + String.join(",", values) + ")";
        case "Exists" -> key;
        case "DoesNotExist" -> "!" + key;
        default -> key + " " + op.toLowerCase(Locale.ROOT) + " (" + String.join(",", values) + ")";
      };
      byKey.computeIfAbsent(key, x -> new ArrayList<>()).add(s);
    }
    List<String> parts = new ArrayList<>();
    byKey.values().forEach(parts::addAll);
    return parts.isEmpty() ? NONE : String.join(",", parts);
  }
}
