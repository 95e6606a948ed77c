package io.keelson.agent.driver.runc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keelson.agent.driver.AttachSession;
import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.ExecSession;
import io.keelson.agent.driver.ExitResult;
import io.keelson.agent.driver.SandboxConfig;
import io.keelson.agent.driver.SandboxHandle;
import io.keelson.agent.driver.TaskConfig;
import io.keelson.agent.driver.TaskConfig.TaskResources;
import io.keelson.agent.driver.TaskConfig.TaskUser;
import io.keelson.agent.driver.TaskHandle;
import io.keelson.agent.driver.TaskStatus;
import io.keelson.agent.image.ImageStore;
import io.keelson.agent.image.PullPolicy;
import io.keelson.agent.image.TestImages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real containers through runc (needs root, runc, perl and the busybox image). */
class RuncDriverIT {

  static final long MI = 1024 * 1024;
  @TempDir static Path images;
  static ImageStore store;
  static TaskConfig.TaskImage busybox;

  @TempDir Path dir;
  RuncDriver driver;
  String sandboxId;

  @BeforeAll
  static void image() throws Exception {
    String why = !"root".equals(System.getProperty("user.name")) ? "runc tests need root"
        : !Files.isExecutable(Path.of("/usr/sbin/runc")) ? "no /usr/sbin/runc (apt-get install runc)"
        : TestImages.missing();
    if (why != null) {
      System.out.println("SKIP RuncDriverIT: " + why);
    }
    assumeTrue(why == null, why);
    TestImages.preloadBusybox(images);
    store = ImageStore.open(images);
    busybox = store.taskImage(store.ensure("keelson.local/busybox:latest", PullPolicy.IF_NOT_PRESENT));
  }

  @BeforeEach
  void start() throws Exception {
    driver = new RuncDriver(dir.resolve("runc"));
    sandboxId = "it-" + UUID.randomUUID().toString().substring(0, 8);
    driver.startSandbox(sandbox(sandboxId, "web-0"));
  }

  @AfterEach
  void stop() throws Exception {
    if (driver != null) {
      driver.destroySandbox(sandboxId, Duration.ZERO);
      driver.close();
    }
  }

  SandboxConfig sandbox(String id, String name) {
    return new SandboxConfig(id, "uid-" + id, "default", name, name, null, 0, 0, Map.of(), Map.of(), Map.of(),
        dir.resolve("logs"), dir.resolve("sandboxes").resolve(id));
  }

  TaskConfig task(String name, TaskResources res, String... command) {
    return task(name, res, TaskUser.ROOT, false, command);
  }

