package io.keelson.apiserver.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class WebhookConfigurationsTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static List<String> matchConditions(String conditions) {
    ObjectNode config = (ObjectNode) JSON.readTree(("{'webhooks':[{'name':'a.hooks.example.io','sideEffects':'None',"
        + "'admissionReviewVersions':['v1'],'clientConfig':{'url':'https://example.com/'},'matchConditions':" + conditions + "}]}")
        .replace('\'', '"'));
    FieldErrors errs = new FieldErrors();
    WebhookConfigurations.validate(config, false, errs);
    return errs.causes().stream().map(c -> c.field() + ": " + c.message()).toList();
  }

  @Test
  void matchConditionsThatCompileAreValid() {
    assertThat(matchConditions("[{'name':'not-leases','expression':'request.resource.resource != \\'leases\\''},"
        + "{'name':'example.com/labelled','expression':'has(object.metadata.labels) && oldObject == null'}]")).isEmpty();
  }

  @Test
  void badMatchConditionsAreRefusedAsKubeRefusesThem() {
    assertThat(matchConditions("[{'name':'a','expression':'object.x <'},{'name':'a','expression':'nope()'},"
        + "{'name':'-bad-','expression':'true'},{'expression':' '}]")).satisfiesExactly(
        e -> assertThat(e).startsWith("webhooks[0].matchConditions[0].expression: Invalid value: \"object.x <\": compilation failed: ERROR: <input>:1:"),
        e -> assertThat(e).startsWith("webhooks[0].matchConditions[1].expression: Invalid value: \"nope()\": compilation failed: ")
            .contains("undeclared reference to 'nope'"),
        e -> assertThat(e).isEqualTo("webhooks[0].matchConditions[1].name: Duplicate value: \"a\""),
        e -> assertThat(e).startsWith("webhooks[0].matchConditions[2].name: Invalid value: \"-bad-\": name part must consist of"),
        e -> assertThat(e).isEqualTo("webhooks[0].matchConditions[3].expression: Required value"),
        e -> assertThat(e).isEqualTo("webhooks[0].matchConditions[3].name: Required value"));
    StringBuilder many = new StringBuilder("[");
    for (int i = 0; i < 65; i++) many.append(i == 0 ? "" : ",").append("{'name':'c").append(i).append("','expression':'true'}");
    assertThat(matchConditions(many + "]")).containsExactly("webhooks[0].matchConditions: Too many: 65: must have at most 64 items");
  }
}
