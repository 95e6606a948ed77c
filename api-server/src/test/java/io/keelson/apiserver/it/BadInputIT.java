package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Malformed and invalid requests over raw HTTPS against a real etcd + api-server. Each must get the
 * status code Kubernetes uses, a Status body whose message names the problem, never a 5xx, and must
 * leave etcd exactly as it was (same keys, same revisions: nothing half-written).
 */
class BadInputIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String CM = "/api/v1/namespaces/bad/configmaps";
  private static final String JOBS = "/apis/batch/v1/namespaces/bad/jobs";
  private static final String CRONJOBS = "/apis/batch/v1/namespaces/bad/cronjobs";
  private static final String HPAS = "/apis/autoscaling/v2/namespaces/bad/horizontalpodautoscalers";
  private static final String HPAS_V1 = "/apis/autoscaling/v1/namespaces/bad/horizontalpodautoscalers";
  private static final String RBAC = "/apis/rbac.authorization.k8s.io/v1";
  private static final String ROLES = RBAC + "/namespaces/bad/roles";
  private static final String ROLE_BINDINGS = RBAC + "/namespaces/bad/rolebindings";
  private static TestCluster c;
  private static Client etcd;

  /** One bad request and what Kubernetes answers to it. */
  record Case(String what, String method, String path, String contentType, byte[] body, int code, String reason,
      String messagePart, String auth) {
    Case auth(String token) {
      return new Case(what, method, path, contentType, body, code, reason, messagePart, token);
    }
  }

  private static Case bad(String what, String method, String path, String contentType, String body, int code,
      String reason, String messagePart) {
    return new Case(what, method, path, contentType, body == null ? null : body.getBytes(StandardCharsets.UTF_8), code,
        reason, messagePart, "admin");
  }

  private static Case json(String what, String method, String path, String body, int code, String reason, String part) {
    return bad(what, method, path, "application/json", body, code, reason, part);
  }

  @BeforeAll
  static void up() throws Exception {
    c = TestCluster.start("bad-input", 1);
    etcd = Client.builder().endpoints(c.etcdUrl()).build();
    post("/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"bad\"}}");
    post(CM, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"keep\",\"labels\":{\"app\":\"x\"}},\"data\":{\"a\":\"1\"}}");
    post("/apis/apps/v1/namespaces/bad/deployments", deployment("web", 1));
    post(JOBS, job("run", "Never"));
    post(ROLES, role("reader", rule("\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]")));
    post(ROLE_BINDINGS, binding("RoleBinding", "reads", "Role", "reader", "{\"kind\":\"User\",\"name\":\"jane\"}"));
  }

  @AfterAll
  static void down() throws Exception {
    if (etcd != null) etcd.close();
    if (c != null) c.close();
  }

  private static void post(String path, String body) throws Exception {
    HttpResponse<String> r = c.send(c.request(c.api(), path).header("Content-Type", "application/json")
        .POST(BodyPublishers.ofString(body)).build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }

  private static String deployment(String name, int replicas) {
    return "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"replicas\":"
        + replicas + ",\"selector\":{\"matchLabels\":{\"app\":\"" + name + "\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\""
        + name + "\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}}}";
  }

  private static String job(String name, String restartPolicy) {
    return "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"template\":{\"spec\":{"
        + "\"restartPolicy\":\"" + restartPolicy + "\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}}}";
  }

  private static String cronJob(String name, String schedule) {
    return "{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"schedule\":\""
        + schedule + "\",\"jobTemplate\":{\"spec\":{\"template\":{\"spec\":{\"restartPolicy\":\"OnFailure\","
        + "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}}}}}";
  }

  /** An autoscaling/v2 HPA of Deployment web; {@code spec} is the rest of its spec after scaleTargetRef. */
  private static String hpa(String name, String ref, String spec) {
    return "{\"apiVersion\":\"autoscaling/v2\",\"kind\":\"HorizontalPodAutoscaler\",\"metadata\":{\"name\":\"" + name + "\"},"
        + "\"spec\":{\"scaleTargetRef\":" + ref + (spec.isEmpty() ? "" : "," + spec) + "}}";
  }

  private static String rule(String fields) {
    return "{" + fields + "}";
  }

  private static String role(String name, String... rules) {
    return "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\",\"metadata\":{\"name\":\"" + name
        + "\"},\"rules\":[" + String.join(",", rules) + "]}";
  }

  private static String binding(String kind, String name, String roleKind, String roleName, String subject) {
    return "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"" + kind + "\",\"metadata\":{\"name\":\"" + name
        + "\"},\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"" + roleKind + "\",\"name\":\"" + roleName
        + "\"},\"subjects\":[" + subject + "]}";
  }

  private static final String WEB = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"web\"}";

  private static String pod(String name, String containerExtra) {
    return "{\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"" + containerExtra + "}]}}";
  }

  private static String service(int port) {
    return "{\"metadata\":{\"name\":\"svc\"},\"spec\":{\"selector\":{\"app\":\"x\"},\"ports\":[{\"port\":" + port + "}]}}";
  }

  private static String cm(String name) {
    return "{\"metadata\":{\"name\":\"" + name + "\"},\"data\":{\"a\":\"1\"}}";
  }

  static List<Case> cases() {
    String big2 = "a".repeat(2 * 1024 * 1024);
    List<Case> l = new ArrayList<>();
    // ---- bodies that do not parse
    l.add(json("broken JSON", "POST", CM, "{\"metadata\":{\"name\":\"x\"", 400, "BadRequest", "not valid JSON"));
    l.add(bad("broken YAML", "POST", CM, "application/yaml", "metadata:\n  name: [x\n", 400, "BadRequest", "not valid YAML"));
    l.add(json("a list instead of an object", "POST", CM, "[]", 400, "BadRequest", "must be a ConfigMap object"));
    l.add(json("an empty body", "POST", CM, "", 400, "BadRequest", "empty"));
    l.add(bad("protobuf garbage", "POST", CM, "application/vnd.kubernetes.protobuf", "garbage", 400, "BadRequest", "envelope"));
    l.add(json("a number where data wants strings", "POST", CM, "{\"metadata\":{\"name\":\"num\"},\"data\":{\"a\":1}}", 400,
        "BadRequest", "ConfigMap.data"));
    // ---- wrong object for the URL
    l.add(json("wrong kind for the URL", "POST", CM, "{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"s\"}}", 400,
        "BadRequest", "kind of the object (Secret)"));
    l.add(json("apiVersion mismatch", "POST", CM, "{\"kind\":\"ConfigMap\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"s\"}}",
        400, "BadRequest", "API version in the data (apps/v1)"));
    l.add(json("name mismatch on PUT", "PUT", CM + "/keep", "{\"metadata\":{\"name\":\"other\"},\"data\":{\"a\":\"2\"}}", 400,
        "BadRequest", "name of the object (other) does not match the name on the URL (keep)"));
    l.add(json("namespace mismatch", "POST", CM, "{\"metadata\":{\"name\":\"n\",\"namespace\":\"default\"}}", 400, "BadRequest",
        "namespace of the provided object (default)"));
    l.add(json("resourceVersion on create", "POST", CM, "{\"metadata\":{\"name\":\"rv\",\"resourceVersion\":\"5\"}}", 400,
        "BadRequest", "resourceVersion should not be set"));
    // ---- invalid names and labels
    l.add(json("uppercase name", "POST", CM, cm("Upper"), 422, "Invalid", "metadata.name: Invalid value: \"Upper\""));
    l.add(json("name over 253 characters", "POST", CM, cm("a".repeat(254)), 422, "Invalid", "no more than 253 characters"));
    l.add(json("name ..", "POST", CM, cm(".."), 422, "Invalid", "may not be '..'"));
    l.add(json("name with a slash", "POST", CM, cm("a/b"), 422, "Invalid", "may not contain '/'"));
    l.add(json("name with %2F", "POST", CM, cm("a%2Fb"), 422, "Invalid", "metadata.name"));
    l.add(json("no name", "POST", CM, "{\"metadata\":{}}", 422, "Invalid", "name or generateName is required"));
    l.add(json("%2F in the URL", "GET", CM + "/a%2Fb", null, 404, "NotFound", "invalid path segment"));
    l.add(json("%2E%2E in the URL", "PUT", CM + "/%2E%2E", cm(".."), 404, "NotFound", "invalid path segment"));
    l.add(json("invalid label value", "POST", CM, "{\"metadata\":{\"name\":\"l\",\"labels\":{\"a\":\"bad value!\"}}}", 422,
        "Invalid", "metadata.labels: Invalid value: \"bad value!\""));
    l.add(json("invalid label key", "POST", CM, "{\"metadata\":{\"name\":\"l\",\"labels\":{\"-a\":\"b\"}}}", 422, "Invalid",
        "metadata.labels"));
    // ---- invalid field values
    l.add(json("bad quantity", "POST", "/api/v1/namespaces/bad/pods",
        pod("p", ",\"resources\":{\"limits\":{\"cpu\":\"lots\"}}"), 422, "Invalid", "resources.limits[cpu]: Invalid value: \"lots\""));
    l.add(json("negative replicas", "POST", "/apis/apps/v1/namespaces/bad/deployments", deployment("neg", -1), 422, "Invalid",
        "spec.replicas: Invalid value: -1"));
    l.add(json("port 0", "POST", "/api/v1/namespaces/bad/services", service(0), 422, "Invalid", "spec.ports[0].port: Invalid value: 0"));
    l.add(json("port 70000", "POST", "/api/v1/namespaces/bad/services", service(70000), 422, "Invalid",
        "spec.ports[0].port: Invalid value: 70000"));
    l.add(json("EndpointSlice address not of its type", "POST", "/apis/discovery.k8s.io/v1/namespaces/bad/endpointslices",
        "{\"metadata\":{\"name\":\"es\"},\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"not-an-ip\"]}]}", 422, "Invalid",
        "endpoints[0].addresses[0]: Invalid value: \"not-an-ip\": must be a valid IPv4 address"));
    l.add(json("Event in another namespace than its object", "POST", "/api/v1/namespaces/bad/events",
        "{\"metadata\":{\"name\":\"ev\"},\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"p\",\"namespace\":\"default\"}}", 422,
        "Invalid", "involvedObject.namespace: Invalid value: \"default\": does not match event.namespace"));
    // ---- batch/v1: kube's messages
    l.add(json("Job whose pods restart Always", "POST", JOBS, job("always", "Always"), 422, "Invalid",
        "spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""));
    l.add(json("Job with a negative backoffLimit", "POST", JOBS, job("neg", "Never").replace("\"spec\":{", "\"spec\":{\"backoffLimit\":-1,"),
        422, "Invalid", "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0"));
    l.add(json("Indexed Job without completions", "POST", JOBS,
        job("idx", "Never").replace("\"spec\":{", "\"spec\":{\"completionMode\":\"Indexed\",\"parallelism\":2,"), 422, "Invalid",
        "spec.completions: Required value: when completion mode is Indexed"));
    l.add(json("Job name too long for its pods' job-name label", "POST", JOBS, job("j".repeat(64), "Never"), 422, "Invalid",
        "spec.template.labels: Invalid value: \"" + "j".repeat(64) + "\": must be no more than 63 characters"));
    l.add(json("manual Job selector that misses its pods", "POST", JOBS, job("man", "Never").replace("\"spec\":{",
        "\"spec\":{\"manualSelector\":true,\"selector\":{\"matchLabels\":{\"app\":\"x\"}},"), 422, "Invalid",
        "spec.template.metadata.labels: Invalid value: {}: `selector` does not match template `labels`"));
    l.add(bad("Job template change", "PATCH", JOBS + "/run", "application/merge-patch+json",
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:2\"}]}}}}", 422, "Invalid",
        "spec.template: Invalid value: "));
    l.add(bad("Job completionMode change", "PATCH", JOBS + "/run", "application/merge-patch+json",
        "{\"spec\":{\"completionMode\":\"Indexed\"}}", 422, "Invalid", "spec.completionMode: Invalid value: \"Indexed\": field is immutable"));
    l.add(bad("Job selector change", "PATCH", JOBS + "/run", "application/merge-patch+json",
        "{\"spec\":{\"selector\":{\"matchLabels\":{\"batch.kubernetes.io/controller-uid\":\"other\"}}}}", 422, "Invalid",
        "spec.selector"));
    l.add(json("CronJob schedule with four fields", "POST", CRONJOBS, cronJob("four", "*/5 * * *"), 422, "Invalid",
        "spec.schedule: Invalid value: \"*/5 * * *\": expected exactly 5 fields, found 4: [*/5 * * *]"));
    l.add(json("CronJob schedule out of range", "POST", CRONJOBS, cronJob("range", "61 * * * *"), 422, "Invalid",
        "spec.schedule: Invalid value: \"61 * * * *\""));
    l.add(json("CronJob without a schedule", "POST", CRONJOBS, cronJob("none", ""), 422, "Invalid", "spec.schedule: Required value"));
    l.add(json("CronJob with TZ= in its schedule", "POST", CRONJOBS, cronJob("tz", "CRON_TZ=UTC 0 * * * *"), 422, "Invalid",
        "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
    l.add(json("CronJob in an unknown time zone", "POST", CRONJOBS,
        cronJob("zone", "@daily").replace("\"spec\":{", "\"spec\":{\"timeZone\":\"Mars/Olympus\","), 422, "Invalid",
        "spec.timeZone: Invalid value: \"Mars/Olympus\": unknown time zone Mars/Olympus"));
    l.add(json("CronJob with an unknown concurrencyPolicy", "POST", CRONJOBS,
        cronJob("conc", "@daily").replace("\"spec\":{", "\"spec\":{\"concurrencyPolicy\":\"Sometimes\","), 422, "Invalid",
        "spec.concurrencyPolicy: Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\""));
    l.add(json("CronJob name over 52 characters", "POST", CRONJOBS, cronJob("c".repeat(53), "@daily"), 422, "Invalid",
        "metadata.name: Invalid value: \"" + "c".repeat(53) + "\": must be no more than 52 characters"));
    l.add(json("CronJob whose jobs restart Always", "POST", CRONJOBS,
        cronJob("alw", "@daily").replace("OnFailure", "Always"), 422, "Invalid",
        "spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: \"Always\""));
    l.add(json("CronJob schedule that is a number", "POST", CRONJOBS, cronJob("num", "x").replace("\"x\"", "5"), 400, "BadRequest",
        "CronJob"));
    // ---- autoscaling
    l.add(json("HPA without a target kind", "POST", HPAS, hpa("nokind", "{\"name\":\"web\"}", "\"maxReplicas\":3"), 422, "Invalid",
        "spec.scaleTargetRef.kind: Required value"));
    l.add(json("HPA without maxReplicas", "POST", HPAS, hpa("nomax", WEB, ""), 422, "Invalid",
        "spec.maxReplicas: Invalid value: 0: must be greater than 0"));
    l.add(json("HPA with maxReplicas below minReplicas", "POST", HPAS, hpa("inverted", WEB, "\"minReplicas\":4,\"maxReplicas\":2"), 422,
        "Invalid", "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"));
    l.add(json("HPA with minReplicas 0", "POST", HPAS, hpa("zero", WEB, "\"minReplicas\":0,\"maxReplicas\":2"), 422, "Invalid",
        "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1"));
    l.add(json("HPA metric of an unknown type", "POST", HPAS, hpa("bogus", WEB, "\"maxReplicas\":2,\"metrics\":[{\"type\":\"Bogus\"}]"),
        422, "Invalid", "spec.metrics[0].type: Unsupported value: \"Bogus\""));
    l.add(json("HPA resource metric without a target", "POST", HPAS, hpa("notarget", WEB,
        "\"maxReplicas\":2,\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"target\":{\"type\":\"Utilization\"}}}]"),
        422, "Invalid", "spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization"));
    l.add(json("HPA target type that does not exist", "POST", HPAS, hpa("tt", WEB,
        "\"maxReplicas\":2,\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"target\":{\"type\":\"Percent\",\"averageUtilization\":5}}}]"),
        422, "Invalid", "spec.metrics[0].resource.target.type: Invalid value: \"Percent\": must be either Utilization, Value, or AverageValue"));
    l.add(json("HPA averageValue that is no quantity", "POST", HPAS, hpa("qty", WEB,
        "\"maxReplicas\":2,\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"memory\",\"target\":{\"type\":\"AverageValue\",\"averageValue\":\"lots\"}}}]"),
        422, "Invalid", "spec.metrics[0].resource.target.averageValue: Invalid value: \"lots\": quantities must match the regular expression"));
    l.add(json("HPA stabilization window over an hour", "POST", HPAS, hpa("window", WEB,
        "\"maxReplicas\":2,\"behavior\":{\"scaleDown\":{\"stabilizationWindowSeconds\":3601}}"), 422, "Invalid",
        "spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal to 3600"));
    l.add(json("HPA maxReplicas that is a string", "POST", HPAS, hpa("str", WEB, "\"maxReplicas\":\"five\""), 400, "BadRequest",
        "HorizontalPodAutoscaler"));
    l.add(json("v1 HPA with a 0% CPU target", "POST", HPAS_V1, "{\"apiVersion\":\"autoscaling/v1\",\"kind\":\"HorizontalPodAutoscaler\","
        + "\"metadata\":{\"name\":\"v1zero\"},\"spec\":{\"scaleTargetRef\":" + WEB + ",\"maxReplicas\":2,\"targetCPUUtilizationPercentage\":0}}",
        422, "Invalid", "spec.targetCPUUtilizationPercentage: Invalid value: 0: must be greater than 0"));
    l.add(json("v1 HPA with maxReplicas below minReplicas", "POST", HPAS_V1, "{\"apiVersion\":\"autoscaling/v1\",\"kind\":\"HorizontalPodAutoscaler\","
        + "\"metadata\":{\"name\":\"v1inv\"},\"spec\":{\"scaleTargetRef\":" + WEB + ",\"minReplicas\":3,\"maxReplicas\":2}}",
        422, "Invalid", "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"));
    l.add(json("unknown field under Strict", "POST", CM + "?fieldValidation=Strict",
        "{\"metadata\":{\"name\":\"u\"},\"bogus\":1}", 400, "BadRequest", "unknown field \"bogus\""));
    l.add(json("invalid fieldValidation", "POST", CM + "?fieldValidation=Loose", cm("fv"), 400, "BadRequest", "fieldValidation"));
    l.add(json("invalid dryRun", "POST", CM + "?dryRun=Maybe", cm("dry"), 400, "BadRequest", "dryRun"));
    // ---- media types and sizes
    l.add(bad("text/plain", "POST", CM, "text/plain", cm("t"), 415, "UnsupportedMediaType", "text/plain"));
    l.add(bad("text/plain patch", "PATCH", CM + "/keep", "text/plain", "{}", 415, "UnsupportedMediaType", "text/plain"));
    // a plain JSON body is no patch: the answer lists the patch types, not application/json (client-java's default)
    l.add(bad("plain JSON as a patch", "PATCH", CM + "/keep", "application/json; charset=utf-8", "{\"data\":{}}", 415,
        "UnsupportedMediaType", "accepted media types include: application/json-patch+json, application/merge-patch+json, "
            + "application/apply-patch+yaml, application/strategic-merge-patch+json (got application/json; charset=utf-8)"));
    l.add(json("body over 3 MiB", "POST", CM, "{\"metadata\":{\"name\":\"huge\"},\"data\":{\"x\":\"" + "a".repeat(4 * 1024 * 1024)
        + "\"}}", 413, "RequestEntityTooLarge", "3 MiB"));
    l.add(json("ConfigMap data over 1 MiB", "POST", CM, "{\"metadata\":{\"name\":\"big\"},\"data\":{\"x\":\"" + big2 + "\"}}", 422,
        "Invalid", "must have at most 1048576 bytes"));
    l.add(json("object over etcd's 1.5 MiB", "POST", "/api/v1/namespaces/bad/pods", pod("bigpod", ",\"args\":[\"" + big2 + "\"]"),
        413, "RequestEntityTooLarge", "too large to store"));
    // ---- bad list/watch parameters
    l.add(json("bad label selector", "GET", CM + "?labelSelector=a%20in%20(b", null, 400, "BadRequest", "label selector"));
    l.add(json("bad label selector key", "GET", CM + "?labelSelector=Bad%20Key%3Dx", null, 400, "BadRequest", "invalid label key"));
    l.add(json("unsupported field selector", "GET", CM + "?fieldSelector=spec.foo%3Dbar", null, 400, "BadRequest",
        "field label not supported: spec.foo"));
    l.add(json("field selector without a value", "GET", CM + "?fieldSelector=metadata.name", null, 400, "BadRequest",
        "invalid field selector"));
    l.add(json("bad resourceVersion", "GET", CM + "?resourceVersion=abc", null, 400, "BadRequest", "invalid resourceVersion \"abc\""));
    l.add(json("bad limit", "GET", CM + "?limit=ten", null, 400, "BadRequest", "invalid limit \"ten\""));
    l.add(json("bad continue token", "GET", CM + "?limit=1&continue=garbage", null, 400, "BadRequest", "continue"));
    l.add(json("bad watch timeout", "GET", CM + "?watch=true&timeoutSeconds=soon", null, 400, "BadRequest", "timeoutSeconds"));
    // ---- URLs and methods
    l.add(json("unknown resource", "GET", "/api/v1/namespaces/bad/widgets", null, 404, "NotFound", "widgets"));
    l.add(json("unknown group", "GET", "/apis/nope.io/v1/things", null, 404, "NotFound", ""));
    l.add(json("PUT on a collection", "PUT", CM, cm("x"), 405, "MethodNotAllowed", "PUT configmaps"));
    l.add(json("POST on an object", "POST", CM + "/keep", cm("keep"), 405, "MethodNotAllowed", "POST configmaps"));
    l.add(json("OPTIONS on a collection", "OPTIONS", CM, null, 405, "MethodNotAllowed", "OPTIONS"));
    l.add(json("OPTIONS on discovery", "OPTIONS", "/api/v1", null, 405, "MethodNotAllowed", "OPTIONS /api/v1"));
    l.add(json("OPTIONS on a pod's log", "OPTIONS", "/api/v1/namespaces/bad/pods/p/log", null, 405, "MethodNotAllowed", "OPTIONS"));
    // ---- conflicts and missing things
    l.add(json("stale update", "PUT", CM + "/keep", "{\"metadata\":{\"name\":\"keep\",\"resourceVersion\":\"2\"},\"data\":{\"a\":\"2\"}}",
        409, "Conflict", "the object has been modified"));
    l.add(json("create of an existing object", "POST", CM, cm("keep"), 409, "AlreadyExists", "configmaps \"keep\" already exists"));
    l.add(json("missing namespace", "POST", "/api/v1/namespaces/nope/configmaps", cm("x"), 404, "NotFound",
        "namespaces \"nope\" not found"));
    l.add(json("missing object", "GET", CM + "/ghost", null, 404, "NotFound", "configmaps \"ghost\" not found"));
    l.add(json("update of a missing object", "PUT", CM + "/ghost", cm("ghost"), 404, "NotFound", "\"ghost\" not found"));
    l.add(json("invalid propagationPolicy", "DELETE", CM + "/keep", "{\"propagationPolicy\":\"Sideways\"}", 400, "BadRequest",
        "propagationPolicy"));
    l.add(json("no credentials", "GET", CM, null, 401, "Unauthorized", "Unauthorized").auth(null));
    l.add(json("wrong token", "POST", CM, cm("x"), 401, "Unauthorized", "Unauthorized").auth("not-the-token"));
    // ---- patches
    l.add(bad("JSON patch to a missing path", "PATCH", CM + "/keep", "application/json-patch+json",
        "[{\"op\":\"replace\",\"path\":\"/data/missing/x\",\"value\":\"1\"}]", 422, "Invalid", "/data"));
    l.add(bad("JSON patch removing a missing key", "PATCH", CM + "/keep", "application/json-patch+json",
        "[{\"op\":\"remove\",\"path\":\"/data/zzz\"}]", 422, "Invalid", "zzz"));
    l.add(bad("JSON patch that is not a list", "PATCH", CM + "/keep", "application/json-patch+json", "{\"op\":\"add\"}", 400,
        "BadRequest", "must be a list of operations"));
    l.add(bad("JSON patch with an unknown op", "PATCH", CM + "/keep", "application/json-patch+json",
        "[{\"op\":\"frob\",\"path\":\"/data\"}]", 400, "BadRequest", "frob"));
    l.add(bad("failing JSON patch test", "PATCH", CM + "/keep", "application/json-patch+json",
        "[{\"op\":\"test\",\"path\":\"/data/a\",\"value\":\"9\"},{\"op\":\"replace\",\"path\":\"/data/a\",\"value\":\"3\"}]", 422,
        "Invalid", "test /data/a"));
    l.add(bad("strategic merge patch that is a list", "PATCH", CM + "/keep", "application/strategic-merge-patch+json", "[1,2]",
        400, "BadRequest", "must be a JSON object"));
    l.add(bad("strategic merge patch with a bad directive", "PATCH", CM + "/keep", "application/strategic-merge-patch+json",
        "{\"data\":{\"$patch\":\"explode\"}}", 400, "BadRequest", "explode"));
    l.add(bad("merge patch that renames", "PATCH", CM + "/keep", "application/merge-patch+json",
        "{\"metadata\":{\"name\":\"other\"}}", 400, "BadRequest", "does not match the name on the URL"));
    l.add(bad("merge patch with a wrong type", "PATCH", CM + "/keep", "application/merge-patch+json", "{\"data\":5}", 400,
        "BadRequest", "ConfigMap.data"));
    l.add(bad("merge patch making replicas negative", "PATCH", "/apis/apps/v1/namespaces/bad/deployments/web",
        "application/merge-patch+json", "{\"spec\":{\"replicas\":-3}}", 422, "Invalid", "spec.replicas"));
    l.add(bad("merge patch changing an immutable selector", "PATCH", "/apis/apps/v1/namespaces/bad/deployments/web",
        "application/merge-patch+json", "{\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"other\"}}}}", 422, "Invalid",
        "spec.selector"));
    l.add(bad("apply without fieldManager", "PATCH", CM + "/keep", "application/apply-patch+yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep}\n", 400, "BadRequest", "fieldManager"));
    l.add(bad("apply of the wrong kind", "PATCH", CM + "/keep?fieldManager=it", "application/apply-patch+yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: keep}\n", 400, "BadRequest", "kind of the object (Secret)"));
    // ---- RBAC objects (kube's pkg/apis/rbac/validation)
    l.add(json("a role rule without verbs", "POST", ROLES, role("r1", rule("\"apiGroups\":[\"\"],\"resources\":[\"pods\"]")), 422,
        "Invalid", "rules[0].verbs: Required value: verbs must contain at least one value"));
    l.add(json("a namespaced role with non-resource URLs", "POST", ROLES,
        role("r2", rule("\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/healthz\"]")), 422, "Invalid",
        "rules[0].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced rules cannot apply to non-resource URLs"));
    l.add(json("a cluster role rule with neither resources nor URLs", "POST", RBAC + "/clusterroles",
        role("r3", rule("\"verbs\":[\"get\"]")).replace("\"Role\"", "\"ClusterRole\""), 422, "Invalid",
        "rules[0].apiGroups: Required value: resource rules must supply at least one api group"));
    l.add(json("an aggregationRule without selectors", "POST", RBAC + "/clusterroles",
        "{\"metadata\":{\"name\":\"agg\"},\"aggregationRule\":{}}", 422, "Invalid",
        "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required"));
    l.add(json("a binding to a Deployment", "POST", ROLE_BINDINGS, binding("RoleBinding", "b1", "Deployment", "web",
        "{\"kind\":\"User\",\"name\":\"jane\"}"), 422, "Invalid",
        "roleRef.kind: Unsupported value: \"Deployment\": supported values: \"Role\", \"ClusterRole\""));
    l.add(json("a cluster-wide binding to a namespaced Role", "POST", RBAC + "/clusterrolebindings",
        binding("ClusterRoleBinding", "b2", "Role", "reader", "{\"kind\":\"User\",\"name\":\"jane\"}"), 422, "Invalid",
        "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\""));
    l.add(json("a cluster-wide binding to a service account without namespace", "POST", RBAC + "/clusterrolebindings",
        binding("ClusterRoleBinding", "b3", "ClusterRole", "view", "{\"kind\":\"ServiceAccount\",\"name\":\"robot\"}"), 422,
        "Invalid", "subjects[0].namespace: Required value"));
    l.add(json("a subject of an unknown kind", "POST", ROLE_BINDINGS, binding("RoleBinding", "b4", "Role", "reader",
        "{\"kind\":\"Robot\",\"name\":\"r2d2\"}"), 422, "Invalid",
        "subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\""));
    l.add(bad("a patch changing a binding's roleRef", "PATCH", ROLE_BINDINGS + "/reads", "application/merge-patch+json",
        "{\"roleRef\":{\"name\":\"writer\"}}", 422, "Invalid", "roleRef: Invalid value: rbac.RoleRef{APIGroup:"
            + "\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"writer\"}: cannot change roleRef"));
    return l;
  }

  @TestFactory
  Stream<DynamicTest> malformedRequests() {
    List<Case> all = cases();
    assertThat(all).hasSizeGreaterThanOrEqualTo(30);
    return all.stream().map(k -> DynamicTest.dynamicTest(k.what(), () -> check(k)));
  }

  private void check(Case k) throws Exception {
    Map<String, Long> before = etcdState();
    String keepBefore = get(CM + "/keep");
    HttpRequest.Builder b = c.request(c.api(), k.path());
    HttpRequest.Builder rb = k.auth() == null ? java.net.http.HttpRequest.newBuilder(b.build().uri())
        : b.setHeader("Authorization", "Bearer " + (k.auth().equals("admin") ? c.token() : k.auth()));
    if (k.contentType() != null && k.body() != null) rb.header("Content-Type", k.contentType());
    rb.method(k.method(), k.body() == null ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(k.body()));
    HttpResponse<String> r = c.send(rb.build());
    String desc = k.what() + ": " + k.method() + " " + k.path() + " -> " + r.statusCode() + " " + abbrev(r.body());
    assertThat(r.statusCode()).as(desc).isLessThan(500).isEqualTo(k.code());
    JsonNode st = JSON.readTree(r.body());
    assertThat(st.path("kind").asString()).as(desc).isEqualTo("Status");
    assertThat(st.path("status").asString()).as(desc).isEqualTo("Failure");
    assertThat(st.path("reason").asString()).as(desc).isEqualTo(k.reason());
    assertThat(st.path("code").asInt()).as(desc).isEqualTo(k.code());
    assertThat(st.path("message").asString()).as(desc).contains(k.messagePart());
    // nothing half-written: the same keys at the same revisions, nothing written meanwhile (not even
    // written and deleted again) but the api-server's own upkeep, and the object we aimed at unchanged
    Map<String, Long> after = etcdState();
    assertThat(keysWrittenBetween(before.get("@revision"), after.get("@revision"))).as(desc + ": etcd written").isEmpty();
    before.remove("@revision");
    after.remove("@revision");
    assertThat(after).as(desc + ": etcd changed").isEqualTo(before);
    assertThat(get(CM + "/keep")).as(desc).isEqualTo(keepBefore);
  }

  // ---- list parameters at their edges (valid requests, answered as kube-apiserver answers them)

  @Test
  void negativeLimitListsEverything() throws Exception {
    // kube-apiserver does not validate limit; only limit > 0 pages (storage: "hasLimit := limit > 0").
    JsonNode all = JSON.readTree(get(CM));
    JsonNode neg = JSON.readTree(get(CM + "?limit=-5"));
    assertThat(names(neg)).isEqualTo(names(all)).isNotEmpty();
    assertThat(neg.path("metadata").has("continue")).isFalse();
    assertThat(neg.path("metadata").has("remainingItemCount")).isFalse();
  }

  @Test
  void pagedListSaysHowManyItemsRemain() throws Exception {
    post("/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"paging\"}}");
    String base = "/api/v1/namespaces/paging/configmaps";
    for (int i = 0; i < 5; i++) {
      post(base, "{\"metadata\":{\"name\":\"p" + i + "\",\"labels\":{\"odd\":\"" + (i % 2 == 1) + "\"}}}");
    }
    JsonNode first = JSON.readTree(get(base + "?limit=2"));
    assertThat(names(first)).containsExactly("p0", "p1");
    assertThat(first.path("metadata").path("remainingItemCount").asLong()).isEqualTo(3);
    JsonNode second = JSON.readTree(get(base + "?limit=2&continue=" + first.path("metadata").path("continue").asString()));
    assertThat(names(second)).containsExactly("p2", "p3");
    assertThat(second.path("metadata").path("remainingItemCount").asLong()).isEqualTo(1);
    JsonNode last = JSON.readTree(get(base + "?limit=2&continue=" + second.path("metadata").path("continue").asString()));
    assertThat(names(last)).containsExactly("p4");
    assertThat(last.path("metadata").has("remainingItemCount")).isFalse(); // no more pages
    // With a selector etcd's count says nothing about how many of the rest match: not sent (as Kubernetes).
    JsonNode selected = JSON.readTree(get(base + "?limit=1&labelSelector=odd%3Dtrue"));
    assertThat(names(selected)).containsExactly("p1");
    assertThat(selected.path("metadata").has("continue")).isTrue();
    assertThat(selected.path("metadata").has("remainingItemCount")).isFalse();
  }

  private static List<String> names(JsonNode list) {
    List<String> out = new ArrayList<>();
    for (JsonNode i : list.path("items")) out.add(i.path("metadata").path("name").asString());
    return out;
  }

  private static String abbrev(String s) {
    return s.length() > 600 ? s.substring(0, 600) + "..." : s;
  }

  private static String get(String path) throws Exception {
    HttpResponse<String> r = c.send(c.request(c.api(), path).GET().build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  /**
   * What the api-server writes by itself at any moment, whatever the requests: its endpoint Lease,
   * renewed every few seconds, and the default/kubernetes Service with its endpoints and slices.
   */
  private static boolean upkeep(String key) {
    return key.contains("/kube-system/apiserver-endpoint-") || key.endsWith("/default/kubernetes")
        || key.contains("/default/kubernetes-");
  }

  /** Every key under /registry with its mod revision (but the api-server's upkeep), plus the store revision under "@revision". */
  private static Map<String, Long> etcdState() throws Exception {
    ByteSequence prefix = ByteSequence.from("/registry/", StandardCharsets.UTF_8);
    GetResponse r = etcd.getKVClient().get(prefix, GetOption.builder().isPrefix(true).withKeysOnly(true).build())
        .get(10, TimeUnit.SECONDS);
    Map<String, Long> out = new TreeMap<>();
    for (KeyValue kv : r.getKvs()) {
      String key = kv.getKey().toString(StandardCharsets.UTF_8);
      if (!upkeep(key)) out.put(key, kv.getModRevision());
    }
    out.put("@revision", r.getHeader().getRevision());
    return out;
  }

  /** The keys put or deleted after revision {@code from} up to {@code to} (etcd's history), but the api-server's upkeep. */
  private static List<String> keysWrittenBetween(long from, long to) throws Exception {
    if (to <= from) return List.of();
    List<String> keys = new CopyOnWriteArrayList<>();
    CountDownLatch reached = new CountDownLatch(1);
    ByteSequence all = ByteSequence.from(new byte[] {0}); // key "\0" to range end "\0": every key
    WatchOption from1 = WatchOption.builder().withRange(all).withRevision(from + 1).build();
    try (Watch.Watcher w = etcd.getWatchClient().watch(all, from1, resp -> {
      for (WatchEvent e : resp.getEvents()) {
        String key = e.getKeyValue().getKey().toString(StandardCharsets.UTF_8);
        if (!upkeep(key)) keys.add(e.getEventType() + " " + key);
        if (e.getKeyValue().getModRevision() >= to) reached.countDown();
      }
    })) {
      assertThat(reached.await(10, TimeUnit.SECONDS)).as("etcd's history up to revision " + to).isTrue();
    }
    return keys;
  }
}
