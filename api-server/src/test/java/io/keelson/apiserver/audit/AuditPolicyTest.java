package io.keelson.apiserver.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keelson.apiserver.auth.Authorizer;
import io.keelson.apiserver.auth.UserInfo;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The policy checker's cases (kube's policy/checker_test.go in spirit): which rule a request matches, and what a broken policy says. */
class AuditPolicyTest {

  static final UserInfo ADMIN = UserInfo.ADMIN;
  static final UserInfo JANE = new UserInfo("jane", "", List.of("dev", "system:authenticated"));
  static final UserInfo NODE = new UserInfo("system:node:node-1", "", List.of("system:nodes", "system:authenticated"));

  static final AuditPolicy POLICY = AuditPolicy.parse("""
      apiVersion: audit.k8s.io/v1
      kind: Policy
      omitStages: [RequestReceived]
      rules:
      - level: None
        nonResourceURLs: ["/healthz*", /version]
      - level: RequestResponse
        users: [jane]
        resources: [{group: "", resources: ["pods/log", "*/status"]}]
      - level: Request
        userGroups: [system:nodes]
        verbs: [update, patch]
        resources: [{group: "", resources: [nodes/*]}]
      - level: None
        resources: [{group: "", resources: [secrets], resourceNames: [hidden]}]
      - level: Request
        namespaces: [kube-system]
        omitStages: [ResponseStarted]
      - level: Metadata
        resources: [{group: apps}, {group: "", resources: ["*"]}]
      - level: Metadata
        nonResourceURLs: ["*"]
        omitManagedFields: true
      """);

  static Authorizer.Attributes res(String verb, String group, String resource, String sub, String ns, String name) {
    return new Authorizer.Attributes(verb, group, resource, sub, ns, name, null);
  }

  static Authorizer.Attributes path(String verb, String path) {
    return new Authorizer.Attributes(verb, null, null, null, null, null, path);
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("a health probe", ADMIN, path("get", "/healthz/etcd"), AuditLevel.None),
        Arguments.of("an exact non-resource URL", JANE, path("get", "/version"), AuditLevel.None),
        Arguments.of("no prefix match without *", JANE, path("get", "/versions"), AuditLevel.Metadata),
        Arguments.of("a subresource by name", JANE, res("get", "", "pods", "log", "d", "web"), AuditLevel.RequestResponse),
        Arguments.of("*/status: any resource's status", JANE, res("update", "", "services", "status", "d", "s"), AuditLevel.RequestResponse),
        Arguments.of("users: another user falls through", ADMIN, res("get", "", "pods", "log", "d", "web"), AuditLevel.Metadata),
        Arguments.of("the resource alone is not pods/log", JANE, res("get", "", "pods", "", "d", "web"), AuditLevel.Metadata),
        Arguments.of("userGroups and verbs, nodes/*", NODE, res("patch", "", "nodes", "status", "", "node-1"), AuditLevel.Request),
        Arguments.of("verbs: a get falls through", NODE, res("get", "", "nodes", "status", "", "node-1"), AuditLevel.Metadata),
        Arguments.of("resourceNames", ADMIN, res("get", "", "secrets", "", "d", "hidden"), AuditLevel.None),
        Arguments.of("resourceNames: another name", ADMIN, res("get", "", "secrets", "", "d", "shown"), AuditLevel.Metadata),
        Arguments.of("namespaces", ADMIN, res("list", "apps", "deployments", "", "kube-system", ""), AuditLevel.Request),
        Arguments.of("a group with no resources listed: all of them", ADMIN, res("list", "apps", "deployments", "", "d", ""), AuditLevel.Metadata),
        Arguments.of("another group matches no resource rule", ADMIN, res("list", "batch", "jobs", "", "d", ""), AuditLevel.None),
        Arguments.of("a cluster-scoped object is not in a namespace", ADMIN, res("get", "", "nodes", "", "", "n"), AuditLevel.Metadata),
        Arguments.of("resource rules never match a path", ADMIN, path("get", "/apis"), AuditLevel.Metadata));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void theFirstMatchingRuleDecides(String why, UserInfo user, Authorizer.Attributes request, AuditLevel level) {
    assertThat(POLICY.decide(user, request).level()).isEqualTo(level);
  }

