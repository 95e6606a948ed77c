package io.keelson.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
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
 * VMs, scale, roll out, undo, logs, exec, `keelctl compare`, delete — with kubectl and keelctl.
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
}
