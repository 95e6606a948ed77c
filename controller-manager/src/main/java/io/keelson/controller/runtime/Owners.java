package io.keelson.controller.runtime;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.util.List;
import java.util.Optional;

/** ownerReferences helpers: the controller reference and how controllers write theirs. */
public final class Owners {
  private Owners() {}

  /** The one ownerReference with controller=true, if any. */
  public static Optional<OwnerReference> controllerOf(HasMetadata obj) {
    List<OwnerReference> refs = obj.getMetadata().getOwnerReferences();
    if (refs == null) return Optional.empty();
    return refs.stream().filter(r -> Boolean.TRUE.equals(r.getController())).findFirst();
  }

  public static boolean isControlledBy(HasMetadata obj, HasMetadata owner) {
    return controllerOf(obj).map(r -> r.getUid().equals(owner.getMetadata().getUid())).orElse(false);
  }

  /** The reference a controller puts on what it creates: controller=true, blockOwnerDeletion=true. */
  public static OwnerReference controllerRef(HasMetadata owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion(owner.getApiVersion())
        .withKind(owner.getKind())
        .withName(owner.getMetadata().getName())
        .withUid(owner.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  public static boolean isDeleting(HasMetadata obj) {
    return obj.getMetadata().getDeletionTimestamp() != null;
  }
}
