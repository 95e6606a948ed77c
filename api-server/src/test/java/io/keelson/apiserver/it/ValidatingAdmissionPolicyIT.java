package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * ValidatingAdmissionPolicies through the real kubectl against a real api-server and etcd: a
 * policy whose expression does not compile is refused; a policy with a ConfigMap as params, bound
 * to the namespaces labelled environment=test, denies Deployments above the ConfigMap's limit there
 * with kube's message; bound with Warn to environment=prod, it lets them through with kube's warning.
 */
class ValidatingAdmissionPolicyIT {

  private static final String POLICY = """
      apiVersion: admissionregistration.k8s.io/v1
      kind: ValidatingAdmissionPolicy
      metadata:
        name: max-replicas
      spec:
        failurePolicy: Fail
        paramKind: {apiVersion: v1, kind: ConfigMap}
        matchConstraints:
          resourceRules:
          - apiGroups: [apps]
            apiVersions: [v1]
            operations: [CREATE, UPDATE]
            resources: [deployments]
        variables:
        - name: limit
          expression: int(params.data.maxReplicas)
        validations:
        - expression: "%s"
          messageExpression: "'replicas must be at most ' + string(variables.limit) + ' in ' + request.namespace"
      """;

  private static final String BINDING = """
      apiVersion: admissionregistration.k8s.io/v1
      kind: ValidatingAdmissionPolicyBinding
      metadata:
        name: max-replicas-test
      spec:
        policyName: max-replicas
        validationActions: [Deny]
        paramRef: {name: limits, namespace: default, parameterNotFoundAction: Deny}
        matchResources:
          namespaceSelector:
            matchLabels: {environment: test}
      ---
      apiVersion: admissionregistration.k8s.io/v1
      kind: ValidatingAdmissionPolicyBinding
      metadata:
        name: max-replicas-prod
      spec:
        policyName: max-replicas
        validationActions: [Warn]
        paramRef: {name: limits, namespace: default, parameterNotFoundAction: Deny}
        matchResources:
          namespaceSelector:
            matchLabels: {environment: prod}
      ---
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: limits, namespace: default}
      data: {maxReplicas: "3"}
      """;

  private static TestCluster c;
  private static Path work;
  private static Path auditLog;

  @BeforeAll
  static void up() throws Exception {
    work = Files.createTempDirectory("keelson-policy-it");
    auditLog = work.resolve("audit.log");
    Path auditPolicy = work.resolve("audit-policy.yaml");
    Files.writeString(auditPolicy, """
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: [RequestReceived]
        rules:
        - level: Metadata
          resources: [{group: "", resources: [configmaps]}]
        - level: None
        """);
    c = TestCluster.start("admission-policy", 1, List.of("--audit-policy-file", auditPolicy.toString(), "--audit-log-path", auditLog.toString()));
  }

