package io.keelson.apiserver.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.resource.CustomResource;
import io.keelson.apiserver.resource.ResourceType;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class ValidationRulesTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static ObjectNode json(String s) {
    return (ObjectNode) JSON.readTree(s.replace('\'', '"'));
  }

  private static final ResourceType TYPE = new ResourceType("example.com", "v1", "widgets", "Widget", true, List.of(), List.of(),
      Set.of(), CustomResource.MODEL, true);

  private static final String SCHEMA = """
      {'type':'object','x-kubernetes-validations':[{'rule':'self.metadata.name.startsWith(\\'w\\')','message':'names start with w'}],
       'properties':{'spec':{'type':'object',
        'x-kubernetes-validations':[
          {'rule':'self.min <= self.max','message':'min must not exceed max'},
          {'rule':'!has(self.tls) || has(self.host)','message':'tls needs a host','fieldPath':'.host','reason':'FieldValueRequired'},
          {'rule':'self.size >= oldSelf.size','messageExpression':'\\'size may not shrink below \\' + string(oldSelf.size)'},
          {'rule':'!oldSelf.hasValue() || oldSelf.value().mode == self.mode','optionalOldSelf':true,'message':'mode is immutable'}],
        'properties':{
          'min':{'type':'integer'},'max':{'type':'integer'},'size':{'type':'integer'},'mode':{'type':'string'},
          'host':{'type':'string'},'tls':{'type':'boolean'},
          'ports':{'type':'array','x-kubernetes-list-type':'map','x-kubernetes-list-map-keys':['name'],
            'items':{'type':'object','properties':{'name':{'type':'string'},'port':{'type':'integer',
              'x-kubernetes-validations':[{'rule':'self > 0 && self < 65536'},{'rule':'self == oldSelf','message':'port is immutable'}]}}}},
          'labels':{'type':'object','additionalProperties':{'type':'string','x-kubernetes-validations':[{'rule':'size(self) <= 3'}]}}}}}}
      """;

  private static final CustomResource WIDGET = new CustomResource(TYPE, TYPE,
      json("{'spec':{'versions':[{'name':'v1','schema':{'openAPIV3Schema':" + SCHEMA + "}}]}}"), true);

  private static ObjectNode widget(String name, String spec) {
    return json("{'apiVersion':'example.com/v1','kind':'Widget','metadata':{'name':'" + name + "','uid':'u'},'spec':" + spec + "}");
  }

  private static List<String> errors(ObjectNode obj, ObjectNode old) {
    FieldErrors errs = new FieldErrors();
    ValidationRules.validate(WIDGET, obj, old, errs);
    return errs.causes().stream().map(c -> c.field() + ": " + c.message()).toList();
  }

  private static List<String> definitionErrors(String rules) {
    FieldErrors errs = new FieldErrors();
    ValidationRules.compileAll(json("{'versions':[{'name':'v1','schema':{'openAPIV3Schema':{'type':'object','properties':{"
        + "'spec':{'type':'object','x-kubernetes-validations':" + rules + "}}}}}]}"), errs);
    return errs.causes().stream().map(c -> c.field() + ": " + c.message()).toList();
  }

  @Test
  void aValidObjectPasses() {
    assertThat(errors(widget("w1", "{'min':1,'max':2,'size':1,'mode':'a','tls':true,'host':'h','ports':[{'name':'http','port':80}],"
        + "'labels':{'a':'abc'}}"), null)).isEmpty();
  }

  @Test
  void failedRulesAreInvalidValuesAtTheirNode() {
    assertThat(errors(widget("x1", "{'min':3,'max':2,'size':1,'mode':'a'}"), null)).containsExactly(
        "<nil>: Invalid value: \"object\": names start with w",
        "spec: Invalid value: \"object\": min must not exceed max");
  }

  @Test
  void reasonFieldPathAndDefaultMessage() {
    assertThat(errors(widget("w1", "{'min':1,'max':2,'size':1,'mode':'a','tls':true,'ports':[{'name':'p','port':0}],"
        + "'labels':{'a':'toolong'}}"), null)).containsExactly(
        "spec.host: Required value: tls needs a host",
        "spec.ports[0].port: Invalid value: \"integer\": failed rule: self > 0 && self < 65536",
        "spec.labels[a]: Invalid value: \"string\": failed rule: size(self) <= 3");
  }

  @Test
  void transitionRulesRunOnUpdatesOnly() {
    ObjectNode old = widget("w1", "{'min':1,'max':2,'size':5,'mode':'a','ports':[{'name':'http','port':80}]}");
    assertThat(errors(widget("w1", "{'min':1,'max':2,'size':1,'mode':'a','ports':[{'name':'http','port':80}]}"), null)).isEmpty();
    assertThat(errors(widget("w1", "{'min':1,'max':2,'size':4,'mode':'b','ports':[{'name':'http','port':81},{'name':'new','port':1}]}"), old))
        .containsExactly(
            "spec: Invalid value: \"object\": size may not shrink below 5",
            "spec: Invalid value: \"object\": mode is immutable",
            "spec.ports[0].port: Invalid value: \"integer\": port is immutable");
    assertThat(errors(widget("w1", "{'min':1,'max':2,'size':6,'mode':'a','ports':[{'name':'http','port':80}]}"), old)).isEmpty();
  }

  @Test
  void unchangedValuesAreNotHeldToNewRules() {
    ObjectNode stored = widget("w1", "{'min':3,'max':2,'size':1,'mode':'a'}"); // accepted before the rule existed
    assertThat(errors(widget("w1", "{'min':3,'max':2,'size':1,'mode':'a'}"), stored)).isEmpty();
    assertThat(errors(widget("w1", "{'min':4,'max':2,'size':1,'mode':'a'}"), stored))
        .containsExactly("spec: Invalid value: \"object\": min must not exceed max");
  }

  @Test
  void evaluationErrorsNameTheRule() {
    assertThat(errors(widget("w1", "{'max':2,'size':1,'mode':'a'}"), null)).singleElement().asString()
        .startsWith("spec: Invalid value: \"object\": ").contains("min").endsWith(" evaluating rule: min must not exceed max");
  }

  @Test
  void rulesThatDoNotCompileMakeTheDefinitionInvalid() {
    assertThat(definitionErrors("[{'rule':'self.x >'}]")).singleElement().asString().startsWith(
        "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: "
            + "apiextensions.ValidationRule{Rule:\"self.x >\", Message:\"\", MessageExpression:\"\", "
            + "Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:\"\", OptionalOldSelf:(*bool)(nil)}: "
            + "compilation failed: ERROR: <input>:1:9: ");
    assertThat(definitionErrors("[{'rule':'true','messageExpression':'nope()'}]")).singleElement().asString()
        .contains("x-kubernetes-validations[0].messageExpression: Invalid value: ").contains("messageExpression compilation failed: ");
    assertThat(definitionErrors("[{'rule':''}]")).containsExactly(
        "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Required value: rule is not specified");
    assertThat(definitionErrors("[{'rule':'self.a == oldSelf.a','reason':'Bogus'}]")).singleElement().asString()
        .startsWith("spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].reason: Unsupported value: \"Bogus\"");
    assertThat(definitionErrors("[{'rule':'has(self.a) && self.a.all(x, x > 0)'}]")).isEmpty();
  }
}