  TaskConfig task(String name, TaskResources res, TaskUser user, boolean readOnly, String... command) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", "/bin:/usr/bin");
    env.put("GREETING", "hi there");
    String taskId = sandboxId + "-" + name;
    return new TaskConfig(taskId, sandboxId, name, busybox, List.of(command), env, "/", user, List.of(), readOnly, res,
        false, false, dir.resolve("logs").resolve(name + ".log"));
  }

  static String log(TaskConfig t) throws IOException {
    return Files.exists(t.logPath()) ? Files.readString(t.logPath()) : "";
  }

  static Exec exec(RuncDriver d, String taskId, boolean tty, String stdin, String... cmd) throws Exception {
    try (ExecSession s = d.execTask(taskId, List.of(cmd), tty)) {
      CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(s.stdout()));
      CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(s.stderr()));
      if (stdin != null) {
        s.stdin().write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      if (!tty) {
        s.stdin().close();
      }
      int code = s.exit().get(30, TimeUnit.SECONDS);
      return new Exec(code, new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8), new String(err.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    }
  }

  record Exec(int code, String out, String err) {}

  static byte[] readAll(java.io.InputStream in) {
    try {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      in.transferTo(b);
      return b.toByteArray();
    } catch (IOException e) {
      return new byte[0];
    }
  }

  @Test
  void runsAContainerWithLimitsLogsAndExec() throws Exception {
    TaskConfig t = task("main", new TaskResources(500, 250, 64 * MI, 100),
        "sh", "-c", "echo hello from $(hostname); echo oops >&2; echo \"$GREETING\"; trap 'echo got TERM; exit 0' TERM; while true; do sleep 0.2; done");
    TaskHandle h = driver.startTask(t);
    assertThat(driver.fingerprint().attributes()).containsEntry("keelson.io/runtime.runc", "true");
    assertThat(driver.inspectTask(h.id()).state()).isEqualTo(TaskStatus.State.RUNNING);

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(log(t))
        .containsPattern("(?m)^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z stdout F hello from web-0$")
        .containsPattern("(?m)^\\S+ stderr F oops$")
        .containsPattern("(?m)^\\S+ stdout F hi there$"));

    String cg = driver.cgroupsPath(h.id()).orElseThrow();
    Cgroups cgroups = driver.cgroups();
    assertThat(cgroups.memoryLimit(cg)).contains(64 * MI);
    assertThat(cgroups.cpuQuota(cg)).hasValueSatisfying(q -> assertThat(q).containsExactly(50_000, 100_000));
    assertThat(cgroups.pidsLimit(cg)).contains(100L);
    assertThat(driver.taskStats(h.id()).memoryWorkingSetBytes()).isPositive();

    assertThat(exec(driver, h.id(), false, null, "hostname").out()).isEqualTo("web-0\n");
    assertThat(exec(driver, h.id(), false, null, "sh", "-c", "echo to-err >&2; exit 3")).satisfies(r -> {
      assertThat(r.code()).isEqualTo(3);
      assertThat(r.err()).isEqualTo("to-err\n");
    });
    assertThat(exec(driver, h.id(), false, "piped\n", "cat").out()).isEqualTo("piped\n");
    assertThat(Integer.parseInt(exec(driver, h.id(), false, null, "sh", "-c", "ls /proc | grep -c '^[0-9]'").out().trim()))
        .as("own pid namespace").isLessThan(10);
    Exec tty = exec(driver, h.id(), true, null, "sh", "-c", "tty; exit 5");
    assertThat(tty.code()).isEqualTo(5);
    assertThat(tty.out()).contains("/dev/pts/");

    long t0 = System.nanoTime();
    driver.stopTask(h.id(), Duration.ofSeconds(20));
    ExitResult exit = driver.awaitTask(h.id()).get(5, TimeUnit.SECONDS);
    assertThat(exit.exitCode()).as("graceful: the trap ran").isZero();
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    assertThat(log(t)).contains("stdout F got TERM");
    driver.destroyTask(h.id(), true);
    driver.destroyTask(h.id(), true);
    assertThat(dir.resolve("runc/tasks").resolve(h.id())).doesNotExist();
    assertThat(driver.inspectTask(h.id()).state()).isEqualTo(TaskStatus.State.UNKNOWN);
  }

  @Test
  void memoryHogIsOomKilled() throws Exception {
    TaskHandle h = driver.startTask(task("hog", new TaskResources(0, 0, 32 * MI, 0),
        "sh", "-c", "x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done"));
    ExitResult exit = driver.awaitTask(h.id()).get(60, TimeUnit.SECONDS);
    assertThat(exit.reason()).isEqualTo(ExitResult.OOM_KILLED);
    assertThat(exit.exitCode()).isEqualTo(137);
  }

  @Test
  void exitCodesAndStartFailures() throws Exception {
    TaskConfig t = task("quick", TaskResources.NONE, "sh", "-c", "echo bye; exit 7");
    TaskHandle h = driver.startTask(t);
    ExitResult exit = driver.awaitTask(h.id()).get(20, TimeUnit.SECONDS);
    assertThat(exit.exitCode()).isEqualTo(7);
    assertThat(exit.reason()).isEqualTo(ExitResult.ERROR);
    assertThat(log(t)).contains("stdout F bye");
    assertThat(driver.inspectTask(h.id()).exit()).isEqualTo(exit);

    assertThatThrownBy(() -> driver.startTask(task("bad", TaskResources.NONE, "/no/such/binary")))
        .isInstanceOf(DriverException.class)
        .hasMessageContaining("/no/such/binary")
        .hasMessageContaining("no such file");
  }

  @Test
  void userAndReadOnlyRootfs() throws Exception {
    TaskConfig t = task("ro", TaskResources.NONE, new TaskUser(1000, 1000, List.of(2000L)), true,
        "sh", "-c", "id; touch /x || echo cannot-write; touch /tmp/y || echo tmp-ro");
    driver.startTask(t);
    driver.awaitTask(t.taskId()).get(20, TimeUnit.SECONDS);
    assertThat(log(t)).contains("uid=1000(user) gid=1000(user) groups=2000").contains("cannot-write");
  }

  @Test
  void aHostNetworkSandboxSharesTheHostsHostname() throws Exception {
    // hostNetwork: no network and no hostname of its own, as the agent starts such a pod
    String id = "it-host-" + UUID.randomUUID().toString().substring(0, 8);
    driver.startSandbox(new SandboxConfig(id, "uid-" + id, "default", "hostnet", null, null, 0, 0, Map.of(), Map.of(), Map.of(),
        dir.resolve("logs"), dir.resolve("sandboxes").resolve(id)));
    try {
      TaskConfig t = new TaskConfig(id + "-c", id, "c", busybox, List.of("sleep", "3600"), Map.of("PATH", "/bin"), "/",
          TaskUser.ROOT, List.of(), false, TaskResources.NONE, false, false, dir.resolve("logs").resolve("hostnet.log"));
      TaskHandle h = driver.startTask(t);
      assertThat(exec(driver, h.id(), false, null, "readlink", "/proc/self/ns/uts").out())
          .isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/uts")) + "\n");
      assertThat(exec(driver, h.id(), false, null, "hostname").out())
          .isEqualTo(Files.readString(Path.of("/proc/sys/kernel/hostname")));
    } finally {
      driver.destroySandbox(id, Duration.ZERO);
    }
  }

  @Test
  void containersOfAPodShareIpcButNotPid() throws Exception {
    TaskHandle a = driver.startTask(task("a", TaskResources.NONE, "sleep", "3600"));
    TaskHandle b = driver.startTask(task("b", TaskResources.NONE, "sleep", "3600"));
    String ipcA = exec(driver, a.id(), false, null, "readlink", "/proc/self/ns/ipc").out();
    String ipcB = exec(driver, b.id(), false, null, "readlink", "/proc/self/ns/ipc").out();
    assertThat(ipcA).startsWith("ipc:[").isEqualTo(ipcB).isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/ipc")).toString() + "\n");
    assertThat(exec(driver, a.id(), false, null, "readlink", "/proc/self/ns/pid").out())
        .isNotEqualTo(exec(driver, b.id(), false, null, "readlink", "/proc/self/ns/pid").out());
    // /dev/shm is the pod's: a file written by one container is seen by the other
    exec(driver, a.id(), false, null, "sh", "-c", "echo shared > /dev/shm/f");
    assertThat(exec(driver, b.id(), false, null, "cat", "/dev/shm/f").out()).isEqualTo("shared\n");
  }

  @Test
  void aNewDriverRecoversRunningContainers() throws Exception {
    SandboxHandle sb = driver.startSandbox(sandbox(sandboxId, "web-0")); // idempotent: same handle
    TaskConfig t = task("long", TaskResources.NONE, "sh", "-c", "echo started; exec sleep 3600");
    TaskHandle h = driver.startTask(t);
    long pid = driver.inspectTask(h.id()).pid();
    TaskConfig quick = task("done", TaskResources.NONE, "sh", "-c", "exit 4");
    TaskHandle q = driver.startTask(quick);
    driver.close(); // the agent goes away; containers are not its children

    await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(dir.resolve("runc/tasks").resolve(q.id()).resolve("exit.json")));
    RuncDriver second = new RuncDriver(dir.resolve("runc"));
    driver = second;
    second.recoverSandbox(sb);
    second.recoverTask(h);
    second.recoverTask(h); // no-op
    second.recoverTask(q);
    TaskStatus st = second.inspectTask(h.id());
    assertThat(st.state()).isEqualTo(TaskStatus.State.RUNNING);
    assertThat(st.pid()).isEqualTo(pid);
    assertThat(ProcessHandle.of(pid)).isPresent();
    assertThat(second.awaitTask(q.id()).get(5, TimeUnit.SECONDS).exitCode()).isEqualTo(4);
    assertThat(exec(second, h.id(), false, null, "echo", "still here").out()).isEqualTo("still here\n");

    second.stopTask(h.id(), Duration.ofSeconds(1));
    // sleep as PID 1 of its pid namespace has no TERM handler, so the kernel ignores TERM: killed after the grace
    assertThat(second.awaitTask(h.id()).get(5, TimeUnit.SECONDS).exitCode()).isEqualTo(137);
    assertThat(log(t)).containsOnlyOnce("started");
  }

  @Test
  void purgeScriptRemovesWhatAKilledAgentLeftBehind() throws Exception {
    TaskHandle h = driver.startTask(task("left", TaskResources.NONE, "sleep", "3600"));
    long pid = driver.inspectTask(h.id()).pid();
    driver.close();
    driver = null; // the agent is gone for good
    String out = TestImages.run(TestImages.repoRoot().resolve("deploy/runc/purge-node.sh").toString(), "--state-dir", dir.toString(), "--node", "it-purge");
    assertThat(out).contains("removed 1 container(s)");
    await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).isEmpty());
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(dir.toString());
  }

  @Test
  void execSessionsResizeAndCloseCleanly() throws Exception {
    TaskHandle h = driver.startTask(task("shell", TaskResources.NONE, "sleep", "3600"));
    try (ExecSession s = driver.execTask(h.id(), List.of("sh", "-c", "sleep 1; stty size"), true)) {
      CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(s.stdout()));
      s.resize(100, 40);
      assertThat(s.exit().get(20, TimeUnit.SECONDS)).isZero();
      assertThat(new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8)).contains("40 100");
    }
    // an abandoned session (client went away) must not leave its process in the container
    ExecSession abandoned = driver.execTask(h.id(), List.of("sleep", "1000"), false);
    await().atMost(Duration.ofSeconds(10)).until(() -> exec(driver, h.id(), false, null, "ps").out().contains("sleep 1000"));
    abandoned.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> !exec(driver, h.id(), false, null, "ps").out().contains("sleep 1000"));
  }

  @Test
  void recoveryReattachesPodNamespacesLostWithTheMountNamespace() throws Exception {
    SandboxHandle sb = driver.startSandbox(sandbox(sandboxId, "web-0"));
    TaskHandle a = driver.startTask(task("a", TaskResources.NONE, "sleep", "3600"));
    exec(driver, a.id(), false, null, "sh", "-c", "echo kept > /dev/shm/f");
    String ipc = exec(driver, a.id(), false, null, "readlink", "/proc/self/ns/ipc").out();
    driver.close();
    // what a restart into a fresh mount namespace (ip netns exec) looks like: the bind mounts are gone
    Path sbDir = dir.resolve("sandboxes").resolve(sandboxId);
    TestImages.run("umount", sbDir.resolve("ipc").toString());

    driver = new RuncDriver(dir.resolve("runc"));
    driver.recoverSandbox(sb);
    driver.recoverTask(a);
    TaskHandle b = driver.startTask(task("b", TaskResources.NONE, "sleep", "3600"));
    assertThat(exec(driver, b.id(), false, null, "readlink", "/proc/self/ns/ipc").out()).isEqualTo(ipc);
    assertThat(exec(driver, b.id(), false, null, "cat", "/dev/shm/f").out()).isEqualTo("kept\n");
  }

  // ---- attach (kubectl attach / run -i): stdin and tty of the main process, held by the monitor

  /**
   * A container with stdin/tty. Only the C monitor can hold them: with monitor.pl (no gcc, or
   * KEELSON_RUNC_MONITOR=perl) the start must fail with the reason, and the attach test ends there.
   */
  TaskConfig interactive(String name, boolean tty, boolean stdin, boolean stdinOnce, String... command) throws Exception {
    TaskConfig t = task(name, TaskResources.NONE, command);
    TaskConfig c = new TaskConfig(t.taskId(), t.sandboxId(), name, busybox, t.command(), t.env(), "/", TaskUser.ROOT, List.of(),
        false, TaskResources.NONE, tty, stdin, stdinOnce, t.logPath());
    if (!driver.usesCompiledMonitor()) {
      assertThatThrownBy(() -> driver.startTask(c)).isInstanceOf(DriverException.class)
          .hasMessageContaining("needs the C container monitor");
      assumeTrue(false, "attach needs the C container monitor (monitor.pl refuses stdin/tty containers, checked)");
    }
    return c;
  }

  /** An attach session whose output is collected in the background; {@code ended} completes when the process's output ends. */
  record Attached(AttachSession session, StringBuffer out, StringBuffer err, CompletableFuture<Void> ended) {
    static Attached to(RuncDriver d, String taskId, boolean stdin) throws DriverException {
      AttachSession s = d.attachTask(taskId, stdin);
      StringBuffer out = new StringBuffer();
      StringBuffer err = new StringBuffer();
      CompletableFuture<Void> ended = CompletableFuture.runAsync(() -> {
        try {
          AttachSession.Output o;
          while ((o = s.read()) != null) {
            (o.stderr() ? err : out).append(new String(o.data(), StandardCharsets.UTF_8));
          }
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      return new Attached(s, out, err, ended);
    }

    void send(String text) throws IOException {
      session.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void attachForwardsStdinAndKeepsItOpenBetweenSessions() throws Exception {
    TaskConfig t = interactive("cat", false, true, false, "sh", "-c", "while read l; do echo \"got $l\"; echo \"err $l\" >&2; done; echo eof");
    TaskHandle h = driver.startTask(t);
    Attached a = Attached.to(driver, h.id(), true);
    a.send("one\n");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(a.out().toString()).isEqualTo("got one\n");
      assertThat(a.err().toString()).isEqualTo("err one\n");
    });
    a.session().closeStdin(); // ends this session; without stdinOnce the container's stdin stays open
    a.ended().get(10, TimeUnit.SECONDS);
    // a restarted agent finds the monitor's socket again (stdin is held by the monitor, not the agent)
    SandboxHandle sb = driver.startSandbox(sandbox(sandboxId, "web-0"));
    driver.close();
    driver = new RuncDriver(dir.resolve("runc"));
    driver.recoverSandbox(sb);
    driver.recoverTask(h);
    Attached b = Attached.to(driver, h.id(), true);
    b.send("two\n");
    await().atMost(Duration.ofSeconds(10)).until(() -> b.out().toString().equals("got two\n"));
    assertThat(driver.inspectTask(h.id()).state()).isEqualTo(TaskStatus.State.RUNNING);
    b.session().close();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(log(t))
        .containsPattern("(?m)^\\S+ stdout F got one$").containsPattern("(?m)^\\S+ stderr F err one$")
        .containsPattern("(?m)^\\S+ stdout F got two$"));

    TaskHandle plain = driver.startTask(task("plain", TaskResources.NONE, "sleep", "3600"));
    assertThatThrownBy(() -> driver.attachTask(plain.id(), true)).isInstanceOf(DriverException.class)
        .hasMessageContaining("created without stdin and tty");
  }

  @Test
  void theFirstAttachOfAStdinOnceContainerGetsTheOutputWrittenBeforeIt() throws Exception {
    // kubectl run -i attaches only after the pod shows Running: what a quick command printed before
    // then reaches it (kube loses it: kubernetes#27264); a second session starts from its connection
    TaskConfig t = interactive("early", false, true, true, "sh", "-c", "echo early; echo oops >&2; sleep 1; echo late; sleep 2");
    TaskHandle h = driver.startTask(t);
    await().atMost(Duration.ofSeconds(10)).until(() -> log(t).contains("oops"));
    Attached a = Attached.to(driver, h.id(), false);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(a.out().toString()).isEqualTo("early\nlate\n");
      assertThat(a.err().toString()).isEqualTo("oops\n");
    });
    Attached b = Attached.to(driver, h.id(), false);
    b.ended().get(10, TimeUnit.SECONDS);
    assertThat(b.out().toString()).isEmpty();
  }

  @Test
  void attachingToAnInteractiveContainerThatJustExitedSaysItIsNotRunning() throws Exception {
    // kubectl run -i --rm of a quick command attaches after the process may have ended: the refusal
    // must say so, not that the container has no stdin (it was created with one)
    TaskConfig t = interactive("quick", false, true, true, "sh", "-c", "sleep 0.5");
    TaskHandle h = driver.startTask(t);
    Path socket = RuncAttachSession.socketPath(dir.resolve("runc").resolve("tasks").resolve(h.id()));
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(socket));
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> !Files.exists(socket));
    assertThatThrownBy(() -> driver.attachTask(h.id(), true)).isInstanceOf(DriverException.class)
        .hasMessageContaining("is not running");
  }

  @Test
  void stdinOnceClosesStdinWhenTheFirstSessionEnds() throws Exception {
    TaskConfig t = interactive("once", false, true, true, "sh", "-c", "cat; echo stdin closed; sleep 0.2");
    TaskHandle h = driver.startTask(t);
    Attached a = Attached.to(driver, h.id(), false);
    // a stdin session sending its bytes and EOF in one write (as the agent may pass on kubectl run -i
    // with a short pipe): the bytes still reach the process before its stdin closes
    Path socket = RuncAttachSession.socketPath(dir.resolve("runc").resolve("tasks").resolve(h.id()));
    try (java.nio.channels.SocketChannel raw = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket))) {
      raw.write(java.nio.ByteBuffer.wrap(new byte[] {3, 0, 0, 0, 0, 0, 0, 0, 0, 3, 'h', 'i', '\n', 1, 0, 0, 0, 0}));
      await().atMost(Duration.ofSeconds(10)).until(() -> a.out().toString().contains("stdin closed"));
    }
    // the process sees EOF and exits; the session ends after its last output
    a.ended().get(10, TimeUnit.SECONDS);
    assertThat(a.out().toString()).isEqualTo("hi\nstdin closed\n");
    assertThat(driver.awaitTask(h.id()).get(10, TimeUnit.SECONDS).exitCode()).isZero();
    assertThatThrownBy(() -> driver.attachTask(h.id(), true)).hasMessageContaining("is not running");
  }

  @Test
  void ttyRunsOnAPtyWithResizeAndLogsItsOutput() throws Exception {
    TaskConfig t = interactive("tty", true, true, true, "sh");
    TaskHandle h = driver.startTask(t);
    Attached a = Attached.to(driver, h.id(), true);
    a.session().resize(100, 30);
    a.send("stty size; tty; echo term=$TERM\n");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(a.out().toString())
        .contains("30 100\r\n").containsPattern("/dev/pts/\\d+\r\n").contains("term=xterm\r\n"));
    assertThat(a.err().toString()).isEmpty();
    a.send("exit 3\n");
    a.ended().get(10, TimeUnit.SECONDS);
    assertThat(driver.awaitTask(h.id()).get(10, TimeUnit.SECONDS).exitCode()).isEqualTo(3);
    assertThat(log(t)).containsPattern("(?m)^\\S+ stdout F term=xterm\r?$"); // the pty's CR stays, as in kubelet's logs
  }
}
