package io.keelson.controller.virtualmachine;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.keelson.controller.events.EventRecorder;
import io.keelson.controller.pod.PodConditions;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Owners;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs vm.keelson.io/v1alpha1 VirtualMachines (Full VMs) as pods, as KubeVirt's virt-controller
 * does with its virt-launcher pods: {@code spec.running} true → one pod {@code virt-launcher-<vm>}
 * (controlled by the VM, so deleting the VM deletes it) with {@code runtimeClassName: vm}, the disk
 * image as its one container's image, the VM's cpus and memory as its limits (requests: 100m per vCPU), and the
 * annotation {@code vm.keelson.io/boot: disk} that has the node's qemu driver boot the image's disk
 * with its own bootloader; false → the pod is deleted. The VM's status mirrors the pod's: phase as
 * printableStatus, node, IP, readiness.
 */
public final class VirtualMachineController implements Reconciler, ManagedController {
  public static final String NAME = "virtualmachine";
  public static final String GROUP = "vm.keelson.io";
  public static final ResourceDefinitionContext CONTEXT = new ResourceDefinitionContext.Builder()
      .withGroup(GROUP).withVersion("v1alpha1").withPlural("virtualmachines").withKind("VirtualMachine").withNamespaced(true).build();
  /** What the node agent's qemu driver reads to boot the image's disk instead of running containers in a VM. */
  public static final String BOOT_ANNOTATION = "vm.keelson.io/boot";
  public static final String NAME_LABEL = "vm.keelson.io/name";
  static final String POD_PREFIX = "virt-launcher-";
  /** KubeVirt's name for the container that is the VM. */
  static final String CONTAINER = "compute";

  private final KubernetesClient client;
  private final EventRecorder events;
  private final SharedIndexInformer<GenericKubernetesResource> vms;
  private final SharedIndexInformer<Pod> pods;
  private final Controller controller;

  public VirtualMachineController(Informers informers, EventRecorder events, MeterRegistry metrics, int workers) {
    this.client = informers.client();
    this.events = events.forComponent("virtualmachine-controller");
    this.vms = informers.register(client.genericKubernetesResources(CONTEXT).inAnyNamespace().runnableInformer(0));
    this.pods = informers.of(Pod.class);
    this.controller = new Controller(NAME, this, workers, metrics);
    vms.addEventHandler(Informers.handler(vm -> List.of(Informers.key(vm)), controller::enqueue));
    pods.addEventHandler(Informers.handler(p -> Owners.controllerOf(p)
        .filter(r -> r.getKind().equals("VirtualMachine") && r.getApiVersion().startsWith(GROUP + "/"))
        .map(r -> List.of(Informers.key(p.getMetadata().getNamespace(), r.getName()))).orElse(List.of()), controller::enqueue));
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public Result reconcile(String key) {
    GenericKubernetesResource vm = vms.getIndexer().getByKey(key);
    if (vm == null || Owners.isDeleting(vm)) return Result.noUpdate(); // the garbage collector takes the pod
    String ns = vm.getMetadata().getNamespace();
    Map<String, Object> spec = map(vm.getAdditionalProperties().get("spec"));
    boolean running = !Boolean.FALSE.equals(spec.get("running"));
    Pod pod = pods.getIndexer().getByKey(Informers.key(ns, podName(vm)));
    if (pod != null && !Owners.isControlledBy(pod, vm)) {
      setStatus(vm, status("PodConflict", false, null, false));
      events.warning(vm, "PodConflict", "pod " + pod.getMetadata().getName() + " exists and is not this VM's; delete or rename it");
      return Result.noUpdate();
    }
    if (running && pod == null) {
      pod = create(vm, spec);
    } else if (!running && pod != null && !Owners.isDeleting(pod)) {
      try {
        client.pods().inNamespace(ns).withName(pod.getMetadata().getName()).delete();
        events.normal(vm, "Stopping", "deleted pod " + pod.getMetadata().getName() + " (spec.running is false)");
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404) throw e;
      }
    }
    setStatus(vm, observe(running, pod));
    return Result.noUpdate();
  }

  static String podName(GenericKubernetesResource vm) {
    return POD_PREFIX + vm.getMetadata().getName();
  }

