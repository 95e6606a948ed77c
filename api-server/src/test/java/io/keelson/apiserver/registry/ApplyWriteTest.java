package io.keelson.apiserver.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.patch.ServerSideApply;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.storage.ObjectCodec;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Server-side applies through the write path, as the REST handler makes them: the applier keeps its
 * one Apply entry however quickly it re-applies (managedFields times have one-second resolution, so
 * back-to-back applies carry identical entries), and the same holds through a view (events.k8s.io/v1).
 */
class ApplyWriteTest extends InMemoryRegistryTest {

  private static final ResourceType CONFIGMAPS = ResourceRegistry.find("", "v1", "configmaps").orElseThrow();
  private static final ResourceType EVENTS_V1 = ResourceRegistry.find("events.k8s.io", "v1", "events").orElseThrow();


  private static ObjectNode json(String s) {
    return (ObjectNode) ObjectCodec.JSON.readTree(s.replace('\'', '"'));
  }

  /** What RequestHandler.apply does: mutate with the apply, or create from it when the object is missing. */
  private ObjectNode apply(ResourceType type, String name, ObjectNode applied) {
    WriteOptions opts = new WriteOptions(false, "ci", null).asApply();
    if (svc.cached(type, "default", name) == null && !exists(type, name)) {
      ObjectNode fresh = ServerSideApply.apply(type, null, applied, "ci", false);
      return svc.create(type, "default", fresh, opts);
    }
    return svc.mutate(type, "default", name, opts, current -> ServerSideApply.apply(type, current, applied, "ci", false));
  }

  private boolean exists(ResourceType type, String name) {
    try {
      svc.get(type, "default", name);
      return true;
    } catch (io.keelson.apiserver.status.StatusException e) {
      return false;
    }
  }

  @Test
  void reapplyingWithinASecondKeepsTheApplyEntry() {
    JsonNode mf = null;
    for (String v : new String[] {"1", "2", "3", "4"}) {
      ObjectNode out = apply(CONFIGMAPS, "cm", json("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'cm'},'data':{'a':'" + v + "'}}"));
      assertThat(out.path("data").path("a").asString()).isEqualTo(v);
      mf = out.path("metadata").path("managedFields");
      assertThat(mf).as(mf.toString()).hasSize(1);
      assertThat(mf.get(0).path("operation").asString()).isEqualTo("Apply");
      assertThat(mf.get(0).path("fieldsV1").path("f:data").has("f:a")).isTrue();
    }
  }

  @Test
  void anUpdateByAnotherManagerIsStillRecorded() {
    apply(CONFIGMAPS, "cm2", json("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'cm2'},'data':{'a':'1'}}"));
    ObjectNode out = svc.mutate(CONFIGMAPS, "default", "cm2", WriteOptions.manager("kubectl-edit"), cur -> {
      ((ObjectNode) cur.get("data")).put("b", "2");
      return cur;
    });
    JsonNode mf = out.path("metadata").path("managedFields");
    assertThat(mf).as(mf.toString()).hasSize(2);
    assertThat(mf.get(1).path("manager").asString()).isEqualTo("kubectl-edit");
    assertThat(mf.get(1).path("fieldsV1").path("f:data").has("f:b")).isTrue();
  }

  @Test
  void applyingThroughEventsV1OwnsTheFieldsInBothShapes() {
    String event = "{'apiVersion':'events.k8s.io/v1','kind':'Event','metadata':{'name':'e.1'},'regarding':{'kind':'Pod','name':'p'},"
        + "'reason':'Scheduled','note':'NOTE','type':'Normal','action':'Binding','eventTime':'2026-11-27T19:00:01.000000Z',"
        + "'reportingController':'s','reportingInstance':'s-1'}";
    for (String note : new String[] {"one", "two", "three"}) {
      ObjectNode out = apply(EVENTS_V1, "e.1", json(event.replace("NOTE", note)));
      assertThat(out.path("note").asString()).isEqualTo(note);
      JsonNode mf = out.path("metadata").path("managedFields");
      assertThat(mf).as(mf.toString()).hasSize(1);
      assertThat(mf.get(0).path("apiVersion").asString()).isEqualTo("events.k8s.io/v1");
      assertThat(mf.get(0).path("fieldsV1").has("f:note")).isTrue();
    }
    ObjectNode core = svc.get(ResourceRegistry.find("", "v1", "events").orElseThrow(), "default", "e.1");
    assertThat(core.path("message").asString()).isEqualTo("three");
    assertThat(core.path("metadata").path("managedFields").get(0).path("fieldsV1").has("f:message")).isTrue();
  }
}
