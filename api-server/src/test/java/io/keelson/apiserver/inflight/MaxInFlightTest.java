package io.keelson.apiserver.inflight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keelson.apiserver.auth.Authorizer;
import io.keelson.apiserver.auth.RequestAttributes;
import io.keelson.apiserver.auth.UserInfo;
import io.keelson.apiserver.status.StatusException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** kube's legacy max-in-flight filter: read-only and mutating budgets, long-running requests free, system:masters exempt. */
class MaxInFlightTest {

  static final UserInfo JANE = new UserInfo("jane", "", List.of("system:authenticated"));
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  static Authorizer.Attributes of(String method, String path) {
    return RequestAttributes.of(method, path, null, null);
  }

  @Test
  void oneMoreThanTheLimitGets429AndAPlaceFreesWhenAnswered() {
    MaxInFlight limit = new MaxInFlight(1, 1, meters);
    MaxInFlight.Slot get = limit.admit(JANE, of("GET", "/api/v1/namespaces/d/pods"));
    assertThatThrownBy(() -> limit.admit(JANE, of("GET", "/api/v1/nodes/n"))).isInstanceOfSatisfying(StatusException.class, e -> {
      assertThat(e.code()).isEqualTo(429);
      assertThat(e.reason()).isEqualTo("TooManyRequests");
      assertThat(e.getMessage()).isEqualTo("Too many requests, please try again later.");
      assertThat(e.toStatus().at("/details/retryAfterSeconds").asInt()).isEqualTo(1);
    });
    MaxInFlight.Slot post = limit.admit(JANE, of("POST", "/api/v1/namespaces/d/pods"));
    assertThat(meters.get("apiserver_current_inflight_requests").tag("request_kind", "readOnly").gauge().value()).isEqualTo(1);
    assertThat(meters.get("apiserver_current_inflight_requests").tag("request_kind", "mutating").gauge().value()).isEqualTo(1);
    assertThat(meters.get("apiserver_dropped_requests").tag("request_kind", "readOnly").counter().count()).isEqualTo(1);
    get.close();
    get.close(); // twice: still one place given back
    limit.admit(JANE, of("GET", "/api/v1/nodes/n")).close();
    assertThatThrownBy(() -> limit.admit(JANE, of("POST", "/api/v1/namespaces")))
        .as("the mutating budget is apart").isInstanceOf(StatusException.class);
    post.close();
  }

  @Test
  void longRunningRequestsAreNotCounted() {
    MaxInFlight limit = new MaxInFlight(1, 1, meters);
    limit.admit(JANE, of("GET", "/api/v1/namespaces/d/pods"));
    limit.admit(JANE, of("POST", "/api/v1/namespaces/d/pods"));
    limit.admit(JANE, RequestAttributes.of("GET", "/api/v1/pods", "true", null));
    limit.admit(JANE, of("GET", "/api/v1/watch/pods"));
    limit.admit(JANE, of("GET", "/api/v1/namespaces/d/pods/p/log"));
    limit.admit(JANE, of("POST", "/api/v1/namespaces/d/pods/p/exec"));
    limit.admit(JANE, of("POST", "/api/v1/namespaces/d/pods/p/attach"));
    limit.admit(JANE, of("POST", "/api/v1/namespaces/d/pods/p/portforward"));
    limit.admit(JANE, of("GET", "/api/v1/namespaces/d/services/s/proxy/x"));
  }

  @Test
  void systemMastersAreAnsweredOverTheLimit() {
    MaxInFlight limit = new MaxInFlight(1, 1, meters);
    limit.admit(JANE, of("POST", "/api/v1/namespaces/d/pods"));
    limit.admit(UserInfo.ADMIN, of("POST", "/api/v1/namespaces/d/pods")).close();
    assertThat(meters.get("apiserver_dropped_requests").tag("request_kind", "mutating").counter().count()).isZero();
  }

  @Test
  void zeroIsNoLimit() {
    MaxInFlight limit = new MaxInFlight(0, 0, meters);
    for (int i = 0; i < 1000; i++) limit.admit(JANE, of(i % 2 == 0 ? "GET" : "DELETE", "/api/v1/namespaces/d/pods/p"));
  }
}
