package io.keelson.controller.volume;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatus;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.keelson.controller.events.EventRecorder;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-controller-manager's persistentvolume-binder: binds each pending claim to the best Available
 * volume ({@link ClaimMatching}), or has {@link LocalPathProvisioner} make one for claims of a
 * {@code keelson.io/local-path} class (once the scheduler has picked the node of a
 * WaitForFirstConsumer claim's first pod: the {@link #SELECTED_NODE} annotation), and keeps phases
 * right: volumes Available, Bound, Released when their claim is gone, then deleted when their
 * reclaim policy says Delete (the node's agent removes a local-path volume's directory).
 *
 * <p>Claims and volumes share one queue, keyed {@code claim:<ns>/<name>} and {@code volume:<name>}.
 */
public final class PersistentVolumeBinder implements Reconciler, ManagedController {
  private static final Logger log = LoggerFactory.getLogger(PersistentVolumeBinder.class);
  public static final String NAME = "persistentvolume-binder";
  public static final String SELECTED_NODE = "volume.kubernetes.io/selected-node";
  public static final String BIND_COMPLETED = "pv.kubernetes.io/bind-completed";
  public static final String BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller";
  private static final String CLAIM = "claim:";
  private static final String VOLUME = "volume:";

  private final KubernetesClient client;
  private final SharedIndexInformer<PersistentVolumeClaim> claims;
  private final SharedIndexInformer<PersistentVolume> volumes;
  private final SharedIndexInformer<StorageClass> classes;
  private final SharedIndexInformer<Node> nodes;
  private final EventRecorder events;
  private final Controller controller;

  public PersistentVolumeBinder(Informers informers, EventRecorder events, MeterRegistry metrics, int workers) {
    this.client = informers.client();
    this.claims = informers.of(PersistentVolumeClaim.class);
    this.volumes = informers.of(PersistentVolume.class);
    this.classes = informers.of(StorageClass.class);
    this.nodes = informers.of(Node.class);
    this.events = events.forComponent("persistentvolume-controller"); // kube's binder reports so
    this.controller = new Controller(NAME, this, workers, metrics);
    claims.addEventHandler(Informers.handler(this::claimKeys, controller::enqueue));
    volumes.addEventHandler(Informers.handler(this::volumeKeys, controller::enqueue));
  }

  /** A claim's own key and its volume's (whose phase follows the claim: Bound once the claim names it, Released once it is gone). */
  private List<String> claimKeys(PersistentVolumeClaim c) {
    String volume = c.getSpec() == null ? null : c.getSpec().getVolumeName();
    return isEmpty(volume) ? List.of(CLAIM + Informers.key(c)) : List.of(CLAIM + Informers.key(c), VOLUME + volume);
  }

  /** A volume's own key, its claim's, and (a volume that may have come free) every pending claim's. */
  private List<String> volumeKeys(PersistentVolume pv) {
    List<String> keys = new ArrayList<>();
    keys.add(VOLUME + pv.getMetadata().getName());
    ObjectReference ref = pv.getSpec().getClaimRef();
    if (ref != null) keys.add(CLAIM + Informers.key(ref.getNamespace(), ref.getName()));
    else {
      for (PersistentVolumeClaim c : claims.getStore().list()) {
        if (isEmpty(c.getSpec().getVolumeName())) keys.add(CLAIM + Informers.key(c));
      }
    }
    return keys;
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public Result reconcile(String key) {
    if (key.startsWith(CLAIM)) return syncClaim(key.substring(CLAIM.length()));
    return syncVolume(key.substring(VOLUME.length()));
  }

  // ---------------------------------------------------------------- claims

  private Result syncClaim(String key) {
    PersistentVolumeClaim claim = claims.getIndexer().getByKey(key);
    if (claim == null) return Result.noUpdate();
    String volumeName = claim.getSpec().getVolumeName();
    if (!isEmpty(volumeName)) return syncBoundClaim(claim, volumeName);
    if (claim.getMetadata().getDeletionTimestamp() != null) return Result.noUpdate();
    String className = claim.getSpec().getStorageClassName();
    StorageClass sc = isEmpty(className) ? null : classes.getIndexer().getByKey(className);
    Node node = null;
    if (sc != null && "WaitForFirstConsumer".equals(sc.getVolumeBindingMode())) {
      String selected = annotation(claim, SELECTED_NODE);
      if (selected == null) {
        events.normal(claim, "WaitForFirstConsumer", "waiting for first consumer to be created before binding");
        return Result.noUpdate();
      }
      node = nodes.getIndexer().getByKey(selected);
      if (node == null) return Result.requeueAfter(Duration.ofSeconds(2)); // the node may not be in the cache yet
    }
    PersistentVolume match = ClaimMatching.bestMatch(claim, volumes.getStore().list(), node);
    if (match != null) {
      bindVolume(match, claim);
      bindClaim(claim, match);
      return Result.noUpdate();
    }
    if (sc == null) {
      events.normal(claim, "FailedBinding", isEmpty(className)
          ? "no persistent volumes available for this claim and no storage class is set"
          : "storageclass.storage.k8s.io \"" + className + "\" not found");
      return Result.noUpdate();
    }
    if (!LocalPathProvisioner.NAME.equals(sc.getProvisioner())) {
      events.normal(claim, "ExternalProvisioning", "Waiting for a volume to be created either by the external provisioner '"
          + sc.getProvisioner() + "' or manually by the system administrator. If volume creation is delayed, please verify that"
          + " the provisioner is running and correctly registered.");
      return Result.noUpdate();
    }
    if (node == null) {
      events.warning(claim, "ProvisioningFailed", "the " + LocalPathProvisioner.NAME + " provisioner needs a node: use a class with"
          + " volumeBindingMode WaitForFirstConsumer (as local-path is), so the claim is provisioned where its first pod runs");
      return Result.noUpdate();
    }
    if (ClaimMatching.requested(claim).signum() <= 0) return Result.noUpdate(); // validation requires a request; nothing to size
    PersistentVolume pv = LocalPathProvisioner.volumeFor(claim, sc, node);
    try {
      client.persistentVolumes().resource(pv).create();
      events.normal(claim, "ProvisioningSucceeded", "Successfully provisioned volume " + pv.getMetadata().getName());
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) throw e;
    }
    return Result.noUpdate(); // the volume's add event brings the claim back to bind
  }

  private Result syncBoundClaim(PersistentVolumeClaim claim, String volumeName) {
    PersistentVolume pv = volumes.getIndexer().getByKey(volumeName);
    if (pv == null) {
      if (!"Lost".equals(phase(claim)) && "Bound".equals(phase(claim))) {
        updateClaimStatus(claim, "Lost", null);
        events.warning(claim, "ClaimLost", "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!");
      }
      return Result.noUpdate();
    }
    ObjectReference ref = pv.getSpec().getClaimRef();
    if (ref == null) {
      if (claim.getMetadata().getDeletionTimestamp() == null) bindVolume(pv, claim); // the user named the volume: claim it
      return Result.noUpdate();
    }
    if (!refersTo(ref, claim)) {
      if (!"Lost".equals(phase(claim))) {
        events.warning(claim, "FailedBinding", "volume \"" + volumeName + "\" already bound to a different claim.");
      }
      return Result.noUpdate();
    }
    bindClaim(claim, pv);
    return Result.noUpdate();
  }

  /** Points the volume at the claim (claimRef with its uid); phase Bound follows on the volume's sync. */
  private void bindVolume(PersistentVolume pv, PersistentVolumeClaim claim) {
    ObjectReference ref = pv.getSpec().getClaimRef();
    if (ref != null && Objects.equals(ref.getUid(), claim.getMetadata().getUid())) return;
    PersistentVolume copy = new PersistentVolumeBuilder(pv).build();
    copy.getSpec().setClaimRef(new ObjectReferenceBuilder()
        .withApiVersion("v1").withKind("PersistentVolumeClaim")
        .withNamespace(claim.getMetadata().getNamespace()).withName(claim.getMetadata().getName())
        .withUid(claim.getMetadata().getUid()).withResourceVersion(claim.getMetadata().getResourceVersion())
        .build());
    annotate(copy.getMetadata(), BOUND_BY_CONTROLLER);
    client.persistentVolumes().resource(copy).update();
    log.debug("volume {} bound to claim {}/{}", pv.getMetadata().getName(), claim.getMetadata().getNamespace(),
        claim.getMetadata().getName());
  }

  /** Names the volume in the claim and reports it Bound with the volume's capacity and access modes. */
  private void bindClaim(PersistentVolumeClaim claim, PersistentVolume pv) {
    PersistentVolumeClaim current = claim;
    String name = pv.getMetadata().getName();
    boolean completed = "yes".equals(annotation(claim, BIND_COMPLETED));
    if (!name.equals(claim.getSpec().getVolumeName()) || !completed) {
      PersistentVolumeClaim copy = new PersistentVolumeClaimBuilder(claim).build();
      if (!name.equals(copy.getSpec().getVolumeName())) {
        copy.getSpec().setVolumeName(name);
        annotate(copy.getMetadata(), BOUND_BY_CONTROLLER);
      }
      annotate(copy.getMetadata(), BIND_COMPLETED);
      current = client.persistentVolumeClaims().inNamespace(claim.getMetadata().getNamespace()).resource(copy).update();
      if (!"Bound".equals(phase(claim))) {
        events.normal(claim, "Bound", "Successfully bound to volume " + name);
      }
    }
    PersistentVolumeClaimStatus st = current.getStatus();
    boolean sameStatus = st != null && "Bound".equals(st.getPhase())
        && Objects.equals(st.getCapacity(), pv.getSpec().getCapacity())
        && Objects.equals(st.getAccessModes(), pv.getSpec().getAccessModes());
    if (!sameStatus) updateClaimStatus(current, "Bound", pv);
  }

  private void updateClaimStatus(PersistentVolumeClaim claim, String phase, PersistentVolume pv) {
    PersistentVolumeClaim copy = new PersistentVolumeClaimBuilder(claim).build();
    PersistentVolumeClaimStatus st = copy.getStatus() == null ? new PersistentVolumeClaimStatus() : copy.getStatus();
    st.setPhase(phase);
    if (pv != null) {
      st.setCapacity(pv.getSpec().getCapacity());
      st.setAccessModes(pv.getSpec().getAccessModes());
    }
    copy.setStatus(st);
    client.persistentVolumeClaims().inNamespace(claim.getMetadata().getNamespace()).resource(copy).updateStatus();
  }

  // ---------------------------------------------------------------- volumes

  private Result syncVolume(String name) {
    PersistentVolume pv = volumes.getIndexer().getByKey(name);
    if (pv == null || pv.getMetadata().getDeletionTimestamp() != null) return Result.noUpdate();
    ObjectReference ref = pv.getSpec().getClaimRef();
    if (ref == null) return phase(pv, "Available");
    PersistentVolumeClaim claim = claims.getIndexer().getByKey(Informers.key(ref.getNamespace(), ref.getName()));
    boolean claimed = claim != null && (isEmpty(ref.getUid()) || ref.getUid().equals(claim.getMetadata().getUid()));
    if (claimed) return phase(pv, name.equals(claim.getSpec().getVolumeName()) ? "Bound" : "Available");
    if (isEmpty(ref.getUid())) return phase(pv, "Available"); // pre-bound by name to a claim not made yet
    // its claim is gone: the volume is Released, then reclaimed as its policy says
    if (!"Released".equals(ClaimMatching.phase(pv)) && !"Failed".equals(ClaimMatching.phase(pv))) phase(pv, "Released");
    String policy = pv.getSpec().getPersistentVolumeReclaimPolicy();
    if ("Delete".equals(policy)) {
      try {
        client.persistentVolumes().withName(name).delete();
        log.info("volume {} released by {}/{} and deleted (reclaim policy Delete)", name, ref.getNamespace(), ref.getName());
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404) throw e;
      }
    } else if ("Recycle".equals(policy)) {
      events.warning(pv, "VolumeFailedRecycle", "recycling is not supported by this cluster; the volume stays Released");
    }
    return Result.noUpdate();
  }

  private Result phase(PersistentVolume pv, String phase) {
    if (phase.equals(ClaimMatching.phase(pv))) return Result.noUpdate();
    PersistentVolume copy = new PersistentVolumeBuilder(pv).editOrNewStatus().withPhase(phase).endStatus().build();
    client.persistentVolumes().resource(copy).updateStatus();
    return Result.noUpdate();
  }

  // ---------------------------------------------------------------- helpers

  private static boolean refersTo(ObjectReference ref, PersistentVolumeClaim claim) {
    return Objects.equals(ref.getNamespace(), claim.getMetadata().getNamespace())
        && Objects.equals(ref.getName(), claim.getMetadata().getName())
        && (isEmpty(ref.getUid()) || ref.getUid().equals(claim.getMetadata().getUid()));
  }

  private static String phase(PersistentVolumeClaim claim) {
    return claim.getStatus() == null ? null : claim.getStatus().getPhase();
  }

  private static String annotation(PersistentVolumeClaim claim, String key) {
    Map<String, String> a = claim.getMetadata().getAnnotations();
    return a == null ? null : a.get(key);
  }

  private static void annotate(io.fabric8.kubernetes.api.model.ObjectMeta meta, String key) {
    Map<String, String> a = meta.getAnnotations() == null ? new HashMap<>() : new HashMap<>(meta.getAnnotations());
    a.put(key, "yes");
    meta.setAnnotations(a);
  }

  private static boolean isEmpty(String s) {
    return s == null || s.isEmpty();
  }
}
