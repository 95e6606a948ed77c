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

  static Stream<Arguments> typeErrors() {
    return Stream.of(
        Arguments.of("apps/v1", "Deployment", "{'spec':{'replicas':'three'}}",
            "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field"
                + " DeploymentSpec.spec.replicas of type int32"),
        Arguments.of("apps/v1", "Deployment", "{'spec':{'replicas':1.5}}", "cannot unmarshal number 1.5 into Go struct field"),
        Arguments.of("apps/v1", "Deployment", "{'spec':{'template':{'spec':{'containers':{'name':'x'}}}}}",
            "cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container"),
        Arguments.of("v1", "Pod", "{'spec':{'containers':[{'name':'c','ports':[{'containerPort':'80'}]}]}}",
            "cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"),
        Arguments.of("v1", "Pod", "{'metadata':{'labels':{'a':1}}}", "cannot unmarshal number into Go struct field ObjectMeta.metadata.labels"),
        Arguments.of("v1", "Pod", "{'metadata':'x'}", "cannot unmarshal string into Go struct field Pod.metadata of type v1.ObjectMeta"),
        Arguments.of("v1", "Pod", "{'spec':{'hostNetwork':'yes'}}", "of type bool"),
        Arguments.of("v1", "Pod", "{'spec':{'containers':[{'resources':{'limits':{'cpu':true}}}]}}", "of type resource.Quantity"),
        Arguments.of("coordination.k8s.io/v1", "Lease", "{'spec':{'renewTime':'yesterday'}}", "parsing time \"yesterday\""),
        Arguments.of("v1", "ConfigMap", "{'data':['a']}", "cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string"));
  }

  @ParameterizedTest
  @MethodSource("typeErrors")
  void wrongTypesAreBadRequests(String apiVersion, String kind, String body, String message) {
    ResourceType type = ResourceRegistry.byKind(apiVersion, kind).orElseThrow();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> FieldValidation.checkTypes(type, json(body)))
        .isInstanceOfSatisfying(io.keelson.apiserver.status.StatusException.class, e -> {
          assertThat(e.code()).isEqualTo(400);
          assertThat(e.getMessage()).contains(message);
        });
  }

  @Test
  void rightTypesPass() {
    ResourceType pod = ResourceRegistry.byKind("v1", "Pod").orElseThrow();
    FieldValidation.checkTypes(pod, json("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p','labels':{'a':'b'},'creationTimestamp':null},"
        + "'spec':{'containers':[{'name':'c','image':'i','ports':[{'containerPort':80}],'resources':{'limits':{'cpu':1,'memory':'1Gi'}},"
        + "'livenessProbe':{'httpGet':{'port':'http'}}}],'terminationGracePeriodSeconds':30,'hostNetwork':false}}"));
    ResourceType lease = ResourceRegistry.byKind("coordination.k8s.io/v1", "Lease").orElseThrow();
    FieldValidation.checkTypes(lease, json("{'spec':{'renewTime':'2024-01-01T00:00:00.000000Z','leaseDurationSeconds':40}}"));
  }
}
