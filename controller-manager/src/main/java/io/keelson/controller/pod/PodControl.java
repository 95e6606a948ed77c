package io.keelson.controller.pod;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keelson.controller.events.EventRecorder;
import io.keelson.controller.runtime.Owners;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Creates pods from a workload's template and deletes them, recording SuccessfulCreate /
 * FailedCreate / SuccessfulDelete events on the owner. Names are generated here (owner name plus
 * five random characters, as {@code generateName} would) so the controller knows the name before
 * the api-server answers.
 */
public final class PodControl {
  private static final String ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final KubernetesClient client;
  private final EventRecorder events;

  public PodControl(KubernetesClient client, EventRecorder events) {
    this.client = client;
    this.events = events;
  }

  public static String randomSuffix(int n) {
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) sb.append(ALPHANUMS.charAt(RANDOM.nextInt(ALPHANUMS.length())));
    return sb.toString();
  }

  /** The pod a controller would create from {@code template} for {@code owner}. */
  public static Pod podFromTemplate(PodTemplateSpec template, HasMetadata owner, String namePrefix) {
    Map<String, String> labels =
        template.getMetadata() == null || template.getMetadata().getLabels() == null
            ? new HashMap<>()
            : new HashMap<>(template.getMetadata().getLabels());
    Map<String, String> annotations =
        template.getMetadata() == null || template.getMetadata().getAnnotations() == null
            ? null
            : new HashMap<>(template.getMetadata().getAnnotations());
    String prefix = namePrefix.length() > 57 ? namePrefix.substring(0, 57) : namePrefix;
    return new PodBuilder()
        .withMetadata(
            new ObjectMetaBuilder()
                .withName(prefix + "-" + randomSuffix(5))
                .withNamespace(owner.getMetadata().getNamespace())
                .withLabels(labels)
                .withAnnotations(annotations)
                .withOwnerReferences(List.of(Owners.controllerRef(owner)))
                .build())
        .withSpec(new PodSpecBuilder(template.getSpec()).build())
        .build();
  }

  public Pod create(Pod pod, HasMetadata owner) {
    try {
      Pod created = client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).create();
      events.normal(owner, "SuccessfulCreate", "Created pod: " + pod.getMetadata().getName());
      return created;
    } catch (KubernetesClientException e) {
      events.warning(owner, "FailedCreate", "Error creating: " + io.keelson.controller.runtime.ApiErrors.message(e));
      throw e;
    }
  }

  /** Deletes {@code pod}; a pod already gone counts as deleted. */
  public void delete(Pod pod, HasMetadata owner) {
    try {
      client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).delete();
      events.normal(owner, "SuccessfulDelete", "Deleted pod: " + pod.getMetadata().getName());
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) return;
      events.warning(owner, "FailedDelete", "Error deleting: " + e.getMessage());
      throw e;
    }
  }
}
