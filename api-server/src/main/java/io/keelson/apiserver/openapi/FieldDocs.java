package io.keelson.apiserver.openapi;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the fabric8 model classes don't carry: human descriptions, required fields and the
 * strategic-merge metadata of list fields. fabric8 8.0.0 models have no {@code @JsonPropertyDescription},
 * so the fields people ask {@code kubectl explain} about most get a short hand-written description
 * (Keelson's own wording) and every other field a generated one.
 *
 * <p>Keys are {@code SimpleClassName.field} (class-specific) or just {@code field} (any class).
 */
final class FieldDocs {

  /** Strategic-merge and list-type metadata of one list field. */
  record ListMeta(String patchStrategy, String mergeKey, String listType, List<String> mapKeys) {}

  private static final Map<String, String> FIELD = new HashMap<>();
  private static final Map<String, String> TYPE = new HashMap<>();
  private static final Map<String, ListMeta> LISTS = new HashMap<>();
  private static final Map<String, Set<String>> REQUIRED = new HashMap<>();

  private FieldDocs() {}

  static {
    // ---- fields of any type ----
    f("apiVersion", "The versioned schema of this representation of an object, such as \"v1\" or \"apps/v1\". "
        + "Servers convert recognized schemas to the latest internal value.");
    f("kind", "The REST resource kind this object represents, in CamelCase, such as \"Pod\" or \"Deployment\". "
        + "Servers infer it from the endpoint the request is sent to; it cannot be updated.");
    f("metadata", "Standard object metadata: name, namespace, labels, annotations, owner references and the "
        + "fields the server maintains (uid, resourceVersion, creationTimestamp, ...).");
    f("spec", "The desired state of the object, as written by its users.");
    f("status", "The most recently observed state of the object. Written by the system; read-only for users.");
    f("items", "The objects in this list.");
    f("name", "The name of this item; unique within its scope.");
    f("namespace", "The namespace this item lives in.");
    f("labels", "Key/value pairs used to organize and select objects (label selectors).");
    f("annotations", "Unstructured key/value data for tools and people; not used for selection.");
    f("selector", "A label query selecting the objects this one applies to.");
    f("ScaleSpec.replicas", "The desired number of replicas of the scaled object.");
    f("ScaleStatus.replicas", "The observed number of replicas of the scaled object.");
    f("template", "The pod template from which new pods are created.");
    f("ReplicaSetStatus.replicas", "The most recently observed number of pods of this ReplicaSet.");
    f("minReadySeconds", "How many seconds a new pod must be ready, with no container crashing, before it counts as "
        + "available. Defaults to 0 (available as soon as it is ready).");
    f("conditions", "The latest available observations of the object's state.");
    f("observedGeneration", "The metadata.generation the controller last acted on.");
    f("type", "The type of this item.");
    f("reason", "A brief CamelCase reason for the item's last transition or state.");
    f("message", "A human-readable message with details about the item.");
    f("data", "The data held by this object, as key/value pairs.");
    f("image", "The container image to run, e.g. \"keelson.local/busybox:latest\".");
    f("command", "The entrypoint array. Not run in a shell; overrides the image's ENTRYPOINT.");
    f("args", "Arguments to the entrypoint; overrides the image's CMD.");
    f("env", "Environment variables to set in the container.");
    f("ports", "The network ports exposed.");
    f("resources", "Compute resources (cpu, memory) requested and limited for this container.");
    f("volumeMounts", "Volumes to mount into the container's filesystem.");
    f("nodeName", "The node this pod is bound to; set by the scheduler.");
    f("nodeSelector", "Labels a node must have for this pod to be scheduled onto it.");
    f("restartPolicy", "Restart policy for the containers of the pod: Always, OnFailure or Never. Defaults to Always.");
    f("terminationGracePeriodSeconds", "How long the pod gets to shut down gracefully after being asked to stop.");
    f("finalizers", "Conditions that must be cleared before the object is removed from storage.");
    f("ownerReferences", "Objects this one depends on; when all owners are gone it is garbage collected.");
    f("uid", "The unique id of this object in time and space, set by the server.");
    f("resourceVersion", "An opaque value for optimistic concurrency and watches, set by the server.");
    f("generation", "A sequence number of changes to the desired state, set by the server.");
    f("creationTimestamp", "When the object was created, set by the server.");
    f("deletionTimestamp", "When the object will be deleted; set by the server when a graceful deletion is requested.");
    f("generateName", "A prefix the server uses to generate a unique name when name is empty.");
    f("managedFields", "Which field managers own which fields of the object (server-side apply).");
    f("revisionHistoryLimit", "How many old ReplicaSets to keep to allow rollback. Defaults to 10.");
    f("paused", "Whether the deployment is paused: changes to the template are not rolled out.");
    f("progressDeadlineSeconds", "Seconds for a deployment to make progress before it is reported as failed. "
        + "Defaults to 600.");
    f("strategy", "The strategy used to replace old pods with new ones.");
    f("containers", "The containers of the pod. There must be at least one; containers cannot be added or removed "
        + "from a running pod.");
    f("initContainers", "Containers run to completion, one after another, before the regular containers start.");
    f("volumes", "Volumes that containers of the pod can mount.");
    f("containerPort", "The port number the container listens on; between 1 and 65535.");
    f("protocol", "The protocol: TCP, UDP or SCTP. Defaults to TCP.");
    f("port", "The port number.");
    f("targetPort", "The number or name of the port to reach on the selected pods.");
    f("clusterIP", "The virtual IP address of the service, assigned by the server.");
    f("holderIdentity", "The identity of the current holder of the lease.");
    f("handler", "The name of the low-level runtime that runs pods of this class (\"runc\" or \"vm\" in Keelson).");
    f("value", "The value of this item.");
    f("unschedulable", "Whether new pods may be scheduled onto the node (kubectl cordon sets it).");
    f("PodStatus.podIP", "The IP address allocated to the pod.");
    f("PodStatus.hostIP", "The IP address of the node the pod runs on.");
    f("phase", "A simple, high-level summary of where the object is in its lifecycle.");
    f("key", "The key.");
    f("mountPath", "The path inside the container at which the volume is mounted.");
    f("imagePullPolicy", "When to pull the image: Always, Never or IfNotPresent.");
    f("serviceAccountName", "The service account the pod runs as.");
    f("tolerations", "Taints this pod tolerates.");
    f("affinity", "Scheduling constraints relative to nodes and other pods.");
    f("priorityClassName", "The priority class of the pod; decides its scheduling priority.");
    f("runtimeClassName", "The RuntimeClass that runs this pod (runc containers or VMs).");
    f("hostname", "The hostname of the pod; defaults to the pod name.");

    // ---- class-specific ----
    f("DeploymentSpec.replicas", "How many pods the deployment should run. Unset means 1; 0 is allowed "
        + "and scales the deployment down completely.");
    f("ReplicaSetSpec.replicas", "How many pods the ReplicaSet should run. Unset means 1.");
    f("DaemonSetSpec.selector", "Which pods belong to this daemon set, as a label query; must match the template's "
        + "labels.");
    f("ReplicaSetSpec.selector", "Which pods count towards this ReplicaSet's replicas, as a label query; must match "
        + "the template's labels.");
    f("DeploymentSpec.selector", "Which pods belong to this deployment, as a label query. It must match "
        + "the labels of spec.template and cannot be changed after creation.");
    f("DeploymentSpec.template", "The pod template the deployment's ReplicaSets create pods from. Changing "
        + "it starts a rollout; its restartPolicy must be Always.");
    f("DeploymentStatus.replicas", "Total number of non-terminating pods targeted by this deployment.");
    f("DeploymentStatus.readyReplicas", "Number of pods targeted by this deployment with a Ready condition.");
    f("DeploymentStatus.availableReplicas", "Number of pods targeted by this deployment that have been ready for at "
        + "least minReadySeconds.");
    f("DeploymentStatus.updatedReplicas", "Number of pods targeted by this deployment that have the desired template.");
    f("ObjectMeta.name", "The object's name, unique per kind within its namespace (or cluster-wide "
        + "for cluster-scoped kinds). Required on create unless generateName is set; immutable.");
    f("ObjectMeta.namespace", "The namespace the object belongs to; empty for cluster-scoped objects. "
        + "Must be a DNS-1123 label. Cannot be updated.");
    f("Container.name", "Name of the container, a DNS-1123 label unique within the pod. Cannot be updated.");
    f("EnvVar.name", "Name of the environment variable.");
    f("EnvVar.value", "The value of the variable; $(VAR_NAME) references to earlier variables are expanded.");
    f("ConfigMap.data", "Configuration data as UTF-8 strings.");
    f("Secret.data", "Secret data, each value base64-encoded.");
    f("Secret.stringData", "Write-only convenience: plain-text values merged into data on write.");
    f("Secret.type", "Used to facilitate programmatic handling of secret data, e.g. \"Opaque\".");
    f("ServiceSpec.type", "How the service is exposed: ClusterIP (default), NodePort, LoadBalancer or ExternalName.");
    f("ServiceSpec.selector", "Route service traffic to pods with labels matching this selector.");
    f("PriorityClass.value", "The priority of pods with this class; higher runs first and may preempt lower.");
    f("PriorityClass.globalDefault", "Whether this class is the default for pods that name none.");
    f("RuntimeClass.handler", "The name of the low-level runtime that runs pods of this class (\"runc\" or \"vm\" in "
        + "Keelson). Immutable.");
    f("PolicyRule.verbs", "The verbs this rule allows (get, list, watch, create, update, patch, delete, deletecollection, "
        + "or others such as bind, escalate, impersonate); \"*\" is every verb.");
    f("PolicyRule.apiGroups", "The API groups of the resources, \"\" for the core group; \"*\" is every group.");
    f("PolicyRule.resources", "The resources this rule applies to, a subresource as \"pods/log\"; \"*\" is every resource, "
        + "\"*/scale\" the scale subresource of every resource.");
    f("PolicyRule.resourceNames", "When set, only the objects of these names; an empty list means all of them.");
    f("PolicyRule.nonResourceURLs", "Paths that are not resources, such as \"/healthz\" or \"/apis/*\" (a trailing \"*\" "
        + "matches every path it starts); cluster roles only.");
    f("RoleRef.kind", "Role or ClusterRole (a ClusterRoleBinding takes only ClusterRole). Cannot be changed.");
    f("RoleRef.name", "The name of the role bound. Cannot be changed.");
    f("Subject.kind", "User, Group or ServiceAccount.");
    f("Subject.namespace", "The namespace of a ServiceAccount subject (in a RoleBinding, the binding's when empty).");
    f("ClusterRole.aggregationRule", "When set, the rules are gathered by the controller-manager from the ClusterRoles "
        + "these selectors match, and any written here are overwritten.");
    f("ContainerPort.name", "An IANA_SVC_NAME for the port, unique within the pod; services can refer to it.");
    f("ServicePort.port", "The port the service exposes.");
    f("NodeSpec.unschedulable", "When true, the scheduler places no new pods on this node (what kubectl "
        + "cordon sets); pods already there keep running.");

    // pods
    f("PodSpec.dnsPolicy", "How DNS is set up for the pod: ClusterFirst (default), ClusterFirstWithHostNet, Default "
        + "or None.");
    f("PodSpec.hostNetwork", "Run the pod in the node's network namespace instead of its own. Defaults to false.");
    f("PodSpec.hostPID", "Share the node's process namespace. Defaults to false.");
    f("PodSpec.hostIPC", "Share the node's IPC namespace. Defaults to false.");
    f("PodSpec.imagePullSecrets", "Secrets holding registry credentials used to pull the pod's images.");
    f("PodSpec.securityContext", "Pod-wide security settings (user and group ids, fsGroup, sysctls, ...).");
    f("PodSpec.serviceAccount", "Deprecated alias of serviceAccountName.");
    f("PodSpec.schedulerName", "The scheduler that places this pod; the default scheduler when empty.");
    f("PodSpec.priority", "The pod's priority, filled in from its priority class; higher is more important.");
    f("PodSpec.activeDeadlineSeconds", "How long the pod may be active (counted from its start) before it is failed.");
    f("PodSpec.readinessGates", "Extra pod conditions that must be True for the pod to count as ready.");
    f("PodSpec.topologySpreadConstraints", "How the pods of a group should be spread across nodes, zones or other "
        + "topology domains.");
    f("PodSpec.automountServiceAccountToken", "Whether a service account token is mounted into the pod.");
    f("PodSpec.enableServiceLinks", "Whether service addresses are injected as environment variables. Defaults to "
        + "true.");
    f("PodSpec.subdomain", "With hostname, gives the pod the DNS name <hostname>.<subdomain>.<namespace>.svc.");
    f("PodSpec.shareProcessNamespace", "Let the containers of the pod see each other's processes.");
    f("PodSpec.preemptionPolicy", "Whether this pod may preempt lower-priority pods: PreemptLowerPriority or Never.");
    f("PodSpec.overhead", "Resources the runtime needs for the pod on top of its containers (e.g. for a VM).");
    f("PodSpec.ephemeralContainers", "Debugging containers added to a running pod (kubectl debug).");
    f("PodSpec.hostAliases", "Extra entries for the pod's /etc/hosts.");
    f("Container.livenessProbe", "Periodic check that the container is alive; it is restarted when the check fails.");
    f("Container.readinessProbe", "Periodic check that the container can serve; it is removed from service endpoints "
        + "while the check fails.");
    f("Container.startupProbe", "Check that the container has started; the other probes wait until it succeeds.");
    f("Container.securityContext", "Security settings of this container (user, capabilities, privileged, ...).");
    f("Container.workingDir", "The container's working directory; the image's default when empty.");
    f("Container.stdin", "Keep a stdin open for the container (kubectl attach). Defaults to false.");
    f("Container.stdinOnce", "Close stdin after the first attach session ends. Defaults to false.");
    f("Container.tty", "Allocate a terminal for the container; needs stdin. Defaults to false.");
    f("Container.lifecycle", "Actions run right after the container starts and right before it stops.");
    f("Container.envFrom", "Sources (config maps, secrets) whose keys all become environment variables.");
    f("Container.terminationMessagePath", "File whose content becomes the container's termination message. Defaults "
        + "to /dev/termination-log.");
    f("ContainerStatus.ready", "Whether the container passes its readiness probe.");
    f("ContainerStatus.restartCount", "How many times the container has been restarted.");
    f("ContainerStatus.state", "What the container is doing now: waiting, running or terminated.");
    f("ContainerStatus.lastState", "How the container's previous run ended, if it was restarted.");
    f("ContainerStatus.started", "Whether the container has started and passed its startup probe.");
    f("ContainerStatus.containerID", "The runtime's id of the container, as <runtime>://<id>.");
    f("ContainerStatus.imageID", "The id of the image the container runs.");
    f("ContainerStatus.name", "The name of the container, as in the pod spec.");
    f("PodStatus.containerStatuses", "The state of each container of the pod, as reported by its node.");
    f("PodStatus.initContainerStatuses", "The state of each init container of the pod.");
    f("PodStatus.qosClass", "The pod's quality of service class from its requests and limits: Guaranteed, "
        + "Burstable or BestEffort.");
    f("PodStatus.startTime", "When the node acknowledged the pod, before its images were pulled.");
    f("PodStatus.podIPs", "All IP addresses of the pod; the first equals podIP.");
    f("PodStatus.hostIPs", "All IP addresses of the node the pod runs on.");
    f("PodStatus.nominatedNodeName", "The node this pod may run on once the pods it preempts are gone.");
    f("PodStatus.phase", "Where the pod is in its lifecycle: Pending, Running, Succeeded, Failed or Unknown.");
    f("Volume.name", "The name of the volume, unique within the pod; volumeMounts refer to it.");
    f("Volume.emptyDir", "A scratch directory that lives as long as the pod.");
    f("Volume.hostPath", "A file or directory of the node, mounted into the pod.");
    f("Volume.configMap", "The keys of a config map, as files.");
    f("Volume.secret", "The keys of a secret, as files.");
    f("Volume.persistentVolumeClaim", "A persistent volume, through a claim in the pod's namespace.");
    f("Volume.projected", "Several sources (secrets, config maps, downward API, tokens) in one directory.");
    f("Volume.downwardAPI", "Fields of the pod itself, as files.");
    f("ResourceRequirements.requests", "The resources the container needs; the scheduler places pods by these. "
        + "Defaults to the limits when only those are set.");
    f("ResourceRequirements.limits", "The most the container may use; exceeding the memory limit kills it.");
    f("Probe.initialDelaySeconds", "Seconds after the container starts before the first check.");
    f("Probe.periodSeconds", "Seconds between checks. Defaults to 10.");
    f("Probe.timeoutSeconds", "Seconds after which a check counts as failed. Defaults to 1.");
    f("Probe.failureThreshold", "Consecutive failures after which the probe has failed. Defaults to 3.");
    f("Probe.successThreshold", "Consecutive successes after a failure for the probe to pass again. Defaults to 1.");
    f("Probe.httpGet", "Check with an HTTP GET; any status from 200 to 399 passes.");
    f("Probe.tcpSocket", "Check that a TCP connection can be opened.");
    f("Probe.exec", "Check by running a command in the container; exit code 0 passes.");
    f("Probe.grpc", "Check with the gRPC health checking protocol.");
    // nodes
    f("NodeSpec.taints", "Taints keep pods off the node unless they tolerate them.");
    f("NodeSpec.podCIDR", "The IP range pod addresses on this node are taken from.");
    f("NodeSpec.podCIDRs", "The IP ranges pod addresses on this node are taken from.");
    f("NodeSpec.providerID", "The id of the node in its infrastructure provider.");
    f("NodeStatus.addresses", "The addresses the node can be reached at (InternalIP, ExternalIP, Hostname).");
    f("NodeStatus.allocatable", "The resources available to pods: capacity minus what the system reserves.");
    f("NodeStatus.capacity", "The node's total resources (cpu, memory, pods).");
    f("NodeStatus.nodeInfo", "Facts about the node: versions of the agent, runtime, kernel and OS.");
    f("NodeStatus.images", "Container images present on the node.");
    f("NodeStatus.conditions", "Observations of the node's health, such as Ready.");
    f("NodeStatus.runtimeHandlers", "The runtime handlers the node offers (runc, vm).");
    // services
    f("ServiceSpec.ports", "The ports the service exposes and where it forwards them.");
    f("ServiceSpec.clusterIPs", "All cluster IPs of the service; the first equals clusterIP.");
    f("ServiceSpec.externalIPs", "Extra IP addresses, not managed by Keelson, that also accept traffic for the "
        + "service.");
    f("ServiceSpec.externalName", "For type ExternalName: the DNS name the service is an alias of.");
    f("ServiceSpec.sessionAffinity", "ClientIP sends each client to the same pod; None (default) spreads requests.");
    f("ServiceSpec.externalTrafficPolicy", "Local keeps external traffic on the receiving node; Cluster (default) may "
        + "forward it to other nodes.");
    f("ServiceSpec.internalTrafficPolicy", "Local keeps cluster traffic on the node it came from; Cluster is the "
        + "default.");
    f("ServiceSpec.ipFamilies", "The IP families (IPv4, IPv6) of the service's cluster IPs.");
    f("ServiceSpec.publishNotReadyAddresses", "List pods in the endpoints even before they are ready.");
    f("ServicePort.nodePort", "For NodePort and LoadBalancer services: the port opened on every node.");
    f("ServicePort.name", "The name of the port, unique within the service; required with several ports.");
    // workloads
    f("DeploymentStrategy.type", "How pods are replaced: RollingUpdate (default) or Recreate.");
    f("DeploymentStrategy.rollingUpdate", "Limits of a rolling update; only with type RollingUpdate.");
    f("RollingUpdateDeployment.maxSurge", "How many pods (a number or a percentage of replicas) may exist above the "
        + "desired count during an update. Defaults to 25%.");
    f("RollingUpdateDeployment.maxUnavailable", "How many pods (a number or a percentage of replicas) may be "
        + "unavailable during an update. Defaults to 25%.");
    f("ReplicaSetSpec.template", "The pod template new pods of this ReplicaSet are created from.");
    f("DaemonSetSpec.template", "The pod template of the daemon pods, one per matching node.");
    f("DaemonSetSpec.updateStrategy", "How daemon pods are replaced when the template changes.");
    f("StatefulSetSpec.serviceName", "The headless service that gives the pods their DNS names "
        + "(<pod>.<serviceName>.<namespace>.svc.cluster.local); may be empty.");
    f("StatefulSetSpec.podManagementPolicy", "OrderedReady (default): pods are created one at a time in ordinal "
        + "order, each once the previous is Ready, and removed in reverse; Parallel: all at once.");
    f("StatefulSetSpec.volumeClaimTemplates", "Claims each pod gets a PersistentVolumeClaim of, named "
        + "<template>-<statefulset>-<ordinal>; kept when the pod or the set is scaled down (Retain).");

    f("JobSpec.parallelism", "The most pods the job runs at the same time. Defaults to 1; 0 stops the job from "
        + "starting pods until it is raised.");
    f("JobSpec.completions", "How many pods must finish successfully for the job to be complete. Unset means any "
        + "one success completes it (then parallelism may be anything); defaults to 1 when parallelism is unset too.");
    f("JobSpec.backoffLimit", "How many times the job's pods may fail before the job is marked failed. Defaults to 6.");
    f("JobSpec.backoffLimitPerIndex", "Indexed jobs only: how many times the pods of each index may fail before that index "
        + "is marked failed (in status.failedIndexes) and not retried; the other indexes run on. With it, backoffLimit "
        + "defaults to 2147483647.");
    f("JobSpec.maxFailedIndexes", "With backoffLimitPerIndex: once more indexes than this have failed, the job is "
        + "marked failed and its running pods stopped. At most completions.");
    f("JobSpec.activeDeadlineSeconds", "How long, in seconds from its start, the job may be active before it is "
        + "terminated and marked failed. Suspending the job stops and resets this timer.");
    f("JobSpec.ttlSecondsAfterFinished", "Seconds after the job finishes (Complete or Failed) when it may be deleted "
        + "automatically. Unset: never; 0: right away.");
    f("JobSpec.completionMode", "How completions are counted: NonIndexed (default; any completions successes) or "
        + "Indexed (one success for each index 0..completions-1, given to each pod in the "
        + "batch.kubernetes.io/job-completion-index annotation).");
    f("JobSpec.suspend", "Whether the job's pods should not run now: true deletes its active pods and starts none "
        + "until it is set back to false. Defaults to false.");
    f("JobSpec.manualSelector", "Leave unset: the server then generates a selector and pod labels unique to this job "
        + "(batch.kubernetes.io/controller-uid). true means you pick the selector and labels yourself.");
    f("JobSpec.selector", "Which pods belong to this job, as a label query. Generated from the job's uid unless "
        + "manualSelector is true.");
    f("JobSpec.template", "The pod template of the job's pods. Its restartPolicy must be OnFailure or Never. Immutable.");
    f("JobSpec.podReplacementPolicy", "When a replacement pod is created for a failed one: TerminatingOrFailed "
        + "(default; as soon as the old one is terminating) or Failed (once it has fully terminated).");
    f("JobStatus.active", "The number of pending and running pods of the job.");
    f("JobStatus.succeeded", "The number of pods which reached phase Succeeded.");
    f("JobStatus.failed", "The number of pods which reached phase Failed.");
    f("JobStatus.startTime", "When the job controller started processing the job.");
    f("JobStatus.completionTime", "When the job completed successfully.");
    f("PodDisruptionBudgetSpec.minAvailable", "An eviction is allowed if at least this many pods selected by \"selector\" "
        + "will still be available after it, i.e. without the evicted pod: a number or a percentage of the expected pods "
        + "(\"100%\" prevents all voluntary evictions). Mutually exclusive with maxUnavailable.");
    f("PodDisruptionBudgetSpec.maxUnavailable", "An eviction is allowed if at most this many pods selected by \"selector\" "
        + "are unavailable after it: a number or a percentage of the expected pods (0 prevents all voluntary evictions). "
        + "Mutually exclusive with minAvailable.");
    f("PodDisruptionBudgetSpec.selector", "The pods whose evictions the budget manages. A null selector matches no pods; "
        + "an empty one ({}) selects every pod in the namespace.");
    f("PodDisruptionBudgetSpec.unhealthyPodEvictionPolicy", "When running pods that are not Ready may be evicted: "
        + "IfHealthyBudget (the default) only while the budget has its desired healthy pods, AlwaysAllow regardless of the budget.");
    f("PodDisruptionBudgetStatus.disruptionsAllowed", "How many pod disruptions are allowed now.");
    f("PodDisruptionBudgetStatus.currentHealthy", "The number of healthy (Ready, not being deleted) pods.");
    f("PodDisruptionBudgetStatus.desiredHealthy", "The minimum number of healthy pods the budget needs.");
    f("PodDisruptionBudgetStatus.expectedPods", "The number of pods the budget counts, from its pods' controllers' scale.");
    f("PodDisruptionBudgetStatus.disruptedPods", "Pods evicted by the API server but not yet seen deleted by the disruption "
        + "controller, with the time of their eviction; an entry is dropped when the pod goes or after two minutes.");
    f("PodDisruptionBudgetStatus.observedGeneration", "The generation of the budget this status was computed for; evictions "
        + "wait (429) until it reaches metadata.generation.");
    f("CronJobSpec.schedule", "The schedule in standard cron format (minute hour day-of-month month day-of-week, e.g. "
        + "\"*/5 * * * *\"), or a descriptor such as @hourly, @daily, @weekly, @monthly, @yearly or @every <duration>. "
        + "Put the time zone in timeZone, not in the schedule.");
    f("CronJobSpec.timeZone", "The IANA time zone the schedule is read in, e.g. \"Etc/UTC\" or \"Europe/Berlin\". "
        + "Unset: the controller-manager's local time zone.");
    f("CronJobSpec.startingDeadlineSeconds", "How late, in seconds, a missed run may still be started; a run later "
        + "than that counts as failed.");
    f("CronJobSpec.concurrencyPolicy", "What to do when a run is due while the previous one is still active: Allow "
        + "(default; run both), Forbid (skip the new run) or Replace (stop the old one and start the new one).");
    f("CronJobSpec.suspend", "Whether to suspend future runs; running jobs are not affected. Defaults to false.");
    f("CronJobSpec.jobTemplate", "The job to create at each scheduled time.");
    f("CronJobSpec.successfulJobsHistoryLimit", "How many finished successful jobs to keep. Defaults to 3.");
    f("CronJobSpec.failedJobsHistoryLimit", "How many finished failed jobs to keep. Defaults to 1.");
    f("CronJobStatus.active", "The jobs of this cron job that are running now.");
    f("CronJobStatus.lastScheduleTime", "When a job was last scheduled.");
    f("CronJobStatus.lastSuccessfulTime", "When a job last completed successfully.");
    f("JobTemplateSpec.spec", "The specification of the job to create.");

    // ---- type descriptions ----
    t("Deployment", "A Deployment keeps a set of identical pods running through ReplicaSets and "
        + "rolls out changes to their template gradually.");
    t("DeploymentSpec", "The desired behaviour of a Deployment.");
    t("DeploymentStatus", "The most recently observed status of a Deployment.");
    t("ReplicaSet", "ReplicaSet keeps a given number of pod replicas running at any time.");
    t("DaemonSet", "DaemonSet runs a copy of a pod on each (selected) node.");
    t("StatefulSet", "StatefulSet runs pods with stable names (<name>-<ordinal>) and DNS names, created, "
        + "scaled and updated in ordinal order.");
    t("Job", "Job runs pods until a given number of them complete successfully.");
    t("JobSpec", "The desired behaviour of a Job.");
    t("JobStatus", "The most recently observed status of a Job.");
    t("PodDisruptionBudget", "PodDisruptionBudget limits how many of a set of pods voluntary disruptions (evictions, e.g. by "
        + "kubectl drain) may take down at once.");
    t("PodDisruptionBudgetSpec", "The pods a PodDisruptionBudget covers and how many of them must stay available.");
    t("PodDisruptionBudgetStatus", "The most recently observed status of a PodDisruptionBudget.");
    t("CronJob", "CronJob creates a Job on a repeating schedule.");
    t("CronJobSpec", "The schedule of a CronJob and the Job it creates.");
    t("CronJobStatus", "The most recently observed status of a CronJob.");
    t("JobTemplateSpec", "The Job a CronJob creates at each scheduled time.");
    t("Pod", "Pod is a collection of containers that run together on a node.");
    t("PodSpec", "The desired behaviour of a pod.");
    t("Container", "A single application container to run within a pod.");
    t("Node", "Node is a worker in Keelson: a node agent that runs pods.");
    t("Namespace", "Namespace provides a scope for names.");
    t("Service", "Service is a named abstraction of a software service: a port proxied to the pods its selector "
        + "matches.");
    t("Endpoints", "Endpoints is the set of addresses that implement a service.");
    t("ConfigMap", "ConfigMap holds configuration data for pods to consume.");
    t("Secret", "Secret holds secret data of a certain type.");
    t("Event", "Event is a report of an event somewhere in the cluster.");
    t("ServiceAccount", "ServiceAccount binds together a name for pods to run as and its credentials.");
    t("Lease", "Lease defines a lease concept, used for leader election and node heartbeats.");
    t("RuntimeClass", "RuntimeClass selects the container runtime (runc or VM) that runs a pod.");
    t("PriorityClass", "PriorityClass maps a priority class name to the integer priority of pods.");
    t("Role", "Role is a namespaced set of rules of what may be done to which resources, granted by RoleBindings.");
    t("ClusterRole", "ClusterRole is a cluster-wide set of rules, granted in a namespace by RoleBindings or everywhere by "
        + "ClusterRoleBindings.");
    t("RoleBinding", "RoleBinding grants the rules of a Role or ClusterRole to users, groups or service accounts in its namespace.");
    t("ClusterRoleBinding", "ClusterRoleBinding grants the rules of a ClusterRole to users, groups or service accounts "
        + "in every namespace and at the cluster scope.");
    t("ObjectMeta", "Metadata that all persisted resources must have.");
    t("ListMeta", "Metadata that synthetic resources must have, including lists.");
    t("Quantity", "A fixed-point number with a suffix, such as \"100m\", \"1Gi\" or \"2\", serialized as a string.");
    t("IntOrString", "A value that is either an integer or a string.");
    t("Time", "A timestamp in RFC 3339 form, serialized as a string, e.g. \"2026-01-02T15:04:05Z\".");
    t("MicroTime", "A timestamp with microsecond precision in RFC 3339 form, serialized as a string.");
    t("Patch", "The body of a PATCH request: a JSON patch, merge patch, strategic merge patch or apply configuration.");
    t("LabelSelector", "A label query over a set of objects. An empty selector matches everything; a null one "
        + "matches nothing.");

    // ---- strategic merge metadata (the patchStrategy/patchMergeKey tags of the Kubernetes types) ----
    mapList("PodSpec.containers", "name");
    mapList("PodSpec.initContainers", "name");
    mapList("PodSpec.ephemeralContainers", "name");
    mapList("PodSpec.imagePullSecrets", "name");
    mapList("PodSpec.hostAliases", "ip");
    mapList("PodSpec.schedulingGates", "name");
    LISTS.put("PodSpec.volumes", new ListMeta("merge,retainKeys", "name", "map", List.of("name")));
    LISTS.put("PodSpec.resourceClaims", new ListMeta("merge,retainKeys", "name", "map", List.of("name")));
    LISTS.put("PodSpec.topologySpreadConstraints",
        new ListMeta("merge", "topologyKey", "map", List.of("topologyKey", "whenUnsatisfiable")));
    for (String c : List.of("Container", "EphemeralContainer")) {
      LISTS.put(c + ".ports", new ListMeta("merge", "containerPort", "map", List.of("containerPort", "protocol")));
      mapList(c + ".env", "name");
      LISTS.put(c + ".volumeMounts", new ListMeta("merge", "mountPath", "atomic", null));
      LISTS.put(c + ".volumeDevices", new ListMeta("merge", "devicePath", "atomic", null));
      LISTS.put(c + ".resizePolicy", new ListMeta(null, null, "atomic", null));
      LISTS.put(c + ".envFrom", new ListMeta(null, null, "atomic", null));
    }
    LISTS.put("ServiceSpec.ports", new ListMeta("merge", "port", "map", List.of("port", "protocol")));
    LISTS.put("ObjectMeta.finalizers", new ListMeta("merge", null, "set", null));
    LISTS.put("ObjectMeta.ownerReferences", new ListMeta("merge", "uid", "map", List.of("uid")));
    LISTS.put("PodStatus.podIPs", new ListMeta("merge", "ip", "map", List.of("ip")));
    LISTS.put("PodStatus.hostIPs", new ListMeta("merge", "ip", "atomic", null));
    LISTS.put("NodeSpec.podCIDRs", new ListMeta("merge", null, "set", null));
    LISTS.put("NodeStatus.addresses", new ListMeta("merge", "type", "atomic", null));
    for (String s : List.of("PodStatus", "NodeStatus", "DeploymentStatus", "ReplicaSetStatus", "DaemonSetStatus",
        "StatefulSetStatus", "NamespaceStatus", "ServiceStatus")) {
      mapList(s + ".conditions", "type");
    }
    LISTS.put("JobStatus.conditions", new ListMeta("merge", "type", "atomic", null));
    LISTS.put("CronJobStatus.active", new ListMeta(null, null, "atomic", null));
    LISTS.put("DeploymentSpec.strategy", new ListMeta("retainKeys", null, null, null));
    LISTS.put("EndpointSubset.addresses", new ListMeta(null, null, "atomic", null));
    LISTS.put("Endpoints.subsets", new ListMeta(null, null, "atomic", null));

    // ---- required fields ----
    r("Container", "name");
    r("EphemeralContainer", "name");
    r("PodSpec", "containers");
    r("DeploymentSpec", "selector", "template");
    r("ReplicaSetSpec", "selector");
    r("DaemonSetSpec", "selector", "template");
    r("StatefulSetSpec", "selector", "template");
    r("JobSpec", "template");
    r("CronJobSpec", "schedule", "jobTemplate");
    r("JobCondition", "type", "status");
    r("ContainerPort", "containerPort");
    r("ServicePort", "port");
    r("EnvVar", "name");
    r("Volume", "name");
    r("VolumeMount", "name", "mountPath");
    r("OwnerReference", "apiVersion", "kind", "name", "uid");
    r("LabelSelectorRequirement", "key", "operator");
    r("NodeSelectorRequirement", "key", "operator");
    r("PriorityClass", "value");
    r("RuntimeClass", "handler");
    r("Binding", "target");
    r("PolicyRule", "verbs");
    r("RoleRef", "apiGroup", "kind", "name");
    r("Subject", "kind", "name");
    r("RoleBinding", "roleRef");
    r("ClusterRoleBinding", "roleRef");
    r("NodeAddress", "type", "address");
    r("NodeCondition", "type", "status");
    r("PodCondition", "type", "status");
    r("DeploymentCondition", "type", "status");
    r("ReplicaSetCondition", "type", "status");
    r("KeyToPath", "key", "path");
    r("HTTPGetAction", "port");
    r("TCPSocketAction", "port");
    r("Taint", "key", "effect");
    r("HostAlias", "ip");
    r("ContainerStatus", "name", "ready", "restartCount", "image", "imageID");
    r("Event", "metadata", "involvedObject");

    // vm.keelson.io/v1alpha1 (Full VMs)
    t("VirtualMachine", "VirtualMachine is a virtual machine booted from a disk image of its own (any operating system "
        + "with a BIOS bootloader), run by the controller-manager as one pod with runtimeClassName vm. Its serial console "
        + "is the pod's log and kubectl attach -it.");
    t("VirtualMachineList", "A list of VirtualMachines.");
    t("VirtualMachineSpec", "What the VM is: its disk, size and firmware, and whether it should run.");
    t("VirtualMachineDisk", "The boot disk: an OCI image that holds it as /disk/<file>, raw or qcow2 (KubeVirt's "
        + "containerDisk layout). Each run boots a copy-on-write overlay of it; writes do not survive a stop.");
    t("VirtualMachineStatus", "What the VM is doing, mirrored from its pod.");
    f("VirtualMachineSpec.running", "Whether the VM should run: true (the default) starts its pod, false stops it "
        + "(the pod is deleted).");
    f("VirtualMachineSpec.cpus", "Virtual CPUs (default 1); the pod's cpu limit, and 100m per vCPU its request (as "
        + "KubeVirt's CPU allocation ratio 10).");
    f("VirtualMachineSpec.memory", "Guest memory (default 256Mi, at least 16Mi); also the pod's memory request and limit.");
    f("VirtualMachineSpec.disk", "The boot disk.");
    f("VirtualMachineSpec.firmware", "The firmware that boots the disk. Supported: \"bios\" (SeaBIOS, the default).");
    f("VirtualMachineSpec.terminationGracePeriodSeconds", "How long a stop waits after pressing the ACPI power button "
        + "before the VM is killed (default 30).");
    f("VirtualMachineDisk.image", "The OCI image holding the disk as /disk/<file>, e.g. keelson.local/bootsector-disk:latest.");
    f("VirtualMachineDisk.imagePullPolicy", "Always, IfNotPresent or Never, as for a container's image "
        + "(default Always for :latest, else IfNotPresent).");
    f("VirtualMachineStatus.printableStatus", "Stopped, Starting, Running, Stopping, or why the VM cannot run "
        + "(ErrorImagePull, ImagePullBackOff, CrashLoopBackOff, Unschedulable, Failed).");
    f("VirtualMachineStatus.ready", "Whether the VM runs and its pod is Ready.");
    f("VirtualMachineStatus.nodeName", "The node the VM runs on.");
    f("VirtualMachineStatus.ipAddress", "The VM's pod IP. The guest must configure it itself (no DHCP on the pod network).");
    f("VirtualMachineStatus.podName", "The pod that runs the VM.");
    f("VirtualMachineStatus.conditions", "Ready, as on the VM's pod.");
    r("VirtualMachineSpec", "disk");
    r("VirtualMachineDisk", "image");
  }

  private static void f(String key, String description) {
    FIELD.put(key, description);
  }

  private static void t(String simpleName, String description) {
    TYPE.put(simpleName, description);
  }

  private static void mapList(String key, String mergeKey) {
    LISTS.put(key, new ListMeta("merge", mergeKey, "map", List.of(mergeKey)));
  }

  private static void r(String simpleName, String... fields) {
    REQUIRED.put(simpleName, Set.of(fields));
  }

  /** A description for a field; never null. */
  static String field(Class<?> owner, String field, Class<?> fieldType) {
    String d = FIELD.get(owner.getSimpleName() + "." + field);
    if (d == null && field.equals("status") && fieldType == String.class) {
      return "The status of the condition: True, False or Unknown.";
    }
    if (d == null) d = FIELD.get(field);
    if (d != null) return d;
    String what = words(field);
    String of = words(owner.getSimpleName());
    if (fieldType == Boolean.class || fieldType == boolean.class) {
      return capitalize(what) + " setting (true or false) of this " + of + ".";
    }
    return capitalize(what) + " of this " + of + ".";
  }

  /** A description for a type; never null. */
  static String type(Class<?> c, String kubernetesName) {
    String d = TYPE.get(c.getSimpleName());
    if (d != null) return d;
    String gv = kubernetesName.substring(0, kubernetesName.lastIndexOf('.'))
        .replace("io.k8s.api.", "").replace("io.k8s.apimachinery.pkg.apis.", "").replace("core.", "")
        .replace('.', '/');
    return c.getSimpleName() + ": " + words(c.getSimpleName()) + " (part of the " + gv + " API).";
  }

  static String typeByName(String simpleName) {
    return TYPE.get(simpleName);
  }

  static ListMeta list(Class<?> owner, String field) {
    return LISTS.get(owner.getSimpleName() + "." + field);
  }

  static Set<String> required(Class<?> c) {
    return REQUIRED.getOrDefault(c.getSimpleName(), Set.of());
  }

  /** "minReadySeconds" → "min ready seconds"; "podIPs" → "pod IPs". */
  static String words(String camel) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < camel.length(); i++) {
      char ch = camel.charAt(i);
      boolean upper = Character.isUpperCase(ch);
      boolean prevLower = i > 0 && !Character.isUpperCase(camel.charAt(i - 1));
      boolean nextLower = i + 1 < camel.length() && Character.isLowerCase(camel.charAt(i + 1));
      boolean prevUpper = i > 0 && Character.isUpperCase(camel.charAt(i - 1));
      // "IPs", "CIDRs": a trailing plural s stays with its acronym.
      boolean pluralS = nextLower && camel.charAt(i + 1) == 's'
          && (i + 2 == camel.length() || Character.isUpperCase(camel.charAt(i + 2)));
      if (upper && i > 0 && (prevLower || (prevUpper && nextLower && !pluralS))) sb.append(' ');
      sb.append(ch);
    }
    // Lower-case ordinary words, keep acronyms (IP, CIDR, TTL) as they are.
    StringBuilder out = new StringBuilder();
    for (String w : sb.toString().split(" ")) {
      if (!out.isEmpty()) out.append(' ');
      boolean acronym = w.length() > 1 && Character.isUpperCase(w.charAt(1));
      out.append(acronym ? w : w.toLowerCase(Locale.ROOT));
    }
    return out.toString();
  }

  private static String capitalize(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
