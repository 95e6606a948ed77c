package io.keelson.controller.clusterroleaggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.keelson.client.fake.InMemoryApiServer;
import io.keelson.client.fake.SelfSignedTls;
import io.keelson.controller.ControllerManager;
import io.keelson.controller.testing.TestControllerManager;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The clusterrole-aggregation controller against the in-memory API: an aggregated role gathers the
 * rules of the roles its selectors match, follows them as they change, appear and disappear, and
 * leaves roles without an aggregationRule alone.
 */
class ClusterRoleAggregationControllerTest {
  InMemoryApiServer api;
  ControllerManager manager;

  @BeforeEach
  void start() throws Exception {
    api = InMemoryApiServer.start((SelfSignedTls) null);
    manager = TestControllerManager.against(api, 1, "clusterrole-aggregation");
    manager.start();
  }

  @AfterEach
  void stop() {
    if (api != null) api.close();
    if (manager != null) manager.close();
  }

  static String role(String name, String labels, String rules) {
    return "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\",\"metadata\":{\"name\":\"" + name
        + "\",\"labels\":{" + labels + "}},\"rules\":[" + rules + "]}";
  }

  static String rule(String verb, String resource) {
    return "{\"verbs\":[\"" + verb + "\"],\"apiGroups\":[\"\"],\"resources\":[\"" + resource + "\"]}";
  }

  List<PolicyRule> rulesOf(String name) {
    ClusterRole r = manager.client().rbac().clusterRoles().withName(name).get();
    return r == null || r.getRules() == null ? List.of() : r.getRules();
  }

  static List<String> resources(List<PolicyRule> rules) {
    return rules.stream().map(r -> r.getVerbs().get(0) + " " + r.getResources().get(0)).toList();
  }

  @Test
  void anAggregatedRoleGathersAndFollowsTheRulesOfTheRolesItSelects() {
    String toView = "\"rbac.authorization.k8s.io/aggregate-to-view\":\"true\"";
    api.create("clusterroles.rbac.authorization.k8s.io", role("b-pods", toView, rule("get", "pods") + "," + rule("list", "pods")));
    api.create("clusterroles.rbac.authorization.k8s.io", role("a-config", toView, rule("get", "configmaps") + "," + rule("get", "pods")));
    api.create("clusterroles.rbac.authorization.k8s.io", role("other", "\"x\":\"y\"", rule("delete", "nodes")));
    api.create("clusterroles.rbac.authorization.k8s.io", "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\","
        + "\"metadata\":{\"name\":\"view\"},\"aggregationRule\":{\"clusterRoleSelectors\":[{\"matchLabels\":{" + toView + "}}]}}");

    // in name order, each rule once; the unlabelled role's rules stay out
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(resources(rulesOf("view"))).containsExactly("get configmaps", "get pods", "list pods"));

    api.update("clusterroles.rbac.authorization.k8s.io", null, "other", o -> {
      ((tools.jackson.databind.node.ObjectNode) o.path("metadata").path("labels")).put("rbac.authorization.k8s.io/aggregate-to-view", "true");
      return o;
    });
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(resources(rulesOf("view"))).containsExactly("get configmaps", "get pods", "list pods", "delete nodes"));

    api.delete("clusterroles.rbac.authorization.k8s.io", null, "b-pods");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(resources(rulesOf("view"))).containsExactly("get configmaps", "get pods", "delete nodes"));
    assertThat(resources(rulesOf("other"))).containsExactly("delete nodes"); // a role without aggregationRule is left alone
  }
}
