package io.keelson.apiserver.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Pod bindings as kube-apiserver's BindingREST makes them (a storage update of nodeName, annotations
 * and PodScheduled, nothing else), and the status writes that follow them, on an in-memory etcd.
 */
class PodBindingTest extends InMemoryRegistryTest {

  private static final ResourceType PODS = ResourceRegistry.find("", "v1", "pods").orElseThrow();
  private static final String KEY = PODS.key("default", "p");


  private ObjectNode createPod(String specExtra) {
    ObjectNode pod = (ObjectNode) ObjectCodec.JSON.readTree("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
        + "\"labels\":{\"app\":\"web\"}},\"spec\":{" + specExtra + "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\","
        + "\"resources\":{\"requests\":{\"cpu\":\"10m\"}}}]}}");
    return svc.create(PODS, "default", pod, WriteOptions.manager("kubectl-create"));
  }

  private ObjectNode stored() {
    return (ObjectNode) ObjectCodec.JSON.readTree(store.json(KEY));
  }

  private void bind(String node) {
    svc.bind(PODS, "default", new ResourceService.PodBinding("p", node, null, null, Map.of()), false);
  }

  private static JsonNode condition(ObjectNode pod, String type) {
    for (JsonNode c : pod.path("status").path("conditions")) if (type.equals(c.path("type").asString())) return c;
    return null;
  }

  @Test
  void aBindingSetsTheNodeAndPodScheduledAndLeavesManagedFieldsAlone() {
    ObjectNode created = createPod("");
    JsonNode managedBefore = stored().path("metadata").path("managedFields");
    svc.bind(PODS, "default", new ResourceService.PodBinding("p", "node-1", created.path("metadata").path("uid").asString(),
        created.path("metadata").path("resourceVersion").asString(), Map.of("example.com/placed-by", "test")), false);

    ObjectNode pod = stored();
    assertThat(pod.path("spec").path("nodeName").asString()).isEqualTo("node-1");
    JsonNode scheduled = condition(pod, "PodScheduled");
    assertThat(scheduled.path("status").asString()).isEqualTo("True");
    assertThat(scheduled.path("lastTransitionTime").asString()).isNotEmpty();
    assertThat(pod.path("metadata").path("annotations").path("example.com/placed-by").asString()).isEqualTo("test");
    // the pod's field managers are not involved: no scheduler entry, the creator's entry as it was
    assertThat(pod.path("metadata").path("managedFields")).isEqualTo(managedBefore);
    assertThat(pod.path("metadata").path("generation").asInt()).isEqualTo(1);
    assertThat(pod.path("metadata").has("resourceVersion")).isFalse(); // stored without it, as every object
    assertThat(pod.path("status").path("phase").asString()).isEqualTo("Pending");
  }

  @Test
  void aBindingReplacesAnUnschedulableConditionAsKubeDoes() throws Exception {
    createPod("");
    svc.mutate(PODS, "default", "p", WriteOptions.manager("scheduler").withSubresource("status"), o -> {
      ((ObjectNode) o.get("status")).putArray("conditions").addObject().put("type", "PodScheduled").put("status", "False")
          .put("reason", "Unschedulable").put("message", "0/1 nodes are available").put("lastTransitionTime", "2026-01-01T00:00:00Z");
      return o;
    });
    bind("node-1");
    JsonNode c = condition(stored(), "PodScheduled");
    assertThat(c.path("status").asString()).isEqualTo("True");
    assertThat(c.has("reason")).isFalse();
    assertThat(c.has("message")).isFalse();
    assertThat(c.path("lastTransitionTime").asString()).isNotEqualTo("2026-01-01T00:00:00Z");
    assertThat(stored().path("status").path("conditions")).hasSize(1);
  }

  @Test
  void anAssignedPodIsAConflict() {
    createPod("");
    bind("node-1");
    int writes = store.writes();
    assertThatThrownBy(() -> bind("node-2")).isInstanceOfSatisfying(StatusException.class, e -> {
      assertThat(e.code()).isEqualTo(409);
      assertThat(e.getMessage()).isEqualTo("Operation cannot be fulfilled on pods/binding \"p\": pod p is already assigned to node \"node-1\"");
    });
    assertThat(store.writes()).isEqualTo(writes);
    assertThat(stored().path("spec").path("nodeName").asString()).isEqualTo("node-1");
  }

  @Test
  void aMissingPodIsNotFound() {
    assertThatThrownBy(() -> bind("node-1")).isInstanceOfSatisfying(StatusException.class,
        e -> assertThat(e.code()).isEqualTo(404));
  }

  @Test
  void theBindingsUidAndResourceVersionArePreconditions() {
    ObjectNode created = createPod("");
    assertThatThrownBy(() -> svc.bind(PODS, "default", new ResourceService.PodBinding("p", "node-1", "another-uid", null, Map.of()), false))
        .isInstanceOfSatisfying(StatusException.class, e -> {
          assertThat(e.code()).isEqualTo(409);
          assertThat(e.getMessage()).contains("Precondition failed: UID in precondition: another-uid");
        });
    assertThatThrownBy(() -> svc.bind(PODS, "default", new ResourceService.PodBinding("p", "node-1", null, "1", Map.of()), false))
        .isInstanceOfSatisfying(StatusException.class, e -> {
          assertThat(e.code()).isEqualTo(409);
          assertThat(e.getMessage()).contains("Precondition failed: ResourceVersion in precondition: 1");
        });
    assertThat(stored().path("spec").has("nodeName")).isFalse();
    svc.bind(PODS, "default", new ResourceService.PodBinding("p", "node-1", created.path("metadata").path("uid").asString(), null, Map.of()), false);
    assertThat(stored().path("spec").path("nodeName").asString()).isEqualTo("node-1");
  }

