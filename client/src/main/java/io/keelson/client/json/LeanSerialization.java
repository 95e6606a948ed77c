package io.keelson.client.json;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import tools.jackson.databind.json.JsonMapper;

/**
 * fabric8's JSON mapping, except that fields a component never looks at are skipped when reading.
 *
 * <p>{@code metadata.managedFields} is always skipped: the scheduler's and the controller-manager's
 * informers decode every pod (and ReplicaSet, Deployment, Lease...) event of the cluster, and after
 * a few status reports managedFields are the largest and costliest part of an object's JSON
 * (free-form {@code fieldsV1} trees become nested maps; the scheduler benchmark measured 2.4 ms of
 * controller-manager CPU per bound pod). Skipping them also keeps them out of the informers'
 * caches. Writes built from such objects carry no managedFields, which keeps the stored ones: the
 * api-server (like Kubernetes) only replaces them when a writer sends a list.
 *
 * <p>{@link Builder#withoutContainerStatuses()} also skips a pod's container statuses, which every
 * status report of an agent rewrites; for a reader of only a pod's phase, conditions and
 * nominatedNodeName (the scheduler). A component that writes pod status must not use it.
 */
public final class LeanSerialization {
  private LeanSerialization() {}

  @JsonIgnoreProperties({"managedFields"})
  private abstract static class WithoutManagedFields {}

  @JsonIgnoreProperties({"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"})
  private abstract static class WithoutContainerStatuses {}

  /** Without managedFields only. */
  public static KubernetesSerialization create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** What to skip besides managedFields. */
  public static final class Builder {
    private boolean containerStatuses = true;

    private Builder() {}

    /** Also skip {@code status.containerStatuses} (and init/ephemeral) of pods. */
    public Builder withoutContainerStatuses() {
      containerStatuses = false;
      return this;
    }

    public KubernetesSerialization build() {
      JsonMapper.Builder mapper = JsonMapper.builder().addMixIn(ObjectMeta.class, WithoutManagedFields.class);
      if (!containerStatuses) {
        mapper.addMixIn(PodStatus.class, WithoutContainerStatuses.class);
      }
      return new KubernetesSerialization(mapper.build(), true);
    }
  }
}