  @Test
  void omittedStagesAddUpAndManagedFieldsFollowTheRule() {
    AuditPolicy.Decision d = POLICY.decide(ADMIN, res("watch", "", "pods", "", "kube-system", ""));
    assertThat(d.omitStages()).containsExactlyInAnyOrder(AuditStage.RequestReceived, AuditStage.ResponseStarted);
    assertThat(d.logs(AuditStage.ResponseComplete)).isTrue();
    assertThat(d.logs(AuditStage.ResponseStarted)).isFalse();
    assertThat(d.omitManagedFields()).isFalse();
    assertThat(POLICY.decide(ADMIN, path("get", "/openapi/v2")).omitManagedFields()).isTrue();
  }

  @Test
  void noMatchingRuleIsNone() {
    AuditPolicy empty = AuditPolicy.parse("{apiVersion: audit.k8s.io/v1, kind: Policy}");
    assertThat(empty.decide(ADMIN, path("get", "/api")).level()).isEqualTo(AuditLevel.None);
  }

  @Test
  void brokenPoliciesNameTheField() {
    String head = "apiVersion: audit.k8s.io/v1\nkind: Policy\n";
    assertThatThrownBy(() -> AuditPolicy.parse(head + "rules:\n- level: Metdata\n")).hasMessage(
        "rules[0].level: Unsupported value: \"Metdata\": supported values: \"None\", \"Metadata\", \"Request\", \"RequestResponse\"");
    assertThatThrownBy(() -> AuditPolicy.parse(head + "rules:\n- level: None\n- {level: None, omitStages: [Started]}\n"))
        .hasMessageStartingWith("rules[1].omitStages: Unsupported value: \"Started\": supported values: \"RequestReceived\"");
    assertThatThrownBy(() -> AuditPolicy.parse(head + "rules:\n- {level: None, nonResourceURLs: [/x], resources: [{group: \"\"}]}\n"))
        .hasMessageContaining("rules[0].nonResourceURLs: Invalid value: [/x]: rules cannot apply to both regular resources and non-resource URLs");
    assertThatThrownBy(() -> AuditPolicy.parse(head + "rules:\n- {level: None, nonResourceURLs: [healthz]}\n"))
        .hasMessageContaining("must begin with a '/'");
    assertThatThrownBy(() -> AuditPolicy.parse(head + "rules:\n- {level: None, verb: [get]}\n"))
        .hasMessageStartingWith("rules[0].verb: unknown field");
    assertThatThrownBy(() -> AuditPolicy.parse("apiVersion: audit.k8s.io/v1beta1\nkind: Policy\n"))
        .hasMessageStartingWith("apiVersion: Unsupported value: \"audit.k8s.io/v1beta1\"");
    assertThatThrownBy(() -> AuditPolicy.parse(head + "rules: [\n")).hasMessageStartingWith("not a YAML or JSON document");
  }

  /** The policy `./keelson up` writes: quiet about probes, events and lease renewals, Metadata for the rest. */
  @Test
  void theLaunchersDefaultPolicy() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !java.nio.file.Files.exists(p.resolve("deploy/audit/audit-policy.yaml"))) p = p.getParent();
    assertThat(p).as("deploy/audit/audit-policy.yaml above the working directory").isNotNull();
    AuditPolicy launcher = AuditPolicy.load(p.resolve("deploy/audit/audit-policy.yaml"));
    assertThat(launcher.decide(ADMIN, path("get", "/readyz")).level()).isEqualTo(AuditLevel.None);
    assertThat(launcher.decide(ADMIN, res("create", "", "events", "", "d", "")).level()).isEqualTo(AuditLevel.None);
    assertThat(launcher.decide(ADMIN, res("patch", "coordination.k8s.io", "leases", "", "kube-system", "kube-scheduler")).level())
        .as("the components renew with a patch").isEqualTo(AuditLevel.None);
    assertThat(launcher.decide(JANE, res("update", "coordination.k8s.io", "leases", "", "kube-system", "kube-scheduler")).level())
        .as("anyone else's lease writes are audited").isEqualTo(AuditLevel.Metadata);
    AuditPolicy.Decision d = launcher.decide(ADMIN, res("create", "", "configmaps", "", "d", ""));
    assertThat(d.level()).isEqualTo(AuditLevel.Metadata);
    assertThat(d.logs(AuditStage.RequestReceived)).isFalse();
  }
}
