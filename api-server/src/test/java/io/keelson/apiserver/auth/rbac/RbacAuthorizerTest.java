package io.keelson.apiserver.auth.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.keelson.apiserver.auth.Authorizer.Attributes;
import io.keelson.apiserver.auth.Authorizer.Decision;
import io.keelson.apiserver.auth.UserInfo;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/** The RBAC authorizer over a fixed policy: who gets what through which binding, and the escalation check. */
class RbacAuthorizerTest {

  static final UserInfo ROBOT = new UserInfo("system:serviceaccount:apps:robot", "u1",
      List.of("system:serviceaccounts", "system:serviceaccounts:apps", "system:authenticated"));
  static final UserInfo JANE = new UserInfo("jane", "", List.of("devs", "system:authenticated"));

  static ObjectNode json(String s) {
    return (ObjectNode) ObjectCodec.JSON.readTree(s);
  }

  static final ObjectNode POD_READER = json("""
      {"metadata":{"name":"pod-reader","namespace":"apps"},"rules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"]}]}""");
  static final ObjectNode VIEW = json("""
      {"metadata":{"name":"view"},"rules":[{"verbs":["get"],"apiGroups":["apps"],"resources":["deployments"]}]}""");
  static final ObjectNode DISCOVERY = json("""
      {"metadata":{"name":"system:discovery"},"rules":[{"verbs":["get"],"nonResourceURLs":["/apis/*"]}]}""");
  // a ServiceAccount subject without a namespace is the binding's namespace's, as kube reads it
  static final ObjectNode READS = json("""
      {"metadata":{"name":"reads","namespace":"apps"},"roleRef":{"kind":"Role","name":"pod-reader"},
       "subjects":[{"kind":"ServiceAccount","name":"robot"}]}""");
  static final ObjectNode DEVS_VIEW = json("""
      {"metadata":{"name":"devs-view"},"roleRef":{"kind":"ClusterRole","name":"view"},"subjects":[{"kind":"Group","name":"devs"}]}""");
  static final ObjectNode AUTHENTICATED = json("""
      {"metadata":{"name":"system:discovery"},"roleRef":{"kind":"ClusterRole","name":"system:discovery"},
       "subjects":[{"kind":"Group","name":"system:authenticated"}]}""");
  static final ObjectNode DANGLING = json("""
      {"metadata":{"name":"dangling","namespace":"apps"},"roleRef":{"kind":"Role","name":"gone"},"subjects":[{"kind":"User","name":"jane"}]}""");

  final RbacAuthorizer rbac = new RbacAuthorizer(() -> new RbacPolicy(List.of(VIEW, DISCOVERY), List.of(POD_READER),
      List.of(DEVS_VIEW, AUTHENTICATED), List.of(READS, DANGLING)));

  static Attributes res(String verb, String group, String resource, String ns) {
    return new Attributes(verb, group, resource, "", ns, "", null);
  }

  @Test
  void bindingsGrantTheirRolesRulesWithKubesReasons() {
    Decision d = rbac.authorize(ROBOT, res("list", "", "pods", "apps"));
    assertThat(d.allowed()).isTrue();
    assertThat(d.reason()).isEqualTo("RBAC: allowed by RoleBinding \"apps/reads\" of Role \"pod-reader\" to ServiceAccount \"apps/robot\"");
    assertThat(rbac.authorize(ROBOT, res("list", "", "pods", "other")).allowed()).as("a RoleBinding is for its namespace only").isFalse();
    assertThat(rbac.authorize(ROBOT, res("delete", "", "pods", "apps"))).isEqualTo(new Decision(false, ""));
    Decision group = rbac.authorize(JANE, res("get", "apps", "deployments", "anywhere"));
    assertThat(group.reason()).isEqualTo("RBAC: allowed by ClusterRoleBinding \"devs-view\" of ClusterRole \"view\" to Group \"devs\"");
    assertThat(rbac.authorize(ROBOT, new Attributes("get", null, null, null, null, null, "/apis/apps")).allowed()).isTrue();
    assertThat(rbac.authorize(JANE, res("get", "", "pods", "apps")).allowed()).as("a binding of a missing role grants nothing").isFalse();
  }

  @Test
  void mastersAreAllowedWithoutAnyRuleAndRulesForListsWhatApplies() {
    RbacAuthorizer none = new RbacAuthorizer(() -> {
      throw new AssertionError("the policy must not be read for system:masters");
    });
    assertThat(none.authorize(UserInfo.ADMIN, res("delete", "", "nodes", "")).allowed()).isTrue();
    assertThat(rbac.rulesFor(ROBOT, "apps")).extracting(r -> r.verbs().get(0) + " " + (r.isNonResource() ? r.nonResourceURLs() : r.resources()))
        .containsExactly("get [/apis/*]", "get [pods]");
  }

  @Test
  void rolesMayOnlyGrantWhatTheirWriterHolds() {
    ResourceType roles = ResourceRegistry.find("rbac.authorization.k8s.io", "v1", "roles").orElseThrow();
    ResourceType bindings = ResourceRegistry.find("rbac.authorization.k8s.io", "v1", "rolebindings").orElseThrow();
    EscalationCheck check = new EscalationCheck(rbac);
    WriteOptions byRobot = WriteOptions.DEFAULT.by(ROBOT);
    check.admit(roles, json("""
        {"metadata":{"name":"r","namespace":"apps"},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]}"""), null, byRobot);
    StatusException e = catchThrowableOfType(StatusException.class, () -> check.admit(roles, json("""
        {"metadata":{"name":"r","namespace":"apps"},"rules":[{"verbs":["get","delete"],"apiGroups":[""],"resources":["pods"]}]}"""),
        null, byRobot));
    assertThat(e.code()).isEqualTo(403);
    assertThat(e.getMessage()).isEqualTo("roles.rbac.authorization.k8s.io \"r\" is forbidden: user \"system:serviceaccount:apps:robot\" "
        + "(groups=[\"system:serviceaccounts\" \"system:serviceaccounts:apps\" \"system:authenticated\"]) is attempting to grant RBAC "
        + "permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}");
    check.admit(roles, json("""
        {"metadata":{"name":"r","namespace":"apps"},"rules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]}"""),
        null, WriteOptions.DEFAULT.by(UserInfo.ADMIN)); // system:masters may grant anything
    check.admit(bindings, READS, null, byRobot); // the robot holds pod-reader's rules itself
    StatusException bind = catchThrowableOfType(StatusException.class, () -> check.admit(bindings, json("""
        {"metadata":{"name":"b","namespace":"apps"},"roleRef":{"kind":"ClusterRole","name":"view"},"subjects":[]}"""), null, byRobot));
    assertThat(bind.getMessage()).startsWith("rolebindings.rbac.authorization.k8s.io \"b\" is forbidden: user \"system:serviceaccount:apps:robot\"")
        .endsWith("{APIGroups:[\"apps\"], Resources:[\"deployments\"], Verbs:[\"get\"]}");
    StatusException missing = catchThrowableOfType(StatusException.class, () -> check.admit(bindings, DANGLING, null, byRobot));
    assertThat(missing.code()).isEqualTo(404);
  }
}
