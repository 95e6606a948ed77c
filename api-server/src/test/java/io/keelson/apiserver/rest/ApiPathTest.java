package io.keelson.apiserver.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keelson.apiserver.status.StatusException;
import org.junit.jupiter.api.Test;

class ApiPathTest {

  @Test
  void servedPathsParse() {
    ApiPath p = ApiPath.parse("", "v1", "namespaces/default/pods/web/ephemeralcontainers");
    assertThat(p.type().resource()).isEqualTo("pods");
    assertThat(p.namespace()).isEqualTo("default");
    assertThat(p.name()).isEqualTo("web");
    assertThat(p.subresource()).isEqualTo("ephemeralcontainers");
    assertThat(ApiPath.parse("", "v1", "namespaces/default/serviceaccounts/robot/token").subresource()).isEqualTo("token");
    assertThat(ApiPath.parse("", "v1", "namespaces/default/status").type().resource()).isEqualTo("namespaces");
    assertThat(ApiPath.parse("batch", "v1", "namespaces/default/jobs/pi/status").subresource()).isEqualTo("status");
    assertThat(ApiPath.parse("batch", "v1", "namespaces/default/cronjobs").type().kind()).isEqualTo("CronJob");
  }

  /** Old API versions and groups Keelson does not serve (networking.k8s.io/v1beta1, gone in kube 1.22): the 404 says what is missing. */
  @Test
  void unservedResourcesAreNamed() {
    assertThat(ApiPath.parse("autoscaling", "v2", "namespaces/default/horizontalpodautoscalers/web/status").subresource()).isEqualTo("status");
    assertThat(ApiPath.parse("autoscaling", "v1", "namespaces/default/horizontalpodautoscalers").type().kind()).isEqualTo("HorizontalPodAutoscaler");
    assertThatThrownBy(() -> ApiPath.parse("autoscaling", "v2beta2", "namespaces/default/horizontalpodautoscalers"))
        .isInstanceOf(StatusException.class).satisfies(e -> assertThat(((StatusException) e).code()).isEqualTo(404))
        .hasMessage("the server could not find the requested resource (horizontalpodautoscalers.autoscaling/v2beta2 is not served)");
    assertThatThrownBy(() -> ApiPath.parse("networking.k8s.io", "v1beta1", "ingresses"))
        .hasMessage("the server could not find the requested resource (ingresses.networking.k8s.io/v1beta1 is not served)");
    assertThatThrownBy(() -> ApiPath.parse("", "v1", "namespaces/default/foos"))
        .hasMessage("the server could not find the requested resource (namespaces/foos)");
    assertThatThrownBy(() -> ApiPath.parse("", "v1", "namespaces/default/pods/web/nonsense"))
        .hasMessage("the server could not find the requested resource (pods/nonsense)");
  }
}
