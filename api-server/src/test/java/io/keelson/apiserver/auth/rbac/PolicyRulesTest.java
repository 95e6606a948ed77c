package io.keelson.apiserver.auth.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.auth.Authorizer.Attributes;
import io.keelson.apiserver.auth.Authorizer.Rule;
import java.util.List;
import org.junit.jupiter.api.Test;

/** kube's rule matching and the escalation arithmetic, case by case. */
class PolicyRulesTest {

  static Attributes res(String verb, String group, String resource, String sub, String ns, String name) {
    return new Attributes(verb, group, resource, sub, ns, name, null);
  }

  static Attributes url(String verb, String path) {
    return new Attributes(verb, null, null, null, null, null, path);
  }

  static Rule rule(List<String> verbs, List<String> groups, List<String> resources) {
    return Rule.resources(verbs, groups, resources);
  }

  @Test
  void verbsGroupsAndResourcesMatchExactlyOrByWildcard() {
    Rule readPods = rule(List.of("get", "list"), List.of(""), List.of("pods"));
    assertThat(PolicyRules.allows(readPods, res("get", "", "pods", "", "default", "web"))).isTrue();
    assertThat(PolicyRules.allows(readPods, res("delete", "", "pods", "", "default", "web"))).isFalse();
    assertThat(PolicyRules.allows(readPods, res("get", "apps", "pods", "", "default", "web"))).as("another group").isFalse();
    assertThat(PolicyRules.allows(readPods, res("get", "", "pods", "log", "default", "web"))).as("a subresource is not the resource")
        .isFalse();
    Rule all = rule(List.of("*"), List.of("*"), List.of("*"));
    assertThat(PolicyRules.allows(all, res("deletecollection", "batch", "jobs", "", "x", ""))).isTrue();
    assertThat(PolicyRules.allows(all, url("get", "/healthz"))).as("resource rules never match URLs").isFalse();
  }

  @Test
  void subresourcesMatchAsResourceSlashSubOrStarSlashSub() {
    assertThat(PolicyRules.allows(rule(List.of("get"), List.of(""), List.of("pods/log")), res("get", "", "pods", "log", "d", "p"))).isTrue();
    Rule scaleAnything = rule(List.of("update"), List.of("*"), List.of("*/scale"));
    assertThat(PolicyRules.allows(scaleAnything, res("update", "apps", "deployments", "scale", "d", "web"))).isTrue();
    assertThat(PolicyRules.allows(scaleAnything, res("update", "apps", "deployments", "", "d", "web"))).isFalse();
    assertThat(PolicyRules.allows(scaleAnything, res("update", "apps", "deployments", "status", "d", "web"))).isFalse();
  }

  @Test
  void resourceNamesLimitARuleToThoseObjects() {
    Rule one = new Rule(List.of("get"), List.of(""), List.of("configmaps"), List.of("settings"), null);
    assertThat(PolicyRules.allows(one, res("get", "", "configmaps", "", "d", "settings"))).isTrue();
    assertThat(PolicyRules.allows(one, res("get", "", "configmaps", "", "d", "other"))).isFalse();
    assertThat(PolicyRules.allows(one, res("get", "", "configmaps", "", "d", ""))).as("a collection has no name").isFalse();
  }

  @Test
  void nonResourceUrlsMatchExactlyOrByTrailingStar() {
    Rule discovery = Rule.nonResource(List.of("get"), List.of("/api", "/apis/*", "/version"));
    assertThat(PolicyRules.allows(discovery, url("get", "/api"))).isTrue();
    assertThat(PolicyRules.allows(discovery, url("get", "/apis/apps/v1"))).isTrue();
    assertThat(PolicyRules.allows(discovery, url("get", "/api/v1"))).as("/api does not cover /api/v1").isFalse();
    assertThat(PolicyRules.allows(discovery, url("post", "/version"))).isFalse();
    assertThat(PolicyRules.allows(Rule.nonResource(List.of("*"), List.of("*")), url("put", "/anything"))).isTrue();
    assertThat(PolicyRules.allows(discovery, res("get", "", "pods", "", "d", ""))).as("URL rules never match resources").isFalse();
  }

  @Test
  void uncoveredListsWhatTheOwnerLacksInKubesWords() {
    List<Rule> owner = List.of(rule(List.of("get", "list"), List.of(""), List.of("pods")), rule(List.of("*"), List.of("apps"), List.of("*/scale")));
    List<Rule> requested = List.of(rule(List.of("get", "delete", "watch"), List.of(""), List.of("pods", "configmaps")),
        rule(List.of("update"), List.of("apps"), List.of("deployments/scale")), Rule.nonResource(List.of("get"), List.of("/metrics")));
    List<Rule> missing = PolicyRules.uncovered(owner, requested);
    assertThat(PolicyRules.describe(missing)).isEqualTo("""
        {APIGroups:[""], Resources:["configmaps"], Verbs:["get" "delete" "watch"]}
        {APIGroups:[""], Resources:["pods"], Verbs:["delete" "watch"]}
        {NonResourceURLs:["/metrics"], Verbs:["get"]}""");
    assertThat(PolicyRules.uncovered(List.of(rule(List.of("*"), List.of("*"), List.of("*")), Rule.nonResource(List.of("*"), List.of("*"))),
        requested)).as("cluster-admin holds everything").isEmpty();
  }

  @Test
  void anOwnerLimitedToNamesDoesNotCoverTheWholeResource() {
    List<Rule> owner = List.of(new Rule(List.of("get"), List.of(""), List.of("secrets"), List.of("mine"), null));
    assertThat(PolicyRules.uncovered(owner, List.of(new Rule(List.of("get"), List.of(""), List.of("secrets"), List.of("mine"), null))))
        .isEmpty();
    assertThat(PolicyRules.describe(PolicyRules.uncovered(owner, List.of(rule(List.of("get"), List.of(""), List.of("secrets"))))))
        .isEqualTo("{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}");
    assertThat(PolicyRules.describe(PolicyRules.uncovered(owner,
        List.of(new Rule(List.of("get", "update"), List.of(""), List.of("secrets"), List.of("mine", "yours"), null)))))
        .isEqualTo("""
            {APIGroups:[""], Resources:["secrets"], ResourceNames:["mine"], Verbs:["update"]}
            {APIGroups:[""], Resources:["secrets"], ResourceNames:["yours"], Verbs:["get" "update"]}""");
  }
}
