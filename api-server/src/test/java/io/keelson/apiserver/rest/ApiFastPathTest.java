package io.keelson.apiserver.rest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which requests bypass the MVC dispatcher, and how their paths are split. */
class ApiFastPathTest {

  @Test
  void resourcePathsAreSplitIntoGroupVersionAndRest() {
    assertThat(ApiFastPath.resourcePath("/api/v1/namespaces/default/configmaps")).containsExactly("", "v1", "namespaces/default/configmaps");
    assertThat(ApiFastPath.resourcePath("/api/v1/nodes/n1/")).containsExactly("", "v1", "nodes/n1");
    assertThat(ApiFastPath.resourcePath("/apis/apps/v1/namespaces/a/deployments/d/scale")).containsExactly("apps", "v1", "namespaces/a/deployments/d/scale");
    assertThat(ApiFastPath.resourcePath("/api/v1/namespaces/a/pods/p/status")).containsExactly("", "v1", "namespaces/a/pods/p/status");
  }

  @Test
  void discoveryStreamingAndOddPathsGoToTheDispatcher() {
    for (String uri : new String[] {"/api", "/api/v1", "/api/v1/", "/apis", "/apis/apps", "/apis/apps/v1", "/apis/apps/v1/",
        "/apis//v1/x", "/api/v1/namespaces/a/pods/p/log", "/api/v1/namespaces/a/pods/p/exec",
        "/api/v1/namespaces/a/pods/p/portforward", "/api/v1/namespaces/a/pods/p/attach", "/api/v1//x", "/version", "/openapi/v3", "/apis/example.keelson.io/v1/things"}) {
      assertThat(ApiFastPath.resourcePath(uri)).as(uri).isNull();
    }
  }
}
