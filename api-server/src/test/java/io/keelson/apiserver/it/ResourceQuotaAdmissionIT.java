package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * ResourceQuota and LimitRange admission against real etcd and two api-servers: creates beyond a
 * quota's hard limit are refused with kube's 403 messages, a quota on cpu makes pods state their
 * requests, parallel creates through both servers never pass the limit (the charge is a guarded
 * write of status.used), dry runs do not charge, updates are charged what they add (a Service
 * turned NodePort, a grown claim: through the real kubectl), and LimitRanges default and bound
 * containers.
 * No controller-manager runs: the tests write the quota status its controller would.
 */
class ResourceQuotaAdmissionIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static TestCluster c;

  @BeforeAll
  static void up() throws Exception {
    c = TestCluster.start("quota", 2);
  }

  @AfterAll
  static void down() throws Exception {
    if (c != null) c.close();
  }

  private static HttpResponse<String> post(TestCluster.ApiServer s, String path, String body) throws Exception {
    return c.send(s, "POST", path, body);
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return post(c.api(), path, body);
  }

  private static JsonNode get(String path) throws Exception {
    HttpResponse<String> r = c.send(c.request(c.api(), path).GET().build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private static void namespace(String ns) throws Exception {
    HttpResponse<String> r = post("/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + ns + "\"}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }

  /** A quota, with the status the resourcequota controller would write for an empty namespace. */
  private static void quota(String ns, String name, String hard, String used) throws Exception {
    String path = "/api/v1/namespaces/" + ns + "/resourcequotas";
    HttpResponse<String> r = post(path, "{\"apiVersion\":\"v1\",\"kind\":\"ResourceQuota\",\"metadata\":{\"name\":\"" + name
        + "\"},\"spec\":{\"hard\":" + hard + "}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    r = c.send(c.api(), "PATCH", path + "/" + name + "/status", "{\"status\":{\"hard\":" + hard + ",\"used\":" + used + "}}",
        "application/merge-patch+json");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  private static String pod(String name, String resources) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"containers\":[{\"name\":\"c\","
        + "\"image\":\"busybox\"" + (resources.isEmpty() ? "" : ",\"resources\":" + resources) + "}]}}";
  }

  private static String message(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body()).path("message").asString();
  }

  @Test
  void createsBeyondTheHardLimitAreRefusedWithKubesMessage() throws Exception {
    namespace("q-pods");
    quota("q-pods", "q", "{\"pods\":\"2\",\"requests.cpu\":\"1\"}", "{\"pods\":\"0\",\"requests.cpu\":\"0\"}");
    String small = "{\"requests\":{\"cpu\":\"300m\"}}";
    assertThat(post("/api/v1/namespaces/q-pods/pods", pod("p1", small)).statusCode()).isEqualTo(201);
    assertThat(post("/api/v1/namespaces/q-pods/pods", pod("p2", small)).statusCode()).isEqualTo(201);

    HttpResponse<String> third = post("/api/v1/namespaces/q-pods/pods", pod("p3", small));
    assertThat(third.statusCode()).as(third.body()).isEqualTo(403);
    assertThat(message(third)).isEqualTo(
        "pods \"p3\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2");
    assertThat(JSON.readTree(third.body()).path("reason").asString()).isEqualTo("Forbidden");

    JsonNode used = get("/api/v1/namespaces/q-pods/resourcequotas/q").path("status").path("used");
    assertThat(used.path("pods").asString()).isEqualTo("2");
    assertThat(used.path("requests.cpu").asString()).isEqualTo("600m");
    assertThat(get("/api/v1/namespaces/q-pods/pods").path("items")).hasSize(2);
  }

  @Test
  void aQuotaOnCpuMakesEveryContainerStateItsRequest() throws Exception {
    namespace("q-cpu");
    quota("q-cpu", "compute", "{\"requests.cpu\":\"1\"}", "{\"requests.cpu\":\"0\"}");
    HttpResponse<String> r = post("/api/v1/namespaces/q-cpu/pods", pod("none", ""));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    assertThat(message(r)).isEqualTo("pods \"none\" is forbidden: failed quota: compute: must specify requests.cpu for: c");
    r = post("/api/v1/namespaces/q-cpu/pods", pod("big", "{\"requests\":{\"cpu\":\"1500m\"}}"));
    assertThat(message(r)).isEqualTo(
        "pods \"big\" is forbidden: exceeded quota: compute, requested: requests.cpu=1500m, used: requests.cpu=0, limited: requests.cpu=1");
  }

  @Test
  void parallelCreatesThroughTwoApiServersNeverPassTheLimit() throws Exception {
    namespace("q-race");
    quota("q-race", "q", "{\"pods\":\"3\"}", "{\"pods\":\"0\"}");
    List<Future<Integer>> codes = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(10)) {
      for (int i = 0; i < 10; i++) {
        TestCluster.ApiServer s = c.server(i % 2);
        String body = pod("r" + i, "");
        codes.add(pool.submit(() -> post(s, "/api/v1/namespaces/q-race/pods", body).statusCode()));
      }
    }
    List<Integer> statuses = new ArrayList<>();
    for (Future<Integer> f : codes) statuses.add(f.get());
    assertThat(statuses).containsOnly(201, 403);
    assertThat(statuses.stream().filter(s -> s == 201)).hasSize(3);
    assertThat(get("/api/v1/namespaces/q-race/pods").path("items")).hasSize(3);
    assertThat(get("/api/v1/namespaces/q-race/resourcequotas/q").path("status").path("used").path("pods").asString()).isEqualTo("3");
  }

  @Test
  void aDryRunIsCheckedButNotCharged() throws Exception {
    namespace("q-dry");
    quota("q-dry", "q", "{\"count/configmaps\":\"1\"}", "{\"count/configmaps\":\"0\"}");
    String cm = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}";
    assertThat(post("/api/v1/namespaces/q-dry/configmaps?dryRun=All", cm).statusCode()).isEqualTo(201);
    assertThat(get("/api/v1/namespaces/q-dry/resourcequotas/q").path("status").path("used").path("count/configmaps").asString())
        .isEqualTo("0");
    assertThat(post("/api/v1/namespaces/q-dry/configmaps", cm).statusCode()).isEqualTo(201);
    HttpResponse<String> r = post("/api/v1/namespaces/q-dry/configmaps?dryRun=All", cm.replace("\"a\"", "\"b\""));
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(message(r)).isEqualTo("configmaps \"b\" is forbidden: exceeded quota: q, requested: count/configmaps=1, "
        + "used: count/configmaps=1, limited: count/configmaps=1");
  }

  private static String kubectlOk(String... args) throws Exception {
    TestCluster.Kubectl r = c.kubectl(args);
    assertThat(r.code()).as("kubectl " + String.join(" ", args) + ": " + r.out()).isZero();
    return r.out();
  }

  @Test
  void turningAServiceIntoANodePortIsChargedAndRefusedBeyondTheQuota() throws Exception {
    namespace("q-svc");
    quota("q-svc", "q", "{\"services.nodeports\":\"1\",\"services.loadbalancers\":\"1\"}",
        "{\"services.nodeports\":\"0\",\"services.loadbalancers\":\"0\"}");
    kubectlOk("-n", "q-svc", "create", "service", "clusterip", "a", "--tcp=80:80");
    kubectlOk("-n", "q-svc", "create", "service", "clusterip", "b", "--tcp=80:80");
    String nodePort = "{\"spec\":{\"type\":\"NodePort\"}}";
    assertThat(kubectlOk("-n", "q-svc", "patch", "svc", "a", "-p", nodePort)).contains("service/a patched");
    assertThat(get("/api/v1/namespaces/q-svc/resourcequotas/q").at("/status/used/services.nodeports").asString()).isEqualTo("1");

    String refused = "services \"b\" is forbidden: exceeded quota: q, requested: services.nodeports=1, "
        + "used: services.nodeports=1, limited: services.nodeports=1";
    TestCluster.Kubectl r = c.kubectl("-n", "q-svc", "patch", "svc", "b", "-p", nodePort);
    assertThat(r.code()).as(r.out()).isNotZero();
    assertThat(r.out()).contains("Error from server (Forbidden): " + refused);
    r = c.kubectl("-n", "q-svc", "patch", "svc", "b", "-p", nodePort, "--dry-run=server");
    assertThat(r.out()).contains(refused);
    // server-side apply is an update too: a LoadBalancer allocates node ports as well
    Path manifest = c.dir.resolve("svc-b.yaml");
    Files.writeString(manifest, """
        apiVersion: v1
        kind: Service
        metadata: {name: b, namespace: q-svc}
        spec:
          type: LoadBalancer
          ports: [{name: 80-80, port: 80, targetPort: 80, protocol: TCP}]
        """);
    r = c.kubectl("apply", "--server-side", "--force-conflicts", "-f", manifest.toString());
    assertThat(r.code()).as(r.out()).isNotZero();
    assertThat(r.out()).contains(refused);

    JsonNode b = get("/api/v1/namespaces/q-svc/services/b");
    assertThat(b.at("/spec/type").asString()).as("nothing written").isEqualTo("ClusterIP");
    assertThat(b.at("/spec/ports/0/nodePort").isMissingNode()).isTrue();
    JsonNode used = get("/api/v1/namespaces/q-svc/resourcequotas/q").path("status").path("used");
    assertThat(used.path("services.nodeports").asString()).isEqualTo("1");
    assertThat(used.path("services.loadbalancers").asString()).isEqualTo("0");

    // back to ClusterIP: allowed, and not refunded at admission (the quota controller recounts)
    assertThat(kubectlOk("-n", "q-svc", "patch", "svc", "a", "-p", "{\"spec\":{\"type\":\"ClusterIP\"}}")).contains("service/a patched");
    assertThat(get("/api/v1/namespaces/q-svc/resourcequotas/q").at("/status/used/services.nodeports").asString()).isEqualTo("1");
  }

  @Test
  void growingAClaimBeyondTheQuotasStorageIsRefused() throws Exception {
    namespace("q-pvc");
    quota("q-pvc", "storage", "{\"requests.storage\":\"2Gi\"}", "{\"requests.storage\":\"0\"}");
    HttpResponse<String> r = post("/api/v1/namespaces/q-pvc/persistentvolumeclaims", "{\"apiVersion\":\"v1\","
        + "\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"data\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],"
        + "\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);

    TestCluster.Kubectl k = c.kubectl("-n", "q-pvc", "patch", "pvc", "data", "-p",
        "{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"3Gi\"}}}}");
    assertThat(k.code()).as(k.out()).isNotZero();
    assertThat(k.out()).contains("Error from server (Forbidden): persistentvolumeclaims \"data\" is forbidden: exceeded quota: storage, "
        + "requested: requests.storage=2Gi, used: requests.storage=1Gi, limited: requests.storage=2Gi");
    assertThat(get("/api/v1/namespaces/q-pvc/persistentvolumeclaims/data").at("/spec/resources/requests/storage").asString())
        .isEqualTo("1Gi");

    kubectlOk("-n", "q-pvc", "patch", "pvc", "data", "-p", "{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"2Gi\"}}}}");
    assertThat(get("/api/v1/namespaces/q-pvc/resourcequotas/storage").at("/status/used/requests.storage").asString()).isEqualTo("2Gi");
    // a write that changes no usage (a label) is not charged, even with the quota full
    kubectlOk("-n", "q-pvc", "label", "pvc", "data", "tier=gold");
  }

  @Test
  void aLimitRangeDefaultsContainersAndBoundsThem() throws Exception {
    namespace("limits");
    HttpResponse<String> r = post("/api/v1/namespaces/limits/limitranges", "{\"apiVersion\":\"v1\",\"kind\":\"LimitRange\","
        + "\"metadata\":{\"name\":\"lr\"},\"spec\":{\"limits\":[{\"type\":\"Container\",\"max\":{\"cpu\":\"500m\"},"
        + "\"default\":{\"cpu\":\"200m\",\"memory\":\"64Mi\"},\"defaultRequest\":{\"cpu\":\"100m\"}}]}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    // kube's LimitRange defaulting: a default request for every default limit
    assertThat(JSON.readTree(r.body()).path("spec").path("limits").get(0).path("defaultRequest").path("memory").asString())
        .isEqualTo("64Mi");

    r = post("/api/v1/namespaces/limits/pods", pod("plain", ""));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonNode created = JSON.readTree(r.body());
    JsonNode res = created.path("spec").path("containers").get(0).path("resources");
    assertThat(res.path("limits").path("cpu").asString()).isEqualTo("200m");
    assertThat(res.path("limits").path("memory").asString()).isEqualTo("64Mi");
    assertThat(res.path("requests").path("cpu").asString()).isEqualTo("100m");
    assertThat(created.path("metadata").path("annotations").path("kubernetes.io/limit-ranger").asString())
        .isEqualTo("LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c");
    assertThat(created.path("status").path("qosClass").asString()).isEqualTo("Burstable");

    r = post("/api/v1/namespaces/limits/pods", pod("big", "{\"limits\":{\"cpu\":\"1\"}}"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    assertThat(message(r)).isEqualTo("pods \"big\" is forbidden: maximum cpu usage per Container is 500m, but limit is 1");
  }

  @Test
  void badQuotasAndLimitRangesAreInvalid() throws Exception {
    namespace("q-bad");
    HttpResponse<String> r = post("/api/v1/namespaces/q-bad/resourcequotas", "{\"apiVersion\":\"v1\",\"kind\":\"ResourceQuota\","
        + "\"metadata\":{\"name\":\"q\"},\"spec\":{\"hard\":{\"bogus\":\"1\",\"pods\":\"1.5\"},\"scopes\":[\"BestEffort\",\"NotBestEffort\"]}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    assertThat(message(r)).contains("spec.hard[bogus]: Invalid value: \"bogus\": must be a standard resource for quota")
        .contains("spec.hard[pods]: Invalid value: \"1.5\": must be an integer").contains("conflicting scopes");
    r = post("/api/v1/namespaces/q-bad/limitranges", "{\"apiVersion\":\"v1\",\"kind\":\"LimitRange\",\"metadata\":{\"name\":\"lr\"},"
        + "\"spec\":{\"limits\":[{\"type\":\"Container\",\"max\":{\"cpu\":\"1\"},\"default\":{\"cpu\":\"2\"}},"
        + "{\"type\":\"Pod\",\"default\":{\"cpu\":\"1\"}}]}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    assertThat(message(r)).contains("spec.limits[0].default[cpu]: Invalid value: \"2\": default value 2 is greater than max value 1")
        .contains("spec.limits[1].default: Forbidden: may not be specified when `type` is 'Pod'");
  }
}
