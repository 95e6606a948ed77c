package io.keelson.agent.driver.runc;

import io.keelson.agent.driver.TaskConfig;
import io.keelson.agent.driver.TaskConfig.TaskMount;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds a container's OCI runtime config.json: its own pid, mount and uts namespaces (hostname =
 * the pod's), the pod's network and IPC namespaces joined from the sandbox, cgroup limits from the
 * container's resources, the usual /proc, /dev, /sys mounts plus the agent's bind mounts
 * (volumes, /etc/hosts, /etc/resolv.conf, ...), Docker's default capability set and masked paths.
 * runc mounts the overlay root filesystem itself when given its options, and runs the hook that
 * holds the container's process back until the pod network is ready when given one.
 */
final class OciSpec {

  static final long CPU_PERIOD_US = 100_000;
  private static final List<String> CAPS = List.of(
      "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
      "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");
  private static final List<String> MASKED = List.of(
      "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
      "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap");
  private static final List<String> READONLY = List.of(
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");
  private static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private OciSpec() {}

  /**
   * @param hostname the container's hostname in a UTS namespace of its own; empty to share the host's
   * @param pidns a process namespace to join (the target of an ephemeral container), null for its own
   * @param netns the pod's network namespace, null to share the host's
   * @param ipc the pod's IPC namespace (a bind-mounted nsfs file)
   * @param shm the pod's shared /dev/shm directory, or null for a private one
   * @param cgroupsPath runc cgroupfs path, e.g. /keelson/SANDBOX/TASK
   * @param rootfsOverlay overlayfs options (lowerdir=...,upperdir=...,workdir=...) for runc to mount
   *     on the bundle's rootfs directory, or null when that directory is complete already
   * @param startGate argv of a createRuntime hook that must succeed before the container's process
   *     may run (it runs after the namespaces and mounts exist), or null
   */
  static ObjectNode build(JsonMapper json, TaskConfig task, String hostname, Path pidns, Path netns, Path ipc, Path shm, String cgroupsPath,
      String rootfsOverlay, List<String> startGate) {
    ObjectNode spec = json.createObjectNode();
    spec.put("ociVersion", "1.0.2");

    ObjectNode process = spec.putObject("process");
    // with a tty runc hands the pty master to the container's monitor (--console-socket)
    process.put("terminal", task.tty());
    ObjectNode user = process.putObject("user");
    user.put("uid", task.user().uid());
    user.put("gid", task.user().gid());
    if (!task.user().supplementalGroups().isEmpty()) {
      ArrayNode gids = user.putArray("additionalGids");
      task.user().supplementalGroups().forEach(gids::add);
    }
    ArrayNode args = process.putArray("args");
    task.command().forEach(args::add);
    ArrayNode env = process.putArray("env");
    boolean hasPath = false;
    for (Map.Entry<String, String> e : task.env().entrySet()) {
      env.add(e.getKey() + "=" + e.getValue());
      hasPath |= e.getKey().equals("PATH");
    }
    if (!hasPath) {
      env.add(DEFAULT_PATH);
    }
    if (task.tty() && !task.env().containsKey("TERM")) {
      env.add("TERM=xterm"); // as kubelet's runtimes set it for a tty
    }
    process.put("cwd", task.workingDir() == null || task.workingDir().isEmpty() ? "/" : task.workingDir());
    ObjectNode caps = process.putObject("capabilities");
    for (String set : List.of("bounding", "effective", "permitted")) {
      ArrayNode a = caps.putArray(set);
      CAPS.forEach(a::add);
    }
    // no rlimits: the container inherits the agent's (a fixed RLIMIT_NOFILE above the host's hard limit fails)
    process.put("noNewPrivileges", false);

    ObjectNode root = spec.putObject("root");
    root.put("path", "rootfs");
    root.put("readonly", task.readOnlyRootFilesystem());
    if (!hostname.isEmpty()) spec.put("hostname", hostname);

    ArrayNode mounts = spec.putArray("mounts");
    if (rootfsOverlay != null) {
      // mounted on "/" (the bundle's rootfs) before everything else, in the container's mount namespace
      mount(mounts, "/", "overlay", "overlay", rootfsOverlay);
    }
    mount(mounts, "/proc", "proc", "proc", "nosuid", "noexec", "nodev");
    mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
    mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5");
    if (shm != null) {
      mount(mounts, "/dev/shm", "bind", shm.toString(), "rbind", "nosuid", "noexec", "nodev", "rw");
    } else {
      mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
    }
    mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
    mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
    mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro");
    for (TaskMount m : task.mounts()) {
      mount(mounts, m.containerPath(), "bind", m.hostPath().toString(), "rbind", "rprivate", m.readOnly() ? "ro" : "rw");
    }

    ObjectNode linux = spec.putObject("linux");
    ArrayNode ns = linux.putArray("namespaces");
    ObjectNode pidNs = ns.addObject().put("type", "pid");
    if (pidns != null) {
      pidNs.put("path", pidns.toString());
    }
    ns.addObject().put("type", "mount");
    if (!hostname.isEmpty()) ns.addObject().put("type", "uts");
    ObjectNode ipcNs = ns.addObject().put("type", "ipc");
    if (ipc != null) {
      ipcNs.put("path", ipc.toString());
    }
    if (netns != null) {
      ns.addObject().put("type", "network").put("path", netns.toString());
    }
    linux.put("cgroupsPath", cgroupsPath);
    ObjectNode res = linux.putObject("resources");
    res.putArray("devices").addObject().put("allow", false).put("access", "rwm");
    TaskConfig.TaskResources r = task.resources() == null ? TaskConfig.TaskResources.NONE : task.resources();
    if (r.memoryLimitBytes() > 0) {
      res.putObject("memory").put("limit", r.memoryLimitBytes());
    }
    ObjectNode cpu = res.putObject("cpu");
    if (r.cpuLimitMillis() > 0) {
      cpu.put("quota", Math.max(1000, r.cpuLimitMillis() * CPU_PERIOD_US / 1000));
      cpu.put("period", CPU_PERIOD_US);
    }
    // the kubelet's mapping: shares = request millis * 1024 / 1000, at least 2
    long requestMillis = r.cpuRequestMillis() > 0 ? r.cpuRequestMillis() : r.cpuLimitMillis();
    cpu.put("shares", requestMillis > 0 ? Math.max(2, requestMillis * 1024 / 1000) : 1024);
    if (r.pidsLimit() > 0) {
      res.putObject("pids").put("limit", r.pidsLimit());
    }
    if (startGate != null) {
      ObjectNode hook = spec.putObject("hooks").putArray("createRuntime").addObject();
      hook.put("path", startGate.get(0));
      hook.put("timeout", 300); // a backstop: the agent opens or fails the gate within its CNI timeout
      ArrayNode hookArgs = hook.putArray("args");
      startGate.forEach(hookArgs::add);
    }
    ArrayNode masked = linux.putArray("maskedPaths");
    MASKED.forEach(masked::add);
    ArrayNode ro = linux.putArray("readonlyPaths");
    READONLY.forEach(ro::add);
    return spec;
  }

  private static void mount(ArrayNode mounts, String dest, String type, String source, String... options) {
    ObjectNode m = mounts.addObject();
    m.put("destination", dest);
    m.put("type", type);
    m.put("source", source);
    ArrayNode o = m.putArray("options");
    for (String opt : options) {
      o.add(opt);
    }
  }
}
