package io.keelson.agent.volume;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.keelson.agent.driver.DriverException;
import io.keelson.agent.pod.ClusterObjects;
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
 * directory), hostPath (the path itself, created for the *OrCreate types), configMap and secret
 * (one file per key, honouring items and defaultMode). Unsupported volume types fail the pod with a
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
          Path p = Path.of(v.getHostPath().getPath());
          String type = v.getHostPath().getType() == null ? "" : v.getHostPath().getType();
          switch (type) {
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
          result.put(v.getName(), p);
        } else if (v.getConfigMap() != null) {
          ConfigMap cm = objects.configMap(ns, v.getConfigMap().getName());
          boolean optional = Boolean.TRUE.equals(v.getConfigMap().getOptional());
          if (cm == null && !optional) {
            throw new DriverException(
                "FailedMount", "configmap \"" + v.getConfigMap().getName() + "\" not found", null);
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
          writeFiles(dir, data, v.getConfigMap().getItems(), v.getConfigMap().getDefaultMode());
          result.put(v.getName(), dir);
        } else if (v.getSecret() != null) {
          Secret s = objects.secret(ns, v.getSecret().getSecretName());
          boolean optional = Boolean.TRUE.equals(v.getSecret().getOptional());
          if (s == null && !optional) {
            throw new DriverException(
                "FailedMount", "secret \"" + v.getSecret().getSecretName() + "\" not found", null);
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
          writeFiles(dir, data, v.getSecret().getItems(), v.getSecret().getDefaultMode());
          result.put(v.getName(), dir);
        } else if (v.getDownwardAPI() != null || v.getProjected() != null) {
          // service account tokens and downward API files are not served yet: an empty dir keeps
          // pods that merely mount them (the default kube-api-access volume) running
          Files.createDirectories(dir);
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
