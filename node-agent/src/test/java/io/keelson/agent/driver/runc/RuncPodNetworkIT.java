package io.keelson.agent.driver.runc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.PodNetwork;
import io.keelson.agent.driver.SandboxConfig;
import io.keelson.agent.driver.TaskConfig;
import io.keelson.agent.driver.TaskConfig.TaskMount;
import io.keelson.agent.driver.TaskConfig.TaskResources;
import io.keelson.agent.driver.TaskConfig.TaskUser;
import io.keelson.agent.driver.TaskHandle;
import io.keelson.agent.image.ImageStore;
import io.keelson.agent.image.PullPolicy;
import io.keelson.agent.image.StoreImageProvider;
import io.keelson.agent.image.TestImages;
import io.keelson.agent.network.CniNetwork;
import io.keelson.agent.network.CniNetworkProvider;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image store + CNI network + runc driver together, the way the agent wires them for a pod. */
class RuncPodNetworkIT {

  static final String CIDR = "10.252." + (ProcessHandle.current().pid() % 200 + 20) + ".0/24";
  @TempDir Path dir;
  RuncDriver driver;
  CniNetwork net;
  final List<String> sandboxes = new java.util.ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    for (String s : sandboxes) {
      driver.destroySandbox(s, Duration.ZERO);
      net.tearDown(s);
    }
    if (driver != null) {
      driver.close();
    }
    if (net != null) {
      new ProcessBuilder("ip", "link", "delete", net.bridgeName()).start().waitFor();
    }
  }

  static void requireHost() {
    String why = !"root".equals(System.getProperty("user.name")) ? "needs root"
        : CniNetwork.missing(CniNetwork.DEFAULT_CNI_BIN) != null ? CniNetwork.missing(CniNetwork.DEFAULT_CNI_BIN)
        : TestImages.missing();
    if (why != null) {
      System.out.println("SKIP RuncPodNetworkIT: " + why);
    }
    assumeTrue(why == null, why);
  }

  @Test
  void aContainerCreatedWhileCniRunsStartsWithTheNetworkAndFailsWithIt() throws Exception {
    requireHost();
    Path images = dir.resolve("images");
    TestImages.preloadBusybox(images);
    var busybox = new StoreImageProvider(ImageStore.open(images)).resolve("keelson.local/busybox:latest", false).image();
    net = new CniNetwork("it-early-" + ProcessHandle.current().pid(), dir.resolve("net"));
    CniNetworkProvider provider = new CniNetworkProvider(net);
    driver = new RuncDriver(dir.resolve("runc"));
    assertThat(driver.startsBeforeNetworkReady()).isTrue();

    String pod = "keelson-" + UUID.randomUUID();
    PodNetwork pending = provider.createNamespace(pod, "u1", CIDR);
    sandboxes.add(pod);
    CompletableFuture<PodNetwork> ready = new CompletableFuture<>();
    driver.startSandbox(new SandboxConfig(pod, "u1", "default", "early", "early", pending, 0, 0, Map.of(), Map.of(), Map.of(),
        dir.resolve("logs"), dir.resolve("sb-early"), ready));
    TaskConfig c = new TaskConfig(pod + "-c", pod, "c", busybox, List.of("sh", "-c", "ip -4 addr show eth0 | grep -o 'inet [0-9.]*'; sleep 30"),
        Map.of("PATH", "/bin"), "/", TaskUser.ROOT, List.of(), false, TaskResources.NONE, false, false, dir.resolve("logs/early.log"));
    CompletableFuture<TaskHandle> started = CompletableFuture.supplyAsync(() -> {
      try {
        return driver.startTask(c);
      } catch (DriverException e) {
        throw new CompletionException(e);
      }
    });
    Thread.sleep(1500); // runc creates the container meanwhile; its process must not run yet
    assertThat(started).isNotDone();
    assertThat(dir.resolve("logs/early.log")).satisfiesAnyOf(l -> assertThat(l).doesNotExist(), l -> assertThat(l).isEmptyFile());
    PodNetwork up = provider.setUp(pod, "u1", "default", "early", CIDR);
    ready.complete(up);
    started.get(30, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(Files.readString(c.logPath())).as("the process saw its IP").contains("stdout F inet " + up.ip()));

    // the network fails while the second pod's container is being created: the start fails with why, nothing is left
    String doomed = "keelson-" + UUID.randomUUID();
    PodNetwork doomedNet = provider.createNamespace(doomed, "u2", CIDR);
    sandboxes.add(doomed);
    CompletableFuture<PodNetwork> never = new CompletableFuture<>();
    driver.startSandbox(new SandboxConfig(doomed, "u2", "default", "doomed", "doomed", doomedNet, 0, 0, Map.of(), Map.of(), Map.of(),
        dir.resolve("logs"), dir.resolve("sb-doomed"), never));
    TaskConfig d = new TaskConfig(doomed + "-c", doomed, "c", busybox, List.of("sleep", "30"), Map.of("PATH", "/bin"), "/",
        TaskUser.ROOT, List.of(), false, TaskResources.NONE, false, false, dir.resolve("logs/doomed.log"));
    CompletableFuture<TaskHandle> failing = CompletableFuture.supplyAsync(() -> {
      try {
        return driver.startTask(d);
      } catch (DriverException e) {
        throw new CompletionException(e);
      }
    });
    Thread.sleep(500);
    never.completeExceptionally(new DriverException("FailedCreatePodSandBox", "bridge ADD: no IP addresses available in range set", null));
    assertThatThrownBy(() -> failing.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(DriverException.class)
        .hasMessageContaining("the pod network could not be set up").hasMessageContaining("no IP addresses available");
    assertThat(new String(new ProcessBuilder("runc", "--root", dir.resolve("runc/runc").toString(), "list", "-q").start()
        .getInputStream().readAllBytes())).doesNotContain(doomed);
    assertThat(dir.resolve("runc/tasks").resolve(d.taskId())).doesNotExist();
  }

  @Test
  void podsServeEachOtherAndTheNode() throws Exception {
    requireHost();
    Path images = dir.resolve("images");
    TestImages.preloadBusybox(images);
    StoreImageProvider images1 = new StoreImageProvider(ImageStore.open(images));
    var resolved = images1.resolve("keelson.local/busybox:latest", false);
    assertThat(resolved.cmd()).containsExactly("sh");
    net = new CniNetwork("it-pods-" + ProcessHandle.current().pid(), dir.resolve("net"));
    CniNetworkProvider provider = new CniNetworkProvider(net);
    driver = new RuncDriver(dir.resolve("runc"));

    Path www = Files.createDirectories(dir.resolve("www"));
    Files.writeString(www.resolve("index.html"), "served from a volume\n");
    String web = "keelson-" + UUID.randomUUID();
    PodNetwork webNet = provider.setUp(web, "u1", "default", "web", CIDR);
    sandboxes.add(web);
    driver.startSandbox(new SandboxConfig(web, "u1", "default", "web", "web", webNet, 0, 0, Map.of(), Map.of(), Map.of(),
        dir.resolve("logs"), dir.resolve("sb-web")));
    TaskHandle httpd = driver.startTask(new TaskConfig(web + "-httpd", web, "httpd", resolved.image(),
        List.of("httpd", "-f", "-p", "8080", "-h", "/www"), Map.of("PATH", "/bin"), "/", TaskUser.ROOT,
        List.of(new TaskMount(www, "/www", true)), false, TaskResources.NONE, false, false, dir.resolve("logs/httpd.log")));

    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() -> assertThat(
        http.send(HttpRequest.newBuilder(URI.create("http://" + webNet.ip() + ":8080/")).build(), HttpResponse.BodyHandlers.ofString()).body())
        .isEqualTo("served from a volume\n"));

    String client = "keelson-" + UUID.randomUUID();
    PodNetwork clientNet = provider.setUp(client, "u2", "default", "client", CIDR);
    sandboxes.add(client);
    driver.startSandbox(new SandboxConfig(client, "u2", "default", "client", "client", clientNet, 0, 0, Map.of(), Map.of(), Map.of(),
        dir.resolve("logs"), dir.resolve("sb-client")));
    TaskConfig wget = new TaskConfig(client + "-wget", client, "wget", resolved.image(),
        List.of("sh", "-c", "ip -4 addr show eth0 | grep -o 'inet [0-9.]*'; wget -q -O - http://" + webNet.ip() + ":8080/"),
        Map.of("PATH", "/bin"), "/", TaskUser.ROOT, List.of(), false, TaskResources.NONE, false, false, dir.resolve("logs/wget.log"));
    driver.startTask(wget);
    assertThat(driver.awaitTask(wget.taskId()).get(30, java.util.concurrent.TimeUnit.SECONDS).exitCode()).isZero();
    assertThat(Files.readString(wget.logPath())).contains("stdout F inet " + clientNet.ip()).contains("stdout F served from a volume");
    driver.stopTask(httpd.id(), Duration.ofSeconds(1));
  }
}
