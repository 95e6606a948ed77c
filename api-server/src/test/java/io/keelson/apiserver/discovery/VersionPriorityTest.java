package io.keelson.apiserver.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.resource.CustomResource;
import io.keelson.apiserver.resource.ResourceType;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A group's versions in kube's priority, whatever order they were registered in (a CRD's spec.versions). */
class VersionPriorityTest {

  private static ResourceType widgets(String version) {
    return new ResourceType("example.com", version, "widgets", "Widget", true, List.of(), List.of(), Set.of(), CustomResource.MODEL, true);
  }

  @Test
  void gaBeforeBetaBeforeAlphaHigherFirst() {
    List<ResourceType> registered = List.of(widgets("v1alpha1"), widgets("v1"), widgets("v2beta1"), widgets("v2"), widgets("v1beta1"));
    assertThat(ApiDiscovery.groups(registered).get("example.com")).containsExactly("v2", "v1", "v2beta1", "v1beta1", "v1alpha1");
  }

  @Test
  void builtInGroupsPreferTheirNewestGaVersion() {
    assertThat(ApiDiscovery.groups().get("autoscaling").get(0)).isEqualTo("v2");
    assertThat(ApiDiscovery.groups().get("apps")).containsExactly("v1");
  }
}
