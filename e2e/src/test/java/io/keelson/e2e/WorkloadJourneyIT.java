package io.keelson.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A user's day with one node: `./keelson up`, a Deployment running as containers and another as
 * VMs, scale, roll out, undo, logs, exec, `keelctl compare`, delete, port-forward to a web server
 * in a container and in a VM, kubectl run -i/-it and kubectl attach, Services found by name
 * from pods — with kubectl and keelctl.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkloadJourneyIT {
  private KeelsonCluster cluster;

  static String deployment(String name, int replicas, String runtimeClass, String script) {
    return """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: %s, labels: {app: %s}}
        spec:
          replicas: %d
          selector: {matchLabels: {app: %s}}
          template:
            metadata: {labels: {app: %s}}
            spec:
              runtimeClassName: %s
              terminationGracePeriodSeconds: 2
              containers:
              - name: main
                image: keelson.local/busybox:latest
                command: ["sh", "-c", "%s"]
        """.formatted(name, name, replicas, name, name, runtimeClass, script);
  }

  @BeforeAll
  void up() throws Exception {
    String lacks = Host.lacksContainers();
    if (lacks != null) {
      System.out.println("SKIP WorkloadJourneyIT: " + lacks);
    }
    Assumptions.assumeTrue(lacks == null, lacks);
    cluster = KeelsonCluster.start(1, false);
  }

  @AfterAll
  void down() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private void awaitAvailable(String name, int replicas, Duration timeout) {
    try {
      await().atMost(timeout).pollInterval(Duration.ofSeconds(2)).until(() -> {
        String[] f = cluster.kubectl("get", "deploy", name, "-o",
            "jsonpath={.status.availableReplicas}/{.status.updatedReplicas}/{.status.replicas}").out().split("/", -1);
        return f.length == 3 && f[0].equals(Integer.toString(replicas)) && f[1].equals(f[0]) && f[2].equals(f[0]);
      });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("deployment " + name + " never had " + replicas + " available replicas\n"
          + cluster.diagnostics(), e);
    }
  }

  private List<String> runningPods(String app) {
    String out = cluster.kubectl("get", "pods", "-l", "app=" + app, "-o",
        "jsonpath={range .items[?(@.status.phase==\"Running\")]}{.metadata.name}{\"\\n\"}{end}").out();
    return Arrays.stream(out.split("\n")).filter(s -> !s.isBlank()).toList();
  }

  @Test
  @Order(1)
  void kubectlGetCsShowsEveryComponentHealthy() {
    // the scheduler and the controller-manager are healthy once a replica holds and renews its lease
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
        assertThat(cluster.kubectl("get", "cs").out())
            .containsPattern("(?m)^scheduler\\s+Healthy\\s+ok")
            .containsPattern("(?m)^controller-manager\\s+Healthy\\s+ok")
            .containsPattern("(?m)^etcd-0\\s+Healthy\\s+ok"));
  }

  @Test
  @Order(1)
  void containersDeploymentRunsAndAnswersLogsAndExec() {
    String yaml = deployment("web", 2, "runc", "echo web started; exec sleep 3600");
    KeelsonCluster.Result applied = cluster.keelctlWithInput(yaml, "apply", "-f", "-");
    assertThat(applied.out()).contains("deployment.apps/web created");
    awaitAvailable("web", 2, Duration.ofSeconds(180));
    assertThat(cluster.keelctlWithInput(yaml, "apply", "-f", "-").out()).contains("deployment.apps/web unchanged");

    String table = cluster.keelctlOk("get", "pods", "-l", "app=web");
    assertThat(table).startsWith("NAME").contains("Running");
    assertThat(table.lines().filter(l -> l.startsWith("web-"))).hasSize(2);

    await().atMost(Duration.ofSeconds(30)).until(() -> cluster.keelctl("logs", "deploy/web").out().contains("web started"));
    String pod = runningPods("web").get(0);
    KeelsonCluster.Result uname = cluster.keelctl("exec", pod, "--", "uname", "-r");
    assertThat(uname.exit()).as(uname.toString()).isZero();
    assertThat(uname.out()).isNotBlank();
    assertThat(cluster.keelctl("exec", pod, "--", "sh", "-c", "exit 3").exit()).isEqualTo(3);
    assertThat(cluster.kubectl("exec", pod, "--", "sh", "-c", "echo hello").out()).contains("hello");
  }

  @Test
  @Order(2)
  void scaleUpAndDown() {
    assertThat(cluster.keelctlOk("scale", "deploy/web", "--replicas=3")).contains("deployment.apps/web scaled");
    awaitAvailable("web", 3, Duration.ofSeconds(120));
    cluster.kubectlOk("scale", "deployment", "web", "--replicas=1");
    awaitAvailable("web", 1, Duration.ofSeconds(120));
    await().atMost(Duration.ofSeconds(60)).until(() -> runningPods("web").size() == 1);
  }

  @Test
  @Order(3)
  void rollOutANewVersionThenUndo() {
    cluster.kubectlOk("set", "env", "deployment/web", "VERSION=2");
    KeelsonCluster.Result status = cluster.keelctl("rollout", "status", "deploy/web", "--timeout=180s");
    assertThat(status.exit()).as(status.toString()).isZero();
    assertThat(status.out()).contains("successfully rolled out");
    assertThat(cluster.kubectlOk("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].env}"))
        .contains("VERSION");
    String history = cluster.keelctlOk("rollout", "history", "deploy/web");
    assertThat(history).contains("REVISION").containsPattern("(?m)^1 ").containsPattern("(?m)^2 ");

    assertThat(cluster.keelctlOk("rollout", "undo", "deploy/web")).contains("rolled back");
    assertThat(cluster.keelctl("rollout", "status", "deploy/web", "--timeout=180s").exit()).isZero();
    assertThat(cluster.kubectlOk("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].env}"))
        .doesNotContain("VERSION");
    awaitAvailable("web", 1, Duration.ofSeconds(120));
    // kubectl's own rollout status agrees
    cluster.kubectlOk("rollout", "status", "deployment/web", "--timeout=60s");
  }

  @Test
  @Order(4)
  void vmDeploymentRunsItsOwnKernel() {
    String lacks = Host.lacksVms();
    Assumptions.assumeTrue(lacks == null, lacks);
    String yaml = deployment("vmweb", 1, "vm", "echo guest kernel $(uname -r); exec sleep 3600");
    assertThat(cluster.keelctlWithInput(yaml, "apply", "-f", "-").out()).contains("deployment.apps/vmweb created");
    awaitAvailable("vmweb", 1, Duration.ofSeconds(300));
    String pod = runningPods("vmweb").get(0);
    assertThat(cluster.kubectlOk("get", "pod", pod, "-o", "jsonpath={.spec.runtimeClassName}")).isEqualTo("vm");
    await().atMost(Duration.ofSeconds(60)).until(() -> cluster.keelctl("logs", pod).out().contains("guest kernel"));
    String nodes = cluster.keelctlOk("nodes");
    assertThat(nodes).contains("RUNTIMES").contains("vm");
  }

  @Test
  @Order(5)
  void compareShowsContainerAndVmSideBySide() {
    String lacks = Host.lacksVms();
    Assumptions.assumeTrue(lacks == null, lacks);
    KeelsonCluster.Result r = cluster.keelctl("compare", "--timeout=240s");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).contains("CONTAINER").contains("VM").contains("kernel (uname -r)").contains("start -> Running");
    await().atMost(Duration.ofSeconds(60)).until(() ->
        cluster.kubectl("get", "pods", "-l", "app.kubernetes.io/managed-by=keelctl-compare", "-o", "name").out().isBlank());
  }

  @Test
  @Order(6)
  void deleteRemovesEverything() {
    KeelsonCluster.Result r = cluster.keelctl("delete", "deployment", "web", "vmweb", "--ignore-not-found");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).contains("deployments.apps \"web\" deleted");
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).until(() ->
        cluster.kubectl("get", "pods", "-l", "app in (web,vmweb)", "-o", "name").out().isBlank()
            && cluster.kubectl("get", "rs", "-o", "name").out().isBlank());
  }

  /** A bare pod serving "hello from NAME" (and a 4 MiB file at /big) with busybox httpd on :8080. */
  private void startWebPod(String name, String runtimeClass, Duration timeout) {
    String yaml = """
        apiVersion: v1
        kind: Pod
        metadata: {name: %s}
        spec:
          runtimeClassName: %s
          terminationGracePeriodSeconds: 1
          containers:
          - name: web
            image: keelson.local/busybox:latest
            command: ["sh", "-c", "mkdir -p /www && echo hello from %s > /www/index.html && dd if=/dev/urandom of=/www/big bs=1024 count=4096 2>/dev/null && exec httpd -f -p 8080 -h /www"]
            ports: [{containerPort: 8080}]
            resources: {limits: {cpu: "1", memory: 256Mi}}
            # Ready once httpd listens: kubectl (1.23+) ends a port-forward whose connection is refused
            readinessProbe:
              exec: {command: ["sh", "-c", "netstat -ltn | grep -q :8080"]}
              periodSeconds: 1
        """.formatted(name, runtimeClass, name);
    KeelsonCluster.Result applied = cluster.apply(yaml);
    assertThat(applied.out()).as(applied.toString()).contains("pod/" + name + " created");
    KeelsonCluster.Result ready = cluster.kubectl("wait", "--for=condition=Ready", "pod/" + name,
        "--timeout=" + timeout.toSeconds() + "s");
    if (!ready.ok()) {
      throw new AssertionError("pod " + name + " never Ready\n" + ready + "\n" + cluster.diagnostics());
    }
  }

  @Test
  @Order(7)
  void portForwardReachesAContainer() throws Exception {
    startWebPod("pf-web", "runc", Duration.ofSeconds(120));
    try (PortForward pf = PortForward.start(cluster, "pod/pf-web", 8080)) {
      assertThat(pf.curl(cluster, "/").out()).isEqualTo("hello from pf-web\n");

      // two connections at once: a 4 MiB download held slow while a second request is answered
      CompletableFuture<KeelsonCluster.Result> slow = CompletableFuture.supplyAsync(() ->
          pf.curl(cluster, "/big", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "--limit-rate", "2M"));
      KeelsonCluster.Result quick = pf.curl(cluster, "/");
      assertThat(quick.out()).isEqualTo("hello from pf-web\n");
      assertThat(slow.get().out()).isEqualTo("200 4194304");
      assertThat(pf.output()).contains("Handling connection for " + pf.localPort);

      // nothing listens on 9999: kubectl prints the error for that connection; as with a kubelet,
      // kubectl (1.23+) then ends that port-forward ("lost connection to pod"). Other forwards go on.
      try (PortForward refused = PortForward.start(cluster, "pod/pf-web", 9999)) {
        KeelsonCluster.Result r = refused.curl(cluster, "/");
        assertThat(r.exit()).isNotZero();
        await().atMost(Duration.ofSeconds(20)).until(() -> refused.output().contains("lost connection to pod"));
        assertThat(refused.output())
            .contains("error forwarding port 9999 to pod pf-web_default")
            .contains("Connection refused");
      }
      assertThat(pf.alive()).isTrue();
      assertThat(pf.curl(cluster, "/").out()).isEqualTo("hello from pf-web\n");

      // kubectl before 1.30 (and 1.30+ when the WebSocket upgrade is refused) upgrades to SPDY/3.1
      try (PortForward spdy = PortForward.start(cluster, "pod/pf-web", 8080,
          Map.of("KUBECTL_PORT_FORWARD_WEBSOCKETS", "false"))) {
        assertThat(spdy.curl(cluster, "/").out()).isEqualTo("hello from pf-web\n");
      }

      // the Java clients (fabric8 here, client-java alike) forward over the WebSocket channel
      // protocol, v4.channel.k8s.io: their requests hung before the api-server spoke it
      Config config = Config.fromKubeconfig(
          Files.readString(cluster.dir.resolve("kubeconfig")));
      try (KubernetesClient client =
               new KubernetesClientBuilder().withConfig(config).build();
           LocalPortForward fabric8 =
               client.pods().inNamespace("default").withName("pf-web").portForward(8080)) {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + fabric8.getLocalPort() + "/"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.body()).isEqualTo("hello from pf-web\n");
      }
    } finally {
      cluster.kubectl("delete", "pod", "pf-web", "--wait=false");
    }
  }

  /**
   * The proxy subresources as kubectl uses them: `kubectl get --raw` through a pod's and a service's
   * proxy, and `kubectl proxy` carrying a POST with its query and body to a CGI script in the pod.
   */
  @Test
  @Order(7)
  void proxySubresourcesReachAPodAndAServiceBehindIt() throws Exception {
    String yaml = """
        apiVersion: v1
        kind: Pod
        metadata: {name: px, labels: {app: px}}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: web
            image: keelson.local/busybox:latest
            ports: [{containerPort: 8080}]
            command:
            - sh
            - -c
            - |
              mkdir -p /www/cgi-bin
              echo hello from px > /www/index.html
              cat > /www/cgi-bin/echo <<'EOF'
              #!/bin/sh
              printf 'Content-Type: text/plain\\r\\n\\r\\n'
              echo "method=$REQUEST_METHOD query=$QUERY_STRING body=$(head -c "$CONTENT_LENGTH")"
              EOF
              chmod +x /www/cgi-bin/echo
              exec httpd -f -p 8080 -h /www
            readinessProbe:
              exec: {command: ["sh", "-c", "netstat -ltn | grep -q :8080"]}
              periodSeconds: 1
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: px}
        spec:
          selector: {app: px}
          ports: [{name: http, port: 80, targetPort: 8080}]
        """;
    KeelsonCluster.Result applied = cluster.apply(yaml);
    assertThat(applied.out()).as(applied.toString()).contains("pod/px created");
    assertThat(cluster.kubectl("wait", "--for=condition=Ready", "pod/px", "--timeout=120s").ok()).isTrue();
    String ns = "/api/v1/namespaces/default";
    // without a port: the first port the pod's containers declare
    assertThat(cluster.kubectlOk("get", "--raw", ns + "/pods/px/proxy/")).isEqualTo("hello from px\n");
    assertThat(cluster.kubectlOk("get", "--raw", ns + "/pods/px:8080/proxy/index.html")).isEqualTo("hello from px\n");
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
        assertThat(cluster.kubectl("get", "--raw", ns + "/services/px:http/proxy/").out()).isEqualTo("hello from px\n"));
    assertThat(cluster.kubectlOk("get", "--raw", ns + "/services/px:80/proxy/")).isEqualTo("hello from px\n");
    assertThat(cluster.kubectl("get", "--raw", ns + "/services/px:81/proxy/").err())
        .contains("ServiceUnavailable").contains("no service port 81 found for service \"px\"");
    assertThat(cluster.kubectl("get", "--raw", ns + "/pods/px:9999/proxy/").err())
        .contains("ServiceUnavailable").contains("error trying to reach service: port 9999 of pod default/px");

    Process proxy = new ProcessBuilder("kubectl", "--kubeconfig", cluster.dir.resolve("kubeconfig").toString(), "proxy", "--port=0")
        .redirectErrorStream(true).start();
    try {
      String first = new java.io.BufferedReader(new java.io.InputStreamReader(proxy.getInputStream())).readLine();
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("Starting to serve on 127\\.0\\.0\\.1:(\\d+)").matcher(String.valueOf(first));
      assertThat(m.find()).as("kubectl proxy said: %s", first).isTrue();
      KeelsonCluster.Result posted = cluster.run(Duration.ofSeconds(30), List.of("curl", "-sS", "-m", "20", "--data-binary", "the body",
          "http://127.0.0.1:" + m.group(1) + ns + "/services/px:http/proxy/cgi-bin/echo?x=1&y=two"));
      assertThat(posted.out()).as(posted.toString()).isEqualTo("method=POST query=x=1&y=two body=the body\n");
    } finally {
      proxy.destroy();
      cluster.kubectl("delete", "pod,service", "px", "--wait=false");
    }
  }

  @Test
  @Order(8)
  void portForwardReachesAVm() throws Exception {
    String lacks = Host.lacksVms();
    Assumptions.assumeTrue(lacks == null, lacks);
    startWebPod("pf-vm", "vm", Duration.ofSeconds(240));
    try (PortForward pf = PortForward.start(cluster, "pod/pf-vm", 8080)) {
      assertThat(pf.curl(cluster, "/").out()).isEqualTo("hello from pf-vm\n");
      // the proxy subresource reaches a VM the same way, through its agent
      assertThat(cluster.kubectlOk("get", "--raw", "/api/v1/namespaces/default/pods/pf-vm:8080/proxy/")).isEqualTo("hello from pf-vm\n");
      assertThat(pf.curl(cluster, "/big", "-o", "/dev/null", "-w", "%{http_code} %{size_download}").out())
          .isEqualTo("200 4194304");
    } finally {
      cluster.kubectl("delete", "pod", "pf-vm", "--wait=false");
    }
  }

  @Test
  @Order(9)
  void runWithPipedStdinPrintsTheAnswerAndRemovesThePod() {
    // kubectl creates the pod with stdin and stdinOnce, attaches, sends the pipe and its end (v5 close)
    KeelsonCluster.Result r = cluster.run(Duration.ofSeconds(90), List.of("kubectl", "run", "t-in", "-i", "--rm",
        "--restart=Never", "--image=keelson.local/busybox:latest", "--", "sh", "-c", "read x; echo got $x; exit 3"), "hi\n");
    assertThat(r.out()).as(r.toString()).contains("got hi").contains("pod \"t-in\" deleted");
    assertThat(r.exit()).as("kubectl run -i passes the container's exit code on").isEqualTo(3);
    assertThat(cluster.kubectl("get", "pod", "t-in").err()).contains("NotFound");
    // a command that prints at once: kubectl attaches only after it sees the pod running, and the
    // first session of a stdinOnce container gets what was printed before it (kube may lose it)
    KeelsonCluster.Result quick = cluster.run(Duration.ofSeconds(90), List.of("kubectl", "run", "t-quick", "-i", "--rm",
        "--restart=Never", "--image=keelson.local/busybox:latest", "--", "sh", "-c", "echo said at once; sleep 2"), "");
    assertThat(quick.out()).as(quick.toString()).contains("said at once");
  }

  @Test
  @Order(10)
  void runItGivesAnInteractiveShell() throws Exception {
    try (Terminal t = Terminal.start(cluster, "kubectl run -it --rm t-sh --image=keelson.local/busybox:latest -- sh")) {
      t.awaitShown("If you don't see a command prompt", Duration.ofSeconds(90));
      // Enter shows the prompt; by then kubectl's initial resizes (sent as it attaches) have arrived
      t.type("").awaitShown("/ # ", Duration.ofSeconds(20));
      t.type("echo answer=$((6*7)); stty size; tty").awaitShown("answer=42", Duration.ofSeconds(20));
      await().atMost(Duration.ofSeconds(10)).until(() -> t.screen().contains("25 90") && t.screen().contains("/dev/pts/"));
      t.type("exit");
      assertThat(t.exitCode(Duration.ofSeconds(60))).isZero();
      assertThat(t.screen()).contains("pod \"t-sh\" deleted");
    }
    // deleted (a restarted interactive sh ignores SIGTERM, so it may sit out its grace period, as with a kubelet)
    KeelsonCluster.Result gone = cluster.kubectl("get", "pod", "t-sh", "-o", "jsonpath={.metadata.deletionTimestamp}");
    assertThat(gone.err().contains("NotFound") || !gone.out().isBlank()).as(gone.toString()).isTrue();
  }

  @Test
  @Order(11)
  void aVirtualMachineBootsItsOwnDiskWithAConsoleAndStopsAndStarts() throws Exception {
    // KeelsonDOS: a 512-byte BIOS boot sector (deploy/images/bootsector) that the launcher preloads
    cluster.apply("""
        apiVersion: vm.keelson.io/v1alpha1
        kind: VirtualMachine
        metadata: {name: dos}
        spec:
          disk: {image: keelson.local/bootsector-disk:latest}
          terminationGracePeriodSeconds: 1
        """);
    try {
      try {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
            assertThat(cluster.kubectlOk("get", "vm", "dos")).containsPattern("(?m)^dos\\s+\\S+\\s+Running\\s+true\\s+node-1\\s+10\\.\\d+"));
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError("the VM never ran: " + cluster.kubectl("get", "vm", "dos", "-o", "yaml").out()
            + cluster.kubectl("describe", "pod", "virt-launcher-dos").out() + cluster.diagnostics(), e);
      }
      String pod = cluster.kubectlOk("get", "vm", "dos", "-o", "jsonpath={.status.podName}");
      assertThat(pod).isEqualTo("virt-launcher-dos");
      await().atMost(Duration.ofSeconds(30)).until(() -> cluster.kubectl("logs", pod).out().contains("KeelsonDOS 1.0 ready"));
      // the serial console on a terminal: what is typed reaches the guest, which echoes it
      try (Terminal t = Terminal.start(cluster, "kubectl attach -it " + pod)) {
        t.awaitShown("If you don't see a command prompt", Duration.ofSeconds(30));
        t.type("ver").awaitShown("A> ", Duration.ofSeconds(20));
        await().atMost(Duration.ofSeconds(20)).until(() -> cluster.kubectl("logs", pod).out().contains("A> ver"));
      }
      assertThat(cluster.kubectl("exec", pod, "--", "sh").err()).contains("use its console: kubectl attach -it");
      // stop: the pod goes; start again: a new one boots
      cluster.kubectlOk("patch", "vm", "dos", "--type", "merge", "-p", "{\"spec\":{\"running\":false}}");
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        assertThat(cluster.kubectl("get", "pod", pod).err()).contains("NotFound");
        assertThat(cluster.kubectlOk("get", "vm", "dos", "-o", "jsonpath={.status.printableStatus}")).isEqualTo("Stopped");
      });
      cluster.kubectlOk("patch", "vm", "dos", "--type", "merge", "-p", "{\"spec\":{\"running\":true}}");
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(() ->
          cluster.kubectl("logs", pod).out().contains("KeelsonDOS 1.0 ready"));
      // a bad spec is refused with what to fix
      KeelsonCluster.Result bad = cluster.apply("""
          apiVersion: vm.keelson.io/v1alpha1
          kind: VirtualMachine
          metadata: {name: uefi}
          spec: {firmware: efi, disk: {image: keelson.local/bootsector-disk:latest}}
          """);
      assertThat(bad.err()).contains("spec.firmware: Unsupported value: \"efi\": supported values: \"bios\"");
    } finally {
      cluster.kubectl("delete", "vm", "dos");
    }
    // the VM's pod goes with it
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() ->
        cluster.kubectl("get", "pod", "virt-launcher-dos").err().contains("NotFound"));
  }

  @Test
  @Order(11)
  void attachForwardsStdinToARunningContainer() {
    String yaml = """
        apiVersion: v1
        kind: Pod
        metadata: {name: chat}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: c
            image: keelson.local/busybox:latest
            stdin: true
            command: ["sh", "-c", "i=0; while read l; do i=$((i+1)); echo \\"$i: $l\\"; echo \\"err $i\\" >&2; done"]
          - name: quiet
            image: keelson.local/busybox:latest
            command: ["sh", "-c", "while true; do echo tick; echo tock >&2; sleep 1; done"]
        """;
    cluster.apply(yaml);
    try {
      cluster.kubectlOk("wait", "--for=condition=Ready", "pod/chat", "--timeout=90s");
      // the pipe ends the session (as with containerd); the pause lets the answers arrive first
      KeelsonCluster.Result first = cluster.run(Duration.ofSeconds(60),
          List.of("sh", "-c", "(printf 'one\\ntwo\\n'; sleep 2) | kubectl attach -i chat -c c"));
      assertThat(first.exit()).as(first.toString()).isZero();
      assertThat(first.out()).isEqualTo("1: one\n2: two\n");
      assertThat(first.err()).contains("err 1\nerr 2\n");
      // stdin stayed open (no stdinOnce): the same process answers the next session
      KeelsonCluster.Result second = cluster.run(Duration.ofSeconds(60),
          List.of("sh", "-c", "(echo three; sleep 2) | kubectl attach -i chat -c c"));
      assertThat(second.out()).as(second.toString()).isEqualTo("3: three\n");
      assertThat(cluster.kubectlOk("logs", "chat", "-c", "c")).contains("1: one\n", "err 1\n", "3: three\n");
      // no stdin and no tty: attach streams the output from now on, stdout and stderr apart, as on Kubernetes
      KeelsonCluster.Result watch = cluster.run(Duration.ofSeconds(60),
          List.of("timeout", "-s", "INT", "5", "kubectl", "attach", "chat", "-c", "quiet"));
      assertThat(watch.out()).as(watch.toString()).contains("tick\n").doesNotContain("tock");
      assertThat(watch.err()).as(watch.toString()).contains("tock\n");
    } finally {
      cluster.kubectl("delete", "pod", "chat", "--wait=false");
    }
  }

  @Test
  @Order(12)
  void debugRunsAContainerInTheTargetsProcessNamespace() {
    cluster.run(Duration.ofSeconds(60), List.of("kubectl", "run", "dbg", "--image=keelson.local/busybox:latest",
        "--overrides={\"spec\":{\"terminationGracePeriodSeconds\":1}}", "--", "sleep", "3600"));
    try {
      cluster.kubectlOk("wait", "--for=condition=Ready", "pod/dbg", "--timeout=90s");
      // without -i: the ephemeral container runs once, beside the target's processes, and its status says so
      cluster.kubectlOk("debug", "dbg", "--image=keelson.local/busybox:latest", "-c", "ps", "--target=dbg", "--", "ps");
      await().atMost(Duration.ofSeconds(60)).until(() -> cluster.kubectl("get", "pod", "dbg", "-o",
          "jsonpath={.status.ephemeralContainerStatuses[0].state.terminated.reason}").out().equals("Completed"));
      assertThat(cluster.kubectlOk("logs", "dbg", "-c", "ps")).contains("sleep 3600");
      // with -i: kubectl waits for it to run, attaches and passes the pipe on
      KeelsonCluster.Result shell = cluster.run(Duration.ofSeconds(90), List.of("sh", "-c",
          "(sleep 1; echo 'echo in-$(hostname); ps -o pid,args'; sleep 2; echo exit)"
              + " | kubectl debug -i dbg --image=keelson.local/busybox:latest -c sh --target=dbg -- sh"));
      assertThat(shell.out()).as(shell.toString()).contains("in-dbg").containsPattern("(?m)^ +1 sleep 3600$");
      await().atMost(Duration.ofSeconds(30)).until(() -> cluster.kubectl("get", "pod", "dbg", "-o",
          "jsonpath={.status.ephemeralContainerStatuses[1].state.terminated.exitCode}").out().equals("0"));
      assertThat(cluster.kubectlOk("describe", "pod", "dbg")).contains("Ephemeral Containers:", "ps:", "sh:");
      assertThat(cluster.kubectlOk("get", "pod", "dbg", "-o", "jsonpath={.status.containerStatuses[0].restartCount} {.status.phase}"))
          .as("the target goes on undisturbed").isEqualTo("0 Running");
    } finally {
      cluster.kubectl("delete", "pod", "dbg", "--wait=false");
    }
  }

  /**
   * A HorizontalPodAutoscaler on a real node: pods burning CPU at their limit (twice their
   * request) make the controller scale the Deployment to its maximum from the agents' metrics;
   * once the pods idle it scales back down after the HPA's short stabilization window.
   */
  @Test
  @Order(12)
  void anAutoscalerScalesADeploymentWithItsCpuUse() {
    String yaml = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: burn}
        spec:
          replicas: 1
          selector: {matchLabels: {app: burn}}
          template:
            metadata: {labels: {app: burn}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: keelson.local/busybox:latest
                command: ["sh", "-c", "while :; do :; done"]
                resources: {requests: {cpu: 100m}, limits: {cpu: 200m}}
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: burn}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: burn}
          minReplicas: 1
          maxReplicas: 3
          metrics:
          - type: Resource
            resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
          behavior:
            scaleDown: {stabilizationWindowSeconds: 10}
        """;
    KeelsonCluster.Result applied = cluster.apply(yaml);
    assertThat(applied.out()).as(applied.toString()).contains("horizontalpodautoscaler.autoscaling/burn created");
    try {
      await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofSeconds(3)).untilAsserted(() ->
          assertThat(cluster.kubectlOk("get", "hpa", "burn")).containsPattern("(?m)^burn\\s+Deployment/burn\\s+cpu: \\d+%/50%\\s+1\\s+3\\s+3\\s"));
      awaitAvailable("burn", 3, Duration.ofSeconds(120));
      assertThat(cluster.kubectlOk("describe", "hpa", "burn"))
          .contains("SuccessfulRescale").contains("above target");

      cluster.kubectlOk("patch", "deploy", "burn", "--type=json",
          "-p=[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/command\",\"value\":[\"sleep\",\"3600\"]}]");
      await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofSeconds(3)).untilAsserted(() ->
          assertThat(cluster.kubectlOk("get", "deploy", "burn", "-o", "jsonpath={.spec.replicas}")).isEqualTo("1"));
      assertThat(cluster.kubectlOk("describe", "hpa", "burn")).contains("New size: 1; reason: All metrics below target");
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(cluster.kubectl("describe", "hpa", "burn") + "\n" + cluster.diagnostics(), e);
    } finally {
      cluster.kubectl("delete", "hpa,deploy", "burn", "--wait=false");
    }
  }

  /**
   * A PodDisruptionBudget as kubectl drain meets it: with min-available 2 over a Deployment of 2 the
   * budget allows no disruption and the drain's evictions are refused with kube's message; relaxed
   * to 1, one pod is evicted (its replacement stays Pending on the cordoned node) and the budget is
   * spent again. The node is uncordoned whatever happens: the other tests share it.
   */
  @Test
  @Order(12)
  void aDisruptionBudgetHoldsOffADrain() {
    cluster.applyOk(deployment("budgeted", 2, "runc", "exec sleep 3600"));
    try {
      awaitAvailable("budgeted", 2, Duration.ofSeconds(120));
      assertThat(cluster.kubectlOk("create", "pdb", "budgeted", "--selector=app=budgeted", "--min-available=2"))
          .contains("poddisruptionbudget.policy/budgeted created");
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
          assertThat(cluster.kubectlOk("get", "pdb", "budgeted")).containsPattern("(?m)^budgeted\\s+2\\s+N/A\\s+0\\s"));
      KeelsonCluster.Result refused = drain("budgeted", 10);
      assertThat(refused.exit()).as(refused.toString()).isNotZero();
      assertThat(refused.out() + refused.err()).contains("Cannot evict pod as it would violate the pod's disruption budget.");
      cluster.kubectlOk("uncordon", "node-1");

      cluster.kubectlOk("patch", "pdb", "budgeted", "--type=merge", "-p", "{\"spec\":{\"minAvailable\":1}}");
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
          assertThat(cluster.kubectlOk("get", "pdb", "budgeted")).containsPattern("(?m)^budgeted\\s+1\\s+N/A\\s+1\\s"));
      KeelsonCluster.Result once = drain("budgeted", 15);
      assertThat(once.out() + once.err()).as(once.toString()).containsPattern("pod/budgeted-\\S+ evicted");
      assertThat(cluster.kubectlOk("get", "pdb", "budgeted")).containsPattern("(?m)^budgeted\\s+1\\s+N/A\\s+0\\s");
    } finally {
      cluster.kubectl("uncordon", "node-1");
      cluster.kubectl("delete", "deploy,pdb", "budgeted", "--wait=false");
    }
  }

  /**
   * Extending the API as operators and Helm charts do: a CustomResourceDefinition applied with kubectl
   * is served at once (get by plural and short name, its printer columns, explain from its schema),
   * a second apply of a resource updates it (kubectl falls back to a merge patch), an object its
   * schema rejects gets the field's message, scale works through the scale subresource, and
   * deleting the definition deletes its objects; the garbage collector collects what they own.
   */
  @Test
  @Order(12)
  void aCustomResourceDefinitionExtendsTheApi() {
    String crd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: backups.demo.keelson.io}
        spec:
          group: demo.keelson.io
          scope: Namespaced
          names: {plural: backups, singular: backup, kind: Backup, shortNames: [bk]}
          versions:
          - name: v1
            served: true
            storage: true
            subresources:
              status: {}
              scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
            additionalPrinterColumns:
            - {name: Schedule, type: string, jsonPath: .spec.schedule}
            - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    description: What to back up and when.
                    required: [schedule]
                    properties:
                      schedule: {type: string, description: the cron schedule of the backup}
                      replicas: {type: integer, minimum: 0, default: 1}
        """;
    String backup = "apiVersion: demo.keelson.io/v1\nkind: Backup\nmetadata: {name: nightly}\nspec: {schedule: \"%s\"%s}\n";
    try {
      cluster.applyOk(crd);
      cluster.applyOk(backup.formatted("0 3 * * *", ""));
      assertThat(cluster.kubectlOk("get", "backups")).containsPattern("(?m)^NAME\\s+SCHEDULE\\s+AGE$")
          .containsPattern("(?m)^nightly\\s+0 3 \\* \\* \\*\\s+\\d+s$");
      assertThat(cluster.kubectlOk("api-resources", "--api-group=demo.keelson.io")).contains("backups").contains("bk");
      assertThat(cluster.kubectlOk("explain", "backup.spec")).contains("What to back up and when.")
          .contains("the cron schedule of the backup");

      assertThat(cluster.applyOk(backup.formatted("0 4 * * *", ""))).contains("backup.demo.keelson.io/nightly configured");
      assertThat(cluster.kubectlOk("get", "bk", "nightly", "-o", "jsonpath={.spec.schedule}/{.spec.replicas}")).isEqualTo("0 4 * * */1");
      KeelsonCluster.Result rejected = cluster.apply(backup.formatted("0 5 * * *", ", replicas: two"));
      assertThat(rejected.exit()).isNotZero();
      assertThat(rejected.err()).contains("spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"");

      // an object the resource owns, as an operator makes them: collected once the resource goes
      String uid = cluster.kubectlOk("get", "bk", "nightly", "-o", "jsonpath={.metadata.uid}");
      cluster.applyOk("apiVersion: v1\nkind: ConfigMap\n"
          + "metadata:\n  name: nightly-settings\n  ownerReferences: [{apiVersion: demo.keelson.io/v1, kind: Backup, name: nightly, uid: "
          + uid + "}]\ndata: {retain: \"3\"}\n");

      cluster.kubectlOk("scale", "backup", "nightly", "--replicas=3");
      assertThat(cluster.kubectlOk("get", "bk", "nightly", "-o", "jsonpath={.spec.replicas}")).isEqualTo("3");

      // the garbage collector watches the kinds defined since it started (within 10 s) and collects what they owned
      cluster.kubectlOk("delete", "backup", "nightly");
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
          assertThat(cluster.kubectl("get", "configmap", "nightly-settings").ok()).isFalse());
      cluster.applyOk(backup.formatted("0 3 * * *", ""));

      cluster.kubectlOk("delete", "crd", "backups.demo.keelson.io");
      assertThat(cluster.kubectl("get", "backups", "--all-namespaces").ok()).isFalse();
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        assertThat(cluster.kubectl("get", "crd", "backups.demo.keelson.io").ok()).isFalse();
        assertThat(cluster.kubectlOk("api-resources")).doesNotContain("demo.keelson.io");
      });

    } finally {
      cluster.kubectl("delete", "crd", "backups.demo.keelson.io", "--ignore-not-found", "--wait=false");
      cluster.kubectl("delete", "configmap", "nightly-settings", "--ignore-not-found", "--wait=false");
    }
  }

  private KeelsonCluster.Result drain(String app, int timeoutSeconds) {
    return cluster.run(Duration.ofSeconds(timeoutSeconds + 30), List.of("kubectl", "drain", "node-1", "--ignore-daemonsets",
        "--delete-emptydir-data", "--timeout=" + timeoutSeconds + "s", "--pod-selector=app=" + app));
  }

  /**
   * Batch work as a user runs it: a Job of three completions two at a time runs to Complete and
   * its logs are read through the Job; a Job that keeps failing stops at its backoffLimit with
   * kube's reason; a CronJob starts a Job on its next minute, `kubectl create job --from` starts one
   * by hand, and deleting the CronJob takes its Jobs and their pods with it.
   */
  private KeelsonCluster.Result helm(Duration timeout, String helm, String... args) {
    List<String> cmd = new java.util.ArrayList<>(List.of(helm));
    cmd.addAll(List.of(args));
    return cluster.run(timeout, cmd);
  }

  private static tools.jackson.databind.JsonNode json(KeelsonCluster.Result r) {
    assertThat(r.ok()).as(r.toString()).isTrue();
    return new tools.jackson.databind.ObjectMapper().readTree(r.out());
  }

  /**
   * The real helm, as a user drives it: install a chart with --wait (Deployment readiness from its status), helm
   * test (a hook pod reaching the release's Service by name), upgrade with --set (three-way strategic merge patches
   * of the ConfigMap and the Deployment), history, rollback restoring the old ConfigMap, an --atomic upgrade whose
   * pods never get Ready rolled back on its own, uninstall. Releases live in Secrets of type helm.sh/release.v1.
   */
  @Test
  @Order(12)
  void helmInstallsUpgradesRollsBackAndUninstallsAChart() {
    Host.Helm tool = Host.helm();
    if (tool.lacks() != null) {
      System.out.println("SKIP helm journey: " + tool.lacks());
    }
    Assumptions.assumeTrue(tool.lacks() == null, tool.lacks());
    String helm = tool.path();
    String chart = KeelsonCluster.HOME.resolve("e2e/src/test/resources/charts/greeter").toString();
    String ns = "helm-e2e";
    KeelsonCluster.Result installed = helm(Duration.ofMinutes(3), helm, "install", "greet", chart, "-n", ns, "--create-namespace",
        "--wait", "--timeout", "150s");
    assertThat(installed.out()).as("%s\n%s", installed, cluster.diagnostics()).contains("STATUS: deployed", "REVISION: 1");
    assertThat(cluster.kubectlOk("-n", ns, "get", "configmap", "greet-page", "-o", "jsonpath={.data.index\\.html}")).isEqualTo("hello");
    assertThat(cluster.kubectlOk("-n", ns, "get", "deploy", "greet", "-o", "jsonpath={.status.readyReplicas}")).isEqualTo("1");
    assertThat(cluster.kubectlOk("-n", ns, "get", "secrets", "-l", "owner=helm,name=greet", "-o",
        "jsonpath={range .items[*]}{.metadata.name} {.type} {.metadata.labels.status}{\"\\n\"}{end}"))
        .isEqualTo("sh.helm.release.v1.greet.v1 helm.sh/release.v1 deployed\n");
    KeelsonCluster.Result tested = helm(Duration.ofMinutes(2), helm, "test", "greet", "-n", ns, "--timeout", "90s");
    assertThat(tested.out()).as("the test pod got the page through the Service\n%s", tested).containsPattern("Phase:\\s+Succeeded");

    KeelsonCluster.Result upgraded = helm(Duration.ofMinutes(3), helm, "upgrade", "greet", chart, "-n", ns,
        "--set", "message=bye,replicaCount=2", "--wait", "--timeout", "150s");
    assertThat(upgraded.out()).as(upgraded.toString()).contains("STATUS: deployed", "REVISION: 2");
    assertThat(cluster.kubectlOk("-n", ns, "get", "configmap", "greet-page", "-o", "jsonpath={.data.index\\.html}")).isEqualTo("bye");
    assertThat(cluster.kubectlOk("-n", ns, "get", "deploy", "greet", "-o", "jsonpath={.status.readyReplicas}")).isEqualTo("2");
    tested = helm(Duration.ofMinutes(2), helm, "test", "greet", "-n", ns, "--timeout", "90s");
    assertThat(tested.out()).as("the new page is served\n%s", tested).containsPattern("Phase:\\s+Succeeded");
    var listed = json(helm(Duration.ofSeconds(60), helm, "list", "-n", ns, "-o", "json"));
    assertThat(listed.get(0).get("name").asString()).isEqualTo("greet");
    assertThat(listed.get(0).get("revision").asString()).isEqualTo("2");
    assertThat(listed.get(0).get("status").asString()).isEqualTo("deployed");
    var values = json(helm(Duration.ofSeconds(60), helm, "get", "values", "greet", "-n", ns, "-o", "json"));
    assertThat(values.get("message").asString()).isEqualTo("bye");
    assertThat(values.get("replicaCount").asInt()).isEqualTo(2);
    KeelsonCluster.Result manifest = helm(Duration.ofSeconds(60), helm, "get", "manifest", "greet", "-n", ns);
    assertThat(manifest.out()).as(manifest.toString()).contains("kind: ConfigMap", "kind: Deployment", "kind: Service", "replicas: 2");

    KeelsonCluster.Result rolledBack = helm(Duration.ofMinutes(3), helm, "rollback", "greet", "1", "-n", ns, "--wait", "--timeout", "150s");
    assertThat(rolledBack.out()).as(rolledBack.toString()).contains("Rollback was a success");
    assertThat(cluster.kubectlOk("-n", ns, "get", "configmap", "greet-page", "-o", "jsonpath={.data.index\\.html}")).isEqualTo("hello");
    assertThat(cluster.kubectlOk("-n", ns, "get", "deploy", "greet", "-o", "jsonpath={.spec.replicas}")).isEqualTo("1");

    // pods that never get Ready: --atomic gives up after the timeout and rolls the release back by itself
    KeelsonCluster.Result atomic = helm(Duration.ofMinutes(2), helm, "upgrade", "--install", "greet", chart, "-n", ns,
        "--set", "failReadiness=true", "--atomic", "--wait", "--timeout", "20s");
    assertThat(atomic.ok()).as(atomic.toString()).isFalse();
    assertThat(atomic.err()).contains("has been rolled back due to atomic being set");
    var history = json(helm(Duration.ofSeconds(60), helm, "history", "greet", "-n", ns, "-o", "json"));
    assertThat(history).hasSize(5);
    assertThat(history.get(2).get("description").asString()).isEqualTo("Rollback to 1");
    assertThat(history.get(3).get("status").asString()).isEqualTo("failed");
    assertThat(history.get(4).get("status").asString()).isEqualTo("deployed");
    assertThat(history.get(4).get("description").asString()).isEqualTo("Rollback to 3");
    assertThat(cluster.kubectlOk("-n", ns, "get", "configmap", "greet-page", "-o", "jsonpath={.data.index\\.html}")).isEqualTo("hello");
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
        assertThat(cluster.kubectlOk("-n", ns, "get", "deploy", "greet", "-o", "jsonpath={.status.readyReplicas}")).isEqualTo("1"));

    KeelsonCluster.Result uninstalled = helm(Duration.ofMinutes(2), helm, "uninstall", "greet", "-n", ns, "--wait", "--timeout", "90s");
    assertThat(uninstalled.out()).as(uninstalled.toString()).contains("release \"greet\" uninstalled");
    assertThat(cluster.kubectlOk("-n", ns, "get", "deploy,configmap,service,secret", "-l", "app=greet", "-o", "name")).isEmpty();
    assertThat(cluster.kubectlOk("-n", ns, "get", "secrets", "-l", "owner=helm", "-o", "name")).isEmpty();
    assertThat(json(helm(Duration.ofSeconds(60), helm, "list", "-n", ns, "-o", "json"))).isEmpty();
    cluster.kubectl("delete", "namespace", ns, "--wait=false");
  }

  /**
   * The chart `helm create` writes, with its Ingress and HorizontalPodAutoscaler turned on, installs as it does on
   * Kubernetes (networking.k8s.io/v1 Ingresses are served), an upgrade patches the Ingress's rules, uninstall removes it.
   */
  @Test
  @Order(12)
  void helmCreatesScaffoldInstallsWithItsIngress(@org.junit.jupiter.api.io.TempDir Path work) {
    Host.Helm tool = Host.helm();
    if (tool.lacks() != null) {
      System.out.println("SKIP helm scaffold: " + tool.lacks());
    }
    Assumptions.assumeTrue(tool.lacks() == null, tool.lacks());
    String helm = tool.path();
    String chart = work.resolve("demo").toString();
    KeelsonCluster.Result created = helm(Duration.ofSeconds(60), helm, "create", chart);
    assertThat(created.ok()).as(created.toString()).isTrue();
    String ns = "helm-scaffold";
    KeelsonCluster.Result installed = helm(Duration.ofMinutes(2), helm, "install", "demo", chart, "-n", ns, "--create-namespace",
        "--set", "image.repository=keelson.local/busybox,image.tag=latest,ingress.enabled=true,autoscaling.enabled=true");
    assertThat(installed.out()).as(installed.toString()).contains("STATUS: deployed");
    assertThat(cluster.kubectlOk("-n", ns, "get", "ingress", "demo")).contains("chart-example.local").contains("80");
    assertThat(cluster.kubectlOk("-n", ns, "get", "hpa,svc,sa", "-o", "name"))
        .contains("horizontalpodautoscaler.autoscaling/demo", "service/demo", "serviceaccount/demo");
    KeelsonCluster.Result upgraded = helm(Duration.ofMinutes(2), helm, "upgrade", "demo", chart, "-n", ns, "--reuse-values",
        "--set", "ingress.hosts[0].host=shop.example.com,ingress.hosts[0].paths[0].path=/shop,ingress.hosts[0].paths[0].pathType=Prefix");
    assertThat(upgraded.out()).as(upgraded.toString()).contains("REVISION: 2");
    assertThat(cluster.kubectlOk("-n", ns, "get", "ingress", "demo", "-o",
        "jsonpath={.spec.rules[*].host} {.spec.rules[0].http.paths[*].path} {.spec.rules[0].http.paths[0].pathType}"))
        .isEqualTo("shop.example.com /shop Prefix");
    KeelsonCluster.Result uninstalled = helm(Duration.ofMinutes(2), helm, "uninstall", "demo", "-n", ns, "--wait");
    assertThat(uninstalled.ok()).as(uninstalled.toString()).isTrue();
    assertThat(cluster.kubectlOk("-n", ns, "get", "ingress,deploy,svc", "-o", "name")).isEmpty();
    cluster.kubectl("delete", "namespace", ns, "--wait=false");
  }

  /**
   * helm/keelson, the chart that runs Keelson on a cluster, lints, and its rendering (3 etcd members, the
   * privileged host-network agent DaemonSet, the encryption key Secret, the audit policy) passes a server-side
   * dry run on Keelson itself; without the credentials Secret it says which value to set.
   */
  @Test
  @Order(12)
  void theKeelsonChartLintsAndPassesAServerDryRun() {
    Host.Helm tool = Host.helm();
    if (tool.lacks() != null) {
      System.out.println("SKIP Keelson chart: " + tool.lacks());
    }
    Assumptions.assumeTrue(tool.lacks() == null, tool.lacks());
    String chart = KeelsonCluster.HOME.resolve("helm/keelson").toString();
    KeelsonCluster.Result lint = helm(Duration.ofSeconds(60), tool.path(), "lint", chart, "--set", "credentials.existingSecret=kc");
    assertThat(lint.out()).as(lint.toString()).contains("1 chart(s) linted, 0 chart(s) failed");
    KeelsonCluster.Result missing = helm(Duration.ofSeconds(60), tool.path(), "template", "k", chart);
    assertThat(missing.ok()).isFalse();
    assertThat(missing.err()).contains("credentials.existingSecret");
    // etcd on emptyDirs: no PersistentVolumeClaims for its volumeClaimTemplates here yet
    KeelsonCluster.Result rendered = helm(Duration.ofSeconds(60), tool.path(), "template", "k", chart, "--namespace", "default",
        "--set", "credentials.existingSecret=kc,etcd.replicas=3"); // etcd's volumeClaimTemplates (the default) too
    assertThat(rendered.ok()).as(rendered.toString()).isTrue();
    // the security features ./keelson up turns on: Secrets encrypted at rest, the audit log, in-flight limits,
    // and agents on credentials of their own issued by an init container
    assertThat(rendered.out()).contains("--encryption-provider-config=/etc/keelson/encryption/encryption-config.yaml",
        "--audit-policy-file=/etc/keelson/audit/audit-policy.yaml", "--audit-log-path=-", "--max-requests-inflight=400",
        "--max-mutating-requests-inflight=200", "--issue-node-kubeconfig", "name: node-credentials");
    KeelsonCluster.Result dryRun = cluster.run(Duration.ofSeconds(60), List.of("kubectl", "apply", "--dry-run=server", "-f", "-"),
        rendered.out());
    assertThat(dryRun.out()).as(dryRun.toString()).contains(
        "statefulset.apps/k-keelson-etcd created (server dry run)",
        "deployment.apps/k-keelson-apiserver created (server dry run)",
        "deployment.apps/k-keelson-scheduler created (server dry run)",
        "deployment.apps/k-keelson-controller-manager created (server dry run)",
        "daemonset.apps/k-keelson-agent created (server dry run)",
        "service/k-keelson-apiserver created (server dry run)",
        "secret/k-keelson-encryption created (server dry run)",
        "configmap/k-keelson-audit-policy created (server dry run)");
  }

  /**
   * Keelson into Keelson: deploy/images/build-keelson.sh builds Keelson's image, the node agent imports it from
   * its preload dir, and helm/keelson installs a nested control plane (etcd on a local-path PVC, one api-server,
   * scheduler and controller-manager; no agents, which would fight this node's agent over runc and nftables).
   * Through a port-forward to the nested api-server, kubectl sees it ready, its scheduler and controller-manager
   * hold their Leases there, and its controller-manager turns a Deployment into a ReplicaSet and Pods (Pending:
   * the nested cluster has no nodes) that this cluster never sees; helm uninstall removes it.
   */
  @Test
  @Order(12)
  void theKeelsonChartInstallsKeelsonIntoKeelson() throws Exception {
    Host.Helm tool = Host.helm();
    if (tool.lacks() != null) {
      System.out.println("SKIP Keelson into Keelson: " + tool.lacks());
    }
    Assumptions.assumeTrue(tool.lacks() == null, tool.lacks());
    long started = System.nanoTime();
    KeelsonCluster.Result image = cluster.run(Duration.ofMinutes(10), List.of(
        KeelsonCluster.HOME.resolve("deploy/images/build-keelson.sh").toString(),
        "--out", cluster.dir.resolve("images/preload/keelson").toString()));
    if (!image.ok()) {
      System.out.println("SKIP Keelson into Keelson: the image could not be built: " + image);
    }
    Assumptions.assumeTrue(image.ok(), "deploy/images/build-keelson.sh failed");
    System.out.printf("Keelson's image built in %d s%n", (System.nanoTime() - started) / 1_000_000_000L);

    String ns = "nested";
    cluster.kubectlOk("create", "namespace", ns);
    // the nested cluster's CA, service-account key and admin token: this cluster's, so its kubeconfig serves both
    Path tls = cluster.dir.resolve("tls");
    List<String> secret = new java.util.ArrayList<>(List.of("-n", ns, "create", "secret", "generic", "keelson-credentials"));
    for (String f : List.of("ca.crt", "ca.key", "sa.key", "sa.pub", "admin.token")) {
      secret.add("--from-file=" + tls.resolve(f));
    }
    cluster.kubectlOk(secret.toArray(String[]::new));
    String chart = KeelsonCluster.HOME.resolve("helm/keelson").toString();
    long installing = System.nanoTime();
    KeelsonCluster.Result installed = helm(Duration.ofMinutes(11), tool.path(), "install", "keelson", chart, "-n", ns,
        "--wait", "--timeout", "10m", "--set", "credentials.existingSecret=keelson-credentials,image.repository=keelson.local/keelson,"
            + "apiServer.replicas=1,scheduler.replicas=1,controllerManager.replicas=1,agent.enabled=false");
    assertThat(installed.out()).as(installed.toString() + "\n" + cluster.kubectl("-n", ns, "get", "pods,pvc,events").out())
        .contains("STATUS: deployed");
    System.out.printf("Keelson in Keelson Ready %d s after helm install%n", (System.nanoTime() - installing) / 1_000_000_000L);
    assertThat(cluster.kubectlOk("-n", ns, "get", "pvc", "data-keelson-etcd-0", "-o", "jsonpath={.status.phase}")).isEqualTo("Bound");

    Path nested = Files.createTempFile("nested-kubeconfig", "");
    try (PortForward api = PortForward.startIn(cluster, ns, "svc/keelson-apiserver", 6443)) {
      Files.copy(cluster.dir.resolve("kubeconfig"), nested, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      cluster.kubectlOk("--kubeconfig", nested.toString(), "config", "set-cluster", "keelson",
          "--server=https://127.0.0.1:" + api.localPort);
      java.util.function.Function<String[], KeelsonCluster.Result> inside = args -> {
        List<String> cmd = new java.util.ArrayList<>(List.of("kubectl", "--kubeconfig", nested.toString(), "--request-timeout=30s"));
        cmd.addAll(List.of(args));
        return cluster.run(Duration.ofSeconds(60), cmd);
      };
      assertThat(inside.apply(new String[] {"get", "--raw", "/readyz"}).out()).isEqualTo("ok");
      // leader election through the nested api-server: the holders are the pods running in this cluster
      String scheduler = cluster.kubectlOk("-n", ns, "get", "pods", "-l", "app.kubernetes.io/component=scheduler",
          "-o", "jsonpath={.items[0].metadata.name}");
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(3)).untilAsserted(() -> assertThat(
          inside.apply(new String[] {"-n", "kube-system", "get", "lease", "keelson-scheduler", "keelson-controller-manager",
              "-o", "jsonpath={.items[*].spec.holderIdentity}"}).out())
          .contains(scheduler, "keelson-controller-manager-"));
      KeelsonCluster.Result created = inside.apply(new String[] {"create", "deployment", "inner", "--replicas=2",
          "--image=keelson.local/busybox:latest", "--", "sleep", "3600"});
      assertThat(created.out()).as(created.toString()).contains("deployment.apps/inner created");
      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(3)).untilAsserted(() -> {
        assertThat(inside.apply(new String[] {"get", "rs", "-l", "app=inner", "-o", "jsonpath={.items[*].spec.replicas}"}).out())
            .isEqualTo("2");
        assertThat(inside.apply(new String[] {"get", "pods", "-l", "app=inner", "-o", "jsonpath={.items[*].status.phase}"}).out())
            .isEqualTo("Pending Pending");
      });
      assertThat(inside.apply(new String[] {"get", "nodes", "-o", "name"}).out()).isEmpty();
      assertThat(cluster.kubectl("get", "deployment", "inner").err()).contains("NotFound");
    } finally {
      Files.deleteIfExists(nested);
    }

    KeelsonCluster.Result uninstalled = helm(Duration.ofMinutes(3), tool.path(), "uninstall", "keelson", "-n", ns, "--wait");
    assertThat(uninstalled.ok()).as(uninstalled.toString()).isTrue();
    assertThat(cluster.kubectlOk("-n", ns, "get", "deploy,sts,svc,configmap", "-l", "app.kubernetes.io/instance=keelson", "-o", "name"))
        .isEmpty();
    cluster.kubectl("delete", "namespace", ns, "--wait=false");
  }

  @Test
  @Order(12)
  void jobsRunToCompletionAndACronJobStartsThemOnSchedule() {
    String batch = """
        apiVersion: batch/v1
        kind: Job
        metadata: {name: batch}
        spec:
          completions: 3
          parallelism: 2
          template:
            spec:
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers:
              - name: work
                image: keelson.local/busybox:latest
                command: ["sh", "-c", "echo work item done on $(hostname)"]
        """;
    KeelsonCluster.Result applied = cluster.apply(batch);
    assertThat(applied.out()).as(applied.toString()).contains("job.batch/batch created");
    KeelsonCluster.Result done = cluster.kubectl("wait", "--for=condition=complete", "job/batch", "--timeout=150s");
    assertThat(done.out()).as("%s\n%s", done, cluster.diagnostics()).contains("job.batch/batch condition met");
    assertThat(cluster.kubectlOk("get", "job", "batch")).containsPattern("(?m)^batch\\s+Complete\\s+3/3\\s");
    assertThat(cluster.kubectlOk("get", "pods", "-l", "job-name=batch", "-o",
        "jsonpath={range .items[*]}{.status.phase}{\"\\n\"}{end}").lines()).containsExactly("Succeeded", "Succeeded", "Succeeded");
    assertThat(cluster.kubectlOk("logs", "job/batch")).contains("work item done on batch-");

    String failing = """
        apiVersion: batch/v1
        kind: Job
        metadata: {name: flaky}
        spec:
          backoffLimit: 1
          template:
            spec:
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers:
              - name: work
                image: keelson.local/busybox:latest
                command: ["sh", "-c", "echo giving up; exit 4"]
        """;
    cluster.apply(failing);
    // backoffLimitPerIndex: index 1 fails twice (retried once, after a 10 s backoff) while 0 and 2 complete
    String perIndex = """
        apiVersion: batch/v1
        kind: Job
        metadata: {name: per-index}
        spec:
          completions: 3
          parallelism: 3
          completionMode: Indexed
          backoffLimitPerIndex: 1
          template:
            spec:
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers:
              - name: work
                image: keelson.local/busybox:latest
                command: ["sh", "-c", "test $JOB_COMPLETION_INDEX != 1"]
        """;
    cluster.apply(perIndex);
    KeelsonCluster.Result failed = cluster.kubectl("wait", "--for=condition=failed", "job/flaky", "--timeout=150s");
    assertThat(failed.out()).as("%s\n%s", failed, cluster.diagnostics()).contains("job.batch/flaky condition met");
    assertThat(cluster.kubectlOk("get", "job", "flaky", "-o",
        "jsonpath={.status.failed} {.status.conditions[?(@.type==\"Failed\")].reason}")).isEqualTo("2 BackoffLimitExceeded");
    KeelsonCluster.Result perIndexFailed = cluster.kubectl("wait", "--for=condition=failed", "job/per-index", "--timeout=150s");
    assertThat(perIndexFailed.out()).as("%s\n%s", perIndexFailed, cluster.diagnostics()).contains("job.batch/per-index condition met");
    assertThat(cluster.kubectlOk("get", "job", "per-index", "-o",
        "jsonpath={.status.completedIndexes} {.status.failedIndexes} {.status.conditions[?(@.type==\"Failed\")].reason}"))
        .isEqualTo("0,2 1 FailedIndexes");
    assertThat(cluster.kubectlOk("get", "pods", "-l", "job-name=per-index", "-o",
        "jsonpath={range .items[*]}{.metadata.annotations.batch\\.kubernetes\\.io/job-completion-index}="
            + "{.metadata.annotations.batch\\.kubernetes\\.io/job-index-failure-count}{\"\\n\"}{end}").lines())
        .containsExactlyInAnyOrder("0=0", "1=0", "1=1", "2=0");

    assertThat(cluster.kubectlOk("create", "cronjob", "tick", "--image=keelson.local/busybox:latest",
        "--schedule=* * * * *", "--", "sh", "-c", "echo tick")).contains("cronjob.batch/tick created");
    assertThat(cluster.kubectlOk("create", "job", "tick-by-hand", "--from=cronjob/tick")).contains("job.batch/tick-by-hand created");
    assertThat(cluster.kubectl("wait", "--for=condition=complete", "job/tick-by-hand", "--timeout=120s").out())
        .contains("condition met");
    // the schedule's next minute starts a Job named after the CronJob and that minute
    await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofSeconds(3)).untilAsserted(() ->
        assertThat(cluster.kubectlOk("get", "jobs", "-o",
            "jsonpath={range .items[?(@.metadata.ownerReferences[0].name==\"tick\")]}{.metadata.name} {.status.succeeded}{\"\\n\"}{end}"))
            .containsPattern("(?m)^tick-\\d+ 1$"));
    assertThat(cluster.kubectlOk("get", "cronjob", "tick")).containsPattern("(?m)^tick\\s+\\* \\* \\* \\* \\*\\s+<none>\\s+False\\s+\\d+\\s+\\d+[ms]\\S*\\s");

    cluster.kubectlOk("delete", "cronjob", "tick");
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
        assertThat(cluster.kubectlOk("get", "jobs,pods", "-o", "name")).doesNotContain("tick-").contains("job.batch/batch"));
    cluster.kubectlOk("delete", "job", "batch", "flaky", "per-index", "--ignore-not-found");
  }

  /**
   * Service discovery, from a container and from a VM: the node's cluster DNS answers a Service's
   * name with its ClusterIP, a headless Service's with its pods' IPs and a pod with hostname and
   * subdomain by its own name (through the cluster search path, as libc resolves it), an unknown
   * name with NXDOMAIN; a pod started after a Service has its variables, usable in $(VAR).
   */
  @Test
  @Order(12)
  void podsFindServicesByName() {
    String services = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: dns-e2e}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: dns-e2e}
        spec:
          selector: {app: dns-web}
          ports: [{name: http, port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: db, namespace: dns-e2e}
        spec:
          clusterIP: None
          selector: {app: dns-db}
          ports: [{name: http, port: 8080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: db-0, namespace: dns-e2e, labels: {app: dns-db}}
        spec:
          hostname: db-0
          subdomain: db
          terminationGracePeriodSeconds: 1
          containers:
          - name: db
            image: keelson.local/busybox:latest
            command: ["sh", "-c", "mkdir -p /www && echo hello from db-0 > /www/index.html && exec httpd -f -p 8080 -h /www"]
        """;
    cluster.applyOk(services);
    StringBuilder clients = new StringBuilder();
    for (String runtime : List.of("runc", "vm")) {
      clients.append("""
          ---
          apiVersion: v1
          kind: Pod
          metadata: {name: client-%s, namespace: dns-e2e}
          spec:
            runtimeClassName: %s
            terminationGracePeriodSeconds: 1
            containers:
            - name: c
              image: keelson.local/busybox:latest
              command: ["sh", "-c", "exec sleep 3600"]
              env: [{name: WEB_URL, value: "http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT)"}]
          """.formatted(runtime, runtime));
    }
    cluster.applyOk(clients.toString());
    KeelsonCluster.Result ready = cluster.kubectl("-n", "dns-e2e", "wait", "--for=condition=Ready", "pod", "--all", "--timeout=240s");
    assertThat(ready.ok()).as("pods Ready\n%s\n%s", ready, cluster.diagnostics()).isTrue();
    String webIp = cluster.kubectlOk("-n", "dns-e2e", "get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}");
    String dbIp = cluster.kubectlOk("-n", "dns-e2e", "get", "pod", "db-0", "-o", "jsonpath={.status.podIP}");
    try {
      for (String client : List.of("client-runc", "client-vm")) {
        assertThat(cluster.kubectlOk("-n", "dns-e2e", "exec", client, "--", "cat", "/etc/resolv.conf")).as(client)
            .contains("search dns-e2e.svc.cluster.local svc.cluster.local cluster.local")
            .containsPattern("nameserver 10\\.\\d+\\.\\d+\\.1\n")
            .contains("options ndots:5");
        assertThat(cluster.kubectlOk("-n", "dns-e2e", "exec", client, "--", "env")).as(client)
            .contains("WEB_SERVICE_HOST=" + webIp + "\n", "WEB_SERVICE_PORT_HTTP=80\n", "WEB_PORT=tcp://" + webIp + ":80\n",
                "WEB_URL=http://" + webIp + ":80\n");
        // the node's Service informer may see the Services a moment after the API has them
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
            assertThat(cluster.kubectl("-n", "dns-e2e", "exec", client, "--", "nslookup", "web").out())
                .contains("web.dns-e2e.svc.cluster.local", "Address: " + webIp));
        assertThat(cluster.kubectlOk("-n", "dns-e2e", "exec", client, "--", "nslookup", "web.dns-e2e.svc.cluster.local"))
            .contains("Address: " + webIp);
        // busybox nslookup asks every search domain and exits 1 when one has no such name, as it does with CoreDNS
        assertThat(cluster.kubectl("-n", "dns-e2e", "exec", client, "--", "nslookup", "db").out()).as("headless: the pods")
            .contains("db.dns-e2e.svc.cluster.local", "Address: " + dbIp);
        // libc's resolver: db-0.db has fewer than ndots dots, so the search path completes it
        assertThat(cluster.kubectlOk("-n", "dns-e2e", "exec", client, "--", "sh", "-c",
            "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 db-0.db 8080")).as(client).contains("hello from db-0");
        KeelsonCluster.Result unknown = cluster.kubectl("-n", "dns-e2e", "exec", client, "--", "nslookup", "nope.dns-e2e.svc.cluster.local");
        assertThat(unknown.ok()).as(unknown.toString()).isFalse();
        assertThat(unknown.out()).contains("NXDOMAIN");
      }
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + cluster.diagnostics(), e);
    } finally {
      cluster.kubectl("delete", "namespace", "dns-e2e", "--wait=false");
    }
  }

  /**
   * A StatefulSet behind a headless Service: pods web-0..2 made in order, each once the one before is
   * Ready, each resolvable by its own DNS name; scaled down from the top; rolled out after a template
   * change; and gone with the set.
   */
  @Test
  @Order(12)
  void statefulSetPodsComeInOrderWithStableNames() {
    String yaml = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: sts-e2e}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: sts-e2e}
        spec:
          clusterIP: None
          selector: {app: sts-web}
          ports: [{port: 80}]
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: web, namespace: sts-e2e}
        spec:
          serviceName: web
          replicas: 3
          selector: {matchLabels: {app: sts-web}}
          template:
            metadata: {labels: {app: sts-web}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: keelson.local/busybox:latest
                command: ["sh", "-c", "exec sleep 3600"]
        """;
    try {
      cluster.applyOk(yaml);
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
          assertThat(cluster.kubectlOk("-n", "sts-e2e", "get", "sts", "web", "-o", "jsonpath={.status.readyReplicas}")).isEqualTo("3"));
      // OrderedReady: each pod is made no earlier than its predecessor became Ready (RFC 3339 seconds compare as text)
      String[] created = cluster.kubectlOk("-n", "sts-e2e", "get", "pods", "web-0", "web-1", "web-2", "-o",
          "jsonpath={range .items[*]}{.metadata.creationTimestamp} {end}").trim().split(" ");
      String[] readyAt = cluster.kubectlOk("-n", "sts-e2e", "get", "pods", "web-0", "web-1", "web-2", "-o",
          "jsonpath={range .items[*]}{.status.conditions[?(@.type==\"Ready\")].lastTransitionTime} {end}").trim().split(" ");
      assertThat(created[1]).isGreaterThanOrEqualTo(readyAt[0]);
      assertThat(created[2]).isGreaterThanOrEqualTo(readyAt[1]);
      assertThat(cluster.kubectlOk("-n", "sts-e2e", "exec", "web-1", "--", "hostname").trim()).isEqualTo("web-1");
      String ip = cluster.kubectlOk("-n", "sts-e2e", "get", "pod", "web-1", "-o", "jsonpath={.status.podIP}");
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
          assertThat(cluster.kubectl("-n", "sts-e2e", "exec", "web-0", "--", "nslookup", "web-1.web.sts-e2e.svc.cluster.local").out())
              .contains("Address: " + ip));

      cluster.kubectlOk("-n", "sts-e2e", "scale", "sts", "web", "--replicas=1");
      // from the top, one at a time: web-1 stays while web-2 is still there
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
        String pods = cluster.kubectlOk("-n", "sts-e2e", "get", "pods", "-o", "jsonpath={.items[*].metadata.name}");
        assertThat(pods.contains("web-2") && !pods.contains("web-1")).as("web-1 went before web-2: %s", pods).isFalse();
        return pods.trim().equals("web-0");
      });

      cluster.kubectlOk("-n", "sts-e2e", "set", "env", "sts/web", "ROLLED=1");
      KeelsonCluster.Result rolled = cluster.kubectl("-n", "sts-e2e", "rollout", "status", "sts/web", "--timeout=60s");
      assertThat(rolled.ok()).as(rolled.toString()).isTrue();
      assertThat(rolled.out()).contains("roll out complete");
      assertThat(cluster.kubectlOk("-n", "sts-e2e", "exec", "web-0", "--", "sh", "-c", "echo $ROLLED").trim()).isEqualTo("1");

      cluster.kubectlOk("-n", "sts-e2e", "delete", "sts", "web");
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(() ->
          cluster.kubectlOk("-n", "sts-e2e", "get", "pods,controllerrevisions", "-o", "name").isBlank());
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + cluster.diagnostics(), e);
    } finally {
      cluster.kubectl("delete", "namespace", "sts-e2e", "--wait=false");
    }
  }

  /**
   * What in-cluster clients (client-go, fabric8) rely on: a pod's projected credentials — its
   * ServiceAccount's token, the cluster CA, its namespace — and KUBERNETES_SERVICE_HOST reach the API
   * through the kubernetes Service, the CA verifying the certificate for kubernetes.default.svc. The
   * token is the account's: RBAC refuses it until a RoleBinding grants `view`, and it dies with the pod.
   * (Checked with the host's curl on the pod's files: busybox's built-in TLS does not handshake with
   * the JDK's.)
   */
  @Test
  @Order(12)
  void aPodsCredentialsReachTheApiThroughTheKubernetesService() throws Exception {
    String yaml = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: creds-e2e}
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: reader, namespace: creds-e2e}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: holder, namespace: creds-e2e}
        spec:
          serviceAccountName: reader
          terminationGracePeriodSeconds: 1
          containers:
          - name: c
            image: keelson.local/busybox:latest
            command: ["sh", "-c", "exec sleep 3600"]
        """;
    cluster.applyOk(yaml);
    Path dir = Files.createTempDirectory("creds-e2e");
    try {
      KeelsonCluster.Result ready = cluster.kubectl("-n", "creds-e2e", "wait", "--for=condition=Ready", "pod/holder", "--timeout=120s");
      assertThat(ready.ok()).as("pod Ready\n%s\n%s", ready, cluster.diagnostics()).isTrue();
      String sa = "/var/run/secrets/kubernetes.io/serviceaccount/";
      String token = cluster.kubectlOk("-n", "creds-e2e", "exec", "holder", "--", "cat", sa + "token").strip();
      Files.writeString(dir.resolve("ca.crt"), cluster.kubectlOk("-n", "creds-e2e", "exec", "holder", "--", "cat", sa + "ca.crt"));
      assertThat(cluster.kubectlOk("-n", "creds-e2e", "exec", "holder", "--", "cat", sa + "namespace")).isEqualTo("creds-e2e");
      assertThat(cluster.kubectlOk("-n", "creds-e2e", "exec", "holder", "--", "env"))
          .contains("KUBERNETES_SERVICE_HOST=10.96.0.1\n", "KUBERNETES_SERVICE_PORT=443\n");

      List<String> listPods = List.of("curl", "-s", "--max-time", "10", "--cacert", dir.resolve("ca.crt").toString(),
          "--resolve", "kubernetes.default.svc:443:10.96.0.1", "-H", "Authorization: Bearer " + token,
          "-w", "\n%{http_code}", "https://kubernetes.default.svc/api/v1/namespaces/creds-e2e/pods");
      KeelsonCluster.Result forbidden = cluster.run(Duration.ofSeconds(20), listPods);
      assertThat(forbidden.out()).as(forbidden.toString()).endsWith("\n403")
          .contains("pods is forbidden: User \\\"system:serviceaccount:creds-e2e:reader\\\" cannot list resource \\\"pods\\\"");

      cluster.kubectlOk("-n", "creds-e2e", "create", "rolebinding", "reader-view", "--clusterrole=view", "--serviceaccount=creds-e2e:reader");
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
          assertThat(cluster.run(Duration.ofSeconds(20), listPods).out()).endsWith("\n200").contains("\"name\":\"holder\""));

      cluster.kubectlOk("-n", "creds-e2e", "delete", "pod", "holder", "--wait=true");
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
          assertThat(cluster.run(Duration.ofSeconds(20), listPods).out()).as("a token bound to a deleted pod").endsWith("\n401"));
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + cluster.diagnostics(), e);
    } finally {
      cluster.kubectl("delete", "namespace", "creds-e2e", "--wait=false");
    }
  }

  /**
   * The RBAC lab's user, made as a Kubernetes admin makes one: openssl key and request, a
   * CertificateSigningRequest, {@code kubectl certificate approve}, the controller-manager's signer
   * issues the certificate, and kubectl with it is that user — forbidden until a RoleBinding says otherwise.
   */
  @Test
  @Order(12)
  void anApprovedCertificateRequestMakesAUserThatRbacGoverns() throws Exception {
    Assumptions.assumeTrue(Shell.run(Duration.ofSeconds(10), List.of("sh", "-c", "command -v openssl")).exit() == 0,
        "openssl is not installed: cannot make a key and request as a user would");
    Path work = Files.createTempDirectory("csr-e2e");
    KeelsonCluster.Result made = Shell.run(Duration.ofSeconds(30), List.of("sh", "-c", "cd " + work
        + " && openssl genrsa -out ann.key 2048 && openssl req -new -key ann.key -subj /CN=ann/O=qa -out ann.csr"));
    assertThat(made.exit()).as(made.toString()).isZero();
    String request = java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(work.resolve("ann.csr")));
    String csr = """
        apiVersion: certificates.k8s.io/v1
        kind: CertificateSigningRequest
        metadata: {name: ann}
        spec:
          request: %s
          signerName: kubernetes.io/kube-apiserver-client
          expirationSeconds: 86400
          usages: [client auth]
        """.formatted(request);
    try {
      KeelsonCluster.Result applied = cluster.apply(csr);
      assertThat(applied.out()).as(applied.toString()).contains("certificatesigningrequest.certificates.k8s.io/ann created");
      assertThat(cluster.kubectlOk("get", "csr", "ann")).contains("kubernetes.io/kube-apiserver-client").contains("24h").contains("Pending");
      assertThat(cluster.kubectlOk("certificate", "approve", "ann")).contains("approved");
      await().atMost(Duration.ofSeconds(30)).until(() -> cluster.kubectl("get", "csr", "ann").out().contains("Approved,Issued"));
      byte[] cert = java.util.Base64.getDecoder().decode(cluster.kubectlOk("get", "csr", "ann", "-o", "jsonpath={.status.certificate}"));
      Files.write(work.resolve("ann.crt"), cert);
      String server = cluster.kubectlOk("config", "view", "--minify", "--raw", "-o", "jsonpath={.clusters[0].cluster.server}");
      String ca = cluster.kubectlOk("config", "view", "--minify", "--raw", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}");
      Files.writeString(work.resolve("kubeconfig"), """
          apiVersion: v1
          kind: Config
          clusters: [{name: c, cluster: {server: "%s", certificate-authority-data: %s}}]
          users: [{name: ann, user: {client-certificate: %s, client-key: %s}}]
          contexts: [{name: ann, context: {cluster: c, user: ann, namespace: default}}]
          current-context: ann
          """.formatted(server, ca, work.resolve("ann.crt"), work.resolve("ann.key")));
      Map<String, String> asAnn = Map.of("KUBECONFIG", work.resolve("kubeconfig").toString());
      KeelsonCluster.Result who = Shell.run(Duration.ofSeconds(30), List.of("kubectl", "auth", "whoami"), null, asAnn);
      assertThat(who.out()).as(who.toString()).containsPattern("Username\\s+ann").containsPattern("Groups\\s+\\[qa system:authenticated\\]");
      KeelsonCluster.Result denied = Shell.run(Duration.ofSeconds(30), List.of("kubectl", "get", "pods"), null, asAnn);
      assertThat(denied.err()).contains("User \"ann\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"");
      cluster.kubectlOk("create", "rolebinding", "ann-view", "--clusterrole=view", "--group=qa");
      await().atMost(Duration.ofSeconds(20)).until(() -> Shell.run(Duration.ofSeconds(30), List.of("kubectl", "get", "pods"), null, asAnn).exit() == 0);
      assertThat(Shell.run(Duration.ofSeconds(30), List.of("kubectl", "auth", "can-i", "delete", "pods"), null, asAnn).out().trim()).isEqualTo("no");
    } finally {
      cluster.kubectl("delete", "csr", "ann", "--ignore-not-found");
      cluster.kubectl("delete", "rolebinding", "ann-view", "--ignore-not-found");
    }
  }

  /**
   * Persistent storage with the default local-path class: a claim gets its volume (a directory on
   * the node its first pod lands on) when that pod is scheduled; the data outlives the pod; a
   * StatefulSet's volumeClaimTemplates give each pod a claim of its own; deleting a claim deletes
   * its volume and, on the node, its directory.
   */
  @Test
  @Order(12)
  void claimsKeepDataAcrossPodsAndStatefulSetsGetAClaimPerPod() {
    String claimAndPod = """
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: notes}
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 64Mi}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: writer}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: main
            image: keelson.local/busybox:latest
            command: ["sh", "-c", "echo run >> /data/log; sleep 3600"]
            volumeMounts: [{name: data, mountPath: /data}]
          volumes:
          - name: data
            persistentVolumeClaim: {claimName: notes}
        """;
    String statefulSet = """
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: web}
        spec:
          replicas: 2
          serviceName: web
          selector: {matchLabels: {app: pvweb}}
          template:
            metadata: {labels: {app: pvweb}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: keelson.local/busybox:latest
                command: ["sh", "-c", "hostname > /data/owner; sleep 3600"]
                volumeMounts: [{name: data, mountPath: /data}]
          volumeClaimTemplates:
          - metadata: {name: data}
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 32Mi}}
        """;
    try {
      assertThat(cluster.kubectlOk("get", "storageclass")).contains("local-path (default)", "keelson.io/local-path", "WaitForFirstConsumer");
      cluster.apply(claimAndPod);
      cluster.kubectlOk("wait", "--for=condition=Ready", "pod/writer", "--timeout=120s");
      assertThat(cluster.kubectlOk("get", "pvc", "notes", "-o", "jsonpath={.status.phase} {.spec.storageClassName}"))
          .isEqualTo("Bound local-path");
      String volume = cluster.kubectlOk("get", "pvc", "notes", "-o", "jsonpath={.spec.volumeName}");
      assertThat(cluster.kubectlOk("get", "pv", volume, "-o", "jsonpath={.status.phase} {.spec.claimRef.name} {.spec.hostPath.path}"))
          .startsWith("Bound notes " + cluster.dir.resolve("nodes/node-1/storage").toAbsolutePath());
      // the data outlives the pod: the next pod on the claim finds the first one's line
      cluster.kubectlOk("delete", "pod", "writer", "--wait=true");
      cluster.apply(claimAndPod);
      cluster.kubectlOk("wait", "--for=condition=Ready", "pod/writer", "--timeout=120s");
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(cluster.kubectlOk("exec", "writer", "--", "cat", "/data/log")).isEqualTo("run\nrun\n"));

      cluster.apply(statefulSet);
      await().atMost(Duration.ofSeconds(180)).untilAsserted(() ->
          assertThat(cluster.kubectlOk("get", "pvc", "data-web-0", "data-web-1", "-o", "jsonpath={.items[*].status.phase}"))
              .isEqualTo("Bound Bound"));
      cluster.kubectlOk("wait", "--for=condition=Ready", "pod/web-1", "--timeout=120s");
      assertThat(cluster.kubectlOk("exec", "web-1", "--", "cat", "/data/owner")).isEqualTo("web-1\n");

      // a claim deleted once no pod uses it takes its volume (reclaim policy Delete) and the directory with it
      cluster.kubectlOk("delete", "pod", "writer", "--wait=true");
      cluster.kubectlOk("delete", "pvc", "notes", "--wait=true");
      await().atMost(Duration.ofSeconds(30)).until(() -> cluster.kubectl("get", "pv", volume).err().contains("NotFound"));
      Path storage = cluster.dir.resolve("nodes/node-1/storage");
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        try (var dirs = Files.list(storage)) {
          return dirs.noneMatch(d -> d.getFileName().toString().startsWith(volume + "_"));
        }
      });
    } finally {
      cluster.kubectl("delete", "statefulset", "web", "--wait=false");
      cluster.kubectl("delete", "pod", "writer", "--wait=false");
      cluster.kubectl("delete", "pvc", "notes", "data-web-0", "data-web-1", "--wait=false");
    }
  }

  /**
   * A platform engineer's guard rails in a fresh namespace: `kubectl create quota` caps it at two
   * pods, so a Deployment of three gets two and its ReplicaSet reports the third's refusal with
   * kube's quota message; `kubectl get quota` shows the usage the controller keeps; a LimitRange's
   * defaults appear in the resources of the pods created there.
   */
  @Test
  @Order(12)
  void aQuotaCapsADeploymentAndALimitRangeDefaultsItsPods() throws Exception {
    try {
      cluster.kubectlOk("create", "namespace", "quota-e2e");
      cluster.kubectlOk("-n", "quota-e2e", "create", "quota", "q", "--hard=pods=2,requests.cpu=1");
      String limits = """
          apiVersion: v1
          kind: LimitRange
          metadata: {name: defaults, namespace: quota-e2e}
          spec:
            limits:
            - type: Container
              default: {cpu: 200m, memory: 64Mi}
              defaultRequest: {cpu: 100m}
          """;
      KeelsonCluster.Result applied = cluster.apply(limits);
      assertThat(applied.out()).as(applied.toString()).contains("limitrange/defaults created");
      // admission enforces a quota once its controller has counted the namespace (status.hard), as in kube
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
          assertThat(cluster.kubectlOk("-n", "quota-e2e", "get", "quota", "q")).contains("pods: 0/2, requests.cpu: 0/1"));

      cluster.kubectlOk("-n", "quota-e2e", "create", "deployment", "capped", "--image=keelson.local/busybox:latest",
          "--replicas=3", "--", "sleep", "3600");
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
        assertThat(cluster.kubectlOk("-n", "quota-e2e", "get", "events", "--field-selector", "reason=FailedCreate",
            "-o", "jsonpath={.items[*].message}"))
            .containsPattern("Error creating: pods \"capped-[a-z0-9-]+\" is forbidden: exceeded quota: q, "
                + "requested: pods=1, used: pods=2, limited: pods=2");
        assertThat(cluster.kubectlOk("-n", "quota-e2e", "get", "quota", "q")).contains("pods: 2/2, requests.cpu: 200m/1");
      });
      assertThat(cluster.kubectlOk("-n", "quota-e2e", "get", "pods", "-o", "name").lines()).hasSize(2);
      String resources = cluster.kubectlOk("-n", "quota-e2e", "get", "pods", "-o", "jsonpath={.items[0].spec.containers[0].resources}");
      assertThat(resources).isEqualTo("{\"limits\":{\"cpu\":\"200m\",\"memory\":\"64Mi\"},"
          + "\"requests\":{\"cpu\":\"100m\",\"memory\":\"64Mi\"}}");

      // a pod gone gives its share back: the ReplicaSet's retry then gets the third one in
      String first = cluster.kubectlOk("-n", "quota-e2e", "get", "pods", "-o", "jsonpath={.items[0].metadata.name}");
      cluster.kubectlOk("-n", "quota-e2e", "delete", "pod", first, "--wait=true");
      // (after the controller's recount: the ReplicaSet's retries back off up to a minute meanwhile)
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
          assertThat(cluster.kubectlOk("-n", "quota-e2e", "get", "pods", "-o", "name").lines()).hasSize(2)
              .doesNotContain("pod/" + first));
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + cluster.diagnostics(), e);
    } finally {
      cluster.kubectl("delete", "namespace", "quota-e2e", "--wait=false");
    }
  }

  /**
   * A second cluster on this host gets a pod range of its own. Both clusters' node-1 used to put
   * 10.244.0.0/24 on their bridges: the host (the agent's HTTP probes, port-forwards to VMs, curl)
   * then reached the first cluster's bridge at the second cluster's pod IPs, and a pod with an HTTP
   * readiness probe in the second cluster never became Ready.
   */
  @Test
  @Order(13)
  void aSecondClusterOnThisHostHasAPodRangeOfItsOwn() throws Exception {
    try (KeelsonCluster second = KeelsonCluster.start(1, false)) {
      String firstRange = cluster.kubectlOk("get", "node", "node-1", "-o", "jsonpath={.spec.podCIDR}");
      String secondRange = second.kubectlOk("get", "node", "node-1", "-o", "jsonpath={.spec.podCIDR}");
      assertThat(secondRange).as("node ranges of the two clusters").matches("10\\.\\d+\\.\\d+\\.0/24")
          .isNotEqualTo(firstRange);
      assertThat(second.keelson("status").out()).contains("pods: " + secondRange.replaceFirst("\\.\\d+\\.0/24$", ".0.0/16"));
      String yaml = """
          apiVersion: v1
          kind: Pod
          metadata: {name: second-web}
          spec:
            terminationGracePeriodSeconds: 1
            containers:
            - name: web
              image: keelson.local/busybox:latest
              command: ["sh", "-c", "mkdir -p /www && echo hello from the second cluster > /www/index.html && exec httpd -f -p 8080 -h /www"]
              readinessProbe:
                httpGet: {path: /index.html, port: 8080}
                periodSeconds: 1
          """;
      KeelsonCluster.Result applied = second.apply(yaml);
      assertThat(applied.out()).as(applied.toString()).contains("pod/second-web created");
      KeelsonCluster.Result ready = second.kubectl("wait", "--for=condition=Ready", "pod/second-web", "--timeout=120s");
      assertThat(ready.ok()).as("the HTTP readiness probe reaches the pod\n%s\n%s", ready, second.diagnostics()).isTrue();
      String ip = second.kubectlOk("get", "pod", "second-web", "-o", "jsonpath={.status.podIP}");
      KeelsonCluster.Result fetched = second.run(Duration.ofSeconds(20), List.of("curl", "-sS", "-m", "5", "http://" + ip + ":8080/"));
      assertThat(fetched.out()).as(fetched.toString()).isEqualTo("hello from the second cluster\n");
    }
  }
}
