package io.keelson.apiserver.conversion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.resource.ResourceView;
import io.keelson.apiserver.status.StatusException;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class EventsV1ConversionTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final EventsV1Conversion c = new EventsV1Conversion();

  private static ObjectNode json(String s) {
    return (ObjectNode) JSON.readTree(s.replace('\'', '"'));
  }

  private static final String CORE = "{'apiVersion':'v1','kind':'Event','metadata':{'name':'web.1','namespace':'default'},"
      + "'involvedObject':{'kind':'Pod','name':'web'},'reason':'Started','message':'Started container','type':'Normal',"
      + "'source':{'component':'kubelet'},'firstTimestamp':'2026-11-27T19:00:00Z','lastTimestamp':'2026-11-27T19:00:05Z',"
      + "'count':2,'reportingComponent':'kubelet','reportingInstance':'node-1','action':'Start',"
      + "'eventTime':'2026-11-27T19:00:00.000000Z','series':{'count':2,'lastObservedTime':'2026-11-27T19:00:05.000000Z'},"
      + "'related':{'kind':'Node','name':'node-1'}}";

  @Test
  void coreEventsReadAsEventsV1WithKubesFieldNames() {
    ObjectNode v1 = c.toServed(json(CORE));
    assertThat(v1.path("apiVersion").asString()).isEqualTo("events.k8s.io/v1");
    assertThat(v1.path("regarding").path("name").asString()).isEqualTo("web");
    assertThat(v1.path("note").asString()).isEqualTo("Started container");
    assertThat(v1.path("reportingController").asString()).isEqualTo("kubelet");
    assertThat(v1.path("deprecatedSource").path("component").asString()).isEqualTo("kubelet");
    assertThat(v1.path("deprecatedFirstTimestamp").asString()).isEqualTo("2026-11-27T19:00:00Z");
    assertThat(v1.path("deprecatedLastTimestamp").asString()).isEqualTo("2026-11-27T19:00:05Z");
    assertThat(v1.path("deprecatedCount").asInt()).isEqualTo(2);
    assertThat(v1.path("series").path("count").asInt()).isEqualTo(2);
    assertThat(v1.path("related").path("kind").asString()).isEqualTo("Node");
    assertThat(v1.has("involvedObject") || v1.has("message") || v1.has("count") || v1.has("source")).isFalse();
    assertThat(v1.path("metadata")).isEqualTo(json(CORE).path("metadata"));
  }

  @Test
  void theRoundTripLosesNothingAndLeavesItsInputAlone() {
    ObjectNode core = json(CORE);
    ObjectNode back = c.toStorage(c.toServed(core));
    assertThat(back).isEqualTo(core);
    assertThat(core).isEqualTo(json(CORE));
    ObjectNode v1 = c.toServed(core);
    ((ObjectNode) v1.get("regarding")).put("name", "changed");
    assertThat(core.path("involvedObject").path("name").asString()).isEqualTo("web");
  }

  @Test
  void eventsV1CreatesNeedWhatKubeRequires() {
    ResourceType served = ResourceRegistry.find("events.k8s.io", "v1", "events").orElseThrow();
    ObjectNode good = c.toServed(json(CORE));
    c.validateCreate(served, good);
    ObjectNode bad = json("{'apiVersion':'events.k8s.io/v1','kind':'Event','metadata':{'name':'x'},'reason':'R','type':'Info'}");
    assertThatThrownBy(() -> c.validateCreate(served, bad))
        .isInstanceOfSatisfying(StatusException.class, e -> {
          assertThat(e.code()).isEqualTo(422);
          assertThat(e.causes()).extracting(StatusException.Cause::field)
              .containsExactly("eventTime", "reportingController", "reportingInstance", "action", "type");
          assertThat(e.getMessage()).startsWith("Event.events.k8s.io \"x\" is invalid: ");
        });
  }

  @Test
  void eventsV1IsAViewOfCoreEventsWithNoStorageOfItsOwn() {
    ResourceType served = ResourceRegistry.find("events.k8s.io", "v1", "events").orElseThrow();
    ResourceType core = ResourceRegistry.find("", "v1", "events").orElseThrow();
    ResourceView v = ResourceRegistry.viewOf(served);
    assertThat(v).isNotNull();
    assertThat(v.storage()).isSameAs(core);
    assertThat(served.stored()).isFalse();
    assertThat(core.stored()).isTrue();
    assertThat(ResourceRegistry.viewOf(core)).isNull();
  }

  @Test
  void failuresNameTheServedResourceAndItsFields() {
    ResourceType served = ResourceRegistry.find("events.k8s.io", "v1", "events").orElseThrow();
    ResourceType core = ResourceRegistry.find("", "v1", "events").orElseThrow();
    StatusException nf = StatusException.notFound(core, "nope").as(core, served, c.servedFieldNames());
    assertThat(nf.getMessage()).isEqualTo("events.events.k8s.io \"nope\" not found");
    assertThat(nf.toStatus().path("details").path("group").asString()).isEqualTo("events.k8s.io");
    StatusException inv = StatusException.invalid(core, "x", java.util.List.of(StatusException.Cause.required("involvedObject.name")))
        .as(core, served, c.servedFieldNames());
    assertThat(inv.getMessage()).isEqualTo("Event.events.k8s.io \"x\" is invalid: regarding.name: Required value");
    assertThat(inv.causes().get(0).field()).isEqualTo("regarding.name");
  }

  @Test
  void managedFieldsNameTheFieldsAsTheReadersApiDoes() {
    ObjectNode core = json("{'apiVersion':'v1','kind':'Event','metadata':{'name':'e','managedFields':["
        + "{'manager':'kubelet','operation':'Update','apiVersion':'v1','fieldsType':'FieldsV1',"
        + "'fieldsV1':{'f:message':{},'f:involvedObject':{'f:name':{}},'f:reason':{}}},"
        + "{'manager':'other','operation':'Update','apiVersion':'apps/v1','fieldsType':'FieldsV1','fieldsV1':{'f:count':{}}}]},"
        + "'message':'m','involvedObject':{'name':'p'},'reason':'R','count':1}");
    ObjectNode v1 = c.toServed(core);
    var entries = v1.path("metadata").path("managedFields");
    assertThat(entries.get(0).path("apiVersion").asString()).isEqualTo("events.k8s.io/v1");
    assertThat(entries.get(0).path("fieldsV1").propertyNames()).containsExactly("f:note", "f:regarding", "f:reason");
    assertThat(entries.get(0).path("fieldsV1").path("f:regarding").has("f:name")).isTrue();
    assertThat(entries.get(1).path("apiVersion").asString()).isEqualTo("apps/v1"); // not this resource's versions: kept
    assertThat(entries.get(1).path("fieldsV1").propertyNames()).containsExactly("f:deprecatedCount");
    assertThat(c.toStorage(v1)).isEqualTo(core);
    assertThat(core.path("metadata").path("managedFields").get(0).path("fieldsV1").has("f:message")).isTrue();
  }
}
