package io.keelson.controller.runtime;

import io.keelson.client.selection.LabelSelectors;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * Decides which objects a controller owns (client-go's ControllerRefManager): objects it controls
 * whose labels still match stay; those that no longer match are released (its ownerReference
 * removed); orphans that match are adopted (a controller ownerReference added) unless the owner is
 * being deleted. Patches carry the object's uid so a recreated namesake is never touched.
 */
public final class OwnershipClaims {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private OwnershipClaims() {}

  public static <T extends HasMetadata> List<T> claim(
      KubernetesClient client, HasMetadata owner, LabelSelector selector, List<T> candidates) {
    String uid = owner.getMetadata().getUid();
    boolean canAdopt = !Owners.isDeleting(owner);
    List<T> owned = new ArrayList<>();
    for (T obj : candidates) {
      var ref = Owners.controllerOf(obj);
      boolean matches = LabelSelectors.matches(selector, obj.getMetadata().getLabels());
      if (ref.isPresent()) {
        if (!ref.get().getUid().equals(uid)) continue; // someone else's
        if (matches) {
          owned.add(obj);
        } else if (!Owners.isDeleting(obj)) {
          release(client, obj, uid);
        }
      } else if (matches && canAdopt && !Owners.isDeleting(obj)) {
        if (adopt(client, obj, owner)) owned.add(obj);
      }
    }
    return owned;
  }

  private static boolean adopt(KubernetesClient client, HasMetadata obj, HasMetadata owner) {
    List<OwnerReference> refs = new ArrayList<>();
    if (obj.getMetadata().getOwnerReferences() != null) refs.addAll(obj.getMetadata().getOwnerReferences());
    refs.add(Owners.controllerRef(owner));
    return patchRefs(client, obj, refs);
  }

  private static void release(KubernetesClient client, HasMetadata obj, String ownerUid) {
    List<OwnerReference> refs = new ArrayList<>(obj.getMetadata().getOwnerReferences());
    refs.removeIf(r -> r.getUid().equals(ownerUid));
    patchRefs(client, obj, refs);
  }

  /** Replaces metadata.ownerReferences with a merge patch guarded by the object's uid. */
  public static boolean patchRefs(KubernetesClient client, HasMetadata obj, List<OwnerReference> refs) {
    String patch =
        JSON.writeValueAsString(
            Map.of(
                "metadata",
                Map.of("uid", obj.getMetadata().getUid(), "ownerReferences", refs)));
    try {
      client
          .resources(obj.getClass())
          .inNamespace(obj.getMetadata().getNamespace())
          .withName(obj.getMetadata().getName())
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404 || e.getCode() == 409 || e.getCode() == 422) return false;
      throw e;
    }
  }
}