  @Test
  void aGatedPodCannotBeBound() {
    createPod("\"schedulingGates\":[{\"name\":\"example.com/wait\"}],");
    assertThatThrownBy(() -> bind("node-1")).isInstanceOfSatisfying(StatusException.class, e -> {
      assertThat(e.code()).isEqualTo(409);
      assertThat(e.getMessage()).endsWith("pod p has non-empty .spec.schedulingGates");
    });
  }

  @Test
  void aPodBeingDeletedCannotBeBound() {
    createPod("");
    svc.mutate(PODS, "default", "p", WriteOptions.manager("test"), o -> {
      ResourceService.metadata(o).putArray("finalizers").add("example.com/hold");
      return o;
    });
    svc.delete(PODS, "default", "p", new DeleteOptions(null, null, null, null, false));
    assertThat(stored().path("metadata").has("deletionTimestamp")).isTrue();
    assertThatThrownBy(() -> bind("node-1")).isInstanceOfSatisfying(StatusException.class, e -> {
      assertThat(e.code()).isEqualTo(409);
      assertThat(e.getMessage()).endsWith("pod p is being deleted, cannot be assigned to a host");
    });
  }

  @Test
  void aDryRunBindingWritesNothing() {
    createPod("");
    int writes = store.writes();
    svc.bind(PODS, "default", new ResourceService.PodBinding("p", "node-1", null, null, Map.of()), true);
    assertThat(store.writes()).isEqualTo(writes);
    assertThat(stored().path("spec").has("nodeName")).isFalse();
  }

  @Test
  void aNodeNameThatIsNoDnsSubdomainIsInvalid() {
    createPod("");
    assertThatThrownBy(() -> bind("Node_1")).isInstanceOfSatisfying(StatusException.class, e -> {
      assertThat(e.code()).isEqualTo(422);
      assertThat(e.getMessage()).startsWith("Pod \"p\" is invalid: spec.nodeName: Invalid value: \"Node_1\"");
    });
  }

  @Test
  void statusWritesKeepOtherManagersEntriesAndOnlyTouchTheirOwn() {
    createPod("");
    bind("node-1");
    JsonNode creator = stored().path("metadata").path("managedFields").get(0).deepCopy();
    for (String phase : new String[] {"Running", "Running", "Succeeded"}) {
      // as the NodeService writes them: the result is not read, the written object goes to the cache
      svc.mutateUnread(PODS, "default", "p", WriteOptions.manager("keelson-agent").withSubresource("status"), o -> {
        ObjectNode st = (ObjectNode) o.get("status");
        st.put("phase", phase);
        st.put("hostIP", "10.0.0.1");
        return o;
      });
    }
    ObjectNode pod = stored();
    assertThat(pod.path("status").path("phase").asString()).isEqualTo("Succeeded");
    JsonNode mf = pod.path("metadata").path("managedFields");
    assertThat(mf).hasSize(2);
    assertThat(mf.get(0)).isEqualTo(creator);
    JsonNode agent = mf.get(1);
    assertThat(agent.path("manager").asString()).isEqualTo("keelson-agent");
    assertThat(agent.path("subresource").asString()).isEqualTo("status");
    assertThat(agent.path("fieldsV1").path("f:status").has("f:phase")).isTrue();
    assertThat(agent.path("fieldsV1").path("f:status").has("f:hostIP")).isTrue();
    // the spec still belongs to its creator: a status write does not change it
    assertThat(pod.path("spec").path("nodeName").asString()).isEqualTo("node-1");
    assertThat(pod.path("metadata").path("generation").asInt()).isEqualTo(1);
  }

  @Test
  void aRestCreateAnswersWithTheStoredBytesPlusItsResourceVersion() {
    ObjectNode pod = (ObjectNode) ObjectCodec.JSON.readTree("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
        + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}");
    ResourceService.Written w = svc.createForResponse(PODS, "default", pod, WriteOptions.manager("kubectl-create"));
    assertThat(w.object()).isNull(); // handed to the watch cache, not the caller's any more
    ObjectNode answered = (ObjectNode) ObjectCodec.JSON.readTree(w.json());
    ObjectNode expected = stored();
    ObjectCodec.setResourceVersion(expected, store.currentRevision());
    assertThat(answered).isEqualTo(expected);
    assertThat(answered.path("metadata").path("resourceVersion").asString()).isEqualTo(Long.toString(store.currentRevision()));

    ObjectNode dry = (ObjectNode) ObjectCodec.JSON.readTree("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"q\"},"
        + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}");
    ResourceService.Written d = svc.createForResponse(PODS, "default", dry, new WriteOptions(true, "kubectl-create", null));
    assertThat(d.json()).isNull();
    assertThat(d.object().path("metadata").path("name").asString()).isEqualTo("q");
    assertThat(store.json(PODS.key("default", "q"))).isNull();
  }

  @Test
  void aStatusWriteValidatesNoSpecAsInKube() {
    // stored by an older server whose rules were laxer: only writes of the spec are held to today's
    store.seed(KEY, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"default\",\"uid\":\"u\"},"
        + "\"spec\":{\"restartPolicy\":\"Sometimes\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]},\"status\":{\"phase\":\"Pending\"}}");
    svc.mutateUnread(PODS, "default", "p", WriteOptions.manager("keelson-agent").withSubresource("status"), o -> {
      ((ObjectNode) o.get("status")).put("phase", "Running");
      return o;
    });
    assertThat(stored().path("status").path("phase").asString()).isEqualTo("Running");
    assertThatThrownBy(() -> svc.mutate(PODS, "default", "p", WriteOptions.manager("kubectl-label"), o -> {
      ResourceService.metadata(o).putObject("labels").put("a", "b");
      return o;
    })).isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.code()).isEqualTo(422));
  }
}
