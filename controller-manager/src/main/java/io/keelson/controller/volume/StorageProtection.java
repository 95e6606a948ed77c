package io.keelson.controller.volume;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Result;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * kube's pvc-protection and pv-protection controllers: a claim marked for deletion keeps its
 * {@code kubernetes.io/pvc-protection} finalizer while a pod that is not terminated uses it, and a
 * volume keeps {@code kubernetes.io/pv-protection} while it is Bound, so data is never pulled from
 * under a running pod.
 */
public final class StorageProtection implements ManagedController {
  public static final String PVC_NAME = "pvc-protection";
  public static final String PV_NAME = "pv-protection";
  public static final String PVC_FINALIZER = "kubernetes.io/pvc-protection";
  public static final String PV_FINALIZER = "kubernetes.io/pv-protection";
  private static final String BY_CLAIM = "byClaim";

  private final KubernetesClient client;
  private final SharedIndexInformer<PersistentVolumeClaim> claims;
  private final SharedIndexInformer<PersistentVolume> volumes;
  private final SharedIndexInformer<Pod> pods;
  private final Controller claimController;
  private final Controller volumeController;

  public StorageProtection(Informers informers, MeterRegistry metrics, int workers) {
    this.client = informers.client();
    this.claims = informers.of(PersistentVolumeClaim.class);
    this.volumes = informers.of(PersistentVolume.class);
    this.pods = informers.of(Pod.class);
    informers.index(Pod.class, BY_CLAIM, PvcUse::claimKeys);
    this.claimController = new Controller(PVC_NAME, this::syncClaim, workers, metrics);
    this.volumeController = new Controller(PV_NAME, this::syncVolume, workers, metrics);
    claims.addEventHandler(Informers.handler(c -> List.of(Informers.key(c)), claimController::enqueue));
    pods.addEventHandler(Informers.handler(PvcUse::claimKeys, claimController::enqueue));
    volumes.addEventHandler(Informers.handler(v -> List.of(v.getMetadata().getName()), volumeController::enqueue));
  }

  @Override
  public List<Controller> controllers() {
    return List.of(claimController, volumeController);
  }

  private Result syncClaim(String key) {
    PersistentVolumeClaim claim = claims.getIndexer().getByKey(key);
    if (claim == null || claim.getMetadata().getDeletionTimestamp() != null && !hasFinalizer(claim, PVC_FINALIZER)) {
      return Result.noUpdate();
    }
    if (claim.getMetadata().getDeletionTimestamp() == null) return Result.noUpdate();
    for (Pod p : pods.getIndexer().byIndex(BY_CLAIM, key)) {
      if (!PvcUse.terminated(p)) return Result.noUpdate(); // the pod's update or delete brings the claim back
    }
    PersistentVolumeClaim copy = new PersistentVolumeClaimBuilder(claim).build();
    copy.getMetadata().setFinalizers(without(claim, PVC_FINALIZER));
    update(() -> client.persistentVolumeClaims().inNamespace(claim.getMetadata().getNamespace()).resource(copy).update());
    return Result.noUpdate();
  }

  private Result syncVolume(String name) {
    PersistentVolume pv = volumes.getIndexer().getByKey(name);
    if (pv == null || pv.getMetadata().getDeletionTimestamp() == null || !hasFinalizer(pv, PV_FINALIZER)) return Result.noUpdate();
    if (pv.getStatus() != null && "Bound".equals(pv.getStatus().getPhase())) return Result.noUpdate();
    PersistentVolume copy = new PersistentVolumeBuilder(pv).build();
    copy.getMetadata().setFinalizers(without(pv, PV_FINALIZER));
    update(() -> client.persistentVolumes().resource(copy).update());
    return Result.noUpdate();
  }

  private static void update(Runnable write) {
    try {
      write.run();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) throw e; // gone already; a 409 retries with the cache's next version
    }
  }

  private static boolean hasFinalizer(HasMetadata o, String finalizer) {
    return o.getMetadata().getFinalizers() != null && o.getMetadata().getFinalizers().contains(finalizer);
  }

  private static List<String> without(HasMetadata o, String finalizer) {
    List<String> rest = new ArrayList<>(o.getMetadata().getFinalizers());
    rest.remove(finalizer);
    return rest;
  }

  /** Which claims a pod uses, and whether it has stopped using them. */
  static final class PvcUse {
    private PvcUse() {}

    static List<String> claimKeys(Pod p) {
      List<String> keys = new ArrayList<>();
      if (p.getSpec() == null || p.getSpec().getVolumes() == null) return keys;
      for (Volume v : p.getSpec().getVolumes()) {
        if (v.getPersistentVolumeClaim() != null) {
          keys.add(Informers.key(p.getMetadata().getNamespace(), v.getPersistentVolumeClaim().getClaimName()));
        }
      }
      return keys;
    }

    static boolean terminated(Pod p) {
      String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
      return "Succeeded".equals(phase) || "Failed".equals(phase);
    }
  }
}
