package io.keelson.agent.driver.fake;

import io.keelson.agent.driver.DriverCapabilities;
import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.ExecSession;
import io.keelson.agent.driver.ExitResult;
import io.keelson.agent.driver.Fingerprint;
import io.keelson.agent.driver.SandboxConfig;
import io.keelson.agent.driver.SandboxHandle;
import io.keelson.agent.driver.TaskConfig;
import io.keelson.agent.driver.TaskHandle;
import io.keelson.agent.driver.TaskStats;
import io.keelson.agent.driver.TaskStatus;
import io.keelson.agent.driver.WorkloadDriver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A driver that runs nothing: tasks "run" until stopped or told to exit. It backs hollow nodes
 * (thousands of cheap nodes for scheduler benchmarks) and the agent's hermetic tests, which script
 * it through {@link #behaviour(Function)}, {@link #exit(String, int)} and {@link #exec(Function)}.
 *
 * <p>Its state lives in memory, so a test that reuses one instance across two agent instances sees
 * workloads "survive" an agent restart exactly like real containers do.
 */
public final class FakeDriver implements WorkloadDriver {

  /** What a started task does. */
  public sealed interface Behaviour {
    /** Runs until stopped. */
    record RunForever() implements Behaviour {}

    /** Exits on its own after {@code after} with {@code exitCode}. */
    record ExitAfter(Duration after, int exitCode) implements Behaviour {}

    /** startTask fails with this message (reason StartError). */
    record FailToStart(String message) implements Behaviour {}
  }

  /** The result of an exec: exit code and stdout. */
  public record ExecResult(int exitCode, String stdout) {}

  private final Map<String, SandboxConfig> sandboxes = new ConcurrentHashMap<>();
  private final Map<String, FakeTask> tasks = new ConcurrentHashMap<>();
  private final boolean writeLogs;
  private final Clock clock;
  private volatile Function<TaskConfig, Behaviour> behaviour = c -> new Behaviour.RunForever();
  private volatile Function<List<String>, ExecResult> exec = FakeDriver::pretendExec;

  private static final class FakeTask {
    final TaskConfig config;
    final Instant startedAt;
    final CompletableFuture<ExitResult> exit = new CompletableFuture<>();

    FakeTask(TaskConfig config, Instant startedAt) {
      this.config = config;
      this.startedAt = startedAt;
    }
  }

  /**
   * @param writeLogs write one log line per task start (tests read it back through kubectl logs);
   *     hollow nodes pass false to stay cheap
   */
  public FakeDriver(boolean writeLogs) {
    this(writeLogs, Clock.systemUTC());
  }

  public FakeDriver(boolean writeLogs, Clock clock) {
    this.writeLogs = writeLogs;
    this.clock = clock;
  }

  public void behaviour(Function<TaskConfig, Behaviour> behaviour) {
    this.behaviour = behaviour;
  }

  /** Default exec: understands {@code echo ...} and {@code sh -c "exit N"}; anything else succeeds silently. */
  static ExecResult pretendExec(List<String> command) {
    if (!command.isEmpty() && command.get(0).equals("echo")) {
      return new ExecResult(0, String.join(" ", command.subList(1, command.size())) + "\n");
    }
    if (command.size() == 3 && command.get(1).equals("-c") && command.get(2).matches("exit \\d+")) {
      return new ExecResult(Integer.parseInt(command.get(2).substring(5)), "");
    }
    return new ExecResult(0, "");
  }

  public void exec(Function<List<String>, ExecResult> exec) {
    this.exec = exec;
  }

  /** Makes a running task exit (a crash, from the agent's point of view). */
  public void exit(String taskId, int exitCode) {
    FakeTask task = tasks.get(taskId);
    if (task != null) {
      task.exit.complete(ExitResult.of(exitCode, clock.instant()));
    }
  }

  /** Ids of tasks that have not exited. */
  public List<String> runningTasks() {
    return tasks.entrySet().stream().filter(e -> !e.getValue().exit.isDone()).map(Map.Entry::getKey).toList();
  }

  /** Ids of tasks that still exist (not destroyed), running or not. */
  public List<String> tasks() {
    return List.copyOf(tasks.keySet());
  }

  public List<String> sandboxes() {
    return List.copyOf(sandboxes.keySet());
  }

  /** The config a task was started with, by container name (the newest attempt), or null. */
  public TaskConfig taskConfig(String taskId) {
    FakeTask task = tasks.get(taskId);
    return task == null ? null : task.config;
  }

  @Override
  public String name() {
    return "fake";
  }

  @Override
  public DriverCapabilities capabilities() {
    return new DriverCapabilities(true, false, DriverCapabilities.ISOLATION_CONTAINER, true, "fake");
  }

  @Override
  public Fingerprint fingerprint() {
    return Fingerprint.healthy(Map.of("keelson.io/runtime.fake", "true"));
  }

  @Override
  public SandboxHandle startSandbox(SandboxConfig config) {
    sandboxes.put(config.sandboxId(), config);
    return new SandboxHandle(config.sandboxId(), name(), "{}");
  }

  @Override
  public void recoverSandbox(SandboxHandle handle) throws DriverException {
    if (!sandboxes.containsKey(handle.id())) {
      throw new DriverException("sandbox " + handle.id() + " is gone");
    }
  }

  @Override
  public void destroySandbox(String sandboxId, Duration grace) {
    tasks.values().stream()
        .filter(t -> t.config.sandboxId().equals(sandboxId))
        .forEach(t -> t.exit.complete(new ExitResult(137, ExitResult.ERROR, clock.instant(), null)));
    tasks.values().removeIf(t -> t.config.sandboxId().equals(sandboxId));
    sandboxes.remove(sandboxId);
  }

  @Override
  public TaskHandle startTask(TaskConfig config) throws DriverException {
    if (!sandboxes.containsKey(config.sandboxId())) {
      throw new DriverException("sandbox " + config.sandboxId() + " does not exist");
    }
    Behaviour b = behaviour.apply(config);
    if (b instanceof Behaviour.FailToStart f) {
      throw new DriverException("StartError", f.message(), null);
    }
    FakeTask task = new FakeTask(config, clock.instant());
    tasks.put(config.taskId(), task);
    if (writeLogs && config.logPath() != null) {
      writeLog(config, "started " + config.containerName() + " " + String.join(" ", config.command()));
    }
    if (b instanceof Behaviour.ExitAfter e) {
      CompletableFuture.delayedExecutor(e.after().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
          .execute(() -> task.exit.complete(ExitResult.of(e.exitCode(), clock.instant())));
    }
    return new TaskHandle(config.taskId(), config.sandboxId(), name(), task.startedAt, "{}");
  }

  private void writeLog(TaskConfig config, String line) {
    try {
      Files.createDirectories(config.logPath().getParent());
      Files.writeString(
          config.logPath(),
          clock.instant() + " stdout F " + line + "\n",
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      // a fake log is best effort
    }
  }

  @Override
  public void recoverTask(TaskHandle handle) throws DriverException {
    if (!tasks.containsKey(handle.id())) {
      throw new DriverException("task " + handle.id() + " is gone");
    }
  }

  @Override
  public CompletableFuture<ExitResult> awaitTask(String taskId) {
    FakeTask task = tasks.get(taskId);
    if (task == null) {
      return CompletableFuture.completedFuture(
          new ExitResult(255, "Unknown", clock.instant(), "task " + taskId + " is unknown"));
    }
    return task.exit.copy();
  }

  @Override
  public void stopTask(String taskId, Duration grace) {
    FakeTask task = tasks.get(taskId);
    if (task != null) {
      // SIGTERM: a fake process dies at once with 143 (128+15)
      task.exit.complete(new ExitResult(143, ExitResult.ERROR, clock.instant(), null));
    }
  }

  @Override
  public void destroyTask(String taskId, boolean force) {
    FakeTask task = tasks.remove(taskId);
    if (task != null) {
      task.exit.complete(new ExitResult(137, ExitResult.ERROR, clock.instant(), null));
    }
  }

  @Override
  public TaskStatus inspectTask(String taskId) {
    FakeTask task = tasks.get(taskId);
    if (task == null) {
      return new TaskStatus(TaskStatus.State.UNKNOWN, 0, null, null);
    }
    ExitResult exit = task.exit.getNow(null);
    return new TaskStatus(
        exit == null ? TaskStatus.State.RUNNING : TaskStatus.State.EXITED, 1, task.startedAt, exit);
  }

  @Override
  public TaskStats taskStats(String taskId) {
    FakeTask task = tasks.get(taskId);
    long secs = task == null ? 0 : Duration.between(task.startedAt, clock.instant()).toSeconds();
    return new TaskStats(clock.instant(), secs * 1_000_000L, 1 << 20);
  }

  @Override
  public ExecSession execTask(String taskId, List<String> command, boolean tty) throws DriverException {
    FakeTask task = tasks.get(taskId);
    if (task == null || task.exit.isDone()) {
      throw new DriverException("task " + taskId + " is not running");
    }
    ExecResult result = exec.apply(command);
    return new ExecSession() {
      @Override
      public OutputStream stdin() {
        return OutputStream.nullOutputStream();
      }

      @Override
      public InputStream stdout() {
        return new ByteArrayInputStream(result.stdout().getBytes(StandardCharsets.UTF_8));
      }

      @Override
      public InputStream stderr() {
        return InputStream.nullInputStream();
      }

      @Override
      public void resize(int width, int height) {}

      @Override
      public CompletableFuture<Integer> exit() {
        return CompletableFuture.completedFuture(result.exitCode());
      }

      @Override
      public void close() {}
    };
  }
}
