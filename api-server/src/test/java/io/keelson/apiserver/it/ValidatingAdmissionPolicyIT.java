package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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

  @BeforeAll
  static void up() throws Exception {
    c = TestCluster.start("admission-policy", 1);
  }

  @AfterAll
  static void down() throws Exception {
    if (c != null) c.close();
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
}
