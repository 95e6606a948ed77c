package io.keelson.apiserver.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.policy.ValidatingAdmissionPolicies.Request;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class PolicyMatchTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final ResourceType DEPLOYMENTS = ResourceRegistry.find("apps", "v1", "deployments").orElseThrow();
  private static final ResourceType NODES = ResourceRegistry.find("", "v1", "nodes").orElseThrow();

  private static ObjectNode json(String s) {
    return (ObjectNode) JSON.readTree(s.replace('\'', '"'));
  }

  private static Request deployment(boolean update, String sub, String nsLabels) {
    ObjectNode obj = json("{'metadata':{'name':'web','namespace':'test','labels':{'app':'web'}}}");
    return new Request(DEPLOYMENTS, obj, update ? obj : null, new WriteOptions(false, null, sub),
        json("{'metadata':{'name':'test','labels':" + nsLabels + "}}"));
  }

  private static boolean matches(String match, Request r) {
    return PolicyMatch.matches(json(match), r, true);
  }

  private static final String DEPLOYMENT_RULE = "{'apiGroups':['apps'],'apiVersions':['v1'],'operations':['CREATE'],'resources':['deployments']}";

  @Test
  void resourceRulesCoverGroupVersionResourceAndOperation() {
    assertThat(matches("{'resourceRules':[" + DEPLOYMENT_RULE + "]}", deployment(false, null, "{}"))).isTrue();
    assertThat(matches("{'resourceRules':[" + DEPLOYMENT_RULE + "]}", deployment(true, null, "{}"))).isFalse(); // an UPDATE
    assertThat(matches("{'resourceRules':[{'apiGroups':[''],'apiVersions':['*'],'operations':['*'],'resources':['*']}]}",
        deployment(false, null, "{}"))).isFalse(); // another group
    assertThat(matches("{'resourceRules':[{'apiGroups':['*'],'apiVersions':['*'],'operations':['*'],'resources':['*']}]}",
        deployment(true, "scale", "{}"))).isFalse(); // '*' leaves subresources out
    assertThat(matches("{'resourceRules':[{'apiGroups':['*'],'apiVersions':['*'],'operations':['*'],'resources':['deployments/*']}]}",
        deployment(true, "scale", "{}"))).isTrue();
    assertThat(matches("{'resourceRules':[]}", deployment(false, null, "{}"))).isFalse();
    assertThat(matches("{'resourceRules':[" + DEPLOYMENT_RULE.replace("}", ",'resourceNames':['other']}") + "]}",
        deployment(false, null, "{}"))).isFalse();
    assertThat(matches("{'resourceRules':[" + DEPLOYMENT_RULE.replace("}", ",'scope':'Cluster'}") + "]}",
        deployment(false, null, "{}"))).isFalse();
  }

  @Test
  void excludedResourcesAndSelectors() {
    String rules = "'resourceRules':[" + DEPLOYMENT_RULE + "]";
    assertThat(matches("{" + rules + ",'excludeResourceRules':[" + DEPLOYMENT_RULE + "]}", deployment(false, null, "{}"))).isFalse();
    assertThat(matches("{" + rules + ",'namespaceSelector':{'matchLabels':{'environment':'test'}}}",
        deployment(false, null, "{'environment':'test'}"))).isTrue();
    assertThat(matches("{" + rules + ",'namespaceSelector':{'matchLabels':{'environment':'test'}}}",
        deployment(false, null, "{'environment':'prod'}"))).isFalse();
    assertThat(matches("{" + rules + ",'namespaceSelector':{'matchExpressions':[{'key':'environment','operator':'NotIn','values':['prod']}]}}",
        deployment(false, null, "{}"))).isTrue();
    assertThat(matches("{" + rules + ",'objectSelector':{'matchLabels':{'app':'db'}}}", deployment(false, null, "{}"))).isFalse();
    // cluster-scoped objects pass any namespaceSelector
    Request node = new Request(NODES, json("{'metadata':{'name':'n1'}}"), null, WriteOptions.DEFAULT, null);
    assertThat(matches("{'resourceRules':[{'apiGroups':[''],'apiVersions':['v1'],'operations':['CREATE'],'resources':['nodes']}],"
        + "'namespaceSelector':{'matchLabels':{'environment':'test'}}}", node)).isTrue();
  }

  @Test
  void aBindingWithoutRulesNarrowsNothing() {
    assertThat(PolicyMatch.matches(json("{}"), deployment(false, null, "{}"), false)).isTrue();
  }
}
