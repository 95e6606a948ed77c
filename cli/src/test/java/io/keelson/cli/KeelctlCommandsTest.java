package io.keelson.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** keelctl's commands end to end against fabric8's in-memory API server (CRUD mode). */
class KeelctlCommandsTest {
  @TempDir Path dir;
  private KubernetesMockServer server;
  private Path kubeconfig;

  record Run(int exit, String out, String err) {}

  @BeforeEach
  void start() throws Exception {
    server = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(), new io.fabric8.mockwebserver.MockWebServer(),
        new java.util.HashMap<>(), new io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher(), true);
    server.init();
    kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, """
        apiVersion: v1
        kind: Config
        clusters: [{name: mock, cluster: {server: "%s", insecure-skip-tls-verify: true}}]
        users: [{name: me, user: {token: t}}]
        contexts: [{name: mock, context: {cluster: mock, user: me, namespace: default}}]
        current-context: mock
        """.formatted(server.url("/").replaceAll("/$", "")));
  }

  @AfterEach
  void stop() {
    server.destroy();
  }

  private Run keelctl(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true));
    System.setErr(new PrintStream(err, true));
    try {
      List<String> all = new ArrayList<>(List.of("--kubeconfig", kubeconfig.toString()));
      all.addAll(List.of(args));
      int code = Keelctl.commandLine().execute(all.toArray(String[]::new));
      return new Run(code, out.toString(), err.toString());
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  private Path manifest(int replicas, String image) throws Exception {
    Path f = dir.resolve("web.yaml");
    Files.writeString(f, """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: %d
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: c, image: "%s"}]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}
        data: {mode: fast}
        """.formatted(replicas, image));
    return f;
  }

  @Test
  void applyCreatesThenReportsUnchangedThenConfigured() throws Exception {
    Path f = manifest(2, "busybox");
    Run first = keelctl("apply", "-f", f.toString());
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.out()).contains("deployment.apps/web created").contains("configmap/settings created");

    assertThat(keelctl("apply", "-f", f.toString()).out())
        .contains("deployment.apps/web unchanged").contains("configmap/settings unchanged");

    Run changed = keelctl("apply", "-f", manifest(3, "busybox:2").toString());
    assertThat(changed.out()).contains("deployment.apps/web configured").contains("configmap/settings unchanged");
    // (the mock's merge patch does not replace lists, so only the scalar is checked here)
    assertThat(keelctl("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}").out()).isEqualTo("3");
    assertThat(keelctl("get", "deploy", "web", "-o", "yaml").out()).contains("busybox:2"); // in last-applied
  }

  @Test
  void getPrintsTablesNamesYamlAndFailsWithNotFound() throws Exception {
    keelctl("apply", "-f", manifest(2, "busybox").toString());
    Run table = keelctl("get", "deployments");
    assertThat(table.out()).startsWith("NAME").contains("READY").contains("UP-TO-DATE").contains("web");
    assertThat(keelctl("get", "deploy,cm", "-o", "name").out()).contains("deployment.apps/web").contains("configmap/settings");
    assertThat(keelctl("get", "cm", "settings", "-o", "yaml").out()).contains("kind: ConfigMap").contains("mode: fast");
    Run missing = keelctl("get", "deploy", "nope");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("NotFound");
  }

  @Test
  void deleteFromFileRemovesObjects() throws Exception {
    Path f = manifest(1, "busybox");
    keelctl("apply", "-f", f.toString());
    Run del = keelctl("delete", "-f", f.toString(), "--timeout=20s");
    assertThat(del.exit()).as(del.err()).isZero();
    assertThat(del.out()).contains("deployments.apps \"web\" deleted").contains("configmaps \"settings\" deleted");
    assertThat(keelctl("get", "deploy", "web").exit()).isEqualTo(1);
  }

  @Test
  void rolloutRestartStampsTheTemplate() throws Exception {
    keelctl("apply", "-f", manifest(1, "busybox").toString());
    assertThat(keelctl("rollout", "restart", "deploy/web").out()).contains("deployment.apps/web restarted");
    assertThat(keelctl("get", "deploy", "web", "-o", "yaml").out()).contains("kubectl.kubernetes.io/restartedAt");
  }

  @Test
  void usageErrorsExitWithTwo() {
    assertThat(keelctl("frobnicate").exit()).isEqualTo(2);
    assertThat(keelctl("get").exit()).isEqualTo(2);
    assertThat(keelctl("scale", "deploy/web").exit()).isEqualTo(2); // --replicas missing
    assertThat(keelctl("apply", "--help").out()).contains("--filename");
  }
}
