package io.keelson.apiserver.patch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.status.StatusException.Cause;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class ServerSideApplyTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final ResourceType CONFIGMAPS = ResourceRegistry.find("", "v1", "configmaps").orElseThrow();
  private static final ResourceType DEPLOYMENTS = ResourceRegistry.find("apps", "v1", "deployments").orElseThrow();

  static ObjectNode json(String s) {
    return (ObjectNode) JSON.readTree(s.replace('\'', '"'));
  }

  static ObjectNode cm(String data) {
    return json("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'demo','namespace':'default'},'data':" + data + "}");
  }

  static JsonNode entry(ObjectNode obj, String manager, String operation) {
    for (JsonNode e : obj.at("/metadata/managedFields")) {
      if (e.get("manager").stringValue().equals(manager) && e.get("operation").stringValue().equals(operation)) return e;
    }
    return null;
  }

  static StatusException conflict(Runnable r) {
    try {
      r.run();
    } catch (StatusException e) {
      return e;
    }
    throw new AssertionError("expected a conflict");
  }

  @Test
  void applyCreatesAndRecordsTheManager() {
    ObjectNode applied = json("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'demo','namespace':'default',"
        + "'labels':{'app':'demo'}},'data':{'greeting':'hello'}}");
    ObjectNode out = ServerSideApply.apply(CONFIGMAPS, null, applied, "kubectl", false);
    assertThat(out.at("/data/greeting").stringValue()).isEqualTo("hello");
    assertThat(out.at("/metadata/name").stringValue()).isEqualTo("demo");
    JsonNode e = entry(out, "kubectl", "Apply");
    assertThat(e).isNotNull();
    assertThat(e.get("apiVersion").stringValue()).isEqualTo("v1");
    assertThat(e.get("fieldsType").stringValue()).isEqualTo("FieldsV1");
    assertThat(e.get("time").stringValue()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
    assertThat(e.get("fieldsV1")).isEqualTo(json("{'f:data':{'f:greeting':{}},'f:metadata':{'f:labels':{'f:app':{}}}}"));
    assertThat(applied.has("status")).isFalse(); // input untouched
    assertThat(applied.at("/metadata").has("managedFields")).isFalse();
  }

  @Test
  void conflictWithClientSideApplyMatchesKubernetes() {
    ObjectNode created = ServerSideApply.recordUpdate(CONFIGMAPS, null, cm("{'greeting':'hello'}"), "kubectl-client-side-apply", "Update");
    assertThat(entry(created, "kubectl-client-side-apply", "Update").get("fieldsV1"))
        .isEqualTo(json("{'f:data':{'.':{},'f:greeting':{}}}"));
    StatusException e = conflict(() -> ServerSideApply.apply(CONFIGMAPS, created, cm("{'greeting':'hi'}"), "kubectl", false));
    assertThat(e.code()).isEqualTo(409);
    assertThat(e.reason()).isEqualTo("Conflict");
    assertThat(e.getMessage()).isEqualTo("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: .data.greeting");
    assertThat(e.causes()).containsExactly(
        new Cause("FieldManagerConflict", "conflict with \"kubectl-client-side-apply\" using v1", ".data.greeting"));
    JsonNode status = e.toStatus();
    assertThat(status.at("/details/causes/0/reason").stringValue()).isEqualTo("FieldManagerConflict");
    assertThat(status.at("/details/causes/0/field").stringValue()).isEqualTo(".data.greeting");
  }

  @Test
  void sameValueIsSharedNotAConflict() {
    ObjectNode created = ServerSideApply.recordUpdate(CONFIGMAPS, null, cm("{'greeting':'hello'}"), "kubectl-client-side-apply", "Update");
    ObjectNode out = ServerSideApply.apply(CONFIGMAPS, created, cm("{'greeting':'hello','extra':'x'}"), "kubectl", false);
    assertThat(out.get("data")).isEqualTo(json("{'greeting':'hello','extra':'x'}"));
    assertThat(entry(out, "kubectl-client-side-apply", "Update").toString()).contains("f:greeting");
    assertThat(entry(out, "kubectl", "Apply").get("fieldsV1")).isEqualTo(json("{'f:data':{'f:extra':{},'f:greeting':{}}}"));
  }

  @Test
  void forceTakesOwnership() {
    ObjectNode created = ServerSideApply.recordUpdate(CONFIGMAPS, null, cm("{'greeting':'hello','other':'o'}"), "kubectl-client-side-apply", "Update");
    ObjectNode out = ServerSideApply.apply(CONFIGMAPS, created, cm("{'greeting':'hi'}"), "kubectl", true);
    assertThat(out.get("data")).isEqualTo(json("{'greeting':'hi','other':'o'}"));
    assertThat(entry(out, "kubectl-client-side-apply", "Update").get("fieldsV1")).isEqualTo(json("{'f:data':{'.':{},'f:other':{}}}"));
    assertThat(entry(out, "kubectl", "Apply").get("fieldsV1")).isEqualTo(json("{'f:data':{'f:greeting':{}}}"));
    // now kubectl owns it, the former owner's plain update takes it back without conflict
    ObjectNode edited = out.deepCopy();
    ((ObjectNode) edited.get("data")).put("greeting", "edited");
    ObjectNode updated = ServerSideApply.recordUpdate(CONFIGMAPS, out, edited, "kubectl-edit", "Update");
    assertThat(entry(updated, "kubectl", "Apply")).isNull(); // its only field was taken
    assertThat(entry(updated, "kubectl-edit", "Update").get("fieldsV1")).isEqualTo(json("{'f:data':{'f:greeting':{}}}"));
  }

  @Test
  void multipleConflictsAreListedByManager() {
    ObjectNode created = ServerSideApply.recordUpdate(CONFIGMAPS, null, cm("{'a':'1','b':'2'}"), "alice", "Update");
    ObjectNode withBob = ServerSideApply.apply(CONFIGMAPS, created, cm("{'c':'3'}"), "bob", false);
    StatusException e = conflict(() -> ServerSideApply.apply(CONFIGMAPS, withBob, cm("{'a':'x','b':'y','c':'z'}"), "carol", false));
    assertThat(e.getMessage()).isEqualTo("Apply failed with 3 conflicts: conflicts with \"alice\" using v1:\n- .data.a\n- .data.b\n"
        + "conflicts with \"bob\":\n- .data.c");
    assertThat(e.causes()).extracting(Cause::field).containsExactlyInAnyOrder(".data.a", ".data.b", ".data.c");
  }

  @Test
  void fieldsDroppedFromTheConfigAreRemoved() {
    ObjectNode first = ServerSideApply.apply(CONFIGMAPS, null, cm("{'a':'1','b':'2'}"), "kubectl", false);
    ObjectNode second = ServerSideApply.apply(CONFIGMAPS, first, cm("{'a':'1'}"), "kubectl", false);
    assertThat(second.get("data")).isEqualTo(json("{'a':'1'}"));
  }

  @Test
  void droppedFieldsOwnedByAnotherManagerStay() {
    ObjectNode first = ServerSideApply.apply(CONFIGMAPS, null, cm("{'a':'1','b':'2'}"), "kubectl", false);
    ObjectNode other = ServerSideApply.apply(CONFIGMAPS, first, cm("{'b':'2'}"), "helm", false);
    ObjectNode second = ServerSideApply.apply(CONFIGMAPS, other, cm("{'a':'1'}"), "kubectl", false);
    assertThat(second.get("data")).isEqualTo(json("{'a':'1','b':'2'}"));
  }

  @Test
  void fieldsSetByOthersAreNotRemovedByApply() {
    ObjectNode first = ServerSideApply.apply(CONFIGMAPS, null, cm("{'a':'1'}"), "kubectl", false);
    ObjectNode edited = first.deepCopy();
    ((ObjectNode) edited.get("data")).put("z", "edited");
    ObjectNode updated = ServerSideApply.recordUpdate(CONFIGMAPS, first, edited, "kubectl-edit", "Update");
    ObjectNode again = ServerSideApply.apply(CONFIGMAPS, updated, cm("{'a':'2'}"), "kubectl", false);
    assertThat(again.get("data")).isEqualTo(json("{'a':'2','z':'edited'}"));
  }

  static ObjectNode deployment(String image, String extraContainerField) {
    return json("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','namespace':'default'},'spec':{"
        + "'selector':{'matchLabels':{'app':'web'}},'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':["
        + "{'name':'web','image':'" + image + "','ports':[{'containerPort':80}]" + extraContainerField + "}]}}},"
        + "'status':{'replicas':5}}");
  }

  @Test
  void deploymentFieldsV1UsesKeysForContainersAndPorts() {
    ObjectNode out = ServerSideApply.apply(DEPLOYMENTS, null, deployment("nginx:1.25", ""), "kubectl", false);
    assertThat(out.has("status")).as("status belongs to the status subresource").isFalse();
    assertThat(entry(out, "kubectl", "Apply").get("fieldsV1")).isEqualTo(json("""
        {'f:spec':{'f:selector':{'f:matchLabels':{'f:app':{}}},'f:template':{'f:metadata':{'f:labels':{'f:app':{}}},
          'f:spec':{'f:containers':{'k:{\\'name\\':\\'web\\'}':{'.':{},'f:image':{},'f:name':{},
            'f:ports':{'k:{\\'containerPort\\':80,\\'protocol\\':\\'TCP\\'}':{'.':{},'f:containerPort':{}}}}}}}}}
        """.replace("\\'", "\\\"")));
  }

  @Test
  void containerConflictPathUsesTheMergeKey() {
    ObjectNode created = ServerSideApply.recordUpdate(DEPLOYMENTS, null, deployment("nginx:1.25", ""), "kubectl-client-side-apply", "Update");
    StatusException e = conflict(() -> ServerSideApply.apply(DEPLOYMENTS, created, deployment("nginx:1.26", ""), "kubectl", false));
    assertThat(e.getMessage()).isEqualTo("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: "
        + ".spec.template.spec.containers[name=\"web\"].image");
  }

  @Test
  void removingAContainerFieldAndMergingListItemsByKey() {
    ObjectNode first = ServerSideApply.apply(DEPLOYMENTS, null, deployment("nginx:1.25", ",'args':['-v']"), "kubectl", false);
    // defaulting by the server adds fields nobody owns
    ObjectNode stored = first.deepCopy();
    ((ObjectNode) stored.at("/spec/template/spec/containers/0")).put("imagePullPolicy", "IfNotPresent");
    ((ObjectNode) stored.at("/spec/template/spec/containers/0/ports/0")).put("protocol", "TCP");
    ObjectNode second = ServerSideApply.apply(DEPLOYMENTS, stored, deployment("nginx:1.26", ""), "kubectl", false);
    JsonNode c = second.at("/spec/template/spec/containers");
    assertThat(c).hasSize(1);
    assertThat(c.at("/0/image").stringValue()).isEqualTo("nginx:1.26");
    assertThat(c.at("/0").has("args")).isFalse();
    assertThat(c.at("/0/imagePullPolicy").stringValue()).isEqualTo("IfNotPresent");
    assertThat(c.at("/0/ports")).isEqualTo(json("{'p':[{'containerPort':80,'protocol':'TCP'}]}").get("p"));
  }

  @Test
  void twoAppliersOwnDifferentFields() {
    ObjectNode first = ServerSideApply.apply(DEPLOYMENTS, null, deployment("nginx:1.25", ""), "kubectl", false);
    ObjectNode scaled = ServerSideApply.apply(DEPLOYMENTS, first,
        json("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'replicas':4}}"), "autoscaler", false);
    assertThat(scaled.at("/spec/replicas").intValue()).isEqualTo(4);
    ObjectNode reapplied = ServerSideApply.apply(DEPLOYMENTS, scaled, deployment("nginx:1.25", ""), "kubectl", false);
    assertThat(reapplied.at("/spec/replicas").intValue()).isEqualTo(4);
    StatusException e = conflict(() -> ServerSideApply.apply(DEPLOYMENTS, reapplied,
        json("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'replicas':2}}"), "kubectl", false));
    assertThat(e.getMessage()).isEqualTo("Apply failed with 1 conflict: conflict with \"autoscaler\": .spec.replicas");
  }

  @Test
  void objectsWithoutManagedFieldsBelongToBeforeFirstApply() {
    ObjectNode legacy = cm("{'greeting':'hello'}");
    StatusException e = conflict(() -> ServerSideApply.apply(CONFIGMAPS, legacy, cm("{'greeting':'hi'}"), "kubectl", false));
    assertThat(e.getMessage()).contains("conflict with \"before-first-apply\" using v1: .data.greeting");
  }

  @Test
  void finalizersAreASet() {
    ObjectNode first = ServerSideApply.apply(CONFIGMAPS, null,
        json("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','finalizers':['a.io/x']}}"), "one", false);
    ObjectNode second = ServerSideApply.apply(CONFIGMAPS, first,
        json("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','finalizers':['b.io/y']}}"), "two", false);
    assertThat(second.at("/metadata/finalizers").toString()).isEqualTo("[\"a.io/x\",\"b.io/y\"]");
    assertThat(entry(second, "two", "Apply").get("fieldsV1")).isEqualTo(json("{'f:metadata':{'f:finalizers':{'v:\\'b.io/y\\'':{}}}}"
        .replace("\\'", "\\\"")));
    ObjectNode third = ServerSideApply.apply(CONFIGMAPS, second,
        json("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c'}}"), "one", false);
    assertThat(third.at("/metadata/finalizers").toString()).isEqualTo("[\"b.io/y\"]");
  }

  @Test
  void badApplyConfigurations() {
    assertThatThrownBy(() -> ServerSideApply.apply(CONFIGMAPS, null, cm("{}"), "", false))
        .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.getMessage()).contains("fieldManager"));
    assertThatThrownBy(() -> ServerSideApply.apply(DEPLOYMENTS, null, cm("{}"), "kubectl", false))
        .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.code()).isEqualTo(400));
    assertThatThrownBy(() -> ServerSideApply.apply(CONFIGMAPS, null, json("{'metadata':{'name':'x'}}"), "kubectl", false))
        .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.getMessage()).contains("apiVersion and kind"));
  }

  @Test
  void recordUpdateTracksChangesAndRemovals() {
    ObjectNode created = ServerSideApply.recordUpdate(CONFIGMAPS, null, cm("{'a':'1','b':'2'}"), "creator", "Update");
    ObjectNode next = created.deepCopy();
    ((ObjectNode) next.get("data")).remove("b");
    ((ObjectNode) next.get("data")).put("a", "changed");
    ObjectNode updated = ServerSideApply.recordUpdate(CONFIGMAPS, created, next, "editor", "Update");
    assertThat(entry(updated, "creator", "Update").get("fieldsV1")).isEqualTo(json("{'f:data':{}}"));
    assertThat(entry(updated, "editor", "Update").get("fieldsV1")).isEqualTo(json("{'f:data':{'f:a':{}}}"));
    // a write that changes nothing leaves managedFields exactly as they were
    ObjectNode same = ServerSideApply.recordUpdate(CONFIGMAPS, updated, updated.deepCopy(), "third", "Update");
    assertThat(same.at("/metadata/managedFields")).isEqualTo(updated.at("/metadata/managedFields"));
  }

  @Test
  void statusUpdatesAreRecordedSeparately() {
    ObjectNode d = ServerSideApply.recordUpdate(DEPLOYMENTS, null, deployment("nginx", ""), "kubectl-create", "Update");
    assertThat(entry(d, "kubectl-create", "Update").toString()).doesNotContain("f:status");
    ObjectNode withStatus = d.deepCopy();
    ((ObjectNode) withStatus.get("status")).put("replicas", 1).put("readyReplicas", 1);
    ObjectNode s = ServerSideApply.recordUpdate(DEPLOYMENTS, d, withStatus, "deployment-controller", "Update", "status");
    JsonNode e = entry(s, "deployment-controller", "Update");
    assertThat(e.get("subresource").stringValue()).isEqualTo("status");
    assertThat(e.get("fieldsV1")).isEqualTo(json("{'f:status':{'f:readyReplicas':{},'f:replicas':{}}}"));
    assertThat(entry(s, "kubectl-create", "Update")).isNotNull();
  }

  @Test
  void fieldsV1RoundTrips() {
    ObjectNode fields = json("{'f:metadata':{'f:labels':{'.':{},'f:app':{}}},'f:spec':{'f:containers':{"
        + "'k:{\\'name\\':\\'a\\'}':{'.':{},'f:image':{}}}}}".replace("\\'", "\\\""));
    FieldSet set = FieldSet.decode(fields);
    assertThat(set.paths).contains(List.of("f:metadata", "f:labels"), List.of("f:metadata", "f:labels", "f:app"),
        List.of("f:spec", "f:containers", "k:{\"name\":\"a\"}"));
    assertThat(set.encode()).isEqualTo(fields);
  }

  /** The store's pipeline for an update: defaulting, then recordUpdate by the writer. */
  static ObjectNode store(ResourceType type, ObjectNode current, ObjectNode next, String manager) {
    ObjectNode o = next.deepCopy();
    io.keelson.apiserver.admission.Defaulter.applyDefaults(type, o);
    return ServerSideApply.recordUpdate(type, current, o, manager, "Update");
  }

  /** The store's pipeline for a server-side apply: defaulting only (the apply made its own managedFields entry). */
  static ObjectNode storeApplied(ResourceType type, ObjectNode next) {
    ObjectNode o = next.deepCopy();
    io.keelson.apiserver.admission.Defaulter.applyDefaults(type, o);
    return o;
  }

  @Test
  void applyThroughTheStorePipelineKeepsOwnershipWithTheApplier() {
    ObjectNode created = storeApplied(DEPLOYMENTS, ServerSideApply.apply(DEPLOYMENTS, null, deployment("nginx:1.25", ""), "kubectl", false));
    assertThat(created.at("/metadata/managedFields")).hasSize(1);
    assertThat(entry(created, "kubectl", "Apply")).isNotNull();
    assertThat(created.at("/spec/replicas").intValue()).isEqualTo(1); // defaulted, owned by nobody
    ObjectNode scaledConfig = deployment("nginx:1.25", "");
    ((ObjectNode) scaledConfig.get("spec")).put("replicas", 3);
    ObjectNode scaled = storeApplied(DEPLOYMENTS, ServerSideApply.apply(DEPLOYMENTS, created, scaledConfig, "kubectl", false));
    assertThat(scaled.at("/spec/replicas").intValue()).isEqualTo(3);
    assertThat(scaled.at("/metadata/managedFields")).hasSize(1);
    assertThat(entry(scaled, "kubectl", "Apply").toString()).contains("f:replicas");
    // applying the same configuration again changes nothing at all
    ObjectNode again = ServerSideApply.apply(DEPLOYMENTS, scaled, scaledConfig, "kubectl", false);
    assertThat(again).isEqualTo(scaled);
    assertThat(storeApplied(DEPLOYMENTS, again)).isEqualTo(scaled);
    // a kubectl scale by another manager then conflicts with the applier's next apply
    ObjectNode bySomeoneElse = scaled.deepCopy();
    ((ObjectNode) bySomeoneElse.get("spec")).put("replicas", 5);
    ObjectNode afterScale = store(DEPLOYMENTS, scaled, bySomeoneElse, "kubectl-scale");
    StatusException e = conflict(() -> ServerSideApply.apply(DEPLOYMENTS, afterScale, scaledConfig, "kubectl", false));
    assertThat(e.getMessage()).isEqualTo("Apply failed with 1 conflict: conflict with \"kubectl-scale\" using apps/v1: .spec.replicas");
  }

  @Test
  void droppingAListItemRemovesTheWholeItem() {
    ObjectNode first = ServerSideApply.apply(DEPLOYMENTS, null,
        deployment("nginx", ",'env':[{'name':'A','value':'1'},{'name':'B','value':'2'}]"), "kubectl", false);
    ObjectNode second = ServerSideApply.apply(DEPLOYMENTS, first, deployment("nginx", ",'env':[{'name':'A','value':'1'}]"), "kubectl", false);
    assertThat(second.at("/spec/template/spec/containers/0/env")).isEqualTo(json("{'e':[{'name':'A','value':'1'}]}").get("e"));
    assertThat(entry(second, "kubectl", "Apply").toString()).doesNotContain("B");
  }

  @Test
  void scaleSubresourceOwnerIsNamedInConflicts() {
    ObjectNode first = storeApplied(DEPLOYMENTS, ServerSideApply.apply(DEPLOYMENTS, null,
        json("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'replicas':2}}"), "kubectl", false));
    ObjectNode scaled = first.deepCopy();
    ((ObjectNode) scaled.get("spec")).put("replicas", 6);
    ObjectNode afterScale = ServerSideApply.recordUpdate(DEPLOYMENTS, first, scaled, "kubectl-scale", "Update", "scale");
    JsonNode e = entry(afterScale, "kubectl-scale", "Update");
    assertThat(e.get("subresource").stringValue()).isEqualTo("scale");
    assertThat(e.get("fieldsV1")).isEqualTo(json("{'f:spec':{'f:replicas':{}}}"));
    StatusException c = conflict(() -> ServerSideApply.apply(DEPLOYMENTS, afterScale,
        json("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'replicas':3}}"), "kubectl", false));
    assertThat(c.getMessage()).isEqualTo(
        "Apply failed with 1 conflict: conflict with \"kubectl-scale\" with subresource \"scale\" using apps/v1: .spec.replicas");
  }

  @Test
  void keyedListItemsMustCarryTheirKeysOnce() {
    ObjectNode noName = json("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','namespace':'default'},"
        + "'spec':{'template':{'spec':{'containers':[{'image':'nginx'}]}}}}");
    assertThatThrownBy(() -> ServerSideApply.apply(DEPLOYMENTS, null, noName, "kubectl", false))
        .isInstanceOfSatisfying(StatusException.class, e -> {
          assertThat(e.code()).isEqualTo(400);
          assertThat(e.getMessage()).isEqualTo("failed to create typed patch object (default/web; apps/v1, Kind=Deployment): "
              + ".spec.template.spec.containers: element 0: associative list with keys has an element that omits key field"
              + " \"name\" (and doesn't have default value)");
        });
    ObjectNode dup = json("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},"
        + "'spec':{'template':{'spec':{'containers':[{'name':'a','image':'x'},{'name':'a','image':'y'}]}}}}");
    assertThatThrownBy(() -> ServerSideApply.apply(DEPLOYMENTS, null, dup, "kubectl", false))
        .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.getMessage()).endsWith("duplicate entries for key [name=\"a\"]"));
  }

  @Test
  void anUpdateByTheApplierTakesTheFieldIntoAnUpdateEntry() {
    // kubectl scale (manager "kubectl", an Update) after kubectl apply --server-side (manager "kubectl", an Apply):
    // Kubernetes treats them as two managers, so the next apply conflicts.
    ObjectNode first = storeApplied(DEPLOYMENTS, ServerSideApply.apply(DEPLOYMENTS, null,
        json("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'replicas':2}}"), "kubectl", false));
    ObjectNode scaled = first.deepCopy();
    ((ObjectNode) scaled.get("spec")).put("replicas", 5);
    ObjectNode afterScale = ServerSideApply.recordUpdate(DEPLOYMENTS, first, scaled, "kubectl", "Update");
    assertThat(entry(afterScale, "kubectl", "Update").get("fieldsV1")).isEqualTo(json("{'f:spec':{'f:replicas':{}}}"));
    StatusException e = conflict(() -> ServerSideApply.apply(DEPLOYMENTS, afterScale,
        json("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'replicas':2}}"), "kubectl", false));
    assertThat(e.getMessage()).isEqualTo("Apply failed with 1 conflict: conflict with \"kubectl\" using apps/v1: .spec.replicas");
  }

  @Test
  void malformedManagedFieldsFromClientsAreIgnored() {
    ObjectNode obj = cm("{'a':'1'}");
    ((ObjectNode) obj.get("metadata")).set("managedFields", json("{'m':[{'manager':'x','operation':'Update','fieldsV1':"
        + "{'f:data':{'k:{broken':{},'i:zz':{},'v:':{},'q:1':{},'f:b':{}}}}, 'junk', {'manager':'y'}]}").get("m"));
    ObjectNode out = ServerSideApply.recordUpdate(CONFIGMAPS, null, obj, "creator", "Update");
    assertThat(entry(out, "x", "Update").get("fieldsV1")).isEqualTo(json("{'f:data':{'f:b':{}}}"));
    ObjectNode applied = ServerSideApply.apply(CONFIGMAPS, out, cm("{'a':'2'}"), "kubectl", true);
    assertThat(applied.at("/data/a").stringValue()).isEqualTo("2");
  }

  /**
   * Kubernetes' rule: an empty managedFields list changes nothing (clients unaware of the field send
   * one: client-java's models start with an empty list), a list with one empty entry clears them.
   */
  @Test
  void anEmptyManagedFieldsListKeepsOwnershipAndOneEmptyEntryClearsIt() {
    ObjectNode sent = cm("{'a':'1'}");
    ((ObjectNode) sent.get("metadata")).putArray("managedFields");
    ObjectNode created = ServerSideApply.recordUpdate(CONFIGMAPS, null, sent, "java-client", "Update");
    assertThat(entry(created, "java-client", "Update").get("fieldsV1")).isEqualTo(json("{'f:data':{'.':{},'f:a':{}}}"));

    ObjectNode replacement = cm("{'a':'1','b':'2'}");
    ((ObjectNode) replacement.get("metadata")).putArray("managedFields");
    ObjectNode updated = ServerSideApply.recordUpdate(CONFIGMAPS, created, replacement, "editor", "Update");
    assertThat(entry(updated, "java-client", "Update").get("fieldsV1")).isEqualTo(json("{'f:data':{'.':{},'f:a':{}}}"));
    assertThat(entry(updated, "editor", "Update").get("fieldsV1")).isEqualTo(json("{'f:data':{'f:b':{}}}"));

    ObjectNode reset = updated.deepCopy();
    ((ObjectNode) reset.get("metadata")).set("managedFields", json("{'m':[{}]}").get("m"));
    assertThat(ServerSideApply.recordUpdate(CONFIGMAPS, updated, reset, "resetter", "Update").at("/metadata/managedFields").isMissingNode())
        .as("[{}] with no other change leaves no managedFields").isTrue();
    ObjectNode resetAndChange = reset.deepCopy();
    ((ObjectNode) resetAndChange.get("data")).put("c", "3");
    ObjectNode after = ServerSideApply.recordUpdate(CONFIGMAPS, updated, resetAndChange, "resetter", "Update");
    assertThat(after.at("/metadata/managedFields")).hasSize(1);
    assertThat(entry(after, "resetter", "Update").get("fieldsV1")).isEqualTo(json("{'f:data':{'f:c':{}}}"));
  }
}
