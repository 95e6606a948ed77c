package io.keelson.scheduler.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import tools.jackson.databind.json.JsonMapper;

/**
 * The scheduler's JSON mapping: fabric8's, except that {@code metadata.managedFields} is skipped
 * when reading. The scheduler decodes every pod event of the cluster (creation, binding, each
 * status report) and never looks at managedFields, yet after the agent's first status report they
 * are the largest part of a pod's JSON and the most expensive to decode (free-form {@code fieldsV1}
 * trees become nested maps). Skipping them also keeps them out of the informer's store. Nothing
 * the scheduler writes (bindings, events, status patches) carries managedFields. The same goes
 * for a pod's container statuses, which every status report of an agent rewrites: the scheduler
 * reads only the phase, the conditions and nominatedNodeName of a pod's status.
 */
public final class LeanSerialization {
  private LeanSerialization() {}

  @JsonIgnoreProperties({"managedFields"})
  private abstract static class WithoutManagedFields {}

  @JsonIgnoreProperties({"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"})
  private abstract static class WithoutContainerStatuses {}

  public static KubernetesSerialization create() {
    return new KubernetesSerialization(
        JsonMapper.builder()
            .addMixIn(ObjectMeta.class, WithoutManagedFields.class)
            .addMixIn(PodStatus.class, WithoutContainerStatuses.class)
            .build(),
        true);
  }
}
