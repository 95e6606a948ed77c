package io.keelson.controller.endpoints;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A pass waits while the cache has not caught up with the controller's own writes. */
class WriteTrackerTest {
  static Endpoints at(String version) {
    return new EndpointsBuilder().withNewMetadata().withName("web").withResourceVersion(version).endMetadata().build();
  }

  @Test
  void staleUntilTheCacheShowsEachWrite() {
    WriteTracker t = new WriteTracker();
    Map<String, Endpoints> cache = new HashMap<>();
    assertThat(t.stale("default/web", cache::get)).as("no writes").isFalse();

    t.created("default/web", "web");
    assertThat(t.stale("default/web", cache::get)).as("created, not yet seen").isTrue();
    cache.put("web", at("5"));
    assertThat(t.stale("default/web", cache::get)).isFalse();

    t.updated("default/web", "web", "5", "9");
    assertThat(t.stale("default/web", cache::get)).as("the cache still shows the replaced version").isTrue();
    cache.put("web", at("9"));
    assertThat(t.stale("default/web", cache::get)).isFalse();
    cache.put("web", at("5"));
    assertThat(t.stale("default/web", cache::get)).as("a write seen once is forgotten").isFalse();

    t.updated("default/web", "web", "9", "9");
    assertThat(t.stale("default/web", cache::get)).as("a no-op update is not tracked").isFalse();

    t.deleted("default/web", "web");
    assertThat(t.stale("default/web", cache::get)).as("deleted, still cached").isTrue();
    cache.remove("web");
    assertThat(t.stale("default/web", cache::get)).isFalse();
  }

  @Test
  void onlyEndpointRelevantPodChangesQueueServices() {
    Pod a = ServiceEndpointsTest.pod("a", "10.244.1.5", true, false);
    Pod annotated = ServiceEndpointsTest.pod("a", "10.244.1.5", true, false);
    annotated.getMetadata().setAnnotations(Map.of("note", "x"));
    assertThat(ServicePods.endpointsChanged(a, annotated)).isFalse();
    assertThat(ServicePods.endpointsChanged(a, ServiceEndpointsTest.pod("a", "10.244.1.5", false, false))).as("readiness").isTrue();
    assertThat(ServicePods.endpointsChanged(a, ServiceEndpointsTest.pod("a", "10.244.1.6", true, false))).as("IP").isTrue();
    assertThat(ServicePods.endpointsChanged(a, ServiceEndpointsTest.pod("a", "10.244.1.5", true, true))).as("deletion").isTrue();
    Pod relabelled = ServiceEndpointsTest.pod("a", "10.244.1.5", true, false);
    relabelled.getMetadata().setLabels(Map.of("app", "other"));
    assertThat(ServicePods.endpointsChanged(a, relabelled)).as("labels").isTrue();
  }
}
