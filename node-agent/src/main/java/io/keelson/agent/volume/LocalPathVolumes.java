package io.keelson.agent.volume;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.keelson.agent.pod.ClusterObjects;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of the {@code keelson.io/local-path} provisioner: the directory its volumes live
 * in ({@code <state dir>/storage}, announced on the Node so the controller-manager's provisioner
 * puts new volumes there) and their removal. A volume directory is named {@code <pv name>_<ns>_<claim>};
 * once no PersistentVolume of that name exists (its claim was deleted and the reclaim policy was
 * Delete), the directory is deleted. A directory must be seen orphaned by two sweeps in a row, so
 * a volume provisioned between the listing and the scan is never touched.
 */
public final class LocalPathVolumes {
  private static final Logger log = LoggerFactory.getLogger(LocalPathVolumes.class);
  /** On the Node: where this agent keeps local-path volumes (read by the controller-manager's provisioner). */
  public static final String ROOT_ANNOTATION = "keelson.io/local-path-root";

  private final Path root;
  private final ClusterObjects objects;
  private Set<String> orphansLastSweep = Set.of();

  public LocalPathVolumes(Path stateDir, ClusterObjects objects) {
    this.root = stateDir.resolve("storage").toAbsolutePath();
    this.objects = objects;
  }

  public Path root() {
    return root;
  }

  /** Deletes the directories of volumes that are gone; returns how many it deleted. */
  public synchronized int sweep() {
    if (!Files.isDirectory(root)) return 0;
    List<PersistentVolume> volumes;
    try {
      volumes = objects.persistentVolumes();
    } catch (RuntimeException e) {
      log.debug("local-path sweep skipped: cannot list persistent volumes: {}", e.toString());
      return 0;
    }
    if (volumes == null) return 0;
    Set<String> existing = new HashSet<>();
    for (PersistentVolume pv : volumes) existing.add(pv.getMetadata().getName());
    Set<String> orphans = new HashSet<>();
    int deleted = 0;
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : dirs.toList()) {
        String name = dir.getFileName().toString();
        String pvName = name.contains("_") ? name.substring(0, name.indexOf('_')) : name;
        if (existing.contains(pvName)) continue;
        if (!orphansLastSweep.contains(name)) {
          orphans.add(name);
          continue;
        }
        deleteTree(dir);
        deleted++;
        log.info("deleted local-path volume directory {}: persistent volume {} is gone", dir, pvName);
      }
    } catch (IOException e) {
      log.warn("local-path sweep of {} failed: {}", root, e.toString());
    }
    orphansLastSweep = orphans;
    return deleted;
  }

  private static void deleteTree(Path dir) throws IOException {
    // Files.walk does not follow symbolic links: a link a pod left in its volume is removed, not followed
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
