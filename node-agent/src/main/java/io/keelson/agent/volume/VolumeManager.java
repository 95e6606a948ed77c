package io.keelson.agent.volume;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.DownwardAPIVolumeFile;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ProjectedVolumeSource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.keelson.agent.driver.DriverException;
import io.keelson.agent.pod.ClusterObjects;
import io.keelson.agent.pod.TaskConfigFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Materialises a pod's volumes as host directories under the pod's state dir: emptyDir (a fresh
 * directory), hostPath (the path itself, created for the *OrCreate types), persistentVolumeClaim
 * (the bound PersistentVolume's hostPath or local directory, outliving the pod), configMap and secret
 * (one file per key, honouring items and defaultMode), downwardAPI, and projected volumes (the
 * API credentials every pod gets: a bound service-account token, the cluster CA, its namespace). Unsupported volume types fail the pod with a
 * clear reason instead of silently mounting nothing.
 */
public final class VolumeManager {
  private final ClusterObjects objects;

  public VolumeManager(ClusterObjects objects) {
    this.objects = objects;
  }

  /** Returns volume name to host path; idempotent (re-writes configMap/secret contents). */
  public Map<String, Path> materialise(Pod pod, Path podDir) throws DriverException {
    Map<String, Path> result = new LinkedHashMap<>();
    List<Volume> volumes = pod.getSpec().getVolumes() == null ? List.of() : pod.getSpec().getVolumes();
    String ns = pod.getMetadata().getNamespace();
    try {
      for (Volume v : volumes) {
        Path dir = podDir.resolve("volumes").resolve(v.getName());
        if (v.getEmptyDir() != null) {
          Files.createDirectories(dir);
          Files.setPosixFilePermissions(dir, EnumSet.allOf(PosixFilePermission.class));
          result.put(v.getName(), dir);
        } else if (v.getHostPath() != null) {
          result.put(v.getName(), hostPath(v.getHostPath().getPath(), v.getHostPath().getType()));
        } else if (v.getPersistentVolumeClaim() != null) {
          result.put(v.getName(), claimedVolume(pod, v.getPersistentVolumeClaim().getClaimName()));
        } else if (v.getConfigMap() != null) {
          var src = v.getConfigMap();
          writeFiles(dir, configMapData(ns, src.getName(), src.getOptional()), src.getItems(), src.getDefaultMode());
          result.put(v.getName(), dir);
        } else if (v.getSecret() != null) {
          var src = v.getSecret();
          writeFiles(dir, secretData(ns, src.getSecretName(), src.getOptional()), src.getItems(), src.getDefaultMode());
          result.put(v.getName(), dir);
        } else if (v.getDownwardAPI() != null) {
          writeDownward(dir, pod, v.getDownwardAPI().getItems(), v.getDownwardAPI().getDefaultMode());
          result.put(v.getName(), dir);
        } else if (v.getProjected() != null) {
          project(dir, pod, v.getProjected());
          result.put(v.getName(), dir);
        } else {
          throw new DriverException(
              "FailedMount", "volume \"" + v.getName() + "\" has a type this node does not support", null);
        }
      }
    } catch (IOException e) {
      throw new DriverException("FailedMount", "preparing volumes failed: " + e.getMessage(), e);
    }
    return result;
  }

  private static Path hostPath(String path, String type) throws IOException, DriverException {
    Path p = Path.of(path);
    switch (type == null ? "" : type) {
      case "DirectoryOrCreate" -> Files.createDirectories(p);
      case "FileOrCreate" -> {
        Files.createDirectories(p.getParent());
        if (!Files.exists(p)) {
          Files.createFile(p);
        }
      }
      case "Directory" -> require(Files.isDirectory(p), "hostPath type check failed: " + p + " is not a directory");
      case "File" -> require(Files.isRegularFile(p), "hostPath type check failed: " + p + " is not a file");
      default -> {}
    }
    return p;
  }

  /**
   * The host directory behind a claim: claim, then its bound PersistentVolume, then the volume's
   * hostPath (a local-path volume's directory is made on first use) or local path. The scheduler
   * only places a pod once its claims are bound, so an unbound claim here is a race worth a retry.
   */
  private Path claimedVolume(Pod pod, String claimName) throws IOException, DriverException {
    String ns = pod.getMetadata().getNamespace();
    String rc = pod.getSpec().getRuntimeClassName();
    if (rc != null && !rc.isEmpty() && "qemu".equals(objects.runtimeClassHandler(rc))) {
      // a VM gets a copy of its volumes on a disk at boot: what it wrote would never reach the claim
      throw new DriverException("FailedMount", "persistentVolumeClaim volumes are not supported in VM pods (runtimeClassName "
          + rc + "): the VM boots with a copy of its volumes, so its writes would be lost; run the pod as a container", null);
    }
    PersistentVolumeClaim claim = objects.persistentVolumeClaim(ns, claimName);
    if (claim == null) throw new DriverException("FailedMount", "persistentvolumeclaim \"" + claimName + "\" not found", null);
    String volumeName = claim.getSpec().getVolumeName();
    if (volumeName == null || volumeName.isEmpty()) {
      throw new DriverException("FailedMount", "persistentvolumeclaim \"" + claimName + "\" is not bound", null);
    }
    PersistentVolume pv = objects.persistentVolume(volumeName);
    if (pv == null) throw new DriverException("FailedMount", "persistentvolume \"" + volumeName + "\" not found", null);
    if (pv.getSpec().getHostPath() != null) {
      return hostPath(pv.getSpec().getHostPath().getPath(), pv.getSpec().getHostPath().getType());
    }
    if (pv.getSpec().getLocal() != null) {
      Path p = Path.of(pv.getSpec().getLocal().getPath());
      require(Files.exists(p), "local volume " + volumeName + ": path " + p + " does not exist on this node");
      return p;
    }
    throw new DriverException("FailedMount", "persistentvolume \"" + volumeName + "\" has a volume type this node does not"
        + " mount (it mounts hostPath and local volumes)", null);
  }

  private Map<String, byte[]> configMapData(String ns, String name, Boolean optional) throws DriverException {
    ConfigMap cm = objects.configMap(ns, name);
    if (cm == null && !Boolean.TRUE.equals(optional)) {
      throw new DriverException("FailedMount", "configmap \"" + name + "\" not found", null);
    }
    Map<String, byte[]> data = new LinkedHashMap<>();
    if (cm != null) {
      if (cm.getData() != null) {
        cm.getData().forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
      }
      if (cm.getBinaryData() != null) {
        cm.getBinaryData().forEach((k, val) -> data.put(k, Base64.getDecoder().decode(val)));
      }
    }
    return data;
  }

  private Map<String, byte[]> secretData(String ns, String name, Boolean optional) throws DriverException {
    Secret s = objects.secret(ns, name);
    if (s == null && !Boolean.TRUE.equals(optional)) {
      throw new DriverException("FailedMount", "secret \"" + name + "\" not found", null);
    }
    Map<String, byte[]> data = new LinkedHashMap<>();
    if (s != null) {
      if (s.getData() != null) {
        s.getData().forEach((k, val) -> data.put(k, Base64.getDecoder().decode(val)));
      }
      if (s.getStringData() != null) {
        s.getStringData().forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
      }
    }
    return data;
  }

  /**
   * A projected volume: every source's files in one directory, as kubelet writes them; the
   * serviceAccountToken source is a token bound to this pod (the api-server gives the 3607 s tokens
   * kubelet asks for a year's validity while the pod exists, so it is requested once per sandbox).
   */
  private void project(Path dir, Pod pod, ProjectedVolumeSource projected) throws DriverException, IOException {
    String ns = pod.getMetadata().getNamespace();
    Integer mode = projected.getDefaultMode();
    for (VolumeProjection src : projected.getSources() == null ? List.<VolumeProjection>of() : projected.getSources()) {
      if (src.getConfigMap() != null) {
        var cm = src.getConfigMap();
        writeFiles(dir, configMapData(ns, cm.getName(), cm.getOptional()), cm.getItems(), mode);
      } else if (src.getSecret() != null) {
        var sec = src.getSecret();
        writeFiles(dir, secretData(ns, sec.getName(), sec.getOptional()), sec.getItems(), mode);
      } else if (src.getDownwardAPI() != null) {
        writeDownward(dir, pod, src.getDownwardAPI().getItems(), mode);
      } else if (src.getServiceAccountToken() != null) {
        var t = src.getServiceAccountToken();
        String token;
        try {
          token = objects.serviceAccountToken(pod, t.getAudience(), t.getExpirationSeconds() == null ? 3600 : t.getExpirationSeconds());
        } catch (RuntimeException e) {
          throw new DriverException("FailedMount", "failed to fetch token for service account \""
              + (pod.getSpec().getServiceAccountName() == null ? "default" : pod.getSpec().getServiceAccountName())
              + "\": " + e.getMessage(), e);
        }
        // kubelet writes the token 0600 unless the volume's mode says otherwise
        writeFiles(dir, Map.of(t.getPath(), token.getBytes(StandardCharsets.UTF_8)), null, mode == null ? 0600 : mode);
      } else {
        throw new DriverException("FailedMount", "projected volume source of an unsupported kind (this node projects "
            + "configMap, secret, downwardAPI and serviceAccountToken)", null);
      }
    }
  }

  /** downwardAPI files: pod fields (labels and annotations as sorted key="value" lines) and container resources. */
  private static void writeDownward(Path dir, Pod pod, List<DownwardAPIVolumeFile> items, Integer defaultMode)
      throws DriverException, IOException {
    Map<String, byte[]> data = new LinkedHashMap<>();
    List<KeyToPath> paths = new java.util.ArrayList<>();
    for (DownwardAPIVolumeFile item : items == null ? List.<DownwardAPIVolumeFile>of() : items) {
      String value;
      if (item.getFieldRef() != null) {
        value = podField(pod, item.getFieldRef().getFieldPath());
      } else if (item.getResourceFieldRef() != null) {
        var ref = item.getResourceFieldRef();
        Container target = pod.getSpec().getContainers().stream()
            .filter(c -> c.getName().equals(ref.getContainerName())).findFirst()
            .orElseThrow(() -> new DriverException("FailedMount", "downwardAPI item " + item.getPath()
                + ": no container named \"" + ref.getContainerName() + "\"", null));
        value = TaskConfigFactory.resourceField(target, ref.getResource(), ref.getDivisor());
      } else {
        continue;
      }
      data.put(item.getPath(), value.getBytes(StandardCharsets.UTF_8));
      paths.add(new io.fabric8.kubernetes.api.model.KeyToPathBuilder().withKey(item.getPath()).withPath(item.getPath()).withMode(item.getMode()).build());
    }
    writeFiles(dir, data, paths, defaultMode);
  }

  /** A downwardAPI file's pod field: what env vars may name, or all labels or annotations (volumes only). */
  static String podField(Pod pod, String path) throws DriverException {
    String value = switch (path) {
      case "metadata.labels" -> keyValueLines(pod.getMetadata().getLabels());
      case "metadata.annotations" -> keyValueLines(pod.getMetadata().getAnnotations());
      default -> TaskConfigFactory.metadataField(pod, path);
    };
    if (value == null) {
      throw new DriverException("FailedMount", "downwardAPI fieldRef " + path + " is not supported in volumes "
          + "(metadata.name, namespace, uid, labels, annotations are)", null);
    }
    return value;
  }

  /** Kube's format for labels and annotations files: key="value" (Go-quoted), one per line, sorted. */
  static String keyValueLines(Map<String, String> map) {
    if (map == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    new java.util.TreeMap<>(map).forEach((k, v) -> {
      if (sb.length() > 0) {
        sb.append('\n');
      }
      sb.append(k).append("=\"").append(v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")).append('"');
    });
    return sb.toString();
  }

  private static void require(boolean ok, String message) throws DriverException {
    if (!ok) {
      throw new DriverException("FailedMount", message, null);
    }
  }

  private static void writeFiles(Path dir, Map<String, byte[]> data, List<KeyToPath> items, Integer defaultMode)
      throws IOException {
    Files.createDirectories(dir);
    Map<String, String> paths = new LinkedHashMap<>();
    Map<String, Integer> modes = new LinkedHashMap<>();
    if (items != null && !items.isEmpty()) {
      for (KeyToPath item : items) {
        paths.put(item.getKey(), item.getPath());
        if (item.getMode() != null) {
          modes.put(item.getKey(), item.getMode());
        }
      }
    } else {
      data.keySet().forEach(k -> paths.put(k, k));
    }
    int mode = defaultMode == null ? 0644 : defaultMode;
    for (var e : paths.entrySet()) {
      byte[] content = data.get(e.getKey());
      if (content == null) {
        continue;
      }
      Path file = dir.resolve(e.getValue());
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
      Files.write(tmp, content);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(file, permissions(modes.getOrDefault(e.getKey(), mode)));
    }
  }

  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ
    };
    for (int i = 0; i < order.length; i++) {
      if ((mode & (1 << i)) != 0) {
        set.add(order[i]);
      }
    }
    return set;
  }
}
