package io.keelson.apiserver.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.storage.ObjectCodec;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/**
 * dryRun=All writes as kube-apiserver answers them: the object as it would be, nothing stored; an
 * update's answer keeps the resourceVersion it was read at (so that `kubectl diff` shows only the
 * change), a create's has none.
 */
class DryRunTest extends InMemoryRegistryTest {

  private static final ResourceType CONFIGMAPS = ResourceRegistry.find("", "v1", "configmaps").orElseThrow();
  private static final WriteOptions DRY = new WriteOptions(true, "kubectl-client-side-apply", null);


  private static ObjectNode cm(String name, String value) {
    return (ObjectNode) ObjectCodec.JSON.readTree(
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\"},\"data\":{\"a\":\"" + value + "\"}}");
  }

  @Test
  void aDryRunCreateStoresNothingAndHasNoResourceVersion() {
    ObjectNode out = svc.create(CONFIGMAPS, "default", cm("new", "1"), DRY);
    assertThat(out.path("data").path("a").asString()).isEqualTo("1");
    assertThat(out.path("metadata").has("resourceVersion")).isFalse();
    assertThat(store.json(CONFIGMAPS.key("default", "new"))).isNull();
  }

  @Test
  void aDryRunUpdateAnswersAtTheReadResourceVersionAndStoresNothing() {
    ObjectNode live = svc.create(CONFIGMAPS, "default", cm("c", "1"), WriteOptions.manager("kubectl"));
    String rv = live.path("metadata").path("resourceVersion").asString();
    String before = store.json(CONFIGMAPS.key("default", "c"));
    ObjectNode out = svc.mutate(CONFIGMAPS, "default", "c", DRY, cur -> {
      ((ObjectNode) cur.get("data")).put("a", "2");
      return cur;
    });
    assertThat(out.path("data").path("a").asString()).isEqualTo("2");
    assertThat(out.path("metadata").path("resourceVersion").asString()).isEqualTo(rv);
    assertThat(store.json(CONFIGMAPS.key("default", "c"))).isEqualTo(before);
    assertThat(svc.get(CONFIGMAPS, "default", "c").path("data").path("a").asString()).isEqualTo("1");
  }

  @Test
  void aDryRunDeleteLeavesTheObject() {
    svc.create(CONFIGMAPS, "default", cm("d", "1"), WriteOptions.manager("kubectl"));
    ResourceService.DeleteResult r = svc.delete(CONFIGMAPS, "default", "d",
        new DeleteOptions(null, null, null, null, true));
    assertThat(r.gone()).isTrue();
    assertThat(svc.get(CONFIGMAPS, "default", "d").path("data").path("a").asString()).isEqualTo("1");
  }
}
