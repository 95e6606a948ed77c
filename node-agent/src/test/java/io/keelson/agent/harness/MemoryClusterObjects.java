package io.keelson.agent.harness;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.keelson.agent.pod.ClusterObjects;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** ConfigMaps, Secrets and RuntimeClasses held in memory; events recorded for assertions. */
public final class MemoryClusterObjects implements ClusterObjects {
  /** An event as the agent recorded it. */
  public record RecordedEvent(String pod, String fieldPath, String type, String reason, String message) {}

  public final Map<String, ConfigMap> configMaps = new ConcurrentHashMap<>();
  public final Map<String, Secret> secrets = new ConcurrentHashMap<>();
  /** Claims by namespace/name, volumes by name. */
  public final Map<String, io.fabric8.kubernetes.api.model.PersistentVolumeClaim> claims = new ConcurrentHashMap<>();
  public final Map<String, io.fabric8.kubernetes.api.model.PersistentVolume> persistentVolumes = new ConcurrentHashMap<>();
  public final Map<String, String> runtimeClasses = new ConcurrentHashMap<>(Map.of("runc", "runc", "vm", "qemu"));
  /** "namespace/name" of ServiceAccounts whose tokens the API refuses. */
  public final java.util.Set<String> missingAccounts = ConcurrentHashMap.newKeySet();
  public final List<RecordedEvent> events = new CopyOnWriteArrayList<>();

  @Override
  public ConfigMap configMap(String namespace, String name) {
    return configMaps.get(namespace + "/" + name);
  }

  @Override
  public Secret secret(String namespace, String name) {
    return secrets.get(namespace + "/" + name);
  }

  /** Issued tokens name what they were asked for: "token:NS/ACCOUNT:POD:AUDIENCE:SECONDS". */
  @Override
  public String serviceAccountToken(Pod pod, String audience, long expirationSeconds) {
    String account = pod.getSpec().getServiceAccountName() == null ? "default" : pod.getSpec().getServiceAccountName();
    if (missingAccounts.contains(pod.getMetadata().getNamespace() + "/" + account)) {
      throw new IllegalStateException("serviceaccounts \"" + account + "\" not found");
    }
    return "token:" + pod.getMetadata().getNamespace() + "/" + account + ":" + pod.getMetadata().getName() + ":"
        + (audience == null ? "" : audience) + ":" + expirationSeconds;
  }

  @Override
  public io.fabric8.kubernetes.api.model.PersistentVolumeClaim persistentVolumeClaim(String namespace, String name) {
    return claims.get(namespace + "/" + name);
  }

  @Override
  public io.fabric8.kubernetes.api.model.PersistentVolume persistentVolume(String name) {
    return persistentVolumes.get(name);
  }

  @Override
  public List<io.fabric8.kubernetes.api.model.PersistentVolume> persistentVolumes() {
    return List.copyOf(persistentVolumes.values());
  }

  @Override
  public String runtimeClassHandler(String name) {
    return runtimeClasses.get(name);
  }

  @Override
  public void event(Pod pod, String fieldPath, String type, String reason, String message) {
    events.add(new RecordedEvent(pod.getMetadata().getName(), fieldPath, type, reason, message));
  }

  public List<String> reasons(String pod) {
    return events.stream().filter(e -> e.pod().equals(pod)).map(RecordedEvent::reason).toList();
  }
}
