package io.keelson.apiserver.resource;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The table of every resource Keelson serves. Discovery, OpenAPI, storage and REST derive from it. */
public final class ResourceRegistry {

  // Concurrent: custom resources come and go while requests read the table (see CustomResource).
  private static final List<ResourceType> ALL = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** By "group/version/resource": every request looks its type up here. */
  private static final Map<String, ResourceType> BY_PATH = new java.util.concurrent.ConcurrentHashMap<>();
  /** The served versions of CustomResourceDefinitions (and storage versions not served), by "group/version/resource". */
  private static final Map<String, CustomResource> CUSTOM = new java.util.concurrent.ConcurrentHashMap<>();
  /** Served resources stored as another one (see {@link ResourceView}), by the served type. */
  private static final Map<ResourceType, ResourceView> VIEWS = new java.util.IdentityHashMap<>(); // types are singletons; cheap on every request
  /** Served resources answered on request, never stored (metrics, self reviews). */
  private static final Set<ResourceType> COMPUTED = Collections.newSetFromMap(new java.util.IdentityHashMap<>());

  static {
    // core/v1
    add("", "v1", "namespaces", "Namespace", false, List.of("ns"), List.of(), Set.of("status", "finalize"), Namespace.class, true);
    add("", "v1", "pods", "Pod", true, List.of("po"), List.of("all"),
        Set.of("status", "binding", "eviction", "log", "exec", "portforward", "attach", "ephemeralcontainers", "proxy"), Pod.class, true);
    add("", "v1", "nodes", "Node", false, List.of("no"), List.of(), Set.of("status"), Node.class, true);
    add("", "v1", "services", "Service", true, List.of("svc"), List.of("all"), Set.of("status", "proxy"), Service.class, true);
    add("", "v1", "endpoints", "Endpoints", true, List.of("ep"), List.of(), Set.of(), Endpoints.class, false);
    add("", "v1", "configmaps", "ConfigMap", true, List.of("cm"), List.of(), Set.of(), ConfigMap.class, false);
    add("", "v1", "secrets", "Secret", true, List.of(), List.of(), Set.of(), Secret.class, false);
    add("", "v1", "events", "Event", true, List.of("ev"), List.of(), Set.of(), Event.class, false);
    add("", "v1", "serviceaccounts", "ServiceAccount", true, List.of("sa"), List.of(), Set.of("token"), ServiceAccount.class, false);
    // persistent storage: the controller-manager's persistentvolume-binder binds and provisions them
    add("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, List.of("pvc"), List.of(), Set.of("status"),
        io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class, true);
    add("", "v1", "persistentvolumes", "PersistentVolume", false, List.of("pv"), List.of(), Set.of("status"),
        io.fabric8.kubernetes.api.model.PersistentVolume.class, true);
    // quota admission charges status.used on create; the controller-manager's resourcequota controller recomputes it
    add("", "v1", "resourcequotas", "ResourceQuota", true, List.of("quota"), List.of(), Set.of("status"),
        io.fabric8.kubernetes.api.model.ResourceQuota.class, true);
    add("", "v1", "limitranges", "LimitRange", true, List.of("limits"), List.of(), Set.of(),
        io.fabric8.kubernetes.api.model.LimitRange.class, true);
    // apps/v1
    add("apps", "v1", "deployments", "Deployment", true, List.of("deploy"), List.of("all"), Set.of("status", "scale"), Deployment.class, true);
    add("apps", "v1", "replicasets", "ReplicaSet", true, List.of("rs"), List.of("all"), Set.of("status", "scale"), ReplicaSet.class, true);
    add("apps", "v1", "daemonsets", "DaemonSet", true, List.of("ds"), List.of("all"), Set.of("status"), DaemonSet.class, true);
    add("apps", "v1", "statefulsets", "StatefulSet", true, List.of("sts"), List.of("all"), Set.of("status", "scale"),
        io.fabric8.kubernetes.api.model.apps.StatefulSet.class, true);
    // the DaemonSet controller's template history: kubectl rollout history / undo daemonset
    add("apps", "v1", "controllerrevisions", "ControllerRevision", true, List.of(), List.of(), Set.of(),
        io.fabric8.kubernetes.api.model.apps.ControllerRevision.class, false);
    // batch/v1: the Job and CronJob controllers run them; kube lists both under "all"
    add("batch", "v1", "jobs", "Job", true, List.of(), List.of("all"), Set.of("status"),
        io.fabric8.kubernetes.api.model.batch.v1.Job.class, true);
    add("batch", "v1", "cronjobs", "CronJob", true, List.of("cj"), List.of("all"), Set.of("status"),
        io.fabric8.kubernetes.api.model.batch.v1.CronJob.class, true);
    // autoscaling: v2 first, so discovery prefers it; v1 (what kubectl 1.32's autoscale creates) is a view of v2's storage
    add("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, List.of("hpa"), List.of("all"),
        Set.of("status"), io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler.class, true);
    add("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, List.of("hpa"), List.of("all"),
        Set.of("status"), io.fabric8.kubernetes.api.model.autoscaling.v1.HorizontalPodAutoscaler.class, true);
    VIEWS.put(BY_PATH.get("autoscaling/v1/horizontalpodautoscalers"), new ResourceView(BY_PATH.get("autoscaling/v1/horizontalpodautoscalers"),
        BY_PATH.get("autoscaling/v2/horizontalpodautoscalers"), new io.keelson.apiserver.conversion.AutoscalingV1Conversion()));
    // policy/v1: the disruption controller keeps their status, pods/eviction honours them
    add("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, List.of("pdb"), List.of(), Set.of("status"),
        io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class, true);
    // networking.k8s.io/v1: enforced by every node agent (its netpol package, nftables)
    add("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, List.of("netpol"), List.of(), Set.of(),
        io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class, true);
    // apiextensions.k8s.io/v1: each one adds served types below (CustomResource, apiextensions.CustomResourceRegistrar)
    add("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, List.of("crd", "crds"),
        List.of("api-extensions"), Set.of("status"), io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition.class, true);
    // admissionregistration.k8s.io/v1: the webhooks the write path calls (webhook.WebhookAdmission)
    add("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false, List.of(),
        List.of("api-extensions"), Set.of(), io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration.class, false);
    add("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false, List.of(),
        List.of("api-extensions"), Set.of(), io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration.class,
        false);
    // vm.keelson.io/v1alpha1: Full VMs booted from a disk image; the controller-manager's virtualmachine controller runs them as pods
    add(io.keelson.apiserver.model.vm.v1alpha1.VirtualMachine.GROUP, io.keelson.apiserver.model.vm.v1alpha1.VirtualMachine.VERSION,
        "virtualmachines", "VirtualMachine", true, List.of("vm", "vms"), List.of("all"), Set.of("status"),
        io.keelson.apiserver.model.vm.v1alpha1.VirtualMachine.class, true);
    // others
    add("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, List.of(), List.of(), Set.of(),
        io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice.class, false);
    add("coordination.k8s.io", "v1", "leases", "Lease", true, List.of(), List.of(), Set.of(), Lease.class, true);
    add("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", false, List.of(), List.of(), Set.of(), RuntimeClass.class, false);
    // certificates.k8s.io/v1: kubectl certificate approve; the controller-manager's csrsigning issues
    add("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", false, List.of("csr"), List.of(),
        Set.of("status", "approval"), io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest.class, false);
    add("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, List.of("sc"), List.of(), Set.of(),
        io.fabric8.kubernetes.api.model.storage.StorageClass.class, false);
    add("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false, List.of("pc"), List.of(), Set.of(), PriorityClass.class, false);
    // networking.k8s.io/v1 Ingresses: stored for charts (helm create's) and for ingress controllers run as pods
    add("networking.k8s.io", "v1", "ingresses", "Ingress", true, List.of("ing"), List.of(), Set.of("status"),
        io.fabric8.kubernetes.api.model.networking.v1.Ingress.class, true);
    add("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false, List.of(), List.of(), Set.of(),
        io.fabric8.kubernetes.api.model.networking.v1.IngressClass.class, true);
    // admissionregistration.k8s.io/v1 policies: CEL validations every write passes (policy.ValidatingAdmissionPolicies)
    add("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", false, List.of(), List.of(),
        Set.of("status"), io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy.class, true);
    add("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", false, List.of(),
        List.of(), Set.of(), io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding.class, true);
    // rbac.authorization.k8s.io/v1: the policy auth.rbac evaluates on every request
    add("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, List.of(), List.of(), Set.of(),
        io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding.class, false);
    add("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, List.of(), List.of(), Set.of(),
        io.fabric8.kubernetes.api.model.rbac.ClusterRole.class, false);
    add("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, List.of(), List.of(), Set.of(),
        io.fabric8.kubernetes.api.model.rbac.RoleBinding.class, false);
    add("rbac.authorization.k8s.io", "v1", "roles", "Role", true, List.of(), List.of(), Set.of(),
        io.fabric8.kubernetes.api.model.rbac.Role.class, false);
    add("events.k8s.io", "v1", "events", "Event", true, List.of("ev"), List.of(), Set.of(),
        io.fabric8.kubernetes.api.model.events.v1.Event.class, false);
    // the same objects as core/v1 events, as in Kubernetes: one storage, two shapes
    VIEWS.put(BY_PATH.get("events.k8s.io/v1/events"), new ResourceView(BY_PATH.get("events.k8s.io/v1/events"),
        BY_PATH.get("/v1/events"), new io.keelson.apiserver.conversion.EventsV1Conversion()));
    // answered about the caller on request (auth.SelfReviews), never stored: kubectl auth can-i / whoami
    COMPUTED.add(add("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", false, List.of(), List.of(), Set.of(),
        io.fabric8.kubernetes.api.model.authentication.SelfSubjectReview.class, false));
    COMPUTED.add(add("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false, List.of(), List.of(),
        Set.of(), io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview.class, false));
    COMPUTED.add(add("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", false, List.of(), List.of(),
        Set.of(), io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview.class, false));
    // answered about the user in their spec (auth.SelfReviews): what webhook authorizers and proxies ask
    COMPUTED.add(add("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", false, List.of(), List.of(),
        Set.of(), io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview.class, false));
    COMPUTED.add(add("authorization.k8s.io", "v1", "localsubjectaccessreviews", "LocalSubjectAccessReview", true, List.of(), List.of(),
        Set.of(), io.fabric8.kubernetes.api.model.authorization.v1.LocalSubjectAccessReview.class, false));
    // probed on request (health.ComponentStatuses), never stored: kubectl get cs
    COMPUTED.add(add("", "v1", "componentstatuses", "ComponentStatus", false, List.of("cs"), List.of(), Set.of(),
        io.fabric8.kubernetes.api.model.ComponentStatus.class, false));
    // computed from the agents' stats on request (metrics.MetricsApi), never stored: kubectl top
    COMPUTED.add(add("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", false, List.of(), List.of(), Set.of(),
        io.fabric8.kubernetes.api.model.metrics.v1beta1.NodeMetrics.class, false));
    COMPUTED.add(add("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", true, List.of(), List.of(), Set.of(),
        io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics.class, false));
  }

  private static ResourceType add(String group, String version, String resource, String kind, boolean namespaced,
      List<String> shortNames, List<String> categories, Set<String> subresources, Class<?> model, boolean hasSpec) {
    ResourceType t = new ResourceType(group, version, resource, kind, namespaced, shortNames, categories, subresources, model, hasSpec);
    ALL.add(t);
    BY_PATH.put(group + "/" + version + "/" + resource, t);
    return t;
  }

  private ResourceRegistry() {}

  /** Every served resource, in discovery order. */
  public static List<ResourceType> all() {
    return Collections.unmodifiableList(ALL);
  }

  /** Served group/versions in discovery order: "v1" first, then "apps/v1", ... */
  public static Map<String, List<ResourceType>> byGroupVersion() {
    Map<String, List<ResourceType>> m = new LinkedHashMap<>();
    for (ResourceType t : ALL) m.computeIfAbsent(t.apiVersion(), k -> new ArrayList<>()).add(t);
    return m;
  }

  public static Optional<ResourceType> find(String group, String version, String resource) {
    return Optional.ofNullable(BY_PATH.get(group + "/" + version + "/" + resource));
  }

  /** Whether a served type is answered on request and never stored (metrics.k8s.io, the self reviews). */
  public static boolean computed(ResourceType type) {
    return COMPUTED.contains(type);
  }

  /** The view a served type is, or null when it has storage of its own. */
  public static ResourceView viewOf(ResourceType type) {
    if (CustomResource.isCustom(type)) {
      CustomResource c = customOf(type);
      return c == null ? null : c.view();
    }
    return VIEWS.get(type);
  }

  /** What a custom resource type takes from its CustomResourceDefinition; null for built-in types and unknown ones. */
  public static CustomResource customOf(ResourceType type) {
    if (!CustomResource.isCustom(type)) return null;
    return CUSTOM.get(type.group() + "/" + type.version() + "/" + type.resource());
  }

  /** Whether a custom resource type is served at this group/version now. */
  public static boolean servesCustom(String group, String version) {
    for (CustomResource c : CUSTOM.values()) {
      if (c.served() && c.type().group().equals(group) && c.type().version().equals(version)) return true;
    }
    return false;
  }

  /** Every custom resource type known now: served versions, and storage versions (which may not be served). */
  public static List<CustomResource> custom() {
    return List.copyOf(CUSTOM.values());
  }

  /**
   * Makes {@code wanted} the custom resource types served, replacing the previous set: new and
   * changed types first, then the ones gone, so that a type that stays is never missing in between.
   * Served types go into discovery after every built-in one.
   */
  public static synchronized void replaceCustom(List<CustomResource> wanted) {
    Map<String, CustomResource> next = new LinkedHashMap<>();
    for (CustomResource c : wanted) next.put(c.type().group() + "/" + c.type().version() + "/" + c.type().resource(), c);
    for (Map.Entry<String, CustomResource> e : next.entrySet()) {
      CustomResource before = CUSTOM.put(e.getKey(), e.getValue());
      ResourceType t = e.getValue().type();
      boolean wasServed = before != null && before.served();
      if (e.getValue().served()) {
        if (wasServed) ALL.replaceAll(x -> x.equals(before.type()) ? t : x);
        else ALL.add(t);
        BY_PATH.put(e.getKey(), t);
      } else if (wasServed) {
        ALL.remove(before.type());
        BY_PATH.remove(e.getKey());
      }
    }
    for (String path : List.copyOf(CUSTOM.keySet())) {
      if (next.containsKey(path)) continue;
      CustomResource gone = CUSTOM.remove(path);
      ALL.remove(gone.type());
      BY_PATH.remove(path, gone.type());
    }
  }

  public static Optional<ResourceType> byKind(String apiVersion, String kind) {
    return ALL.stream().filter(t -> t.apiVersion().equals(apiVersion) && t.kind().equals(kind)).findFirst();
  }
}
