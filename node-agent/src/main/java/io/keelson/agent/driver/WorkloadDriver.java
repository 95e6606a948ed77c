package io.keelson.agent.driver;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The one interface every runtime implements (runc containers, qemu VMs, the fake driver of hollow
 * nodes). The agent never branches on which runtime it drives: it picks a driver by the pod's
 * RuntimeClass and talks to it only through this interface.
 *
 * <p>Two levels, as in CRI: a <b>sandbox</b> is the pod-level isolation unit (for runc a network
 * namespace shared by the pod's containers; for qemu the VM itself), and a <b>task</b> is one
 * container's process inside a sandbox. Workloads are not children of the agent: after an agent
 * restart, {@link #recoverSandbox} and {@link #recoverTask} re-attach from the persisted driver
 * state without restarting anything.
 *
 * <p>Every stop/destroy call is idempotent: calling it for something already stopped or gone is
 * not an error.
 */
public interface WorkloadDriver extends AutoCloseable {

  /** "runc", "qemu" or "fake". */
  String name();

  /** Static facts: can it exec, what isolation it gives. */
  DriverCapabilities capabilities();

  /** Dynamic health and attributes; the attributes become node labels (keelson.io/runtime.vm=true, ...). */
  Fingerprint fingerprint();

  /**
   * Whether this driver may be handed a pod network that is still being set up, so that CNI ADD
   * runs while the sandbox and the first containers are created: {@link SandboxConfig#network()}
   * then has the network namespace (it exists, containers can join it) but no address yet, and
   * {@link SandboxConfig#networkReady()} completes when the address is there. Such a driver must
   * not let a container's process run before that, and must fail the container's start when it
   * fails. Drivers that need the address to start anything (a VM's NIC) keep the default and get a
   * finished network.
   */
  default boolean startsBeforeNetworkReady() {
    return false;
  }

  /** Create the pod's sandbox (network namespace, VM, ...). The handle's state is persisted by the agent. */
  SandboxHandle startSandbox(SandboxConfig config) throws DriverException;

  /** Re-attach to a sandbox after an agent restart; a no-op when already tracked. Throws if it is gone. */
  void recoverSandbox(SandboxHandle handle) throws DriverException;

  /** Tear the sandbox down (stopping any task still in it after {@code grace}); idempotent. */
  void destroySandbox(String sandboxId, Duration grace) throws DriverException;

  /** Start one container's process in a sandbox; returns once the process runs. */
  TaskHandle startTask(TaskConfig config) throws DriverException;

  /** Re-attach to a task after an agent restart; a no-op when already tracked. Throws if it is gone. */
  void recoverTask(TaskHandle handle) throws DriverException;

  /** Completes when the task exits (immediately if it already has). */
  CompletableFuture<ExitResult> awaitTask(String taskId);

  /** SIGTERM (or the guest's equivalent), then kill after {@code grace}; idempotent. */
  void stopTask(String taskId, Duration grace) throws DriverException;

  /** Free everything the task holds (its rootfs, cgroup, state); idempotent. */
  void destroyTask(String taskId, boolean force) throws DriverException;

  /** Current state of the task. */
  TaskStatus inspectTask(String taskId) throws DriverException;

  /** Resource usage of the task (cpu, memory). */
  TaskStats taskStats(String taskId) throws DriverException;

  /** Run a command inside a running task; streams are wired by the session. */
  default ExecSession execTask(String taskId, List<String> command, boolean tty) throws DriverException {
    throw new DriverException("exec is not supported by the " + name() + " driver");
  }

  /**
   * Attach to a running task's main process (CRI Attach): its output from now on and, when the task
   * was started with {@link TaskConfig#stdin()} and {@code stdin} is asked, its stdin. Fails when
   * the task is not running or was started without stdin and tty.
   */
  default AttachSession attachTask(String taskId, boolean stdin) throws DriverException {
    throw new DriverException("AttachNotSupported", "attach is not supported by the " + name() + " runtime", null);
  }

  @Override
  default void close() {}
}
