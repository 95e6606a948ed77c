package io.keelson.apiserver.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class FieldValidationTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  static ObjectNode json(String s) {
    return (ObjectNode) JSON.readTree(s.replace('\'', '"'));
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("apps/v1", "Deployment", "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d','labels':{'any.key/x':'y'}},"
            + "'spec':{'replicaz':3,'replicas':1}}", List.of(".spec.replicaz")),
        Arguments.of("apps/v1", "Deployment", "{'spec':{'template':{'metadata':{'annotations':{'a':'b'}},'spec':{'containers':["
            + "{'name':'a','image':'x'},{'name':'b','imagex':'y','ports':[{'containerPort':80,'prot':'TCP'}]}]}}}}",
            List.of(".spec.template.spec.containers[1].imagex", ".spec.template.spec.containers[1].ports[0].prot")),
        Arguments.of("v1", "Pod", "{'metadata':{'name':'p','bogus':1,'managedFields':[{'manager':'m','fieldsV1':{'f:spec':{}}}]},"
            + "'spec':{'containers':[{'name':'c','image':'i','resources':{'limits':{'cpu':'1'}},"
            + "'livenessProbe':{'httpGet':{'port':'http','path':'/'}}}],'nodeSelector':{'k':'v'}},'status':{'phase':'Running','extra':{}}}",
            List.of(".metadata.bogus", ".status.extra")),
        Arguments.of("v1", "ConfigMap", "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c'},'data':{'x':'y'},'dat':{}}", List.of(".dat")),
        Arguments.of("v1", "Service", "{'spec':{'ports':[{'port':80,'targetPort':'http'}],'selector':{'app':'x'},'typo':'x'}}",
            List.of(".spec.typo")),
        Arguments.of("v1", "Secret", "{'metadata':{'name':'s'},'type':'Opaque','stringData':{'a':'b'},'data':{'c':'ZA=='}}", List.of()),
        Arguments.of("v1", "Namespace", "{'metadata':{'name':'n'},'spec':{'finalizers':['kubernetes']},'status':{'phase':'Active'}}", List.of()),
        Arguments.of("coordination.k8s.io/v1", "Lease", "{'spec':{'holderIdentity':'n','leaseDurationSeconds':40,'renewTime':'2024-01-01T00:00:00.000000Z','x':1}}",
            List.of(".spec.x")));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void unknownFields(String apiVersion, String kind, String body, List<String> expected) {
    ResourceType type = ResourceRegistry.byKind(apiVersion, kind).orElseThrow();
    assertThat(FieldValidation.unknownFields(type, json(body))).containsExactlyElementsOf(expected);
  }

  @Test
  void wrongValueTypesAreNotUnknownFields() {
    ResourceType deploy = ResourceRegistry.byKind("apps/v1", "Deployment").orElseThrow();
    assertThat(FieldValidation.unknownFields(deploy, json("{'spec':{'replicas':'three','template':[]}}"))).isEmpty();
  }

  @Test
  void removeUnknownFieldsDropsThemAsDecodingWould() {
    ResourceType deploy = ResourceRegistry.byKind("apps/v1", "Deployment").orElseThrow();
    ObjectNode d = json("{'metadata':{'name':'d','bogus':1},'spec':{'replicaz':3,'replicas':1,'template':{'spec':{'containers':["
        + "{'name':'a','image':'x','imagex':'y'}]}}}}");
    assertThat(FieldValidation.removeUnknownFields(deploy, d))
        .containsExactly(".metadata.bogus", ".spec.template.spec.containers[0].imagex", ".spec.replicaz");
    assertThat(d).isEqualTo(json("{'metadata':{'name':'d'},'spec':{'replicas':1,'template':{'spec':{'containers':[{'name':'a','image':'x'}]}}}}"));
    assertThat(FieldValidation.unknownFields(deploy, d)).isEmpty();
  }
}
