package io.keelson.apiserver.patch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class PatchApplierTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final ResourceType DEPLOYMENTS = ResourceRegistry.find("apps", "v1", "deployments").orElseThrow();
  private static final ResourceType SERVICES = ResourceRegistry.find("", "v1", "services").orElseThrow();
  private static final ResourceType PODS = ResourceRegistry.find("", "v1", "pods").orElseThrow();
  private static final ResourceType NODES = ResourceRegistry.find("", "v1", "nodes").orElseThrow();

  static ObjectNode json(String s) {
    return (ObjectNode) JSON.readTree(s.replace('\'', '"'));
  }

  static byte[] bytes(String s) {
    return s.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
  }

  static final String DEPLOYMENT = """
      {'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','namespace':'default',
        'labels':{'app':'web','tier':'fe'},'finalizers':['a.io/x'],
        'annotations':{'kubectl.kubernetes.io/last-applied-configuration':'{}'}},
       'spec':{'replicas':2,'selector':{'matchLabels':{'app':'web'}},
        'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':'25%','maxUnavailable':'25%'}},
        'template':{'metadata':{'labels':{'app':'web'}},'spec':{
          'containers':[
            {'name':'web','image':'nginx:1.25','args':['-a','-b'],
             'env':[{'name':'A','value':'1'},{'name':'B','value':'2'}],
             'ports':[{'containerPort':80,'protocol':'TCP'},{'containerPort':443,'protocol':'TCP'}],
             'volumeMounts':[{'name':'data','mountPath':'/data'}]},
            {'name':'sidecar','image':'busybox'}],
          'volumes':[{'name':'data','emptyDir':{}}],
          'tolerations':[{'key':'k','operator':'Exists'}]}}},
       'status':{'conditions':[{'type':'Available','status':'True'},{'type':'Progressing','status':'True'}]}}
      """;

  static Stream<Arguments> strategicMergeCases() {
    return Stream.of(
        Arguments.of("kubectl apply: image change with $setElementOrder/containers",
            "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'web'},{'name':'sidecar'}],"
                + "'containers':[{'image':'nginx:1.26','name':'web'}]}}}}",
            "/spec/template/spec/containers", "[{'name':'web','image':'nginx:1.26','args':['-a','-b'],"
                + "'env':[{'name':'A','value':'1'},{'name':'B','value':'2'}],"
                + "'ports':[{'containerPort':80,'protocol':'TCP'},{'containerPort':443,'protocol':'TCP'}],"
                + "'volumeMounts':[{'name':'data','mountPath':'/data'}]},{'name':'sidecar','image':'busybox'}]"),
        Arguments.of("kubectl apply: env entry deleted with $patch: delete",
            "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'web'},{'name':'sidecar'}],"
                + "'containers':[{'$setElementOrder/env':[{'name':'A'}],'env':[{'$patch':'delete','name':'B'}],'name':'web'}]}}}}",
            "/spec/template/spec/containers/0/env", "[{'name':'A','value':'1'}]"),
        Arguments.of("containers reordered by $setElementOrder",
            "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'sidecar'},{'name':'web'}]}}}}",
            "/spec/template/spec/containers/0/name", "'sidecar'"),
        Arguments.of("new container appended, order from $setElementOrder",
            "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'init'},{'name':'web'},{'name':'sidecar'}],"
                + "'containers':[{'name':'init','image':'alpine'}]}}}}",
            "/spec/template/spec/containers", null),
        Arguments.of("whole container removed with $patch: delete",
            "{'spec':{'template':{'spec':{'containers':[{'name':'sidecar','$patch':'delete'}]}}}}",
            "/spec/template/spec/containers/1", null),
        Arguments.of("null deletes a field",
            "{'spec':{'replicas':null}}", "/spec/replicas", null),
        Arguments.of("null deletes a label, others kept",
            "{'metadata':{'labels':{'tier':null,'new':'x'}}}", "/metadata/labels", "{'app':'web','new':'x'}"),
        Arguments.of("$retainKeys drops rollingUpdate when switching to Recreate",
            "{'spec':{'strategy':{'$retainKeys':['type'],'rollingUpdate':null,'type':'Recreate'}}}",
            "/spec/strategy", "{'type':'Recreate'}"),
        Arguments.of("$retainKeys without null still drops unlisted keys",
            "{'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate'}}}",
            "/spec/strategy", "{'type':'Recreate'}"),
        Arguments.of("container port merged by containerPort",
            "{'spec':{'template':{'spec':{'containers':[{'name':'web','ports':[{'containerPort':8080}]}]}}}}",
            "/spec/template/spec/containers/0/ports",
            "[{'containerPort':8080},{'containerPort':80,'protocol':'TCP'},{'containerPort':443,'protocol':'TCP'}]"),
        Arguments.of("container port deleted by containerPort",
            "{'spec':{'template':{'spec':{'containers':[{'name':'web','ports':[{'containerPort':443,'$patch':'delete'}]}]}}}}",
            "/spec/template/spec/containers/0/ports", "[{'containerPort':80,'protocol':'TCP'}]"),
        Arguments.of("args are replaced, not merged",
            "{'spec':{'template':{'spec':{'containers':[{'name':'web','args':['-c']}]}}}}",
            "/spec/template/spec/containers/0/args", "['-c']"),
        Arguments.of("tolerations are replaced",
            "{'spec':{'template':{'spec':{'tolerations':[{'key':'other','operator':'Exists'}]}}}}",
            "/spec/template/spec/tolerations", "[{'key':'other','operator':'Exists'}]"),
        Arguments.of("finalizers merge as a set",
            "{'metadata':{'finalizers':['b.io/y','a.io/x']}}", "/metadata/finalizers", "['b.io/y','a.io/x']"),
        Arguments.of("finalizer added keeps the existing one (new items go first, as in Kubernetes)",
            "{'metadata':{'finalizers':['c.io/z']}}", "/metadata/finalizers", "['c.io/z','a.io/x']"),
        Arguments.of("$deleteFromPrimitiveList removes a finalizer",
            "{'metadata':{'$deleteFromPrimitiveList/finalizers':['a.io/x']}}", "/metadata/finalizers", "[]"),
        Arguments.of("volumeMount merged by mountPath",
            "{'spec':{'template':{'spec':{'containers':[{'name':'web','volumeMounts':[{'mountPath':'/data','readOnly':true}]}]}}}}",
            "/spec/template/spec/containers/0/volumeMounts", "[{'name':'data','mountPath':'/data','readOnly':true}]"),
        Arguments.of("volume source switched with $retainKeys inside a volume",
            "{'spec':{'template':{'spec':{'volumes':[{'$retainKeys':['configMap','name'],'configMap':{'name':'cm'},'name':'data'}]}}}}",
            "/spec/template/spec/volumes", "[{'name':'data','configMap':{'name':'cm'}}]"),
        Arguments.of("$patch: replace on a list",
            "{'spec':{'template':{'spec':{'containers':[{'$patch':'replace'},{'name':'only','image':'x'}]}}}}",
            "/spec/template/spec/containers", "[{'name':'only','image':'x'}]"),
        Arguments.of("$patch: replace on a map",
            "{'metadata':{'labels':{'$patch':'replace','only':'1'}}}", "/metadata/labels", "{'only':'1'}"),
        Arguments.of("$patch: delete on a map leaves it empty, as Kubernetes does",
            "{'spec':{'strategy':{'$patch':'delete'}}}", "/spec/strategy", "{}"),
        Arguments.of("conditions merged by type",
            "{'status':{'conditions':[{'type':'Available','status':'False','reason':'MinimumReplicasUnavailable'}]}}",
            "/status/conditions",
            "[{'type':'Available','status':'False','reason':'MinimumReplicasUnavailable'},{'type':'Progressing','status':'True'}]"),
        Arguments.of("kubectl rollout restart annotation",
            "{'spec':{'template':{'metadata':{'annotations':{'kubectl.kubernetes.io/restartedAt':'2024-01-01T00:00:00Z'}}}}}",
            "/spec/template/metadata", "{'labels':{'app':'web'},'annotations':{'kubectl.kubernetes.io/restartedAt':'2024-01-01T00:00:00Z'}}"),
        Arguments.of("new nested map created when absent",
            "{'spec':{'template':{'spec':{'nodeSelector':{'disk':'ssd'}}}}}",
            "/spec/template/spec/nodeSelector", "{'disk':'ssd'}"),
        Arguments.of("env added to a container",
            "{'spec':{'template':{'spec':{'containers':[{'name':'sidecar','env':[{'name':'X','value':'y'}]}]}}}}",
            "/spec/template/spec/containers/1/env", "[{'name':'X','value':'y'}]"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("strategicMergeCases")
  void strategicMerge(String name, String patch, String pointer, String expected) {
    ObjectNode current = json(DEPLOYMENT);
    ObjectNode before = current.deepCopy();
    ObjectNode out = PatchApplier.apply("application/strategic-merge-patch+json", current, bytes(patch), DEPLOYMENTS);
    assertThat(current).as("current is not mutated").isEqualTo(before);
    JsonNode at = out.at(pointer);
    if (expected == null) {
      if (name.startsWith("new container")) {
        assertThat(at.valueStream().map(c -> c.get("name").stringValue())).containsExactly("init", "web", "sidecar");
        assertThat(at.get(0).get("image").stringValue()).isEqualTo("alpine");
      } else {
        assertThat(at.isMissingNode()).as(out.toString()).isTrue();
      }
    } else {
      assertThat(at).as(out.toString()).isEqualTo(JSON.readTree(expected.replace('\'', '"')));
    }
    assertThat(out.toString()).doesNotContain("$patch", "$setElementOrder", "$retainKeys", "$deleteFromPrimitiveList");
  }

  @Test
  void strategicMergeServicePortsByPort() {
    ObjectNode svc = json("{'apiVersion':'v1','kind':'Service','metadata':{'name':'s'},'spec':{'ports':["
        + "{'name':'http','port':80,'targetPort':8080,'protocol':'TCP'},{'name':'https','port':443,'protocol':'TCP'}]}}");
    ObjectNode out = PatchApplier.apply("application/strategic-merge-patch+json", svc,
        bytes("{'spec':{'$setElementOrder/ports':[{'port':80},{'port':443}],'ports':[{'port':80,'targetPort':9090}]}}"), SERVICES);
    assertThat(out.at("/spec/ports")).isEqualTo(JSON.readTree(
        "[{\"name\":\"http\",\"port\":80,\"targetPort\":9090,\"protocol\":\"TCP\"},{\"name\":\"https\",\"port\":443,\"protocol\":\"TCP\"}]"));
  }

  @Test
  void strategicMergeCordon() {
    ObjectNode node = json("{'apiVersion':'v1','kind':'Node','metadata':{'name':'n1'},'spec':{}}");
    ObjectNode out = PatchApplier.apply("application/strategic-merge-patch+json", node, bytes("{'spec':{'unschedulable':true}}"), NODES);
    assertThat(out.at("/spec/unschedulable").booleanValue()).isTrue();
  }

  @Test
  void strategicMergeOwnerReferencesByUid() {
    ObjectNode pod = json("{'metadata':{'name':'p','ownerReferences':[{'uid':'1','name':'a'},{'uid':'2','name':'b'}]}}");
    ObjectNode out = PatchApplier.apply("application/strategic-merge-patch+json", pod,
        bytes("{'metadata':{'ownerReferences':[{'uid':'2','$patch':'delete'},{'uid':'3','name':'c'}]}}"), PODS);
    assertThat(out.at("/metadata/ownerReferences").findValuesAsString("uid")).containsExactly("3", "1");
  }

  static Stream<Arguments> badStrategicPatches() {
    return Stream.of(
        Arguments.of("{not json", 400, "error decoding strategic merge patch"),
        Arguments.of("[1,2]", 400, "must be a JSON object"),
        Arguments.of("{'spec':{'$patch':'explode'}}", 400, "unknown patch type: explode"),
        Arguments.of("{'spec':{'template':{'spec':{'containers':[{'image':'x'}]}}}}", 400,
            "does not contain declared merge key: name"),
        Arguments.of("{'spec':{'$retainKeys':'type'}}", 400, "$retainKeys"),
        Arguments.of("{'spec':{'strategy':{'$retainKeys':['type'],'rollingUpdate':{'maxSurge':1}}}}", 400, "invalid patch format of retainKeys"),
        Arguments.of("{'spec':{'template':{'spec':{'containers':[{'name':'web','$patch':'merge'}]}}}}", 400, "merging lists cannot yet be specified"),
        Arguments.of("{'spec':{'$bogus':1}}", 400, "unknown patch directive $bogus"),
        Arguments.of("", 400, "empty"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badStrategicPatches")
  void badStrategicPatch(String body, int code, String message) {
    assertThatThrownBy(() -> PatchApplier.apply("application/strategic-merge-patch+json", json(DEPLOYMENT), bytes(body), DEPLOYMENTS))
        .isInstanceOfSatisfying(StatusException.class, e -> {
          assertThat(e.code()).isEqualTo(code);
          assertThat(e.getMessage()).contains(message);
        });
  }

  static Stream<Arguments> mergePatchCases() {
    return Stream.of(
        Arguments.of("{'spec':{'replicas':3}}", "/spec/replicas", "3"),
        Arguments.of("{'metadata':{'labels':{'tier':null}}}", "/metadata/labels", "{'app':'web'}"),
        // merge patch replaces lists, it never merges them
        Arguments.of("{'spec':{'template':{'spec':{'containers':[{'name':'x','image':'y'}]}}}}",
            "/spec/template/spec/containers", "[{'name':'x','image':'y'}]"),
        Arguments.of("{'spec':{'strategy':{'rollingUpdate':{'maxSurge':1}}}}",
            "/spec/strategy/rollingUpdate", "{'maxSurge':1,'maxUnavailable':'25%'}"),
        Arguments.of("{'spec':{'selector':null}}", "/spec", null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mergePatchCases")
  void mergePatch(String patch, String pointer, String expected) {
    ObjectNode current = json(DEPLOYMENT);
    ObjectNode out = PatchApplier.apply("application/merge-patch+json; charset=utf-8", current, bytes(patch), DEPLOYMENTS);
    assertThat(current).isEqualTo(json(DEPLOYMENT));
    if (expected == null) assertThat(out.at(pointer).has("selector")).isFalse();
    else assertThat(out.at(pointer)).isEqualTo(JSON.readTree(expected.replace('\'', '"')));
  }

  @Test
  void mergePatchMustBeAnObject() {
    assertThatThrownBy(() -> PatchApplier.apply("application/merge-patch+json", json(DEPLOYMENT), bytes("[]"), DEPLOYMENTS))
        .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.code()).isEqualTo(400));
  }

  @Test
  void jsonPatchOperations() {
    ObjectNode current = json(DEPLOYMENT);
    ObjectNode out = PatchApplier.apply("application/json-patch+json", current, bytes("["
        + "{'op':'test','path':'/spec/replicas','value':2},"
        + "{'op':'replace','path':'/spec/replicas','value':5},"
        + "{'op':'add','path':'/metadata/labels/new','value':'v'},"
        + "{'op':'remove','path':'/metadata/labels/tier'},"
        + "{'op':'add','path':'/spec/template/spec/containers/-','value':{'name':'c3','image':'i'}},"
        + "{'op':'copy','from':'/metadata/labels/app','path':'/metadata/labels/copied'},"
        + "{'op':'move','from':'/metadata/labels/copied','path':'/metadata/labels/moved'}]"), DEPLOYMENTS);
    assertThat(current).isEqualTo(json(DEPLOYMENT));
    assertThat(out.at("/spec/replicas").intValue()).isEqualTo(5);
    assertThat(out.at("/metadata/labels")).isEqualTo(json("{'app':'web','new':'v','moved':'web'}"));
    assertThat(out.at("/spec/template/spec/containers/2/name").stringValue()).isEqualTo("c3");
  }

  @Test
  void jsonPatchRolloutUndoReplacesTemplate() {
    ObjectNode out = PatchApplier.apply("application/json-patch+json", json(DEPLOYMENT), bytes("[{'op':'replace','path':'/spec/template',"
        + "'value':{'metadata':{'creationTimestamp':null,'labels':{'app':'web'}},'spec':{'containers':[{'name':'web','image':'old'}]}}}]"),
        DEPLOYMENTS);
    assertThat(out.at("/spec/template/spec/containers/0/image").stringValue()).isEqualTo("old");
  }

  static Stream<Arguments> badJsonPatches() {
    return Stream.of(
        Arguments.of("{'op':'add'}", 400, "must be a list of operations"),
        Arguments.of("[{'op':'frobnicate','path':'/a'}]", 400, "unexpected kind of operation \"frobnicate\""),
        Arguments.of("[{'path':'/a'}]", 400, "has no \"op\""),
        Arguments.of("[{'op':'add','value':1}]", 400, "has no \"path\""),
        Arguments.of("[{'op':'replace','path':'/spec/replicas'}]", 400, "has no \"value\""),
        Arguments.of("[{'op':'move','path':'/spec/x'}]", 400, "has no \"from\""),
        Arguments.of("[{'op':'test','path':'/spec/replicas','value':7}]", 422, "/spec/replicas"),
        Arguments.of("[{'op':'remove','path':'/spec/nothing/here'}]", 422, "the server rejected our request"),
        Arguments.of("[{'op':'remove','path':'/spec/nothing'}]", 422, "the server rejected our request"),
        Arguments.of("[{'op':'replace','path':'/spec/nothing','value':1}]", 422, "the server rejected our request"),
        Arguments.of("[{'op':'replace','path':'/spec/template/spec/containers/9/image','value':'x'}]", 422, "rejected"),
        Arguments.of("[{'op':'replace','path':'','value':[1]}]", 400, "replaced the whole object"),
        Arguments.of("[1]", 400, "is not an object"),
        Arguments.of("[{'op':'add'", 400, "error decoding json patch"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badJsonPatches")
  void badJsonPatch(String body, int code, String message) {
    assertThatThrownBy(() -> PatchApplier.apply("application/json-patch+json", json(DEPLOYMENT), bytes(body), DEPLOYMENTS))
        .isInstanceOfSatisfying(StatusException.class, e -> {
          assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
          assertThat(e.getMessage()).contains(message);
        });
  }

  @Test
  void unknownContentTypeIs415() {
    assertThatThrownBy(() -> PatchApplier.apply("text/plain", json(DEPLOYMENT), bytes("{}"), DEPLOYMENTS))
        .isInstanceOfSatisfying(StatusException.class, e -> {
          assertThat(e.code()).isEqualTo(415);
          assertThat(e.reason()).isEqualTo("UnsupportedMediaType");
        });
  }

  static Stream<Arguments> listOrder() {
    return Stream.of(
        // patch order wins for the items it names; server-only items stay where they were
        Arguments.of("[{'name':'c','image':'C'},{'name':'a','image':'A'}]", null, "b,c,a"),
        // a new item without $setElementOrder goes first: Kubernetes' mergeSortedSlice prefers patch items
        Arguments.of("[{'name':'d','image':'D'}]", null, "d,a,b,c"),
        Arguments.of("[{'name':'d','image':'D'}]", "[{'name':'a'},{'name':'b'},{'name':'c'},{'name':'d'}]", "a,b,c,d"),
        Arguments.of("[{'name':'d','image':'D'}]", "[{'name':'d'},{'name':'a'},{'name':'b'},{'name':'c'}]", "d,a,b,c"),
        Arguments.of("[{'name':'b','image':'B2'}]", "[{'name':'c'},{'name':'b'},{'name':'a'}]", "c,b,a"),
        Arguments.of("[{'name':'b','$patch':'delete'}]", "[{'name':'a'},{'name':'c'}]", "a,c"));
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @MethodSource("listOrder")
  void listOrderFollowsKubernetes(String containers, String order, String expected) {
    ObjectNode pod = json("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{'containers':["
        + "{'name':'a','image':'A'},{'name':'b','image':'B'},{'name':'c','image':'C'}]}}");
    String patch = "{'spec':{" + (order == null ? "" : "'$setElementOrder/containers':" + order + ",") + "'containers':" + containers + "}}";
    ObjectNode out = PatchApplier.apply("application/strategic-merge-patch+json", pod, bytes(patch), PODS);
    assertThat(String.join(",", out.at("/spec/containers").valueStream().map(c -> c.get("name").stringValue()).toList()))
        .isEqualTo(expected);
  }
}