  @AfterAll
  static void down() throws Exception {
    if (c != null) c.close();
    if (work != null) {
      try (var s = Files.walk(work)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  private static String ok(TestCluster.Kubectl r) {
    assertThat(r.code()).as(r.out()).isZero();
    return r.out();
  }

  @Test
  void aPolicyWithParamsDeniesWhatItsBindingSelects() throws Exception {
    TestCluster.Kubectl r = c.apply("broken", POLICY.formatted("object.spec.replicas <="));
    assertThat(r.code()).as(r.out()).isNotZero();
    assertThat(r.out()).contains("The ValidatingAdmissionPolicy \"max-replicas\" is invalid: "
        + "spec.validations[0].expression: Invalid value: \"object.spec.replicas <=\": compilation failed: ERROR: <input>:1:");

    ok(c.apply("policy", POLICY.formatted("object.spec.replicas <= variables.limit")));
    ok(c.apply("binding", BINDING));
    assertThat(ok(c.kubectl("get", "validatingadmissionpolicies"))).containsPattern("NAME +VALIDATIONS +PARAMKIND +AGE\n")
        .containsPattern("max-replicas +1 +v1/ConfigMap +");
    assertThat(ok(c.kubectl("get", "validatingadmissionpolicybindings"))).containsPattern("NAME +POLICYNAME +PARAMREF +AGE\n")
        .containsPattern("max-replicas-test +max-replicas +default/limits +");
    ok(c.kubectl("create", "namespace", "test"));
    ok(c.kubectl("label", "namespace", "test", "environment=test"));
    ok(c.kubectl("create", "namespace", "prod"));
    ok(c.kubectl("label", "namespace", "prod", "environment=prod"));

    // the policy's objects reach the admission through the watch cache: the first denial may take a moment
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      TestCluster.Kubectl denied = c.kubectl("-n", "test", "create", "deployment", "big", "--image=keelson.local/busybox:latest",
          "--replicas=5", "--dry-run=server");
      assertThat(denied.code()).as(denied.out()).isNotZero();
      assertThat(denied.out()).contains("deployments.apps \"big\" is forbidden: ValidatingAdmissionPolicy 'max-replicas' with binding "
          + "'max-replicas-test' denied request: replicas must be at most 3 in test");
    });
    assertThat(ok(c.kubectl("-n", "test", "create", "deployment", "small", "--image=keelson.local/busybox:latest", "--replicas=2")))
        .contains("deployment.apps/small created");
    // a Warn binding lets the write through with kube's warning, which kubectl prints
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
        assertThat(ok(c.kubectl("-n", "prod", "create", "deployment", "big", "--image=keelson.local/busybox:latest", "--replicas=5",
            "--dry-run=server"))).contains("Warning: Validation failed for ValidatingAdmissionPolicy 'max-replicas' with binding "
                + "'max-replicas-prod': replicas must be at most 3 in prod"));
    assertThat(ok(c.kubectl("-n", "prod", "create", "deployment", "big", "--image=keelson.local/busybox:latest", "--replicas=5")))
        .contains("deployment.apps/big created").contains("Warning: Validation failed for ValidatingAdmissionPolicy");
    assertThat(ok(c.kubectl("-n", "prod", "create", "deployment", "small", "--image=keelson.local/busybox:latest", "--replicas=1")))
        .doesNotContain("Warning");
    r = c.kubectl("-n", "test", "patch", "deployment", "small", "--type=merge", "-p", "{\"spec\":{\"replicas\":4}}");
    assertThat(r.code()).as(r.out()).isNotZero();
    assertThat(r.out()).contains("denied request: replicas must be at most 3 in test");

    // without its params the binding denies (parameterNotFoundAction: Deny)
    ok(c.kubectl("-n", "default", "delete", "configmap", "limits"));
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      TestCluster.Kubectl denied = c.kubectl("-n", "test", "create", "deployment", "other", "--image=keelson.local/busybox:latest");
      assertThat(denied.code()).as(denied.out()).isNotZero();
      assertThat(denied.out()).contains("denied request: failed to configure binding: no params found for policy binding with `Deny` "
          + "parameterNotFoundAction");
    });
  }

  /** A namespace whose label {@code policy=<name>} a test's binding selects. */
  private static void namespace(String name) throws Exception {
    ok(c.kubectl("create", "namespace", name));
    ok(c.kubectl("label", "namespace", name, "policy=" + name));
  }

  @Test
  void aPolicyOnDeleteJudgesTheObjectBeingDeleted() throws Exception {
    namespace("keep");
    ok(c.apply("keep", """
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicy
        metadata: {name: keep}
        spec:
          matchConstraints:
            resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [DELETE], resources: [configmaps]}]
          validations:
          - expression: "object == null && oldObject.data.keep != 'yes'"
            messageExpression: "'configmap ' + oldObject.metadata.name + ' is kept by ' + request.userInfo.username"
        ---
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicyBinding
        metadata: {name: keep}
        spec:
          policyName: keep
          validationActions: [Deny]
          matchResources: {namespaceSelector: {matchLabels: {policy: keep}}}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: kept, namespace: keep}
        data: {keep: "yes"}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: gone, namespace: keep}
        data: {keep: "no"}
        """));
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      TestCluster.Kubectl denied = c.kubectl("-n", "keep", "delete", "configmap", "kept");
      assertThat(denied.code()).as(denied.out()).isNotZero();
      // kubectl delete prints a 422 Invalid with its (field-less) cause, as it does against kube
      assertThat(denied.out()).contains("The configmaps \"kept\" is invalid: : ValidatingAdmissionPolicy 'keep' with binding 'keep' "
          + "denied request: configmap kept is kept by keelson-admin");
    });
    assertThat(ok(c.kubectl("-n", "keep", "delete", "configmap", "gone"))).contains("configmap \"gone\" deleted");
    ok(c.kubectl("-n", "keep", "get", "configmap", "kept"));
  }

  /** The ResponseComplete audit events of configmap creates in {@code namespace}, by name. */
  private static List<JsonNode> createsIn(String namespace) throws Exception {
    JsonMapper json = JsonMapper.builder().build();
    if (!Files.exists(auditLog)) return List.of();
    return Files.readAllLines(auditLog).stream().filter(l -> !l.isBlank()).map(l -> (JsonNode) json.readTree(l))
        .filter(e -> e.path("verb").asString("").equals("create") && e.path("objectRef").path("namespace").asString("").equals(namespace))
        .toList();
  }

  @Test
  void anAuditBindingRecordsItsFailuresAndThePolicysAnnotationsInTheAuditLog() throws Exception {
    namespace("audited");
    ok(c.apply("audited", """
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicy
        metadata: {name: ok-names}
        spec:
          matchConstraints:
            resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}]
          validations:
          - expression: "object.metadata.name.startsWith('ok-')"
            message: names start with ok-
          auditAnnotations:
          - key: name
            valueExpression: "'created ' + object.metadata.name"
        ---
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicyBinding
        metadata: {name: ok-names-audit}
        spec:
          policyName: ok-names
          validationActions: [Audit]
          matchResources: {namespaceSelector: {matchLabels: {policy: audited}}}
        """));
    // Audit lets the write through: wait until the policy is seen by the created objects' events
    int[] n = {0};
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      ok(c.kubectl("-n", "audited", "create", "configmap", "bad-" + n[0]++));
      assertThat(createsIn("audited")).anySatisfy(e -> assertThat(e.path("annotations").has("ok-names/name")).isTrue());
    });
    ok(c.kubectl("-n", "audited", "create", "configmap", "bad-last"));
    ok(c.kubectl("-n", "audited", "create", "configmap", "ok-fine"));
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      List<JsonNode> events = createsIn("audited");
      JsonNode bad = events.stream().filter(e -> e.path("objectRef").path("name").asString("").equals("bad-last")).findFirst().orElseThrow();
      assertThat(bad.path("responseStatus").path("code").asInt()).isEqualTo(201);
      assertThat(bad.path("annotations").path("validation.policy.admission.k8s.io/validation_failure").asString())
          .isEqualTo("[{\"message\":\"names start with ok-\",\"policy\":\"ok-names\",\"binding\":\"ok-names-audit\","
              + "\"expressionIndex\":0,\"validationActions\":[\"Audit\"]}]");
      assertThat(bad.path("annotations").path("ok-names/name").asString()).isEqualTo("created bad-last");
      JsonNode fine = events.stream().filter(e -> e.path("objectRef").path("name").asString("").equals("ok-fine")).findFirst().orElseThrow();
      assertThat(fine.path("annotations").has("validation.policy.admission.k8s.io/validation_failure")).isFalse();
      assertThat(fine.path("annotations").path("ok-names/name").asString()).isEqualTo("created ok-fine");
    });
  }

  @Test
  void aPolicyOnPodsEvictionSeesTheEviction() throws Exception {
    namespace("evict");
    ok(c.kubectl("run", "guarded", "-n", "evict", "--image=keelson.local/busybox:latest", "--", "sleep", "3600"));
    ok(c.apply("no-evict", """
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicy
        metadata: {name: no-evict}
        spec:
          matchConstraints:
            resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods/eviction]}]
          validations:
          - expression: "object.kind == 'Eviction' && request.name != 'guarded'"
            messageExpression: "'pod ' + request.name + ' in ' + request.namespace + ' may not be evicted'"
        ---
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicyBinding
        metadata: {name: no-evict}
        spec:
          policyName: no-evict
          validationActions: [Deny]
          matchResources: {namespaceSelector: {matchLabels: {policy: evict}}}
        """));
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      var r = c.send(c.request(c.api(), "/api/v1/namespaces/evict/pods/guarded/eviction").header("Content-Type", "application/json")
          .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
              "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"guarded\"}}")).build());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
      assertThat(JsonMapper.builder().build().readTree(r.body()).path("message").asString()).isEqualTo("pods \"guarded\" is forbidden: "
          + "ValidatingAdmissionPolicy 'no-evict' with binding 'no-evict' denied request: pod guarded in evict may not be evicted");
    });
    ok(c.kubectl("get", "pod", "guarded", "-n", "evict"));
  }
}
