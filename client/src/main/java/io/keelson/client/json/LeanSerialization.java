package io.keelson.client.json;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.Type;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.ObjectReader;
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
 * {@link Builder#withoutPodStatus()} skips a pod's whole status (the node agent, which writes it
 * and never reads it back).
 *
 * <p>What it builds is a {@link Readable} ({@link Builder#readable()}): besides fabric8's API it hands out readers of its
 * configured mapper, for callers that decode many small documents from bytes (watch events, pod
 * assignments): fabric8's {@code unmarshal(InputStream, ...)} wraps every stream in a fresh
 * {@code BufferedInputStream} (an 8 KB buffer per event) to sniff for YAML and looks the reader up
 * again each time.
 */
public final class LeanSerialization {
  private LeanSerialization() {}

  @JsonIgnoreProperties({"managedFields"})
  private abstract static class WithoutManagedFields {}

  @JsonIgnoreProperties({"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"})
  private abstract static class WithoutContainerStatuses {}

  @JsonIgnoreProperties({"status"})
  private abstract static class PodWithoutStatus {}

  /** fabric8's serialization whose configured mapper's readers can be used directly. */
  public static final class Readable extends KubernetesSerialization {
    // set by the super constructor's configureMapper call: no initializer, or it would be reset
    private ObjectMapper configured;

    Readable(ObjectMapper mapper) {
      super(mapper, true);
    }

    @Override
    protected ObjectMapper configureMapper(ObjectMapper mapper) {
      ObjectMapper m = super.configureMapper(mapper);
      configured = m;
      return m;
    }

    /**
     * A reader of JSON (never YAML) into {@code type}, with the same mapping as {@link #unmarshal};
     * keep it: it is immutable and thread-safe.
     */
    public ObjectReader reader(Type type) {
      return configured.readerFor(configured.constructType(type));
    }
  }

  /** Without managedFields only (a {@link Readable}; the declared type stays for compiled callers). */
  public static KubernetesSerialization create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** What to skip besides managedFields. */
  public static final class Builder {
    private boolean containerStatuses = true;
    private boolean podStatus = true;

    private Builder() {}

    /** Also skip {@code status.containerStatuses} (and init/ephemeral) of pods. */
    public Builder withoutContainerStatuses() {
      containerStatuses = false;
      return this;
    }

    /** Also skip a pod's whole {@code status}. */
    public Builder withoutPodStatus() {
      podStatus = false;
      return this;
    }

    /** A {@link Readable}, declared as fabric8's type (callers compiled against that keep linking). */
    public KubernetesSerialization build() {
      return readable();
    }

    public Readable readable() {
      JsonMapper.Builder mapper = JsonMapper.builder().addMixIn(ObjectMeta.class, WithoutManagedFields.class);
      if (!containerStatuses) {
        mapper.addMixIn(PodStatus.class, WithoutContainerStatuses.class);
      }
      if (!podStatus) {
        mapper.addMixIn(Pod.class, PodWithoutStatus.class);
      }
      return new Readable(mapper.build());
    }
  }
}
