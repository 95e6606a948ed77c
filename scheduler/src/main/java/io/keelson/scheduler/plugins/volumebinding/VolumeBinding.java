package io.keelson.scheduler.plugins.volumebinding;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.keelson.scheduler.client.ClusterApi;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.FilterPlugin;
import io.keelson.scheduler.framework.Handle;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.NodeSelectorMatcher;
import io.keelson.scheduler.framework.Plugin;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.PreBindPlugin;
import io.keelson.scheduler.framework.PreFilterPlugin;
import io.keelson.scheduler.framework.Status;
import io.keelson.scheduler.framework.StorageLister;
import java.util.ArrayList;
import java.util.List;

/**
 * kube-scheduler's VolumeBinding, for the claims a pod mounts: a missing or deleted claim, or an
 * unbound claim of an Immediate class (the binder has not bound it yet), keeps the pod pending; a
 * claim bound to a volume with node affinity limits the pod to the nodes it allows (a local-path
 * volume lives on one node). An unbound WaitForFirstConsumer claim is left to this pod's placement:
 * PreBind tells the binder the chosen node ({@link #SELECTED_NODE} on the claim) and waits until the
 * claim is bound, so the node's agent finds a volume when the pod arrives.
 */
public final class VolumeBinding implements PreFilterPlugin, FilterPlugin, PreBindPlugin {
  public static final String NAME = "VolumeBinding";
  public static final String SELECTED_NODE = "volume.kubernetes.io/selected-node";
  public static final String REASON_NOT_FOUND_FMT = "persistentvolumeclaim \"%s\" not found";
  public static final String REASON_BEING_DELETED_FMT = "persistentvolumeclaim \"%s\" is being deleted";
  public static final String REASON_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims";
  public static final String REASON_NODE_CONFLICT = "node(s) had volume node affinity conflict";
  public static final Plugin.Factory FACTORY = VolumeBinding::new;

  private static final String STATE_KEY = "PreFilter" + NAME;
  /** How long PreBind waits for the binder to bind (or provision) a delayed claim. */
  private static final long BIND_TIMEOUT_MS = 60_000;

  private final Handle handle;

  public VolumeBinding(Handle handle) {
    this.handle = handle;
  }

  /** The node affinities of the pod's bound volumes and its claims waiting for a node. */
  private record Claims(List<NodeSelectorMatcher> affinities, List<String> delayed) implements CycleState.Data {
    @Override
    public CycleState.Data copy() {
      return this;
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Status preFilter(CycleState state, PodInfo pod) {
    List<Volume> volumes = pod.pod().getSpec() == null ? null : pod.pod().getSpec().getVolumes();
    if (volumes == null) return Status.SKIP;
    StorageLister storage = handle.storage();
    List<NodeSelectorMatcher> affinities = new ArrayList<>();
    List<String> delayed = new ArrayList<>();
    for (Volume v : volumes) {
      if (v.getPersistentVolumeClaim() == null) continue;
      String claimName = v.getPersistentVolumeClaim().getClaimName();
      PersistentVolumeClaim claim = storage.claim(pod.namespace(), claimName);
      if (claim == null) return Status.unresolvable(String.format(REASON_NOT_FOUND_FMT, claimName));
      if (claim.getMetadata().getDeletionTimestamp() != null) {
        return Status.unresolvable(String.format(REASON_BEING_DELETED_FMT, claimName));
      }
      String volumeName = claim.getSpec().getVolumeName();
      if (volumeName != null && !volumeName.isEmpty()) {
        PersistentVolume pv = storage.volume(volumeName);
        if (pv == null) return Status.unresolvable("pvc " + claimName + " bound to non-existent pv " + volumeName);
        if (pv.getSpec().getNodeAffinity() != null && pv.getSpec().getNodeAffinity().getRequired() != null) {
          affinities.add(NodeSelectorMatcher.compile(pv.getSpec().getNodeAffinity().getRequired()));
        }
        continue;
      }
      String className = claim.getSpec().getStorageClassName();
      StorageClass sc = className == null || className.isEmpty() ? null : storage.storageClass(className);
      if (sc == null || !"WaitForFirstConsumer".equals(sc.getVolumeBindingMode())) {
        return Status.unresolvable(REASON_UNBOUND_IMMEDIATE);
      }
      delayed.add(claimName);
    }
    if (affinities.isEmpty() && delayed.isEmpty()) return Status.SKIP;
    state.write(STATE_KEY, new Claims(List.copyOf(affinities), List.copyOf(delayed)));
    return Status.SUCCESS;
  }

  @Override
  public Status filter(CycleState state, PodInfo pod, NodeInfo node) {
    Claims c = state.read(STATE_KEY);
    if (c == null) return Status.SUCCESS;
    for (NodeSelectorMatcher m : c.affinities()) {
      if (!m.matches(node.name(), node.labels())) return Status.unresolvable(REASON_NODE_CONFLICT);
    }
    return Status.SUCCESS;
  }

  @Override
  public Status preBind(CycleState state, PodInfo pod, String nodeName) {
    Claims c = state.read(STATE_KEY);
    if (c == null || c.delayed().isEmpty()) return Status.SUCCESS;
    StorageLister storage = handle.storage();
    try {
      for (String claimName : c.delayed()) {
        PersistentVolumeClaim claim = storage.claim(pod.namespace(), claimName);
        if (claim != null && bound(claim)) continue;
        var annotations = claim == null ? null : claim.getMetadata().getAnnotations();
        if (annotations == null || !nodeName.equals(annotations.get(SELECTED_NODE))) {
          handle.api().annotateClaim(pod.namespace(), claimName, SELECTED_NODE, nodeName);
        }
      }
      long deadline = System.currentTimeMillis() + BIND_TIMEOUT_MS;
      for (String claimName : c.delayed()) {
        while (true) {
          PersistentVolumeClaim claim = storage.claim(pod.namespace(), claimName);
          if (claim != null && bound(claim)) break;
          if (System.currentTimeMillis() > deadline) {
            return Status.error("binding volumes: timed out waiting for persistentvolumeclaim \"" + claimName + "\" to be bound");
          }
          Thread.sleep(50);
        }
      }
    } catch (ClusterApi.ApiException e) {
      return Status.error("binding volumes: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Status.error("binding volumes: interrupted");
    }
    return Status.SUCCESS;
  }

  private static boolean bound(PersistentVolumeClaim claim) {
    return claim.getSpec().getVolumeName() != null && !claim.getSpec().getVolumeName().isEmpty()
        && claim.getStatus() != null && "Bound".equals(claim.getStatus().getPhase());
  }
}