  private Pod create(GenericKubernetesResource vm, Map<String, Object> spec) {
    Map<String, Object> disk = map(spec.get("disk"));
    int cpus = ((Number) spec.getOrDefault("cpus", 1)).intValue();
    Quantity memory = new Quantity(String.valueOf(spec.getOrDefault("memory", "256Mi")));
    // the limit sizes the VM (-smp, -m); like KubeVirt's cpuAllocationRatio 10, a vCPU requests a tenth of a core
    Map<String, Quantity> limits = Map.of("cpu", new Quantity(String.valueOf(cpus)), "memory", memory);
    Map<String, Quantity> requests = Map.of("cpu", new Quantity((cpus * 100) + "m"), "memory", memory);
    String name = vm.getMetadata().getName();
    Pod pod = new PodBuilder()
        .withNewMetadata().withName(podName(vm)).withNamespace(vm.getMetadata().getNamespace())
            .withLabels(Map.of(NAME_LABEL, name)).withAnnotations(Map.of(BOOT_ANNOTATION, "disk"))
            .withOwnerReferences(Owners.controllerRef(vm)).endMetadata()
        .withNewSpec()
            .withRuntimeClassName("vm")
            // a guest that powers off is booted again, as KubeVirt's RunStrategy Always does
            .withRestartPolicy("Always")
            .withTerminationGracePeriodSeconds(((Number) spec.getOrDefault("terminationGracePeriodSeconds", 30)).longValue())
            .withHostname(name.length() <= 63 && !name.contains(".") ? name : null)
            .withContainers(new ContainerBuilder().withName(CONTAINER)
                .withImage((String) disk.get("image")).withImagePullPolicy((String) disk.get("imagePullPolicy"))
                // the serial console is the container's stdio: kubectl attach -it types into it
                .withStdin(true).withTty(true)
                .withNewResources().withRequests(requests).withLimits(limits).endResources().build())
        .endSpec().build();
    try {
      Pod created = client.pods().inNamespace(vm.getMetadata().getNamespace()).resource(pod).create();
      events.normal(vm, "Starting", "created pod " + created.getMetadata().getName());
      return created;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) return null; // created already: its watch event brings it
      events.warning(vm, "FailedCreate", "cannot create pod " + pod.getMetadata().getName() + ": " + e.getMessage());
      throw e;
    }
  }

  /** The status the VM shows for its pod (null when there is none). */
  static Map<String, Object> observe(boolean running, Pod pod) {
    if (pod == null) return status(running ? "Starting" : "Stopped", false, null, running);
    if (!running || Owners.isDeleting(pod)) return status("Stopping", false, pod, running);
    String printable = switch (String.valueOf(pod.getStatus() == null ? null : pod.getStatus().getPhase())) {
      case "Running" -> waitingReason(pod, "Running");
      case "Failed" -> "Failed";
      case "Succeeded" -> "Stopped";
      default -> unschedulable(pod) ? "Unschedulable" : waitingReason(pod, "Starting");
    };
    return status(printable, PodConditions.isReady(pod), pod, running);
  }

  /** The container's waiting reason (ErrImagePull, ImagePullBackOff, CrashLoopBackOff, ...) unless it is just creating. */
  private static String waitingReason(Pod pod, String otherwise) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) return otherwise;
    for (ContainerStatus cs : pod.getStatus().getContainerStatuses()) {
      if (cs.getState() != null && cs.getState().getWaiting() != null) {
        String reason = cs.getState().getWaiting().getReason();
        if (reason != null && !reason.equals("ContainerCreating") && !reason.equals("PodInitializing")) return reason;
        return "Starting";
      }
    }
    return otherwise;
  }

  /** Why the VM's container waits (a pull error, a crash loop), for the Ready condition's message. */
  private static String waitingMessage(Pod pod) {
    if (pod.getStatus().getContainerStatuses() == null) return null;
    return pod.getStatus().getContainerStatuses().stream()
        .filter(cs -> cs.getState() != null && cs.getState().getWaiting() != null && cs.getState().getWaiting().getMessage() != null)
        .map(cs -> cs.getState().getWaiting().getMessage()).findFirst().orElse(null);
  }

  private static boolean unschedulable(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) return false;
    return pod.getStatus().getConditions().stream()
        .anyMatch(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()) && "Unschedulable".equals(c.getReason()));
  }

  private static Map<String, Object> status(String printable, boolean ready, Pod pod, boolean running) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("printableStatus", printable);
    s.put("ready", ready);
    if (pod != null && pod.getStatus() != null) {
      s.put("podName", pod.getMetadata().getName());
      if (pod.getSpec() != null && pod.getSpec().getNodeName() != null) s.put("nodeName", pod.getSpec().getNodeName());
      if (pod.getStatus().getPodIP() != null) s.put("ipAddress", pod.getStatus().getPodIP());
      PodCondition c = PodConditions.readyCondition(pod);
      if (c != null) {
        Map<String, Object> cond = new LinkedHashMap<>();
        cond.put("type", "Ready");
        cond.put("status", c.getStatus());
        if (c.getLastTransitionTime() != null) cond.put("lastTransitionTime", c.getLastTransitionTime());
        cond.put("reason", c.getReason() != null ? c.getReason() : "True".equals(c.getStatus()) ? "PodReady" : "PodNotReady");
        String waiting = waitingMessage(pod);
        String message = waiting != null ? waiting : c.getMessage();
        if (message != null && !message.isEmpty()) cond.put("message", message); // omitempty, as kube's conditions
        s.put("conditions", List.of(cond));
      }
    } else if (pod != null) {
      s.put("podName", pod.getMetadata().getName());
    }
    return s;
  }

  private void setStatus(GenericKubernetesResource vm, Map<String, Object> status) {
    if (Objects.equals(vm.getAdditionalProperties().get("status"), status)) return;
    GenericKubernetesResource copy = client.getKubernetesSerialization().clone(vm);
    copy.getAdditionalProperties().put("status", status);
    try {
      client.genericKubernetesResources(CONTEXT).inNamespace(vm.getMetadata().getNamespace()).resource(copy).updateStatus();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) return;
      throw e; // a conflict: the next event of the VM brings its newer version
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }
}
