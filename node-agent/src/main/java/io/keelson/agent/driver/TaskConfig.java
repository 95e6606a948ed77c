package io.keelson.agent.driver;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One container's process, fully resolved by the agent (CRI's {@code ContainerConfig}).
 *
 * @param taskId stable id chosen by the agent, unique per container attempt (a restart gets a new
 *     id); safe as a file name; shown to users as {@code <scheme>://<taskId>}
 * @param sandboxId the sandbox it runs in
 * @param containerName spec.containers[].name
 * @param image the image, already pulled and unpacked by the image store
 * @param command the final argv: Kubernetes rules already applied (command overrides the image
 *     ENTRYPOINT, args override CMD); never empty
 * @param env the final environment in order: image ENV, HOSTNAME, the Service variables
 *     (KUBERNETES_SERVICE_HOST, ...), then the container's env (incl. values from
 *     ConfigMaps/Secrets/downward API), later entries win
 * @param workingDir the cwd (container spec, else image WORKDIR, else "/")
 * @param user who the process runs as
 * @param mounts bind mounts in order (volumes, /etc/hosts, /etc/resolv.conf, /etc/hostname,
 *     termination-log)
 * @param readOnlyRootFilesystem securityContext.readOnlyRootFilesystem
 * @param resources limits and requests of this container
 * @param tty allocate a pseudo-terminal for the process
 * @param stdin keep the process's stdin open (for attach)
 * @param stdinOnce close the process's stdin when the first attach session that forwards stdin ends
 * @param logPath where the driver writes the task's stdout/stderr (format per {@link
 *     DriverCapabilities#criLogFormat()}); the agent reads it for kubectl logs and keeps the previous
 *     attempt's file for --previous
 * @param targetTaskId the task whose process namespace this one joins (an ephemeral container's
 *     {@code targetContainerName}; CRI's {@code NamespaceOption.target_id}), or null for its own
 */
public record TaskConfig(
    String taskId,
    String sandboxId,
    String containerName,
    TaskImage image,
    List<String> command,
    Map<String, String> env,
    String workingDir,
    TaskUser user,
    List<TaskMount> mounts,
    boolean readOnlyRootFilesystem,
    TaskResources resources,
    boolean tty,
    boolean stdin,
    boolean stdinOnce,
    Path logPath,
    String targetTaskId) {

  public TaskConfig {
    command = List.copyOf(command);
    env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
    mounts = List.copyOf(mounts);
  }

  /** In its own process namespace. */
  public TaskConfig(String taskId, String sandboxId, String containerName, TaskImage image, List<String> command,
      Map<String, String> env, String workingDir, TaskUser user, List<TaskMount> mounts, boolean readOnlyRootFilesystem,
      TaskResources resources, boolean tty, boolean stdin, boolean stdinOnce, Path logPath) {
    this(taskId, sandboxId, containerName, image, command, env, workingDir, user, mounts, readOnlyRootFilesystem,
        resources, tty, stdin, stdinOnce, logPath, null);
  }

  /** This task in {@code target}'s process namespace. */
  public TaskConfig inProcessNamespaceOf(String target) {
    return new TaskConfig(taskId, sandboxId, containerName, image, command, env, workingDir, user, mounts,
        readOnlyRootFilesystem, resources, tty, stdin, stdinOnce, logPath, target);
  }

  /** Without stdinOnce. */
  public TaskConfig(String taskId, String sandboxId, String containerName, TaskImage image, List<String> command,
      Map<String, String> env, String workingDir, TaskUser user, List<TaskMount> mounts, boolean readOnlyRootFilesystem,
      TaskResources resources, boolean tty, boolean stdin, Path logPath) {
    this(taskId, sandboxId, containerName, image, command, env, workingDir, user, mounts, readOnlyRootFilesystem,
        resources, tty, stdin, false, logPath);
  }

  /**
   * An image resolved by the image store.
   *
   * @param ref the image reference as written in the pod (keelson.local/busybox:latest)
   * @param imageId the content id shown as containerStatuses[].imageID (e.g. sha256:...)
   * @param layers unpacked layer directories, bottom first (overlayfs lowerdirs, read-only, shared
   *     between pods: never write into them)
   * @param rootfs a flattened read-only copy of the image if the store keeps one, else null
   */
  public record TaskImage(String ref, String imageId, List<Path> layers, Path rootfs) {
    public TaskImage {
      layers = List.copyOf(layers);
    }
  }

  /** Numeric identity of the process (runAsUser/runAsGroup, else the image USER, else root). */
  public record TaskUser(long uid, long gid, List<Long> supplementalGroups) {
    public static final TaskUser ROOT = new TaskUser(0, 0, List.of());

    public TaskUser {
      supplementalGroups = List.copyOf(supplementalGroups);
    }
  }

  /**
   * A bind mount into the task.
   *
   * @param hostPath a file or directory on the host (volume directories live under the agent state
   *     dir)
   * @param containerPath absolute path inside the container
   */
  public record TaskMount(Path hostPath, String containerPath, boolean readOnly) {}

  /**
   * Container resources; 0 = not set.
   *
   * @param cpuLimitMillis cgroup cpu quota (limit 500m → 50000/100000)
   * @param cpuRequestMillis cgroup cpu weight/shares
   * @param memoryLimitBytes cgroup memory.max; exceeding it ends the task with reason OOMKilled
   * @param pidsLimit cgroup pids.max
   */
  public record TaskResources(
      long cpuLimitMillis, long cpuRequestMillis, long memoryLimitBytes, long pidsLimit) {
    public static final TaskResources NONE = new TaskResources(0, 0, 0, 0);
  }
}
