package io.keelson.apiserver.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.NodeMetrics;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * metrics.k8s.io (kubectl top) and authorization.k8s.io (kubectl auth can-i) appear in discovery as
 * soon as the registry has table entries for them, with the verbs those APIs support.
 */
public class OptionalGroupsTest {

  public static List<ResourceType> withOptionalGroups() {
    List<ResourceType> all = new ArrayList<>(ResourceRegistry.all());
    all.add(new ResourceType("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", false, List.of(), List.of(),
        Set.of(), NodeMetrics.class, false));
    all.add(new ResourceType("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", true, List.of(), List.of(),
        Set.of(), PodMetrics.class, false));
    all.add(new ResourceType("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview",
        false, List.of(), List.of(), Set.of(), SelfSubjectAccessReview.class, false));
    return all;
  }

  @Test
  void optionalGroupsAreDiscoveredWithTheirVerbs() {
    List<ResourceType> all = withOptionalGroups();
    JsonNode items = ApiDiscovery.aggregated(all, false, "v2").get("items");
    List<String> names = new ArrayList<>();
    items.forEach(g -> names.add(g.get("metadata").get("name").asString()));
    assertThat(names).contains("metrics.k8s.io", "authorization.k8s.io");

    JsonNode metrics = ApiDiscovery.apiResourceList(all, "metrics.k8s.io", "v1beta1").orElseThrow();
    JsonNode nodes = metrics.get("resources").get(0);
    assertThat(nodes.get("name").asString()).isEqualTo("nodes");
    assertThat(nodes.get("kind").asString()).isEqualTo("NodeMetrics");
    assertThat(nodes.get("verbs").toString()).isEqualTo("[\"get\",\"list\"]");

    JsonNode authz = ApiDiscovery.apiResourceList(all, "authorization.k8s.io", "v1").orElseThrow();
    assertThat(authz.get("resources").get(0).get("verbs").toString()).isEqualTo("[\"create\"]");
  }
}
