package io.keelson.apiserver.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Discovery, OpenAPI and Table printing as the real kubectl uses them, against `./keelson up` (etcd
 * and the api-server only). Skipped when the host has no kubectl, no etcd or no built api-server jar.
 */
class KubectlIT {

  private static Path root;
  private static Path dir;
  private static int port;

  record Result(int code, String out) {}

  @BeforeAll
  static void up() throws Exception {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isExecutable(p.resolve("keelson"))) p = p.getParent();
    root = p;
    Assumptions.assumeTrue(root != null, "no ./keelson launcher above " + Path.of("").toAbsolutePath());
    Assumptions.assumeTrue(Files.exists(root.resolve("api-server/target/keelson-api-server.jar")),
        "api-server jar not built");
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/kubectl")), "no /usr/bin/kubectl on this host");
    Assumptions.assumeTrue(onPath("etcd"), "no etcd on this host");
    dir = Files.createTempDirectory("keelson-kubectl-it");
    port = 30443 + (int) (ProcessHandle.current().pid() % 50) * 40;
    Result r = run(600, root.resolve("keelson").toString(), "up", "--dir", dir.toString(), "--api-port", "" + port,
        "--nodes", "0", "--without", "scheduler,controller-manager");
    assertThat(r.code()).as(r.out()).isZero();
  }

  @AfterAll
  static void down() throws Exception {
    if (dir != null) run(120, root.resolve("keelson").toString(), "down", "--dir", dir.toString(), "--purge");
  }

  private static boolean onPath(String cmd) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(d, cmd))) return true;
    }
    return false;
  }

  private static Result run(int timeoutSec, String... cmd) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("KUBECONFIG", dir.resolve("kubeconfig").toString());
    pb.environment().put("KEELSON_NO_BUILD", "1");
    Process proc = pb.start();
    byte[] out = proc.getInputStream().readAllBytes();
    if (!proc.waitFor(timeoutSec, TimeUnit.SECONDS)) {
      proc.destroyForcibly();
      return new Result(-1, "timeout: " + String.join(" ", cmd));
    }
    return new Result(proc.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** Runs kubectl with a private discovery cache so earlier runs on the same port cannot interfere. */
  private static Result kubectl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--request-timeout=30s",
        "--cache-dir=" + dir.resolve("kube-cache")));
    cmd.addAll(List.of(args));
    return run(90, cmd.toArray(String[]::new));
  }

  private static String ok(String... args) throws Exception {
    Result r = kubectl(args);
    assertThat(r.code()).as("kubectl " + String.join(" ", args) + ": " + r.out()).isZero();
    return r.out();
  }

  private static String manifest(String name, String yaml) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, yaml);
    return f.toString();
  }

  @Test
  void versionAndApiResources() throws Exception {
    assertThat(ok("version", "-o", "json")).contains("\"minor\": \"32\"");
    String resources = ok("api-resources");
    assertThat(resources).containsPattern("deployments\\s+deploy\\s+apps/v1\\s+true\\s+Deployment")
        .containsPattern("pods\\s+po\\s+v1\\s+true\\s+Pod")
        .containsPattern("runtimeclasses\\s+node.k8s.io/v1\\s+false\\s+RuntimeClass");
    assertThat(ok("api-versions")).contains("apps/v1", "coordination.k8s.io/v1", "scheduling.k8s.io/v1");
  }

  @Test
  void explainFindsFieldsAndDescriptions() throws Exception {
    String out = ok("explain", "deployment.spec.replicas");
    assertThat(out).contains("GROUP:      apps", "KIND:       Deployment", "FIELD: replicas <integer>",
        "How many pods");
    assertThat(ok("explain", "pods.spec.containers.resources.limits")).contains("<map[string]Quantity>");
    assertThat(ok("explain", "service.spec.ports")).contains("targetPort\t<IntOrString>");
  }

  @Test
  void applyValidatesStrictlyAndPrintsUnchanged() throws Exception {
    String f = manifest("app.yaml", """
        apiVersion: v1
        kind: Namespace
        metadata: {name: it-apply}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: it-apply}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: web
                image: keelson.local/busybox:latest
                env: [{name: A, value: "1"}]
        """);
    assertThat(ok("apply", "-f", f)).contains("deployment.apps/web created");
    assertThat(ok("apply", "-f", f)).contains("deployment.apps/web unchanged");
    String bad = manifest("bad.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: bad, namespace: it-apply}
        bogus: 1
        """);
    Result r = kubectl("apply", "-f", bad);
    assertThat(r.code()).isNotZero();
    assertThat(r.out()).contains("unknown field \"bogus\"").doesNotContain("openapi");

    String wide = ok("get", "deploy", "-n", "it-apply", "-o", "wide");
    assertThat(wide.lines().findFirst().orElseThrow())
        .containsPattern("NAME\\s+READY\\s+UP-TO-DATE\\s+AVAILABLE\\s+AGE\\s+CONTAINERS\\s+IMAGES\\s+SELECTOR");
    assertThat(wide).containsPattern("web\\s+0/2\\s+0\\s+0\\s+\\S+\\s+web\\s+keelson.local/busybox:latest\\s+app=web");
  }

  @Test
  void tablesHaveKubectlColumns() throws Exception {
    ok("create", "namespace", "it-tables");
    ok("run", "p", "-n", "it-tables", "--image=keelson.local/busybox:latest", "--", "sleep", "100");
    String pods = ok("get", "pods", "-n", "it-tables", "-o", "wide");
    assertThat(pods.lines().findFirst().orElseThrow()).containsPattern(
        "NAME\\s+READY\\s+STATUS\\s+RESTARTS\\s+AGE\\s+IP\\s+NODE\\s+NOMINATED NODE\\s+READINESS GATES");
    assertThat(pods).containsPattern("p\\s+0/1\\s+Pending\\s+0\\s+\\d+s\\s+<none>\\s+<none>");
    assertThat(ok("get", "ns", "it-tables")).containsPattern("it-tables\\s+Active");
    assertThat(ok("get", "runtimeclass")).containsPattern("NAME\\s+HANDLER\\s+AGE").containsPattern("runc\\s+runc");
    assertThat(ok("get", "pods", "-A")).containsPattern("NAMESPACE\\s+NAME\\s+READY\\s+STATUS");
  }

  /** Persistent storage objects as kubectl shows them: the default class, defaulted claims, kube's columns and errors. */
  @Test
  void storageObjectsHaveKubectlColumnsDefaultsAndErrors() throws Exception {
    assertThat(ok("api-resources")).containsPattern("persistentvolumeclaims\\s+pvc\\s+v1\\s+true\\s+PersistentVolumeClaim")
        .containsPattern("persistentvolumes\\s+pv\\s+v1\\s+false\\s+PersistentVolume")
        .containsPattern("storageclasses\\s+sc\\s+storage.k8s.io/v1\\s+false\\s+StorageClass");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(ok("get", "sc"))
        .containsPattern("NAME\\s+PROVISIONER\\s+RECLAIMPOLICY\\s+VOLUMEBINDINGMODE\\s+ALLOWVOLUMEEXPANSION\\s+AGE")
        .containsPattern("local-path \\(default\\)\\s+keelson.io/local-path\\s+Delete\\s+WaitForFirstConsumer\\s+false"));
    ok("create", "namespace", "it-storage");
    String f = manifest("storage.yaml", """
        apiVersion: v1
        kind: PersistentVolume
        metadata: {name: it-pv}
        spec:
          capacity: {storage: 2Gi}
          accessModes: [ReadWriteOnce]
          hostPath: {path: /srv/it-pv}
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: data, namespace: it-storage}
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
        """);
    assertThat(ok("apply", "-f", f)).contains("persistentvolume/it-pv created", "persistentvolumeclaim/data created");
    // DefaultStorageClass admission, the protection finalizers, kube's defaults
    assertThat(ok("get", "pvc", "data", "-n", "it-storage", "-o",
        "jsonpath={.spec.storageClassName} {.spec.volumeMode} {.status.phase} {.metadata.finalizers}"))
        .isEqualTo("local-path Filesystem Pending [\"kubernetes.io/pvc-protection\"]");
    assertThat(ok("get", "pv", "it-pv", "-o", "jsonpath={.spec.persistentVolumeReclaimPolicy} {.metadata.finalizers}"))
        .isEqualTo("Retain [\"kubernetes.io/pv-protection\"]");
    assertThat(ok("get", "pv").lines().findFirst().orElseThrow()).containsPattern("NAME\\s+CAPACITY\\s+ACCESS MODES\\s+"
        + "RECLAIM POLICY\\s+STATUS\\s+CLAIM\\s+STORAGECLASS\\s+VOLUMEATTRIBUTESCLASS\\s+REASON\\s+AGE");
    assertThat(ok("get", "pvc", "-n", "it-storage")).containsPattern(
        "NAME\\s+STATUS\\s+VOLUME\\s+CAPACITY\\s+ACCESS MODES\\s+STORAGECLASS\\s+VOLUMEATTRIBUTESCLASS\\s+AGE")
        .containsPattern("data\\s+Pending\\s+local-path\\s+<unset>");
    Result bad = kubectl("create", "-n", "it-storage", "-f", manifest("bad-pvc.yaml", """
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: bad}
        spec:
          resources: {requests: {storage: 0}}
        """));
    assertThat(bad.code()).isNotZero();
    assertThat(bad.out()).contains("spec.accessModes: Required value: at least 1 access mode is required",
        "spec.resources.requests[storage]: Invalid value: \"0\": must be greater than zero");
    Result shrink = kubectl("patch", "pvc", "data", "-n", "it-storage", "-p", "{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"1Mi\"}}}}");
    assertThat(shrink.out()).contains("spec.resources.requests.storage: Forbidden: field can not be less than previous value");
  }

  /** batch/v1 as kubectl 1.32 sees it: typed (protobuf) creates, generated selectors, columns, explain, "all", errors. */
  @Test
  void jobsAndCronJobs() throws Exception {
    ok("create", "namespace", "it-batch");
    assertThat(ok("create", "job", "pi", "-n", "it-batch", "--image=keelson.local/busybox:latest", "--", "echo", "3.14"))
        .contains("job.batch/pi created");
    String uid = ok("get", "job", "pi", "-n", "it-batch", "-o", "jsonpath={.metadata.uid}");
    assertThat(ok("get", "job", "pi", "-n", "it-batch", "-o", "jsonpath={.spec.selector.matchLabels}"))
        .isEqualTo("{\"batch.kubernetes.io/controller-uid\":\"" + uid + "\"}");
    assertThat(ok("get", "job", "pi", "-n", "it-batch", "-o", "yaml")).contains("backoffLimit: 6", "completions: 1", "parallelism: 1",
        "completionMode: NonIndexed", "suspend: false", "restartPolicy: Never", "batch.kubernetes.io/job-name: pi", "job-name: pi",
        "controller-uid: " + uid);
    String wide = ok("get", "job", "-n", "it-batch", "-o", "wide");
    assertThat(wide.lines().findFirst().orElseThrow())
        .containsPattern("NAME\\s+STATUS\\s+COMPLETIONS\\s+DURATION\\s+AGE\\s+CONTAINERS\\s+IMAGES\\s+SELECTOR");
    assertThat(wide).containsPattern("pi\\s+Running\\s+0/1\\s+\\d+s\\s+pi\\s+keelson.local/busybox:latest\\s+"
        + "batch.kubernetes.io/controller-uid=" + uid);

    assertThat(ok("create", "cronjob", "x", "-n", "it-batch", "--image=busybox", "--schedule=*/5 * * * *"))
        .contains("cronjob.batch/x created");
    String cj = ok("get", "cj", "-n", "it-batch");
    assertThat(cj.lines().findFirst().orElseThrow())
        .containsPattern("NAME\\s+SCHEDULE\\s+TIMEZONE\\s+SUSPEND\\s+ACTIVE\\s+LAST SCHEDULE\\s+AGE");
    assertThat(cj).containsPattern("x\\s+\\*/5 \\* \\* \\* \\*\\s+<none>\\s+False\\s+0\\s+<none>\\s+\\d+s");
    assertThat(ok("get", "cronjob", "x", "-n", "it-batch", "-o", "yaml")).contains("concurrencyPolicy: Allow",
        "successfulJobsHistoryLimit: 3", "failedJobsHistoryLimit: 1", "restartPolicy: OnFailure");
    assertThat(ok("get", "all", "-n", "it-batch")).contains("job.batch/pi", "cronjob.batch/x");
    assertThat(ok("describe", "cronjob", "x", "-n", "it-batch")).containsPattern("Schedule:\\s+\\*/5 \\* \\* \\* \\*")
        .containsPattern("Concurrency Policy:\\s+Allow");
    assertThat(ok("describe", "job", "pi", "-n", "it-batch")).containsPattern("Backoff Limit:\\s+6");

    assertThat(ok("explain", "cronjob.spec.schedule")).contains("GROUP:      batch", "KIND:       CronJob", "FIELD: schedule <string>",
        "cron");
    assertThat(ok("explain", "job.spec.backoffLimit")).contains("FIELD: backoffLimit <integer>", "Defaults to 6");
    assertThat(ok("api-resources", "--api-group=batch")).containsPattern("cronjobs\\s+cj\\s+batch/v1\\s+true\\s+CronJob")
        .containsPattern("jobs\\s+batch/v1\\s+true\\s+Job");

    Result bad = kubectl("create", "cronjob", "bad", "-n", "it-batch", "--image=busybox", "--schedule=*/5 * * *");
    assertThat(bad.code()).isNotZero();
    assertThat(bad.out()).contains("CronJob.batch \"bad\" is invalid: spec.schedule: Invalid value: \"*/5 * * *\": "
        + "expected exactly 5 fields, found 4: [*/5 * * *]");
    Result always = kubectl("create", "-n", "it-batch", "-f", manifest("always-job.yaml", """
        apiVersion: batch/v1
        kind: Job
        metadata: {name: always}
        spec:
          template:
            spec:
              restartPolicy: Always
              containers: [{name: c, image: busybox}]
        """));
    assertThat(always.code()).isNotZero();
    assertThat(always.out()).contains("spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: "
        + "\"OnFailure\", \"Never\"");
  }

  @Test
  void eventsOfEitherApiAreTheSameEvents() throws Exception {
    ok("create", "namespace", "it-events");
    ok("create", "-f", manifest("events.yaml", """
        apiVersion: v1
        kind: Event
        metadata: {name: web.1, namespace: it-events}
        involvedObject: {kind: Pod, name: web, namespace: it-events}
        reason: Started
        message: Started container web
        type: Normal
        source: {component: kubelet}
        count: 1
        firstTimestamp: "2026-11-27T19:00:00Z"
        lastTimestamp: "2026-11-27T19:00:00Z"
        ---
        apiVersion: events.k8s.io/v1
        kind: Event
        metadata: {name: web.2, namespace: it-events}
        regarding: {kind: Pod, name: web, namespace: it-events}
        reason: Scheduled
        note: Successfully assigned it-events/web to node-1
        type: Normal
        action: Binding
        eventTime: "2026-11-27T19:00:01.000000Z"
        reportingController: default-scheduler
        reportingInstance: default-scheduler-1
        """));
    // kubectl get events reads core/v1; events.events.k8s.io the other API: both list both events
    String core = ok("get", "events", "-n", "it-events");
    String v1 = ok("get", "events.events.k8s.io", "-n", "it-events");
    for (String out : List.of(core, v1)) {
      assertThat(out).containsPattern("Normal\\s+Started\\s+pod/web\\s+Started container web")
          .containsPattern("Normal\\s+Scheduled\\s+pod/web\\s+Successfully assigned it-events/web to node-1");
    }
    assertThat(ok("get", "events.events.k8s.io", "web.1", "-n", "it-events", "-o", "jsonpath={.note}/{.regarding.name}"))
        .isEqualTo("Started container web/web");
    assertThat(ok("get", "events", "web.2", "-n", "it-events", "-o", "jsonpath={.message}/{.reportingComponent}"))
        .isEqualTo("Successfully assigned it-events/web to node-1/default-scheduler");
    assertThat(ok("get", "events.events.k8s.io", "-n", "it-events", "--field-selector", "reason=Scheduled", "-o", "name"))
        .isEqualTo("event.events.k8s.io/web.2\n");
    ok("delete", "events.events.k8s.io", "web.1", "-n", "it-events");
    Result gone = kubectl("get", "events", "web.1", "-n", "it-events");
    assertThat(gone.code()).isNotZero();
    assertThat(gone.out()).contains("events \"web.1\" not found");
  }

  @Test
  void diffShowsOnlyWhatWouldChange() throws Exception {
    String yaml = """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: it-diff, namespace: default}
        data: {a: "1"}
        """;
    ok("apply", "-f", manifest("diff.yaml", yaml));
    Result same = kubectl("diff", "-f", manifest("diff.yaml", yaml));
    assertThat(same.code()).as(same.out()).isZero();
    Result changed = kubectl("diff", "-f", manifest("diff2.yaml", yaml.replace("a: \"1\"", "a: \"2\"")));
    assertThat(changed.code()).as(changed.out()).isEqualTo(1); // 1: differences found
    List<String> lines = changed.out().lines().filter(l -> l.matches("^[-+] .*")).toList();
    assertThat(lines).as(changed.out()).containsExactly("-  a: \"1\"", "+  a: \"2\"");
  }

  /** The health endpoints answer as kube-apiserver's: named checks, verbose listings, exclusions, one check by path. */
  @Test
  void healthChecksAreListedExcludedAndAskedOneByOne() throws Exception {
    assertThat(ok("get", "--raw", "/readyz")).isEqualTo("ok");
    assertThat(ok("get", "--raw", "/readyz?verbose")).contains("[+]ping ok\n").contains("[+]etcd ok\n")
        .contains("[+]informer-sync ok\n").contains("[+]poststarthook/bootstrap-controller ok\n")
        .contains("[+]poststarthook/rbac/bootstrap-roles ok\n").endsWith("readyz check passed\n");
    assertThat(ok("get", "--raw", "/livez?verbose&exclude=etcd")).contains("[+]etcd excluded: ok\n").endsWith("livez check passed\n")
        .doesNotContain("informer-sync");
    assertThat(ok("get", "--raw", "/readyz/etcd")).isEqualTo("ok");
    assertThat(ok("get", "--raw", "/healthz/ping")).isEqualTo("ok");
    assertThat(ok("get", "--raw", "/readyz/poststarthook/bootstrap-controller")).isEqualTo("ok");
    Result missing = kubectl("get", "--raw", "/livez/no-such-check");
    assertThat(missing.code()).isNotZero();
    assertThat(missing.out()).contains("NotFound");
  }

  /**
   * {@code kubectl get cs}: etcd answers; this cluster runs no scheduler and no controller-manager
   * (--without), so nobody holds their leases and both are reported Unhealthy with the reason.
   */
  @Test
  void componentStatusesReportEtcdAndTheLeaderlessComponents() throws Exception {
    Result r = kubectl("get", "cs");
    assertThat(r.code()).as(r.out()).isZero();
    assertThat(r.out()).contains("Warning: v1 ComponentStatus is deprecated in v1.19+")
        .containsPattern("(?m)^etcd-0\\s+Healthy\\s+ok")
        .containsPattern("(?m)^scheduler\\s+Unhealthy\\s+no replica holds its lease kube-system/keelson-scheduler")
        .containsPattern("(?m)^controller-manager\\s+Unhealthy\\s+no replica holds its lease kube-system/keelson-controller-manager");
    assertThat(ok("get", "componentstatus", "etcd-0", "-o", "jsonpath={.conditions[0].type}={.conditions[0].status}"))
        .endsWith("Healthy=True");
    Result delete = kubectl("delete", "cs", "etcd-0");
    assertThat(delete.code()).isNotZero();
    assertThat(delete.out()).contains("MethodNotAllowed");
  }

  /** The admin (system:masters, bound to cluster-admin) may do everything, and kubectl says so. */
  @Test
  void authCanIAndWhoamiAnswerForTheCaller() throws Exception {
    assertThat(ok("auth", "can-i", "create", "pods").trim()).isEqualTo("yes"); // a protobuf SelfSubjectAccessReview
    assertThat(ok("auth", "can-i", "delete", "nodes", "--all-namespaces").trim()).isEqualTo("yes");
    assertThat(ok("auth", "can-i", "get", "/healthz").trim()).isEqualTo("yes");
    assertThat(ok("auth", "can-i", "--list")).containsPattern("(?m)^\\*\\.\\*\\s+\\[\\]\\s+\\[\\]\\s+\\[\\*\\]"); // any verb on any resource
    assertThat(ok("auth", "whoami")).containsPattern("Username\\s+keelson-admin").containsPattern("Groups\\s+\\[system:masters system:authenticated\\]");
    assertThat(ok("api-resources", "--api-group=authorization.k8s.io")).containsPattern("selfsubjectaccessreviews\\s+authorization.k8s.io/v1\\s+false");
    Result list = kubectl("get", "selfsubjectaccessreviews");
    assertThat(list.code()).isNotZero();
    assertThat(list.out()).contains("MethodNotAllowed");
  }

  /** kubectl's create generators send protobuf: what they store must look as it does in Kubernetes. */
  @Test
  void typedCreatesStoreNoGoZeroValues() throws Exception {
    ok("create", "namespace", "it-typed");
    ok("create", "deployment", "web", "-n", "it-typed", "--image=keelson.local/busybox:latest", "--replicas=0", "--", "sleep", "1");
    String d = ok("get", "deployment", "web", "-n", "it-typed", "-o", "yaml");
    assertThat(d).contains("replicas: 0").doesNotContain("paused:", "minReadySeconds:", "stdin:", "tty:", "hostNetwork:", "generation: 0");
    ok("create", "service", "clusterip", "web", "-n", "it-typed", "--tcp=80:8080");
    assertThat(ok("get", "service", "web", "-n", "it-typed", "-o", "yaml")).contains("port: 80")
        .doesNotContain("nodePort:", "healthCheckNodePort:", "publishNotReadyAddresses:");
  }

  /** kubectl debug adds an ephemeral container through pods/ephemeralcontainers; nothing else may add or remove one. */
  @Test
  void debugAddsEphemeralContainersThatStay() throws Exception {
    ok("create", "namespace", "it-debug");
    ok("run", "p", "-n", "it-debug", "--image=keelson.local/busybox:latest", "--", "sleep", "3600");
    ok("debug", "p", "-n", "it-debug", "--image=keelson.local/busybox:latest", "-c", "dbg", "--target=p", "--", "ps");
    assertThat(ok("get", "pod", "p", "-n", "it-debug", "-o",
        "jsonpath={.spec.ephemeralContainers[0].name} {.spec.ephemeralContainers[0].targetContainerName} "
            + "{.spec.ephemeralContainers[0].terminationMessagePath}")).isEqualTo("dbg p /dev/termination-log");
    assertThat(ok("get", "--raw", "/api/v1/namespaces/it-debug/pods/p/ephemeralcontainers")).contains("\"kind\":\"Pod\"", "\"dbg\"");
    // a replace without them, or a pod created with them, is refused; the pod keeps its debugger
    var live = (tools.jackson.databind.node.ObjectNode) tools.jackson.databind.json.JsonMapper.builder().build()
        .readTree(ok("get", "pod", "p", "-n", "it-debug", "-o", "json"));
    ((tools.jackson.databind.node.ObjectNode) live.get("spec")).remove("ephemeralContainers");
    Result replaced = kubectl("replace", "-f", manifest("debug-replace.json", live.toString()));
    assertThat(replaced.code()).isNotZero();
    assertThat(replaced.out()).contains("spec.ephemeralContainers");
    Result created = kubectl("create", "-f", manifest("debug-create.yaml", """
        apiVersion: v1
        kind: Pod
        metadata: {name: q, namespace: it-debug}
        spec:
          containers: [{name: c, image: keelson.local/busybox:latest}]
          ephemeralContainers: [{name: dbg, image: keelson.local/busybox:latest}]
        """));
    assertThat(created.out()).contains("spec.ephemeralContainers: Forbidden: cannot be set on create");
    assertThat(ok("get", "pod", "p", "-n", "it-debug", "-o", "jsonpath={.spec.ephemeralContainers[*].name}")).isEqualTo("dbg");
  }

  /** kubectl create token: a service-account token that authenticates as the account while it exists. */
  @Test
  void createTokenAuthenticatesAsTheServiceAccount() throws Exception {
    ok("create", "namespace", "it-token");
    ok("create", "serviceaccount", "robot", "-n", "it-token");
    String token = ok("create", "token", "robot", "-n", "it-token").trim();
    assertThat(ok("auth", "whoami", "--token=" + token, "-o", "jsonpath={.status.userInfo.username}"))
        .isEqualTo("system:serviceaccount:it-token:robot");
    // authenticated, but RBAC grants a service account nothing of its own: Forbidden, not Unauthorized
    assertThat(kubectl("get", "serviceaccounts", "-n", "it-token", "--token=" + token).out()).contains("Error from server (Forbidden): "
        + "serviceaccounts is forbidden: User \"system:serviceaccount:it-token:robot\" cannot list resource \"serviceaccounts\" "
        + "in API group \"\" in the namespace \"it-token\"");
    Result shortLived = kubectl("create", "token", "robot", "-n", "it-token", "--duration=5m");
    assertThat(shortLived.out()).contains("may not specify a duration less than 10 minutes");
    assertThat(kubectl("create", "token", "nobody", "-n", "it-token").out()).contains("serviceaccounts \"nobody\" not found");
    String other = ok("create", "token", "robot", "-n", "it-token", "--audience=vault").trim();
    assertThat(kubectl("get", "pods", "-n", "it-token", "--token=" + other).out()).as("a token for another audience")
        .contains("Unauthorized");
    ok("delete", "serviceaccount", "robot", "-n", "it-token");
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
        kubectl("get", "pods", "-n", "it-token", "--token=" + token).out().contains("Unauthorized"));
  }

  /**
   * RBAC as kube-apiserver's --authorization-mode=RBAC: a service account may do what its bindings
   * grant and nothing more, kubectl auth can-i --as answers for it, it cannot grant itself more than
   * it holds, and the bootstrap roles are there.
   */
  @Test
  void rbacGrantsWhatRoleBindingsSay() throws Exception {
    ok("create", "namespace", "it-rbac");
    ok("create", "serviceaccount", "robot", "-n", "it-rbac");
    String token = ok("create", "token", "robot", "-n", "it-rbac").trim();
    String sa = "system:serviceaccount:it-rbac:robot";
    Result denied = kubectl("get", "pods", "-n", "it-rbac", "--token=" + token);
    assertThat(denied.code()).isNotZero();
    assertThat(denied.out()).contains("Error from server (Forbidden): pods is forbidden: User \"" + sa
        + "\" cannot list resource \"pods\" in API group \"\" in the namespace \"it-rbac\"");
    assertThat(kubectl("get", "nodes", "--token=" + token).out()).contains("nodes is forbidden: User \"" + sa
        + "\" cannot list resource \"nodes\" in API group \"\" at the cluster scope");
    assertThat(kubectl("get", "--raw", "/metrics", "--token=" + token).out())
        .contains("forbidden: User \"" + sa + "\" cannot get path \"/metrics\"");
    assertThat(kubectl("auth", "can-i", "list", "pods", "-n", "it-rbac", "--as=" + sa).out().trim()).isEqualTo("no");

    ok("create", "role", "pod-reader", "-n", "it-rbac", "--verb=get,list", "--resource=pods");
    ok("create", "rolebinding", "robot-reads", "-n", "it-rbac", "--role=pod-reader", "--serviceaccount=it-rbac:robot");
    assertThat(ok("get", "roles", "-n", "it-rbac")).containsPattern("(?m)^NAME\\s+CREATED AT$")
        .containsPattern("(?m)^pod-reader\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$");
    assertThat(ok("get", "rolebinding", "robot-reads", "-n", "it-rbac", "-o", "wide"))
        .containsPattern("(?m)^NAME\\s+ROLE\\s+AGE\\s+USERS\\s+GROUPS\\s+SERVICEACCOUNTS$")
        .containsPattern("(?m)^robot-reads\\s+Role/pod-reader\\s+\\S+\\s+it-rbac/robot$");
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
        kubectl("get", "pods", "-n", "it-rbac", "--token=" + token).code() == 0);
    assertThat(kubectl("delete", "pod", "web", "-n", "it-rbac", "--token=" + token).out()).contains("pods \"web\" is forbidden: User \""
        + sa + "\" cannot delete resource \"pods\" in API group \"\" in the namespace \"it-rbac\"");
    assertThat(ok("auth", "can-i", "list", "pods", "-n", "it-rbac", "--as=" + sa).trim()).isEqualTo("yes");
    assertThat(kubectl("auth", "can-i", "delete", "pods", "-n", "it-rbac", "--as=" + sa).out().trim()).isEqualTo("no");
    assertThat(ok("auth", "can-i", "--list", "-n", "it-rbac", "--token=" + token))
        .containsPattern("(?m)^pods\\s+\\[\\]\\s+\\[\\]\\s+\\[get list\\]");

    // allowed to write roles and bindings, the robot still cannot grant what it does not hold
    ok("create", "role", "role-writer", "-n", "it-rbac", "--verb=create", "--resource=roles,rolebindings");
    ok("create", "rolebinding", "robot-writes", "-n", "it-rbac", "--role=role-writer", "--serviceaccount=it-rbac:robot");
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
        kubectl("create", "role", "reader-too", "-n", "it-rbac", "--verb=get", "--resource=pods", "--token=" + token).code() == 0);
    assertThat(kubectl("create", "role", "deleter", "-n", "it-rbac", "--verb=delete,get", "--resource=pods", "--token=" + token).out())
        .contains("roles.rbac.authorization.k8s.io \"deleter\" is forbidden: user \"" + sa + "\" (groups=[\"system:serviceaccounts\" "
            + "\"system:serviceaccounts:it-rbac\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}");
    assertThat(kubectl("create", "rolebinding", "robot-admin", "-n", "it-rbac", "--clusterrole=cluster-admin",
        "--serviceaccount=it-rbac:robot", "--token=" + token).out())
        .contains("rolebindings.rbac.authorization.k8s.io \"robot-admin\" is forbidden: user \"" + sa + "\"");
    assertThat(kubectl("get", "pods", "-n", "it-rbac", "--as=jane", "--token=" + token).out()).contains("users \"jane\" is forbidden: User \""
        + sa + "\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope");

    // the admin is not bound by any of it; the bootstrap policy is in place
    assertThat(ok("get", "clusterroles")).containsPattern("(?m)^cluster-admin\\s").containsPattern("(?m)^view\\s")
        .containsPattern("(?m)^system:basic-user\\s").containsPattern("(?m)^system:aggregate-to-edit\\s");
    assertThat(ok("get", "clusterrolebinding", "cluster-admin", "-o", "wide"))
        .containsPattern("(?m)^cluster-admin\\s+ClusterRole/cluster-admin\\s+\\S+\\s+system:masters\\s");
    ok("delete", "rolebinding", "robot-reads", "-n", "it-rbac");
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
        kubectl("get", "pods", "-n", "it-rbac", "--token=" + token).out().contains("Forbidden"));
  }

  /** A resourceVersion in a patch is a precondition (kubectl label/annotate --resource-version). */
  @Test
  void patchWithAStaleResourceVersionConflicts() throws Exception {
    ok("create", "namespace", "it-rv");
    ok("create", "configmap", "c", "-n", "it-rv", "--from-literal=a=1");
    String rv = ok("get", "configmap", "c", "-n", "it-rv", "-o", "jsonpath={.metadata.resourceVersion}");
    ok("label", "configmap", "c", "-n", "it-rv", "first=1", "--resource-version=" + rv);
    Result stale = kubectl("label", "configmap", "c", "-n", "it-rv", "second=2", "--resource-version=" + rv);
    assertThat(stale.code()).isNotZero();
    assertThat(stale.out()).contains("the object has been modified");
    Result merge = kubectl("patch", "configmap", "c", "-n", "it-rv", "--type=merge", "-p",
        "{\"metadata\":{\"resourceVersion\":\"" + rv + "\"},\"data\":{\"a\":\"2\"}}");
    assertThat(merge.code()).isNotZero();
    assertThat(ok("get", "configmap", "c", "-n", "it-rv", "-o", "jsonpath={.data.a} {.metadata.labels}")).isEqualTo("1 {\"first\":\"1\"}");
    ok("annotate", "configmap", "c", "-n", "it-rv", "note=fresh", "--resource-version="
        + ok("get", "configmap", "c", "-n", "it-rv", "-o", "jsonpath={.metadata.resourceVersion}"));
    // 0 asks for no precondition, as in kube's update; a resourceVersion that is no number is a bad request
    ok("patch", "configmap", "c", "-n", "it-rv", "--type=merge", "-p", "{\"metadata\":{\"resourceVersion\":\"0\"},\"data\":{\"a\":\"3\"}}");
    assertThat(ok("get", "configmap", "c", "-n", "it-rv", "-o", "jsonpath={.data.a}")).isEqualTo("3");
    Result garbage = kubectl("patch", "configmap", "c", "-n", "it-rv", "--type=merge", "-p", "{\"metadata\":{\"resourceVersion\":\"x1\"}}");
    assertThat(garbage.code()).isNotZero();
    assertThat(garbage.out()).contains("invalid resourceVersion");
  }

  /**
   * kubectl 1.32's autoscale posts an autoscaling/v1 HPA (protobuf); get and describe read it as
   * autoscaling/v2, the preferred version, with the server's defaults. No controller runs here, so
   * the current values stay unknown.
   */
  @Test
  void autoscaleCreatesAnHpaThatGetAndDescribeShow() throws Exception {
    ok("create", "namespace", "it-hpa");
    ok("create", "deployment", "web", "-n", "it-hpa", "--image=keelson.local/busybox:latest", "--", "sleep", "3600");
    assertThat(ok("autoscale", "deployment", "web", "-n", "it-hpa", "--cpu-percent=50", "--min=1", "--max=5"))
        .contains("horizontalpodautoscaler.autoscaling/web autoscaled");
    assertThat(ok("get", "hpa", "-n", "it-hpa")).containsPattern(
        "NAME\\s+REFERENCE\\s+TARGETS\\s+MINPODS\\s+MAXPODS\\s+REPLICAS\\s+AGE\\n"
            + "web\\s+Deployment/web\\s+cpu: <unknown>/50%\\s+1\\s+5\\s+0\\s+\\d+s");
    assertThat(ok("get", "hpa", "web", "-n", "it-hpa", "-o", "jsonpath={.apiVersion} {.spec.metrics[0].resource.name} "
        + "{.spec.metrics[0].resource.target.averageUtilization} {.spec.scaleTargetRef.kind}"))
        .isEqualTo("autoscaling/v2 cpu 50 Deployment");
    // no --cpu-percent: kube's default of 80%, and v1 reads it back as targetCPUUtilizationPercentage
    ok("autoscale", "deployment", "web", "-n", "it-hpa", "--max=3", "--name=web-default");
    assertThat(ok("get", "hpa", "web-default", "-n", "it-hpa", "-o", "jsonpath={.spec.minReplicas} {.spec.metrics[0].resource.target.averageUtilization}"))
        .isEqualTo("1 80");
    assertThat(ok("get", "--raw", "/apis/autoscaling/v1/namespaces/it-hpa/horizontalpodautoscalers/web-default"))
        .contains("\"targetCPUUtilizationPercentage\":80");
    assertThat(ok("describe", "hpa", "web", "-n", "it-hpa")).contains("Reference:", "Deployment/web",
        "resource cpu on pods  (as a percentage of request):  <unknown> / 50%", "Min replicas:", "Max replicas:");
    assertThat(ok("get", "all", "-n", "it-hpa")).contains("horizontalpodautoscaler.autoscaling/web");
    assertThat(ok("api-resources", "--api-group=autoscaling")).containsPattern(
        "horizontalpodautoscalers\\s+hpa\\s+autoscaling/v2\\s+true\\s+HorizontalPodAutoscaler");
    Result dup = kubectl("autoscale", "deployment", "web", "-n", "it-hpa", "--max=3");
    assertThat(dup.code()).isNotZero();
    assertThat(dup.out()).contains("horizontalpodautoscalers.autoscaling \"web\" already exists");
    String bad = manifest("bad-hpa.yaml", """
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: bad, namespace: it-hpa}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, name: web}
          minReplicas: 3
          maxReplicas: 2
          metrics:
          - type: Resource
            resource: {name: cpu, target: {type: Utilization, averageUtilization: 0}}
        """);
    Result invalid = kubectl("create", "-f", bad);
    assertThat(invalid.code()).isNotZero();
    assertThat(invalid.out()).contains("The HorizontalPodAutoscaler \"bad\" is invalid",
        "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`",
        "spec.scaleTargetRef.kind: Required value",
        "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0");
    ok("delete", "hpa", "web", "web-default", "-n", "it-hpa");
  }
}
