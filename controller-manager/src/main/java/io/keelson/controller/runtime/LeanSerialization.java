package io.keelson.controller.runtime;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import tools.jackson.databind.json.JsonMapper;

/**
 * The controller-manager's JSON mapping: fabric8's, except that {@code metadata.managedFields} is
 * skipped when reading. Its informers decode every pod, ReplicaSet and Deployment event of the
 * cluster and no controller looks at managedFields, which after a few status reports are the
 * largest and costliest part of an object's JSON (the scheduler benchmark measured 2.4 ms of
 * controller-manager CPU per bound pod). Updates sent without managedFields keep the stored ones:
 * the api-server (like Kubernetes) only replaces them when a writer sends a list.
 */
public final class LeanSerialization {
  private LeanSerialization() {}

  @JsonIgnoreProperties({"managedFields"})
  private abstract static class WithoutManagedFields {}

  public static KubernetesSerialization create() {
    return new KubernetesSerialization(
        JsonMapper.builder().addMixIn(ObjectMeta.class, WithoutManagedFields.class).build(), true);
  }
}
