package io.keelson.apiserver.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class AdmissionPolicyObjectsTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static ObjectNode json(String s) {
    return (ObjectNode) JSON.readTree(s.replace('\'', '"'));
  }

  private static List<String> policy(String spec) {
    FieldErrors errs = new FieldErrors();
    AdmissionPolicyObjects.policy(json("{'spec':" + spec + "}"), errs);
    return errs.causes().stream().map(c -> c.field() + ": " + c.message()).toList();
  }

  private static List<String> binding(String spec) {
    FieldErrors errs = new FieldErrors();
    AdmissionPolicyObjects.binding(json("{'spec':" + spec + "}"), errs);
    return errs.causes().stream().map(c -> c.field() + ": " + c.message()).toList();
  }

  private static final String MATCH = "'matchConstraints':{'resourceRules':[{'apiGroups':['apps'],'apiVersions':['v1'],"
      + "'operations':['CREATE'],'resources':['deployments']}]}";

  @Test
  void aPolicyThatCompilesIsValid() {
    assertThat(policy("{" + MATCH + ",'variables':[{'name':'n','expression':'size(object.metadata.name)'}],"
        + "'matchConditions':[{'name':'c','expression':'request.operation == \\'CREATE\\''}],"
        + "'validations':[{'expression':'object.spec.replicas <= variables.n','messageExpression':'\\'too many: \\' + string(object.spec.replicas)'}]}"))
        .isEmpty();
  }

  @Test
  void expressionsThatDoNotCompileAreInvalidValues() {
    assertThat(policy("{" + MATCH + ",'validations':[{'expression':'object.spec.replicas <'},{'expression':'true','messageExpression':'nope()'}]}"))
        .satisfiesExactly(
            e -> assertThat(e).startsWith("spec.validations[0].expression: Invalid value: \"object.spec.replicas <\": compilation failed: ERROR: <input>:1:"),
            e -> assertThat(e).startsWith("spec.validations[1].messageExpression: Invalid value: \"nope()\": compilation failed: ")
                .contains("undeclared reference to 'nope'"));
  }

  @Test
  void requiredPartsAndSupportedValues() {
    assertThat(policy("{'failurePolicy':'Maybe'}")).containsExactly(
        "spec.failurePolicy: Unsupported value: \"Maybe\": supported values: \"Fail\", \"Ignore\"",
        "spec.matchConstraints: Required value",
        "spec.validations: Required value: validations or auditAnnotations must contain at least one item");
    assertThat(binding("{'validationActions':['Deny','Block'],'paramRef':{'name':'a','selector':{}}}")).containsExactly(
        "spec.policyName: Required value",
        "spec.validationActions[1]: Unsupported value: \"Block\": supported values: \"Audit\", \"Deny\", \"Warn\"",
        "spec.paramRef: Forbidden: one of `name` or `selector` must be set");
    assertThat(binding("{'policyName':'p','validationActions':['Deny']}")).isEmpty();
  }

  @Test
  void auditAnnotationsNeedKeysAndValueExpressionsThatCompile() {
    FieldErrors errs = new FieldErrors();
    AdmissionPolicyObjects.policy(json("{'metadata':{'name':'p'},'spec':{" + MATCH + ",'auditAnnotations':["
        + "{'key':'replicas','valueExpression':'string(object.spec.replicas)'},{'key':'replicas','valueExpression':'\\'x\\''},"
        + "{'key':'bad key','valueExpression':'object.spec <'}]}}"), errs);
    assertThat(errs.causes().stream().map(c -> c.field() + ": " + c.message()).toList()).satisfiesExactly(
        e -> assertThat(e).isEqualTo("spec.auditAnnotations[1].key: Duplicate value: \"replicas\""),
        e -> assertThat(e).startsWith("spec.auditAnnotations[2].key: Invalid value: \"bad key\": name part must consist of"),
        e -> assertThat(e).startsWith("spec.auditAnnotations[2].valueExpression: Invalid value: \"object.spec <\": compilation failed: "));
  }
}
