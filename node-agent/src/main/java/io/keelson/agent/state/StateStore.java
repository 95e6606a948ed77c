package io.keelson.agent.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * The agent's state directory: {@code <state-dir>/pods/<uid>/} holds {@code pod.json} (a {@link
 * PodState}, written atomically) next to the pod's volumes, logs and driver files, so removing the
 * directory removes everything the pod left on the node.
 */
public final class StateStore {
  private static final Logger log = LoggerFactory.getLogger(StateStore.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final Path root;

  public StateStore(Path stateDir) {
    this.root = stateDir.resolve("pods");
  }

  public Path podDir(String uid) {
    return root.resolve(uid);
  }

  public void save(PodState state) {
    Path dir = podDir(state.uid());
    try {
      Files.createDirectories(dir);
      Path tmp = dir.resolve("pod.json.tmp");
      Files.write(tmp, JSON.writeValueAsBytes(state));
      try {
        Files.move(tmp, dir.resolve("pod.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, dir.resolve("pod.json"), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("saving state of pod " + state.uid(), e);
    }
  }

  /** Every persisted pod; unreadable files are logged and skipped. */
  public List<PodState> loadAll() {
    List<PodState> result = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return result;
    }
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : dirs.toList()) {
        Path file = dir.resolve("pod.json");
        if (!Files.exists(file)) {
          continue;
        }
        try {
          result.add(JSON.readValue(file.toFile(), PodState.class));
        } catch (RuntimeException e) {
          log.warn("ignoring unreadable pod state {}: {}", file, e.toString());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return result;
  }

  /** Removes the pod's directory with everything in it. */
  public void delete(String uid) {
    Path dir = podDir(uid);
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          log.warn("could not delete {}: {}", p, e.toString());
        }
      }
    } catch (IOException e) {
      log.warn("could not delete {}: {}", dir, e.toString());
    }
  }
}
