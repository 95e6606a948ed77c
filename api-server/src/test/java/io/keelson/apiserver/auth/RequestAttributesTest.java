package io.keelson.apiserver.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** kube's RequestInfoFactory cases: what a method and path ask to do, and how a denial reads. */
class RequestAttributesTest {

  static Authorizer.Attributes of(String method, String path) {
    return RequestAttributes.of(method, path, null, null);
  }

  @Test
  void resourceRequestsTakeTheirVerbFromTheMethodAndTheShapeOfThePath() {
    assertThat(of("GET", "/api/v1/namespaces/default/pods"))
        .isEqualTo(new Authorizer.Attributes("list", "", "pods", "", "default", "", null));
    assertThat(RequestAttributes.of("GET", "/api/v1/pods", "true", null))
        .isEqualTo(new Authorizer.Attributes("watch", "", "pods", "", "", "", null));
    assertThat(RequestAttributes.of("GET", "/api/v1/namespaces/d/pods", "1", "metadata.name=web"))
        .as("a watch of one object names it").isEqualTo(new Authorizer.Attributes("watch", "", "pods", "", "d", "web", null));
    assertThat(of("GET", "/apis/apps/v1/namespaces/d/deployments/web/scale"))
        .isEqualTo(new Authorizer.Attributes("get", "apps", "deployments", "scale", "d", "web", null));
    assertThat(of("POST", "/api/v1/namespaces/d/pods/web/exec").verb()).isEqualTo("create");
    assertThat(of("PATCH", "/api/v1/nodes/n1/status")).isEqualTo(new Authorizer.Attributes("patch", "", "nodes", "status", "", "n1", null));
    assertThat(of("DELETE", "/api/v1/namespaces/d/configmaps").verb()).isEqualTo("deletecollection");
    assertThat(of("PUT", "/api/v1/namespaces/d/finalize"))
        .as("a namespace's own subresource").isEqualTo(new Authorizer.Attributes("update", "", "namespaces", "finalize", "d", "d", null));
    assertThat(of("GET", "/api/v1/namespaces/d")).isEqualTo(new Authorizer.Attributes("get", "", "namespaces", "", "d", "d", null));
    assertThat(of("GET", "/api/v1/namespaces/d/pods/web/proxy/metrics"))
        .isEqualTo(new Authorizer.Attributes("get", "", "pods", "proxy", "d", "web", null));
    assertThat(of("GET", "/api/v1/proxy/namespaces/d/pods/web"))
        .as("the proxy verb").isEqualTo(new Authorizer.Attributes("proxy", "", "pods", "", "d", "web", null));
  }

  @Test
  void everythingElseIsANonResourceUrl() {
    assertThat(of("GET", "/apis/apps/v1")).isEqualTo(new Authorizer.Attributes("get", null, null, null, null, null, "/apis/apps/v1"));
    assertThat(of("GET", "/api").resourceRequest()).isFalse();
    assertThat(of("POST", "/openapi/v3").verb()).isEqualTo("post");
  }

  @Test
  void forbiddenMessagesReadAsKubes() {
    assertThat(RequestAttributes.forbiddenMessage("system:serviceaccount:default:default", of("GET", "/api/v1/namespaces/default/pods"), ""))
        .isEqualTo("pods is forbidden: User \"system:serviceaccount:default:default\" cannot list resource \"pods\" in API group \"\" "
            + "in the namespace \"default\"");
    assertThat(RequestAttributes.forbiddenMessage("jane", of("DELETE", "/apis/apps/v1/namespaces/d/deployments/web/scale"), ""))
        .isEqualTo("deployments.apps \"web\" is forbidden: User \"jane\" cannot delete resource \"deployments/scale\" in API group \"apps\" "
            + "in the namespace \"d\"");
    assertThat(RequestAttributes.forbiddenMessage("jane", of("GET", "/api/v1/nodes"), ""))
        .isEqualTo("nodes is forbidden: User \"jane\" cannot list resource \"nodes\" in API group \"\" at the cluster scope");
    assertThat(RequestAttributes.forbiddenMessage("jane", of("GET", "/metrics"), ""))
        .isEqualTo("forbidden: User \"jane\" cannot get path \"/metrics\"");
  }
}
